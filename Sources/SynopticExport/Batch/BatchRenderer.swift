import Foundation
import SynopticCore
import SynopticTemplates

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a batch renders and where.
public struct BatchOptions: Sendable {
  /// Format names from ``ReportPublisher/formats``, in that order.
  public let formats: [String]
  /// The same names as a set, built once rather than for every case.
  let wanted: Set<String>
  public var outputDirectory: URL
  /// Worker threads (at least 1).
  public var jobs: Int
  public var width: Int
  public var templateId: String?
  /// The site's identities, for the interop formats.
  public var site: SiteIdentity
  /// The site's rule settings (the close-margin threshold).
  public var rules: RuleOptions
  /// Bounds on each case file.
  public var limits: InputLimits

  public init(
    formats: [String], outputDirectory: URL, jobs: Int, site: SiteIdentity, rules: RuleOptions, limits: InputLimits = .standard,
    width: Int = 80, templateId: String? = nil
  ) {
    let asked = Set(formats)
    self.formats = ReportPublisher.formats.map(\.name).filter(asked.contains)
    self.wanted = Set(self.formats)
    self.outputDirectory = outputDirectory
    self.jobs = max(1, jobs)
    self.width = width
    self.templateId = templateId
    self.site = site
    self.rules = rules
    self.limits = limits
  }
}

/// Counters a progress display reads while the batch runs.
public final class BatchProgress: @unchecked Sendable {
  public struct Snapshot: Sendable {
    public var done: Int
    public var failed: Int
    /// Known once the input has been counted (never for standard input).
    public var total: Int?
    public var elapsed: Double
  }

  private let lock = NSLock()
  private var done = 0
  private var failed = 0
  private var total: Int?
  private var start = DispatchTime.now()

  public init() {}

  public func setTotal(_ n: Int?) {
    lock.lock()
    total = n
    lock.unlock()
  }

  func restartClock() {
    lock.lock()
    start = .now()
    lock.unlock()
  }

  func record(failed didFail: Bool) {
    lock.lock()
    done += 1
    if didFail { failed += 1 }
    lock.unlock()
  }

  public var snapshot: Snapshot {
    lock.lock()
    defer { lock.unlock() }
    return Snapshot(done: done, failed: failed, total: total, elapsed: Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
  }
}

/// A case that produced no reports, and why.
public struct BatchFailure: Sendable, Equatable {
  /// Where it failed: read, parse, decode, template, validate, render or write.
  public var stage: String
  public var path: String
  public var diagnostics: [Diagnostic]
}

/// What a batch did: counts, warnings by rule, and the first failed cases
/// (all of them are in `batch-report.json`, written as they happen).
public struct BatchSummary: Sendable {
  /// Failed cases kept for the summary on standard error; the report file has every one.
  public static let failuresShown = 50
  /// Errors printed for each of them.
  public static let errorsShownPerCase = 10

  public var formats: [String]
  public var jobs: Int
  public var outputDirectory: String
  public var seconds: Double
  public var total = 0
  public var succeeded = 0
  public var failed = 0
  public var withWarnings = 0
  public var filesWritten = 0
  public var warningsByRule: [String: Int] = [:]
  /// The first ``failuresShown`` failed cases, sorted by path.
  public var failures: [BatchFailure] = []
  /// Where `batch-report.json` was written.
  public var reportPath: String = ""

  public var casesPerSecond: Double { seconds > 0 ? Double(total) / seconds : 0 }

  mutating func merge(_ other: BatchSummary) {
    total += other.total
    succeeded += other.succeeded
    failed += other.failed
    withWarnings += other.withWarnings
    filesWritten += other.filesWritten
    warningsByRule.merge(other.warningsByRule, uniquingKeysWith: +)
    failures += other.failures.prefix(Self.failuresShown - min(failures.count, Self.failuresShown))
  }

  /// The counts of `batch-report.json`, which follow its list of failures.
  func countsJSON() -> [(String, JSONOut)] {
    [
      ("formats", .array(formats.map(JSONOut.string))), ("jobs", .int(jobs)), ("outputDirectory", .string(outputDirectory)),
      ("seconds", .number((seconds * 1000).rounded() / 1000)), ("casesPerSecond", .number(casesPerSecond.rounded())),
      ("total", .int(total)), ("succeeded", .int(succeeded)), ("failed", .int(failed)),
      ("withWarnings", .int(withWarnings)), ("filesWritten", .int(filesWritten)),
      ("warningsByRule", .object(warningsByRule.sorted { $0.key < $1.key }.map { ($0.key, JSONOut.int($0.value)) })),
    ]
  }

