import Dispatch
import Foundation
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates

/// What checking one case gave: it could not be read, it did not decode, or
/// it was analysed and filled (the document carries every diagnostic).
public enum CaseOutcome: Sendable {
  case unreadable(SourceParseError)
  case undecodable([Diagnostic])
  case prepared(PreparedReport)
  /// Checked against the built-in reference requirements (no templates).
  case analysed(CaseAnalysis, [Diagnostic])

  public var diagnostics: [Diagnostic] {
    switch self {
    case .unreadable: return []
    case .undecodable(let d), .analysed(_, let d): return d
    case .prepared(let p): return p.document.diagnostics
    }
  }

  public var analysis: CaseAnalysis? {
    switch self {
    case .prepared(let p): return p.analysis
    case .analysed(let a, _): return a
    case .unreadable, .undecodable: return nil
    }
  }

  public var hasErrors: Bool {
    if case .unreadable = self { return true }
    return diagnostics.hasErrors
  }
}

/// The operations of Synoptic as a library: every face (the command line, the
/// HTTP service) calls these and holds no rule of its own. Preparing a case,
/// rendering it, and, with a store, signing it out, amending it, adding an
/// addendum, and reading back what was stored.
public final class Workflow: Sendable {
  public let site: SiteConfiguration
  /// The site's identities as the writers take them, worked out once: every render needs them.
  let identity: SiteIdentity
  public let templates: TemplateStore
  public let layouts: ReportLayouts
  /// Where signed versions live; nil for the operations that only render.
  public let store: ReportStore?

  public init(site: SiteConfiguration, templates: TemplateStore, layouts: ReportLayouts, store: ReportStore? = nil) {
    self.site = site
    identity = site.identity
    self.templates = templates
    self.layouts = layouts
    self.store = store
  }

  /// The same workflow on a (different) store.
  public func with(store: ReportStore) -> Workflow {
    Workflow(site: site, templates: templates, layouts: layouts, store: store)
  }

  /// The site's rule settings, with a one-off close-margin threshold when given.
  public func rules(closeMarginMm: Double? = nil) -> RuleOptions {
    var r = site.ruleOptions
    if let mm = closeMarginMm { r.closeMarginThresholdMm = mm }
    return r
  }

  // MARK: prepare

  /// Decodes, validates, derives and fills a case: the one entry point that
  /// render, validate, derive, the batch and sign-out all use.
  public func prepare(text: String, templateId: String? = nil, rules: RuleOptions? = nil) throws(WorkflowError) -> CaseOutcome {
    let decoded: CaseLoader.Decoded
    do {
      decoded = try CaseLoader.decode(text, limits: site.inputLimits)
    } catch {
      return .unreadable(error)
    }
    return try prepare(decoded, templateId: templateId, rules: rules)
  }

  /// The same for a case file's bytes (UTF-8; binary and NUL bytes are unreadable).
  public func prepare(data: Data, templateId: String? = nil, rules: RuleOptions? = nil) throws(WorkflowError) -> CaseOutcome {
    switch Self.text(of: data, limits: site.inputLimits) {
    case .success(let text): return try prepare(text: text, templateId: templateId, rules: rules)
    case .failure(let error): return .unreadable(error)
    }
  }

  /// A case file's bytes as text: within the size limit, UTF-8, no NUL bytes.
  static func text(of data: Data, limits: InputLimits) -> Result<String, SourceParseError> {
    Result { () throws(SourceParseError) in try PositionedDecoder.text(data, maxBytes: limits.fileBytes) }
  }

  /// Reads a case file within the site's limits: regular files only (a FIFO
  /// or a device is refused, not waited on), no larger than `fileBytes`.
  public static func readCase(at path: String, limits: InputLimits) -> Result<Data, SourceParseError> {
    Result { () throws(SourceParseError) in try BoundedFile.contents(of: path, maxBytes: limits.fileBytes) }
  }

