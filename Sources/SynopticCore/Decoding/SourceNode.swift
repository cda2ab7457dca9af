import Foundation

/// A position in a case file (1-based line and column).
public struct SourceLocation: Sendable, Hashable, Codable {
  public var line: Int
  public var column: Int
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }
}

/// A parsed YAML or JSON document with the position of every node.
///
/// JSON is read through the YAML parser (JSON is a subset of YAML), so both
/// formats share one schema and one set of positioned diagnostics.
enum SourceNode {
  case scalar(String, plain: Bool, SourceLocation)
  case mapping([SourcePair], SourceLocation)
  case sequence([SourceNode], SourceLocation)

  var location: SourceLocation {
    switch self {
    case .scalar(_, _, let l), .mapping(_, let l), .sequence(_, let l): return l
    }
  }

  /// Plain `~`, `null` and empty scalars are YAML's null.
  var isNull: Bool {
    if case .scalar(let s, let plain, _) = self, plain {
      return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }
    return false
  }

  var kindName: String {
    switch self {
    case .scalar: return isNull ? "null" : "a scalar"
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    }
  }
}

/// A key of a mapping, where it is, and its value. A struct, not a tuple:
/// arrays of tuples are copied and destroyed through the runtime's generic
/// tuple witness (every case file is a few hundred of these).
struct SourcePair {
  var key: String
  var keyLocation: SourceLocation
  var value: SourceNode
}

/// Why a file could not be read as a document at all (exit status 2).
public struct SourceParseError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var location: SourceLocation?
  public init(message: String, location: SourceLocation?) {
    self.message = message
    self.location = location
  }
  public var description: String {
    if let l = location { return "\(l.line):\(l.column): \(message)" }
    return message
  }
}

extension SourceNode {
  /// The deepest nesting the JSON fast path follows before handing the text
  /// to the YAML reader (which has no recursion and applies the site's limit).
  static let maxDepth = 64

  /// Parses YAML or JSON text into positioned nodes within the limits: the
  /// file's size first, then the structure as it is read, then every text.
  static func parse(_ text: String, limits: InputLimits = .standard) throws(SourceParseError) -> SourceNode {
    let size = text.utf8.count
    if size > limits.fileBytes {
      throw SourceParseError(
        message: "the file is \(size) bytes; the limit is \(limits.fileBytes) (fileBytes)", location: nil)
    }
    let root: SourceNode
    if let json = JSONSourceParser.parse(text) {
      root = json
    } else {
      root = try YAMLEventReader.parse(text, limits: limits)
    }
    try limits.check(root)
    return root
  }

  /// The YAML reader alone (also for JSON the fast path declines, so its errors are the ones shown).
  static func parseYAML(_ text: String, limits: InputLimits = .standard) throws(SourceParseError) -> SourceNode {
    try YAMLEventReader.parse(text, limits: limits)
  }
}

/// Finds the file position of a model path (`tumor.margins[1].distance`) in a
/// parsed case, so that rule diagnostics point at a line like decode errors do.
public struct SourceMap: Sendable {
  private let root: SourceNodeBox

  init(_ root: SourceNode) { self.root = SourceNodeBox(node: root) }

  /// The deepest node along the path that exists in the file.
  public func location(of path: String) -> SourceLocation? {
    var node = root.node
    var found: SourceLocation? = nil
    for part in Self.components(path) {
      switch (node, part) {
      case (.mapping(let pairs, _), .key(let k)):
        guard let pair = pairs.first(where: { $0.key == k }) else { return found ?? node.location }
        found = pair.value.location
        node = pair.value
      case (.sequence(let items, _), .index(let i)) where i < items.count:
        found = items[i].location
        node = items[i]
      default:
        return found ?? node.location
      }
    }
    return found
  }

  enum Component: Equatable { case key(String), index(Int) }

  static func components(_ path: String) -> [Component] {
    var out: [Component] = []
    for segment in path.split(separator: ".") {
      var rest = Substring(segment)
      if let bracket = rest.firstIndex(of: "[") {
        let key = rest[..<bracket]
        if !key.isEmpty { out.append(.key(String(key))) }
        rest = rest[bracket...]
        while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
          if let i = Int(rest[rest.index(after: rest.startIndex)..<close]) { out.append(.index(i)) }
          rest = rest[rest.index(after: close)...]
        }
      } else {
        out.append(.key(String(rest)))
      }
    }
    return out
  }
}

/// SourceNode holds only value types; the box makes that promise explicit.
final class SourceNodeBox: @unchecked Sendable {
  let node: SourceNode
  init(node: SourceNode) { self.node = node }
}
