import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport

struct Validate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check case files and list diagnostics.",
    discussion: """
      Exit 0 when no case has errors (warnings allowed), 1 when a case has errors, \
      2 when a file cannot be read or parsed at all.
      """)

  @Argument(help: "Case files (YAML or JSON).") var files: [String]
  @Option(help: "text or json.") var format: OutputFormat = .text
  @Option(name: .customLong("template"), help: "Template id (default: the template for the case's procedure).")
  var templateId: String?
  @OptionGroup var templateOptions: TemplateOptions

  func run() throws {
    var worst: Int32 = 0
    var reports: [JSONOut] = []
    // Required elements come from the case's template; without templates the
    // built-in reference requirements apply.
    let store = try templateOptions.store(required: templateId != nil)
    if store == nil {
      FileHandleOutput.stderr("note: no templates found; checking required elements from the built-in reference\n")
    }
    for file in files {
      let outcome = try store.map { try CaseFile.fill(file, store: $0, templateId: templateId).outcome } ?? CaseFile.check(file)
      worst = max(worst, outcome.exitCode)
      switch format {
      case .text: print(outcome.text(file: file), terminator: "")
      case .json: reports.append(outcome.json(file: file))
      }
    }
    if format == .json {
      print(JSONOut.object([("files", .array(reports)), ("exitCode", .int(Int(worst)))]).render())
    }
    if worst != 0 { throw ExitCode(worst) }
  }
}

/// Reading, decoding and analysing one case file, for every command that takes one.
enum CaseFile {
  enum Outcome {
    case unreadable(SourceParseError)
    case checked(CaseAnalysis?, [Diagnostic])

    var exitCode: Int32 {
      switch self {
      case .unreadable: return 2
      case .checked(_, let d): return d.hasErrors ? 1 : 0
      }
    }

    func text(file: String) -> String {
      switch self {
      case .unreadable(let e):
        var pos = ""
        if let l = e.location, l.line > 0 { pos = "\(l.line):\(l.column):" }
        return "\(file):\(pos) error: \(e.message)\n"
      case .checked(_, let diagnostics):
        var out = diagnostics.map { $0.formatted(file: file) + "\n" }.joined()
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        out += "\(file): \(errors == 0 ? "valid" : "invalid") (\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s"))\n"
        return out
      }
    }

    func json(file: String) -> JSONOut {
      switch self {
      case .unreadable(let e):
        return .object([
          ("file", .string(file)), ("status", .string("unreadable")),
          ("diagnostics", .array([.object([
            ("severity", .string("error")), ("path", .string("(file)")), ("rule", .string("file.parse")),
            ("message", .string(e.message)),
            ("line", e.location.map { .int($0.line) } ?? .null),
            ("column", e.location.map { .int($0.column) } ?? .null),
          ])])),
        ])
      case .checked(_, let diagnostics):
        return .object([
          ("file", .string(file)), ("status", .string(diagnostics.hasErrors ? "invalid" : "valid")),
          ("diagnostics", .array(diagnostics.map(CaseFile.json))),
        ])
      }
    }
  }

  static func check(_ file: String, options: RuleOptions = RuleOptions()) -> Outcome {
    do {
      let decoded = try CaseLoader.decode(contentsOf: URL(fileURLWithPath: file))
      guard let value = decoded.value else { return .checked(nil, decoded.diagnostics) }
      let analysis = Validator.analyse(value, options: options)
      return .checked(analysis, order(decoded.diagnostics + analysis.diagnostics.map(decoded.locate)))
    } catch {
      return .unreadable(error)
    }
  }

  static func json(_ d: Diagnostic) -> JSONOut {
    .object([
      ("severity", .string(d.severity.rawValue)), ("path", .string(d.path)), ("rule", .string(d.rule)),
      ("message", .string(d.message)), ("line", d.line.map(JSONOut.int) ?? .null),
      ("column", d.column.map(JSONOut.int) ?? .null),
    ])
  }
}
