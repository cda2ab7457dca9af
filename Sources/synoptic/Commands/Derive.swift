import Foundation
import ArgumentParser
import SynopticCore
import SynopticExport
import SynopticTemplates
import SynopticWorkflow

struct Derive: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show what the rules derive for a case: grade, pTNM, stage group, margins, comparisons.",
    discussion: "Exit codes as for validate; derived values are shown only for a case without errors.")

  @Argument(help: "A case file (YAML or JSON).") var file: String
  @Option(help: "Close-margin threshold in mm (default: the site's, else 10).") var closeMarginMm: Double?
  @Option(help: "text or json.") var format: OutputFormat = .text
  @Option(name: .customLong("template"), help: "Template id (default: the template for the case's procedure).")
  var templateId: String?
  @OptionGroup var templateOptions: TemplateOptions
  @OptionGroup var siteOptions: SiteOptions

  func run() throws {
    // The same checks as validate: required elements from the case's template when there is one.
    let outcome: CaseOutcome
    let templated = TemplateStore.locate(explicit: templateOptions.templates) != nil || templateId != nil
    let workflow = templated ? try makeWorkflow(site: siteOptions, templates: templateOptions) : nil
    let site = try workflow?.site ?? siteOptions.load()
    switch Workflow.readCase(at: file, limits: site.inputLimits) {
    case .success(let data):
      if let workflow {
        let rules = workflow.rules(closeMarginMm: closeMarginMm)
        outcome = try exitOnError { () throws(WorkflowError) in try workflow.prepare(data: data, templateId: templateId, rules: rules) }
      } else {
        var rules = site.ruleOptions
        if let closeMarginMm { rules.closeMarginThresholdMm = closeMarginMm }
        outcome = Workflow.check(data: data, rules: rules, limits: site.inputLimits)
      }
    case .failure(let error):
      outcome = .unreadable(error)
    }
    let diagnostics = outcome.diagnostics
    guard let analysis = outcome.analysis, !diagnostics.hasErrors else {
      if format == .json {
        print(JSONOut.object([("file", .string(file)), ("result", CaseFile.json(outcome, file: file))]).render())
      } else {
        FileHandleOutput.stderr(CaseFile.text(outcome, file: file))
      }
      throw ExitCode(CaseFile.exitCode(outcome))
    }
    let d = analysis.derivation
    switch format {
    case .text: print(text(analysis, d, diagnostics), terminator: "")
    case .json: print(json(analysis, d, diagnostics).render())
    }
  }

  func text(_ a: CaseAnalysis, _ d: Derivation, _ diagnostics: [Diagnostic]) -> String {
    var out = "\(a.pathologyCase.accession)\n"
    out += "Grade: \(d.grade.phrase)\n  working: \(d.grade.working)\n"
    for c in d.componentGrades {
      out += "  component '\(c.name)': \(c.assessment.phrase): \(c.assessment.working)\n"
    }
    out += "pT (AJCC 8th): \(d.pT)\n  T: \(d.t.working)\n"
    out += "pN: \(d.nDisplay)\n  N: \(d.nWorking)\n"
    out += "M: \(d.mDisplay)\n  M: \(d.mWorking)\n"
    out += "Stage group: \(d.stage.group ?? (d.stage.alternatives.isEmpty ? "not assigned" : "cannot be assigned"))\n  \(d.stage.reason)\n"
    if let m = d.margins {
      out += "Margins: \(m.rClass.rawValue)"
      if let c = m.closestText { out += "; closest \(c)" }
      if !m.involved.isEmpty { out += "; involved: \(m.involved.joined(separator: ", "))" }
      if let close = m.closeText { out += "; close margin: \(close)" }
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
        ("grade", .string(g.phrase)), ("value", .string(g.value)),
        ("range", g.range.map { .object([("lo", .int($0.lo)), ("hi", .int($0.hi))]) } ?? .null),
        ("ajcc", .string(g.ajccDisplay)), ("source", .string(g.source.rawValue)),
        ("stated", JSONOut.optional(g.stated?.description)), ("working", .string(g.working)),
      ]
      if let f = g.fnclcc {
        pairs += [
          ("differentiationScore", .int(f.differentiationScore)), ("mitoticScore", .int(f.mitoticScore)),
          ("necrosisScore", .int(f.necrosisScore)), ("totalScore", .int(f.totalScore)),
        ]
      }
      if let p = g.partial {
        pairs.append(("partialScore", .object([
          ("differentiation", range(p.differentiation)), ("mitotic", range(p.mitotic)), ("necrosis", range(p.necrosis)),
          ("total", range(p.total)),
        ])))
      }
      return .object(pairs)
    }
    func range(_ r: ClosedRange<Int>) -> JSONOut { .object([("lo", .int(r.lowerBound)), ("hi", .int(r.upperBound))]) }
    func length(_ l: Length?) -> JSONOut {
      guard let l else { return .null }
      return .object([("text", .string(l.description)), ("mm", .number(l.millimetres)), ("comparator", JSONOut.optional(l.comparator?.rawValue))])
    }
    var pairs: [(String, JSONOut)] = [
      ("accession", .string(a.pathologyCase.accession)),
      ("grade", grade(d.grade)),
      ("components", .array(d.componentGrades.map { .object([("name", .string($0.name)), ("grade", grade($0.assessment))]) })),
      ("pT", .string(d.pT)), ("t", .string(d.t.category)), ("tWorking", .string(d.t.working)),
      ("n", .string(d.n.rawValue)), ("pN", .string(d.nDisplay)), ("nWorking", .string(d.nWorking)),
      ("cN", JSONOut.optional(d.cN?.rawValue)),
      ("m", .string(d.m.rawValue)), ("pM", .string(d.mDisplay)), ("mWorking", .string(d.mWorking)),
      ("stageGroup", JSONOut.optional(d.stage.group)), ("stageReason", .string(d.stage.reason)),
      ("stageAlternatives", .array(d.stage.alternatives.map(JSONOut.string))),
    ]
    if let m = d.margins {
      pairs.append(("margins", .object([
        ("rClass", .string(m.rClass.rawValue)), ("rWorking", .string(m.rWorking)),
        ("closest", m.closest.map { .object([("name", .string($0.name)), ("distance", length($0.distance))]) } ?? .null),
        ("mayBeCloser", .array(m.mayBeCloser.map { .object([("name", .string($0.name)), ("distance", length($0.distance))]) })),
        ("equallyClose", .array(m.equallyClose.map(JSONOut.string))),
        ("closestDistance", length(m.closestDistance)), ("closestText", JSONOut.optional(m.closestText)),
        ("close", JSONOut.optional(m.close?.rawValue)), ("closeText", JSONOut.optional(m.closeText)),
        ("closeThresholdMm", .number(m.closeThresholdMm)),
        ("involved", .array(m.involved.map(JSONOut.string))),
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
