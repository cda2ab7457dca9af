/// How serious a diagnostic is. Errors block sign-out; warnings and notes do not.
public enum Severity: String, Sendable, Codable, Comparable {
  case error, warning, info

  private var rank: Int { self == .error ? 2 : self == .warning ? 1 : 0 }
  public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One finding about a case: what, where (model path and, when known, file
/// position) and how to fix it.
public struct Diagnostic: Sendable, Codable, Equatable, Hashable {
  public var severity: Severity
  /// Model path such as `tumor.margins[1].distance` (list indexes count from 0).
  public var path: String
  /// Stable rule id, for example `margin.negative-zero-distance`.
  public var rule: String
  /// What is wrong and how to fix it.
  public var message: String
  public var line: Int?
  public var column: Int?

  public init(
    severity: Severity, path: String, rule: String, message: String,
    location: SourceLocation? = nil
  ) {
    self.severity = severity
    self.path = path
    self.rule = rule
    self.message = message
    self.line = location?.line
    self.column = location?.column
  }

  /// `FILE:LINE:COL: error: path: message [rule]`, the compiler-style line,
  /// always one line whatever the file name or message holds.
  public func formatted(file: String?) -> String {
    var prefix = file.map { $0.terminalSafe + ":" } ?? ""
    if let line { prefix += "\(line):" + (column.map { "\($0):" } ?? "") }
    if !prefix.isEmpty { prefix += " " }
    return "\(prefix)\(severity.rawValue): \(path.terminalSafe): \(message.terminalSafe) [\(rule)]"
  }
}

extension Array where Element == Diagnostic {
  public var hasErrors: Bool { contains { $0.severity == .error } }
}
