import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticTemplates

/// Where the templates are, for every command that needs them.
struct TemplateOptions: ParsableArguments {
  @Option(help: "Templates directory (default: SYNOPTIC_TEMPLATES, else a Templates/ folder above the working directory or the binary).")
  var templates: String?

  /// Loads the template store; exit 2 when the directory is unusable or a template is broken.
  func store(required: Bool) throws -> TemplateStore? {
    guard let dir = TemplateStore.locate(explicit: templates) else {
      if required {
        FileHandleOutput.stderr("error: no Templates/ directory found; give --templates DIR or set SYNOPTIC_TEMPLATES\n")
        throw ExitCode(2)
      }
      return nil
    }
    let store: TemplateStore
    do {
      store = try TemplateStore(directory: dir)
    } catch {
      FileHandleOutput.stderr("\(dir.path): error: \(error.message)\n")
      throw ExitCode(2)
    }
    if !store.errors.isEmpty {
      for e in store.errors { FileHandleOutput.stderr(e.description + "\n") }
      FileHandleOutput.stderr("error: the templates in \(dir.path) have errors; run 'synoptic template lint'\n")
      throw ExitCode(2)
    }
    return store
  }
}

/// A case file taken through the whole pipeline up to the report document.
struct FilledCase {
  var analysis: CaseAnalysis
  var template: SynopticTemplate
  var document: ReportDocument
  var diagnostics: [Diagnostic]
}

extension CaseFile {
  /// Decodes, analyses and fills a case with its template (by id, or by procedure).
  static func fill(_ file: String, store: TemplateStore, templateId: String?, options: RuleOptions = RuleOptions())
    throws -> (outcome: Outcome, filled: FilledCase?)
  {
    var rules = options
    rules.checkReferenceRequirements = false
    let decoded: CaseLoader.Decoded
    do {
      decoded = try CaseLoader.decode(contentsOf: URL(fileURLWithPath: file))
    } catch {
      return (.unreadable(error), nil)
    }
    guard let value = decoded.value else { return (.checked(nil, decoded.diagnostics), nil) }
    guard let template = store.template(for: value, id: templateId) else {
      let known = store.templates.keys.sorted().joined(separator: ", ")
      FileHandleOutput.stderr("error: \(templateId.map { "no template '\($0)'" } ?? "no template applies to this case"); templates: \(known)\n")
      throw ExitCode(64)
    }
    let analysis = Validator.analyse(value, options: rules)
    let doc = Filler.fill(template, with: analysis)
    let ordered = order(decoded.diagnostics + doc.diagnostics.map(decoded.locate))
    var document = doc
    document.diagnostics = ordered
    return (.checked(analysis, ordered), FilledCase(analysis: analysis, template: template, document: document, diagnostics: ordered))
  }

  /// Stable sort by position: the file reads top to bottom.
  static func order(_ all: [Diagnostic]) -> [Diagnostic] {
    all.enumerated().sorted { a, b in
      (a.element.line ?? .max, a.offset) < (b.element.line ?? .max, b.offset)
    }.map(\.element)
  }
}
