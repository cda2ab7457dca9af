import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticTemplates
import SynopticWorkflow

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The formats `render` writes.
enum RenderFormat: String, CaseIterable {
  case text, html, xml, cda, hl7, fhir
}

/// `--format text`, `--format text,html,cda`, or `--format all`.
struct FormatList: ExpressibleByArgument {
  var formats: [RenderFormat]

  init?(argument: String) {
    var out: [RenderFormat] = []
    for word in argument.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
      if word == "all" {
        out += RenderFormat.allCases
      } else if let f = RenderFormat(rawValue: word) {
        out.append(f)
      } else {
        return nil
      }
    }
    guard !out.isEmpty else { return nil }
    // Keep the documented order, once each.
    formats = RenderFormat.allCases.filter(out.contains)
  }

  static var allValueStrings: [String] { RenderFormat.allCases.map(\.rawValue) + ["all"] }
}

struct Render: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render a case, or a whole batch of cases, as synoptic reports.",
    discussion: """
      One case: the case is validated and filled into its template (by procedure, or --template). \
      A report is written even when the case has errors: it is a draft that lists them, \
      and the exit status is 1. Exit 2 when the case cannot be read at all.

      A batch (--batch DIR, a file listing case paths one per line, or - for such a list on \
      standard input): every case is rendered on --jobs workers into -o DIRECTORY, named after \
      its path below DIR (cases/a/S21-1.yaml -> OUT/a/S21-1.txt, ...), each file written \
      atomically. A case that cannot be read or has errors gets no reports; the batch goes on \
      and lists it, with its diagnostics, on standard error and in DIRECTORY/batch-report.json. \
      Exit 0 when every case rendered, 1 when some failed, 2 when the batch cannot start.
      """)

  @Argument(help: "A case file (YAML or JSON).") var file: String?
  @Option(help: ArgumentHelp(
    "text, html, xml (our schema), cda (HL7 CDA R2, IHE APSR), hl7 (v2.5.1 ORU^R01), fhir (R4 document Bundle); several separated by commas, or all (the six). Several formats write into -o DIRECTORY.",
    valueName: "formats"))
  var format: FormatList
  @Option(name: .shortAndLong, help: "Write to this file (one format) or directory (several, or --batch) instead of standard output.") var output: String?
  @Option(help: ArgumentHelp("Render every case under a directory, or listed in a file (one path per line; - for standard input).", valueName: "dir-or-list"))
  var batch: String?
  @Option(help: "Worker threads for --batch (default: the number of cores).") var jobs: Int?
  @Option(help: "Text width for --format text.") var width: Int = 80
  @Option(name: .customLong("template"), help: "Template id (default: the template for the case's procedure).")
  var templateId: String?
  @OptionGroup var templateOptions: TemplateOptions
  @OptionGroup var siteOptions: SiteOptions

  func validate() throws {
    if width < 40 || width > 400 { throw ValidationError("--width must be between 40 and 400") }
    if let jobs, jobs < 1 || jobs > 512 { throw ValidationError("--jobs must be between 1 and 512") }
    if batch != nil {
      if file != nil { throw ValidationError("give either a case file or --batch, not both") }
      if output == nil { throw ValidationError("--batch writes many files; give -o DIRECTORY") }
    } else {
      if file == nil { throw ValidationError("give a case file to render, or --batch DIR_OR_LIST") }
      if jobs != nil { throw ValidationError("--jobs applies to --batch only") }
    }
  }

  func run() throws {
    let workflow = try makeWorkflow(site: siteOptions, templates: templateOptions)
    if let batch {
      try runBatch(batch, output: output ?? ".", workflow: workflow)
      return
    }
    guard let file else { throw ExitCode(64) }
    let data = try readCaseFile(file, limits: workflow.site.inputLimits)
    let outcome = try exitOnError { () throws(WorkflowError) in try workflow.prepare(data: data, templateId: templateId) }
    guard case .prepared(let prepared) = outcome else {
      FileHandleOutput.stderr(CaseFile.text(outcome, file: file))
      throw ExitCode(Int32(Presentation.exitCode(outcome)))
    }
    let names = format.formats.map(\.rawValue)
    let outputs = try exitOnError { () throws(WorkflowError) in try workflow.render(prepared, formats: Set(names), width: width) }
    if names.count > 1 {
      guard let output else { throw ValidationError("--format \(names.joined(separator: ",")) writes \(names.count) files; give -o DIRECTORY") }
      let dir = URL(fileURLWithPath: output)
      do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Predictable names: the accession (made safe for a file name) and the format's extension.
        let stem = Self.fileStem(prepared.document.accession)
        for (name, ext) in ReportPublisher.formats where names.contains(name) {
          try (outputs[name]?.withBytes { Data($0) } ?? Data()).write(to: dir.appendingPathComponent("\(stem).\(ext)"), options: .atomic)
        }
      } catch {
        FileHandleOutput.stderr("\(output): error: cannot write: \(error.localizedDescription)\n")
        throw ExitCode(2)
      }
    } else {
      let bytes = outputs[names[0]]?.withBytes { Data($0) } ?? Data()
      if let output {
        do {
          try bytes.write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
          FileHandleOutput.stderr("\(output): error: cannot write: \(error.localizedDescription)\n")
          throw ExitCode(2)
        }
      } else {
        FileHandle.standardOutput.write(bytes)
      }
    }
    for d in prepared.document.diagnostics where d.severity == .error { FileHandleOutput.stderr(d.formatted(file: file) + "\n") }
    if prepared.document.diagnostics.hasErrors { throw ExitCode(1) }
  }

  /// An accession as a file name: letters, digits, `-`, `_` and `.`; anything else becomes `_`.
  static func fileStem(_ accession: String) -> String {
    String(accession.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
  }

  /// `--batch`: every case on a pool of workers, a progress bar on a terminal, a summary at the end.
  func runBatch(_ input: String, output: String, workflow: Workflow) throws {
    let source = CaseSource.parse(input)
    let outDir = URL(fileURLWithPath: output, isDirectory: true)
    let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
    let renderer = workflow.batchRenderer(
      formats: format.formats.map(\.rawValue), outputDirectory: outDir, jobs: jobs, width: width, templateId: templateId)
    let cases: CaseIterator
    do {
      cases = try source.open(excluding: outDir)
    } catch {
      FileHandleOutput.stderr("error: \(error.message)\n")
      throw ExitCode(2)
    }

    let progress = BatchProgress()
    let ticker = isatty(STDERR_FILENO) == 1 ? ProgressTicker(progress: progress, source: source, excluding: outDir) : nil
    ticker?.start()
    let summary: BatchSummary
    do {
      summary = try renderer.run(cases, progress: progress)
    } catch {
      ticker?.stop()
      FileHandleOutput.stderr("error: \(error.message)\n")
      throw ExitCode(2)
    }
    ticker?.stop()

    FileHandleOutput.stderr(summary.text())
    FileHandleOutput.stderr("summary: \(summary.reportPath.terminalSafe)\n")
    if summary.total == 0 {
      FileHandleOutput.stderr("warning: no case files (.yaml, .yml, .json) found in \(input)\n")
    }
    if summary.failed > 0 { throw ExitCode(1) }
  }
}

/// Redraws the progress line on standard error ten times a second, and counts
/// the input on the side so the bar can show a total and an ETA.
final class ProgressTicker: @unchecked Sendable {
  private let progress: BatchProgress
  private let source: CaseSource
  private let excluding: URL
  private let lock = NSLock()
  private var running = true
  private let finished = DispatchSemaphore(value: 0)

  init(progress: BatchProgress, source: CaseSource, excluding: URL) {
    self.progress = progress
    self.source = source
    self.excluding = excluding
  }

  func start() {
    Thread { [self] in progress.setTotal(source.count(excluding: excluding)) }.start()
    Thread { [self] in
      while isRunning {
        FileHandleOutput.stderr("\r" + ProgressLine.format(progress.snapshot) + "\u{1B}[K")
        usleep(100_000)
      }
      FileHandleOutput.stderr("\r\u{1B}[K")
      finished.signal()
    }.start()
  }

  private var isRunning: Bool {
    lock.lock()
    defer { lock.unlock() }
    return running
  }

  func stop() {
    lock.lock()
    running = false
    lock.unlock()
    finished.wait()
  }
}