  func prepare(_ decoded: CaseLoader.Decoded, templateId: String?, rules: RuleOptions?) throws(WorkflowError) -> CaseOutcome {
    do {
      guard let p = try ReportPipeline.prepare(decoded, store: templates, templateId: templateId, options: rules ?? site.ruleOptions) else {
        return .undecodable(decoded.diagnostics)
      }
      return .prepared(p)
    } catch {
      let known = templates.templates.keys.sorted().joined(separator: ", ")
      throw WorkflowError(.usage, "\(templateId.map { "no template '\($0)'" } ?? "no template applies to this case"); templates: \(known)")
    }
  }

  /// Checks a case file's bytes against the requirements built into the
  /// validator, for when no templates are at hand.
  public static func check(data: Data, rules: RuleOptions, limits: InputLimits = .standard) -> CaseOutcome {
    switch text(of: data, limits: limits) {
    case .success(let text): return check(text: text, rules: rules, limits: limits)
    case .failure(let error): return .unreadable(error)
    }
  }

  /// Checks a case against the requirements built into the validator.
  public static func check(text: String, rules: RuleOptions, limits: InputLimits = .standard) -> CaseOutcome {
    do {
      let decoded = try CaseLoader.decode(text, limits: limits)
      guard let value = decoded.value else { return .undecodable(decoded.diagnostics) }
      let analysis = Validator.analyse(value, options: rules)
      return .analysed(analysis, ReportPipeline.order(decoded.diagnostics + analysis.diagnostics.map(decoded.locate)))
    } catch {
      return .unreadable(error)
    }
  }

  // MARK: render

  /// The named formats of a prepared report (all six by default), with the site's identities.
  public func render(_ p: PreparedReport, formats: Set<String>? = nil, width: Int = 80) throws(WorkflowError) -> [String: ReportPublisher.Output] {
    do {
      return try ReportPublisher.outputs(p.document, template: p.template, layouts: layouts, site: identity, width: width, only: formats)
    } catch {
      throw WorkflowError(.invalid, "cannot render the report: \(error)")
    }
  }

  /// A batch over the site's identities and rules.
  public func batchRenderer(formats: [String], outputDirectory: URL, jobs: Int, width: Int, templateId: String?) -> BatchRenderer {
    BatchRenderer(
      store: templates, layouts: layouts,
      options: BatchOptions(
        formats: formats, outputDirectory: outputDirectory, jobs: jobs, site: identity, rules: site.ruleOptions,
        limits: site.inputLimits, width: width, templateId: templateId))
  }

  // MARK: async

  /// Blocking work (the store, rendering) runs here, never on the caller's
  /// thread pool: the HTTP server's event loops and Swift's cooperative pool
  /// stay free.
  static let queue = DispatchQueue(label: "synoptic.workflow", qos: .userInitiated, attributes: .concurrent)

  /// Runs an operation on the workflow's own queue and resumes with its result.
  public func perform<T: Sendable>(_ body: @escaping @Sendable (Workflow) throws(WorkflowError) -> T) async throws(WorkflowError) -> T {
    let result: Result<T, WorkflowError> = await withCheckedContinuation { continuation in
      Self.queue.async {
        do throws(WorkflowError) {
          continuation.resume(returning: .success(try body(self)))
        } catch {
          continuation.resume(returning: .failure(error))
        }
      }
    }
    return try result.get()
  }
}

/// Loading the workflow's parts, each error naming what to fix.
extension Workflow {
  /// Templates and their compiled layouts from a directory.
  public static func loadTemplates(_ directory: URL) throws(WorkflowError) -> (TemplateStore, ReportLayouts) {
    let store: TemplateStore
    do {
      store = try TemplateStore(directory: directory)
    } catch {
      throw WorkflowError(.unreadable, "\(directory.path): \(error.message)")
    }
    if !store.diagnostics.isEmpty {
      throw WorkflowError(.unreadable, store.diagnostics.map(\.description).joined(separator: "\n")
        + "\nthe templates in \(directory.path) have errors; run 'synoptic template lint'")
    }
    do {
      return (store, try ReportLayouts(directory: directory.appendingPathComponent("layouts")))
    } catch {
      throw WorkflowError(.unreadable, "\(directory.path)/layouts: \(error)")
    }
  }
}
