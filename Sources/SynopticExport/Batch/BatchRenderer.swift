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
  /// When false, reports are rendered but not written (benchmarks measuring
  /// the pipeline without the disk).
  public var write: Bool

  public init(
    formats: [String], outputDirectory: URL, jobs: Int, site: SiteIdentity, rules: RuleOptions, width: Int = 80, templateId: String? = nil,
    write: Bool = true
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
    self.write = write
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

/// What a batch did: counts, warnings by rule, and every failed case.
public struct BatchSummary: Sendable {
  public var formats: [String]
  public var jobs: Int
  public var outputDirectory: String
  public var seconds: Double
  public var total = 0
  public var succeeded = 0
  public var withWarnings = 0
  public var filesWritten = 0
  public var warningsByRule: [String: Int] = [:]
  /// Sorted by path.
  public var failures: [BatchFailure] = []

  public var failed: Int { failures.count }
  public var casesPerSecond: Double { seconds > 0 ? Double(total) / seconds : 0 }

  mutating func merge(_ other: BatchSummary) {
    total += other.total
    succeeded += other.succeeded
    withWarnings += other.withWarnings
    filesWritten += other.filesWritten
    warningsByRule.merge(other.warningsByRule, uniquingKeysWith: +)
    failures += other.failures
  }

  /// `batch-report.json`.
  public func json() -> JSONOut {
    .object([
      ("formats", .array(formats.map(JSONOut.string))), ("jobs", .int(jobs)), ("outputDirectory", .string(outputDirectory)),
      ("seconds", .number((seconds * 1000).rounded() / 1000)), ("casesPerSecond", .number(casesPerSecond.rounded())),
      ("total", .int(total)), ("succeeded", .int(succeeded)), ("failed", .int(failed)),
      ("withWarnings", .int(withWarnings)), ("filesWritten", .int(filesWritten)),
      ("warningsByRule", .object(warningsByRule.sorted { $0.key < $1.key }.map { ($0.key, JSONOut.int($0.value)) })),
      ("failures", .array(failures.map { f in
        .object([
          ("path", .string(f.path)), ("stage", .string(f.stage)),
          ("diagnostics", .array(f.diagnostics.map { d in
            .object([
              ("severity", .string(d.severity.rawValue)), ("path", .string(d.path)), ("rule", .string(d.rule)),
              ("message", .string(d.message)), ("line", d.line.map(JSONOut.int) ?? .null),
              ("column", d.column.map(JSONOut.int) ?? .null),
            ])
          })),
        ])
      })),
    ])
  }

  /// The summary printed on standard error: counts, then each failed case with its errors.
  public func text() -> String {
    var out = ""
    for f in failures {
      out += "failed [\(f.stage)]: \(f.path)\n"
      for d in f.diagnostics where d.severity == .error { out += "  " + d.formatted(file: f.path) + "\n" }
    }
    let rate = casesPerSecond >= 10 ? String(Int(casesPerSecond.rounded())) : String(format: "%.1f", casesPerSecond)
    out += "batch: \(total) case\(total == 1 ? "" : "s") in \(String(format: "%.2f", seconds)) s (\(rate) cases/s, \(jobs) job\(jobs == 1 ? "" : "s")): "
    out += "\(succeeded) rendered, \(failed) failed, \(withWarnings) with warnings; \(filesWritten) files written to \(outputDirectory)\n"
    return out
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

  /// Runs the batch to the end and returns its summary (failures sorted by path).
  public func run(_ cases: CaseIterator, progress: BatchProgress = BatchProgress()) throws(BatchError) -> BatchSummary {
    var reference: timespec?
    if options.write {
      do {
        try FileManager.default.createDirectory(at: options.outputDirectory, withIntermediateDirectories: true)
      } catch {
        throw BatchError("\(options.outputDirectory.path): cannot create the output directory: \((error as NSError).localizedDescription)")
      }
      reference = try OutputFiles.startMarker(in: options.outputDirectory)
    }
    let files = OutputFiles(root: options.outputDirectory, batchStart: reference)
    let results = ResultCollector()
    let group = DispatchGroup()
    progress.restartClock()
    let start = DispatchTime.now()
    for worker in 0..<options.jobs {
      group.enter()
      let thread = Thread { [self] in
        var local = BatchSummary(formats: options.formats, jobs: options.jobs, outputDirectory: options.outputDirectory.path, seconds: 0)
        while let entry = cases.next() {
          let failure = process(entry, worker: worker, files: files, into: &local)
          if let failure { local.failures.append(failure) }
          local.total += 1
          progress.record(failed: failure != nil)
        }
        results.add(local)
        group.leave()
      }
      // The decoder recurses over the YAML tree: give workers a main-thread-sized stack.
      thread.stackSize = 8 << 20
      thread.start()
    }
    group.wait()
    var summary = results.merged(template: BatchSummary(
      formats: options.formats, jobs: options.jobs, outputDirectory: options.outputDirectory.path, seconds: 0))
    summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    summary.failures.sort { $0.path < $1.path }
    if options.write { OutputFiles.removeMarker(in: options.outputDirectory) }
    return summary
  }

  /// One case through the whole pipeline. Returns a failure, or nil when its reports were written.
  func process(_ entry: CaseEntry, worker: Int, files: OutputFiles, into summary: inout BatchSummary) -> BatchFailure? {
    func fail(_ stage: String, _ diagnostics: [Diagnostic]) -> BatchFailure {
      BatchFailure(stage: stage, path: entry.path, diagnostics: diagnostics)
    }
    let text: String
    do {
      text = try PositionedDecoder.readText(URL(fileURLWithPath: entry.path, isDirectory: false))  // no stat to ask
    } catch {
      return fail("read", [Diagnostic(severity: .error, path: "(file)", rule: "file.read", message: error.message)])
    }
    let decoded: CaseLoader.Decoded
    do {
      decoded = try CaseLoader.decode(text)
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
    if options.write {
      for (name, ext) in ReportPublisher.formats where options.wanted.contains(name) {
        do throws(OutputWriteError) {
          guard let output = outputs[name] else { throw OutputWriteError(message: "no \(name) output was rendered") }
          try files.write(output, stem: entry.outputStem, fileExtension: ext, worker: worker)
          summary.filesWritten += 1
        } catch {
          return fail("write", [Diagnostic(severity: .error, path: "(output)", rule: "batch.write", message: error.message)])
        }
      }
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