  /// The summary printed on standard error: each failed case shown with its errors, then the counts.
  public func text() -> String {
    var out = ""
    for f in failures {
      out += "failed [\(f.stage)]: \(f.path.terminalSafe)\n"
      let errors = f.diagnostics.filter { $0.severity == .error }
      for d in errors.prefix(Self.errorsShownPerCase) { out += "  " + d.formatted(file: f.path) + "\n" }
      if errors.count > Self.errorsShownPerCase { out += "  ... and \(errors.count - Self.errorsShownPerCase) more errors\n" }
    }
    if failed > failures.count { out += "... and \(failed - failures.count) more failed cases, listed in \(reportPath.terminalSafe)\n" }
    let rate = casesPerSecond >= 10 ? String(Int(casesPerSecond.rounded())) : String(format: "%.1f", casesPerSecond)
    out += "batch: \(total) case\(total == 1 ? "" : "s") in \(String(format: "%.2f", seconds)) s (\(rate) cases/s, \(jobs) job\(jobs == 1 ? "" : "s")): "
    out += "\(succeeded) rendered, \(failed) failed, \(withWarnings) with warnings; \(filesWritten) files written to \(outputDirectory.terminalSafe)\n"
    return out
  }
}

/// `batch-report.json`, written while the batch runs: each failed case is
/// appended as it fails (with at most ``diagnosticsPerCase`` diagnostics), so
/// memory stays flat however many cases fail; the counts follow at the end.
/// Failures are listed in the order they happened.
final class BatchReport: @unchecked Sendable {
  static let fileName = "batch-report.json"
  /// A case with more diagnostics than this (500 unknown keys) is listed
  /// with the first of them and the count of the rest.
  static let diagnosticsPerCase = 100

  private let lock = NSLock()
  private let files: OutputFiles
  private let stream: OutputFiles.Stream
  private var first = true
  private var failure: Int32 = 0

  init(files: OutputFiles) throws(OutputWriteError) {
    self.files = files
    stream = try files.openStream(Self.fileName)
    append("{\n  \"failures\": [")
  }

  var path: String { files.rootPath + "/" + Self.fileName }

  func add(_ f: BatchFailure) {
    let shown = f.diagnostics.prefix(Self.diagnosticsPerCase)
    var fields: [(String, JSONOut)] = [
      ("path", .string(f.path)), ("stage", .string(f.stage)),
      ("diagnostics", .array(shown.map { d in
        .object([
          ("severity", .string(d.severity.rawValue)), ("path", .string(d.path)), ("rule", .string(d.rule)),
          ("message", .string(d.message)), ("line", d.line.map(JSONOut.int) ?? .null), ("column", d.column.map(JSONOut.int) ?? .null),
        ])
      })),
    ]
    if f.diagnostics.count > shown.count { fields.append(("diagnosticsNotListed", .int(f.diagnostics.count - shown.count))) }
    let text = JSONOut.object(fields).render(indent: 2)
    lock.lock()
    defer { lock.unlock() }
    append((first ? "\n    " : ",\n    ") + text)
    first = false
  }

  /// Writes the counts and puts the report in place.
  func finish(_ summary: BatchSummary) throws(OutputWriteError) {
    var tail = first ? "]" : "\n  ]"
    for (key, value) in summary.countsJSON() { tail += ",\n  " + JSONOut.quote(key) + ": " + value.render(indent: 1) }
    append(tail + "\n}\n")
    if failure != 0 {
      files.discard(stream)
      throw OutputWriteError(message: "\(path): cannot write: \(String(cString: strerror(failure)))")
    }
    try files.commit(stream)
  }

  func discard() { files.discard(stream) }

  private func append(_ text: String) {
    guard failure == 0 else { return }
    var text = text
    failure = text.withUTF8 { OutputFiles.writeAll(stream.fd, UnsafeRawBufferPointer($0)) }
  }
}

/// Renders many cases on a bounded pool of worker threads. Each worker takes
/// the next path, reads, validates, fills and renders it, writes its outputs
/// atomically, and forgets it: memory holds one case per worker, whatever the
/// size of the batch. A bad case is recorded and the batch goes on.
public struct BatchRenderer: Sendable {
  public let store: TemplateStore
  public let layouts: ReportLayouts
  public let options: BatchOptions

  public init(store: TemplateStore, layouts: ReportLayouts, options: BatchOptions) {
    self.store = store
    self.layouts = layouts
    self.options = options
  }

