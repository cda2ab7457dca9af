import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticTemplates

struct TemplatesList: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "templates", abstract: "List template ids, titles and versions.")
  @OptionGroup var templateOptions: TemplateOptions

  func run() throws {
    guard let store = try templateOptions.store(required: true) else { throw ExitCode(2) }
    for t in store.templates.values.sorted(by: { $0.id < $1.id }) {
      let base = t.base.map { "  (override of \($0) \(t.baseVersion ?? ""))" } ?? ""
      print("\(t.id)\t\(t.version)\t\(t.title)\(base)")
    }
  }
}

struct TemplateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "template", abstract: "Work with synoptic templates.", subcommands: [TemplateLintCommand.self])
}

struct TemplateLintCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lint",
    abstract: "Check templates: bindings, ids, conditions, and that their layouts resolve against the report.",
    discussion: "With no argument every template is checked. Exit 1 when anything is wrong.")

  @Argument(help: "A template id, or a template file path.") var target: String?
  @Flag(name: .customLong("local"), help: "List the items and answers that carry only a local code.") var showLocal = false
  @OptionGroup var templateOptions: TemplateOptions

  func run() throws {
    var explicitDir = templateOptions.templates
    var onlyFile: String?
    if let target, target.hasSuffix(".yaml") || target.hasSuffix(".yml") {
      let url = URL(fileURLWithPath: target)
      explicitDir = explicitDir ?? url.deletingLastPathComponent().path
      onlyFile = url.standardizedFileURL.path
    }
    guard let dir = TemplateStore.locate(explicit: explicitDir) else {
      FileHandleOutput.stderr("error: no Templates/ directory found; give --templates DIR\n")
      throw ExitCode(2)
    }
    let store = try TemplateOptions.open(dir)
    var problems = store.diagnostics
      .filter { onlyFile == nil || URL(fileURLWithPath: $0.file).standardizedFileURL.path == onlyFile }
      .map(\.description)
    var ids = store.templates.keys.sorted()
    if let onlyFile { ids = ids.filter { store.files[$0]?.standardizedFileURL.path == onlyFile } }
    if let target, onlyFile == nil {
      guard store.templates[target] != nil else {
        FileHandleOutput.stderr("error: no template '\(target)'; templates: \(store.templates.keys.sorted().joined(separator: ", "))\n")
        throw ExitCode(64)
      }
      ids = [target]
    }
    do {
      let layouts = try ReportLayouts(directory: dir.appendingPathComponent("layouts"))
      for id in ids { if let t = store.templates[id] { problems += layouts.lint(t) } }
    } catch {
      problems.append("\(dir.path)/layouts: error: \(error)")
    }
    var seen: Set<String> = []
    for p in problems where seen.insert(p).inserted { print(p) }
    if !problems.isEmpty { throw ExitCode(1) }
    print("\(ids.joined(separator: ", ")): ok")
    // How much of each template a receiver can map without a local table.
    for id in ids {
      guard let t = store.templates[id] else { continue }
      let c = store.terminology.coverage(t, answerWords: TemplateLint.answerWords)
      print("\(id) \(t.version): \(c.line)")
      if showLocal {
        print("  local items: " + c.localItems.joined(separator: "; "))
        print("  local answers: " + c.localAnswers.joined(separator: ", "))
      }
    }
  }
}
