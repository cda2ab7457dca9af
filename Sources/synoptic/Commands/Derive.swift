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
        print(JSONOut.object([("file", .string(file)), ("result", Presentation.outcome(outcome, file: file))]).render())
      } else {
        FileHandleOutput.stderr(CaseFile.text(outcome, file: file))
      }
      throw ExitCode(Int32(Presentation.exitCode(outcome)))
    }
    let d = analysis.derivation
    switch format {
    case .text: print(text(analysis, d, diagnostics), terminator: "")
    case .json: print(Presentation.derivation(analysis, diagnostics: diagnostics).render())
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
