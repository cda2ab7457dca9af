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
    let store = try Self.open(dir)
    if !store.errors.isEmpty {
      for e in store.errors { FileHandleOutput.stderr(e.description + "\n") }
      FileHandleOutput.stderr("error: the templates in \(dir.path) have errors; run 'synoptic template lint'\n")
      throw ExitCode(2)
    }
    return store
  }

  /// Loads a templates directory; exit 2 when it cannot be read at all.
  static func open(_ dir: URL) throws -> TemplateStore {
    do {
      return try TemplateStore(directory: dir)
    } catch {
      FileHandleOutput.stderr("\(dir.path): error: \(error.message)\n")
      throw ExitCode(2)
    }
  }
}

extension CaseFile {
  /// Decodes a case and fills it with its template (by id, or by procedure).
  static func fill(_ file: String, store: TemplateStore, templateId: String?, options: RuleOptions = RuleOptions())
    throws -> (outcome: Outcome, filled: PreparedReport?)
  {
    let decoded: CaseLoader.Decoded
    do {
      decoded = try CaseLoader.decode(contentsOf: URL(fileURLWithPath: file))
    } catch {
      return (.unreadable(error), nil)
    }
    do {
      guard let prepared = try ReportPipeline.prepare(decoded, store: store, templateId: templateId, options: options) else {
        return (.checked(nil, decoded.diagnostics), nil)
      }
      return (.checked(prepared.analysis, prepared.document.diagnostics), prepared)
    } catch {
      let known = store.templates.keys.sorted().joined(separator: ", ")
      FileHandleOutput.stderr("error: \(templateId.map { "no template '\($0)'" } ?? "no template applies to this case"); templates: \(known)\n")
      throw ExitCode(64)
    }
  }

  static func order(_ all: [Diagnostic]) -> [Diagnostic] { ReportPipeline.order(all) }
}
