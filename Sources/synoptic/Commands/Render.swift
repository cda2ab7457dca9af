import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticTemplates

/// The formats `render` writes.
enum RenderFormat: String, ExpressibleByArgument, CaseIterable {
  case text, html, xml, cda, hl7, fhir, all
}

struct Render: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render a case as a synoptic report.",
    discussion: """
      The case is validated and filled into its template (by procedure, or --template). \
      A report is written even when the case has errors: it is a draft that lists them, \
      and the exit status is 1. Exit 2 when the case cannot be read at all.
      """)

  @Argument(help: "A case file (YAML or JSON).") var file: String
  @Option(help: "text, html, xml (our schema), cda (HL7 CDA R2, IHE APSR), hl7 (v2.5.1 ORU^R01), fhir (R4 document Bundle), or all (the six, into -o DIRECTORY).")
  var format: RenderFormat
  @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
  @Option(help: "Text width for --format text.") var width: Int = 80
  @Option(name: .customLong("template"), help: "Template id (default: the template for the case's procedure).")
  var templateId: String?
  @OptionGroup var templateOptions: TemplateOptions

  func validate() throws {
    if width < 40 || width > 400 { throw ValidationError("--width must be between 40 and 400") }
  }

  func run() throws {
    guard let store = try templateOptions.store(required: true) else { throw ExitCode(2) }
    let (outcome, filled) = try CaseFile.fill(file, store: store, templateId: templateId)
    guard let filled else {
      FileHandleOutput.stderr(outcome.text(file: file))
      throw ExitCode(outcome.exitCode)
    }
    if format == .all {
      guard let output else { throw ValidationError("--format all writes six files; give -o DIRECTORY") }
      let outputs = try Self.renderAll(filled, store: store, width: width)
      let dir = URL(fileURLWithPath: output)
      do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Predictable names: the accession (made safe for a file name) and the format's extension.
        let stem = String(filled.document.accession.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        for (name, ext) in ReportPublisher.formats {
          try Data((outputs[name] ?? "").utf8).write(to: dir.appendingPathComponent("\(stem).\(ext)"), options: .atomic)
        }
      } catch {
        FileHandleOutput.stderr("\(output): error: cannot write: \(error.localizedDescription)\n")
        throw ExitCode(2)
      }
      for d in filled.document.diagnostics where d.severity == .error { FileHandleOutput.stderr(d.formatted(file: file) + "\n") }
      if filled.document.diagnostics.hasErrors { throw ExitCode(1) }
      return
    }
    let rendered = try Self.write(filled, format: format, store: store, width: width)
    if let output {
      do {
        try Data(rendered.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
      } catch {
        FileHandleOutput.stderr("\(output): error: cannot write: \(error.localizedDescription)\n")
        throw ExitCode(2)
      }
    } else {
      FileHandle.standardOutput.write(Data(rendered.utf8))
    }
    for d in filled.document.diagnostics where d.severity == .error { FileHandleOutput.stderr(d.formatted(file: file) + "\n") }
    if filled.document.diagnostics.hasErrors { throw ExitCode(1) }
  }
}

extension Render {
  /// Every format of a prepared report (layouts from the templates directory).
  static func renderAll(_ filled: PreparedReport, store: TemplateStore, width: Int, only: Set<String>? = nil) throws -> [String: String] {
    let layouts: ReportLayouts
    do {
      layouts = try ReportLayouts(directory: store.directory.appendingPathComponent("layouts"))
    } catch {
      FileHandleOutput.stderr("\(store.directory.path)/layouts: error: \(error)\n")
      throw ExitCode(2)
    }
    do {
      return try ReportPublisher.render(filled.document, template: filled.template, layouts: layouts, width: width, only: only)
    } catch {
      FileHandleOutput.stderr("error: \(error)\n")
      throw ExitCode(1)
    }
  }

  /// One format of a prepared report.
  static func write(_ filled: PreparedReport, format: RenderFormat, store: TemplateStore, width: Int) throws -> String {
    guard format != .all else { throw ValidationError("--format all writes several files; give -o DIRECTORY") }
    return try renderAll(filled, store: store, width: width, only: [format.rawValue])[format.rawValue] ?? ""
  }
}
