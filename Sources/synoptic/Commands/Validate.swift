import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticTemplates
import SynopticWorkflow

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
  @OptionGroup var siteOptions: SiteOptions

  func run() throws {
    var results: [(file: String, outcome: CaseOutcome)] = []
    // Required elements come from the case's template; without templates the
    // built-in reference requirements apply.
    let workflow = TemplateStore.locate(explicit: templateOptions.templates) != nil || templateId != nil
      ? try makeWorkflow(site: siteOptions, templates: templateOptions) : nil
    let site = try workflow?.site ?? siteOptions.load()
    let rules = workflow?.rules() ?? site.ruleOptions
    let limits = site.inputLimits
    if workflow == nil {
      FileHandleOutput.stderr("note: no templates found; checking required elements from the built-in reference\n")
    }
    for file in files {
      let outcome: CaseOutcome
      switch Workflow.readCase(at: file, limits: limits) {
      case .success(let data):
        if let workflow {
          outcome = try exitOnError { () throws(WorkflowError) in try workflow.prepare(data: data, templateId: templateId) }
        } else {
          outcome = Workflow.check(data: data, rules: rules, limits: limits)
        }
      case .failure(let error):
        outcome = .unreadable(error)
      }
      results.append((file, outcome))
      if format == .text { print(CaseFile.text(outcome, file: file), terminator: "") }
    }
    let document = Presentation.validation(results)
    if format == .json { print(document.render()) }
    let worst = results.map { Presentation.exitCode($0.outcome) }.max() ?? 0
    if worst != 0 { throw ExitCode(Int32(worst)) }
  }
}

