import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

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

/// The site configuration, for every command that renders or signs.
struct SiteOptions: ParsableArguments {
  @Option(help: "Site configuration (default: SYNOPTIC_SITE, else the shipped Samples/sites/demo-hospital.yaml).")
  var site: String?

  /// Loads the site file; exit 2 when there is none or it has errors.
  func load() throws -> SiteConfiguration {
    guard let url = SiteConfiguration.locate(explicit: site) else {
      FileHandleOutput.stderr("error: no site configuration found; give --site FILE or set SYNOPTIC_SITE (see Samples/sites/demo-hospital.yaml)\n")
      throw ExitCode(2)
    }
    do {
      return try SiteConfiguration.load(url)
    } catch {
      FileHandleOutput.stderr(error.description + "\n")
      throw ExitCode(2)
    }
  }
}

/// The workflow a command runs: site, templates and layouts, and the store when it needs one.
func makeWorkflow(site: SiteOptions, templates: TemplateOptions, store: StoreOptions? = nil) throws -> Workflow {
  let configuration = try site.load()
  guard let dir = TemplateStore.locate(explicit: templates.templates) else {
    FileHandleOutput.stderr("error: no Templates/ directory found; give --templates DIR or set SYNOPTIC_TEMPLATES\n")
    throw ExitCode(2)
  }
  let (templateStore, layouts) = try exitOnError { () throws(WorkflowError) in try Workflow.loadTemplates(dir) }
  return Workflow(site: configuration, templates: templateStore, layouts: layouts, store: try store?.open())
}

/// Runs a workflow operation; prints its refusal and exits with the matching status.
func exitOnError<T>(_ body: () throws(WorkflowError) -> T) throws -> T {
  do {
    return try body()
  } catch {
    report(error)
    throw ExitCode(exitStatus(error))
  }
}

func report(_ error: WorkflowError, file: String? = nil) {
  for d in error.diagnostics where d.severity == .error { FileHandleOutput.stderr(d.formatted(file: file) + "\n") }
  let prefix: String
  switch error.kind {
  case .refused, .conflict, .invalid, .forbidden: prefix = "refused: "
  default: prefix = "error: "
  }
  FileHandleOutput.stderr(prefix + error.message + "\n")
}

/// Exit statuses: 1 a case or a rule refuses, 2 unreadable input or a store failure, 64 usage.
func exitStatus(_ error: WorkflowError) -> Int32 {
  switch error.kind {
  case .unreadable, .store: return 2
  case .usage: return 64
  case .invalid, .refused, .conflict, .notFound, .forbidden: return 1
  }
}

/// A case file's bytes, read once within the site's limits; exit 2 when it cannot be read.
func readCaseFile(_ file: String, limits: InputLimits) throws -> Data {
  switch Workflow.readCase(at: file, limits: limits) {
  case .success(let data): return data
  case .failure(let error):
    FileHandleOutput.stderr(CaseFile.text(.unreadable(error), file: file))
    throw ExitCode(2)
  }
}

/// Printing a case's outcome as text, for validate, derive and render.
enum CaseFile {
  static func text(_ o: CaseOutcome, file: String) -> String {
    if case .unreadable(let e) = o {
      var pos = ""
      if let l = e.location, l.line > 0 { pos = "\(l.line):\(l.column):" }
      return "\(file):\(pos) error: \(e.message)\n"
    }
    let diagnostics = o.diagnostics
    var out = diagnostics.map { $0.formatted(file: file) + "\n" }.joined()
    let errors = diagnostics.filter { $0.severity == .error }.count
    let warnings = diagnostics.filter { $0.severity == .warning }.count
    out += "\(file): \(errors == 0 ? "valid" : "invalid") (\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s"))\n"
    return out
  }
}
