import Foundation
import ArgumentParser
import SynopticCore
import SynopticExport

struct Derive: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show what the rules derive for a case: grade, pTNM, stage group, margins, comparisons.",
    discussion: "Exit codes as for validate; derived values are shown only for a case without errors.")

  @Argument(help: "A case file (YAML or JSON).") var file: String
  @Option(help: "Close-margin threshold in mm.") var closeMarginMm: Double = MarginRules.defaultCloseThresholdMm
  @Option(help: "text or json.") var format: OutputFormat = .text

  func run() throws {
    let outcome = CaseFile.check(file, options: RuleOptions(closeMarginThresholdMm: closeMarginMm))
    guard case .checked(let analysis?, let diagnostics) = outcome, !diagnostics.hasErrors else {
      if format == .json {
        print(JSONOut.object([("file", .string(file)), ("result", outcome.json(file: file))]).render())
      } else {
        FileHandleOutput.stderr(outcome.text(file: file))
      }
      throw ExitCode(outcome.exitCode)
    }
    let d = analysis.derivation
    switch format {
    case .text: print(text(analysis, d, diagnostics), terminator: "")
    case .json: print(json(analysis, d, diagnostics).render())
    }
  }

  func text(_ a: CaseAnalysis, _ d: Derivation, _ diagnostics: [Diagnostic]) -> String {
    var out = "\(a.pathologyCase.accession)\n"
    out += "Grade: \(d.grade.grade.display)\n  working: \(d.grade.working)\n"
    for c in d.componentGrades {
      out += "  component '\(c.name)': \(c.assessment.grade.display): \(c.assessment.working)\n"
    }
    out += "pTNM (AJCC 8th): \(d.tnm)\n  T: \(d.t.working)\n"
    out += "Stage group: \(d.stage.group ?? "not assigned")\n  \(d.stage.reason)\n"
    if let m = d.margins {
      out += "Margins: \(m.rClass.rawValue)"
      if let c = m.closest { out += "; closest \(c.name) \(c.distance)\(m.isClose ? " (close)" : "")" }
      if !m.involved.isEmpty { out += "; involved: \(m.involved.joined(separator: ", "))" }
      out += "\n  working: \(m.working)\n"
    }
    if !d.stainChanges.isEmpty {
      out += "Comparison with prior specimen:\n"
      for c in d.stainChanges { out += "  \(c.text)\n" }
    }
    for diag in diagnostics where diag.severity != .info { out += diag.formatted(file: nil) + "\n" }
    return out
  }

  func json(_ a: CaseAnalysis, _ d: Derivation, _ diagnostics: [Diagnostic]) -> JSONOut {
    func grade(_ g: GradeAssessment) -> JSONOut {
      var pairs: [(String, JSONOut)] = [
        ("grade", .string(g.grade.display)), ("ajcc", .string(g.grade.ajcc.rawValue)),
        ("source", .string(g.source.rawValue)), ("working", .string(g.working)),
      ]
      if let f = g.fnclcc {
        pairs += [
          ("differentiationScore", .int(f.differentiationScore)), ("mitoticScore", .int(f.mitoticScore)),
          ("necrosisScore", .int(f.necrosisScore)), ("totalScore", .int(f.totalScore)),
        ]
      }
      return .object(pairs)
    }
    var pairs: [(String, JSONOut)] = [
      ("accession", .string(a.pathologyCase.accession)),
      ("grade", grade(d.grade)),
      ("components", .array(d.componentGrades.map { .object([("name", .string($0.name)), ("grade", grade($0.assessment))]) })),
      ("pT", .string(d.pT)), ("t", .string(d.t.category)), ("tWorking", .string(d.t.working)),
      ("n", .string(d.n.rawValue)), ("pN", .string(d.nDisplay)), ("m", .string(d.m.rawValue)), ("pM", .string(d.mDisplay)),
      ("stageGroup", JSONOut.optional(d.stage.group)), ("stageReason", .string(d.stage.reason)),
    ]
    if let m = d.margins {
      pairs.append(("margins", .object([
        ("rClass", .string(m.rClass.rawValue)),
        ("closest", m.closest.map { .object([("name", .string($0.name)), ("distanceMm", .number($0.distance.millimetres)), ("text", .string($0.distance.description))]) } ?? .null),
        ("involved", .array(m.involved.map(JSONOut.string))), ("close", .bool(m.isClose)),
        ("working", .string(m.working)),
      ])))
    }
    pairs.append(("stainChanges", .array(d.stainChanges.map { .string($0.text) })))
    pairs.append(("diagnostics", .array(diagnostics.map(CaseFile.json))))
    return .object(pairs)
  }
}

enum FileHandleOutput {
  static func stderr(_ s: String) {
    var e = StandardError()
    print(s, terminator: "", to: &e)
  }
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    FileHandle.standardError.write(Data(string.utf8))
  }
}