  /// Runs the batch to the end, writes `batch-report.json`, and returns the summary.
  public func run(_ cases: CaseIterator, progress: BatchProgress = BatchProgress()) throws(BatchError) -> BatchSummary {
    let files = try OutputFiles(root: options.outputDirectory)
    defer { files.finish() }
    let report: BatchReport
    do {
      report = try BatchReport(files: files)
    } catch {
      throw BatchError(error.message)
    }
    let results = ResultCollector()
    let group = DispatchGroup()
    progress.restartClock()
    let start = DispatchTime.now()
    for _ in 0..<options.jobs {
      group.enter()
      let thread = Thread { [self] in
        var local = BatchSummary(formats: options.formats, jobs: options.jobs, outputDirectory: files.rootPath, seconds: 0)
        while let entry = cases.next() {
          let failure = process(entry, files: files, into: &local)
          if let failure {
            report.add(failure)
            local.failed += 1
            if local.failures.count < BatchSummary.failuresShown { local.failures.append(failure) }
          }
          local.total += 1
          progress.record(failed: failure != nil)
        }
        results.add(local)
        group.leave()
      }
      // The template filler and the writers recurse over the report tree: give
      // workers a main-thread-sized stack.
      thread.stackSize = 8 << 20
      thread.start()
    }
    group.wait()
    var summary = results.merged(template: BatchSummary(
      formats: options.formats, jobs: options.jobs, outputDirectory: files.rootPath, seconds: 0))
    summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    summary.failures.sort { $0.path < $1.path }
    summary.reportPath = report.path
    do {
      try report.finish(summary)
    } catch {
      throw BatchError(error.message)
    }
    return summary
  }

  /// One case through the whole pipeline. Returns a failure, or nil when its reports were written.
  func process(_ entry: CaseEntry, files: OutputFiles, into summary: inout BatchSummary) -> BatchFailure? {
    func fail(_ stage: String, _ diagnostics: [Diagnostic]) -> BatchFailure {
      BatchFailure(stage: stage, path: entry.path, diagnostics: diagnostics)
    }
    let text: String
    do {
      text = try PositionedDecoder.readText(URL(fileURLWithPath: entry.path, isDirectory: false), maxBytes: options.limits.fileBytes)
    } catch {
      return fail("read", [Diagnostic(severity: .error, path: "(file)", rule: "file.read", message: error.message)])
    }
    let decoded: CaseLoader.Decoded
    do {
      decoded = try CaseLoader.decode(text, limits: options.limits)
    } catch {
      return fail("parse", [Diagnostic(severity: .error, path: "(file)", rule: "file.parse", message: error.message, location: error.location)])
    }
    let prepared: PreparedReport
    do {
      guard let p = try ReportPipeline.prepare(decoded, store: store, templateId: options.templateId, options: options.rules) else {
        return fail("decode", decoded.diagnostics)
      }
      prepared = p
    } catch {
      let known = store.templates.keys.sorted().joined(separator: ", ")
      let what = options.templateId.map { "no template '\($0)'" } ?? "no template applies to this case's procedure"
      return fail("template", [Diagnostic(severity: .error, path: "specimens", rule: "template.none", message: "\(what); templates: \(known)")])
    }
    let diagnostics = prepared.document.diagnostics
    if diagnostics.hasErrors { return fail("validate", diagnostics) }

    let outputs: [String: ReportPublisher.Output]
    do {
      outputs = try ReportPublisher.outputs(
        prepared.document, template: prepared.template, layouts: layouts, site: options.site, width: options.width, only: options.wanted)
    } catch {
      return fail("render", [Diagnostic(severity: .error, path: "(layout)", rule: "layout.render", message: "\(error)")])
    }
    var written: [(fileExtension: String, content: ReportPublisher.Output)] = []
    for (name, ext) in ReportPublisher.formats where options.wanted.contains(name) {
      guard let output = outputs[name] else {
        return fail("render", [Diagnostic(severity: .error, path: "(output)", rule: "layout.render", message: "no \(name) output was rendered")])
      }
      written.append((ext, output))
    }
    do {
      summary.filesWritten += try files.write(written, stem: entry.outputStem)
    } catch {
      return fail("write", [Diagnostic(severity: .error, path: "(output)", rule: "batch.write", message: error.message)])
    }
    summary.succeeded += 1
    let warnings = diagnostics.filter { $0.severity == .warning }
    if !warnings.isEmpty {
      summary.withWarnings += 1
      for w in warnings { summary.warningsByRule[w.rule, default: 0] += 1 }
    }
    return nil
  }
}

/// Per-worker summaries, merged once the workers finish.
final class ResultCollector: @unchecked Sendable {
  private let lock = NSLock()
  private var parts: [BatchSummary] = []

  func add(_ s: BatchSummary) {
    lock.lock()
    parts.append(s)
    lock.unlock()
  }

  func merged(template: BatchSummary) -> BatchSummary {
    lock.lock()
    defer { lock.unlock() }
    var out = template
    for p in parts { out.merge(p) }
    return out
  }
}
