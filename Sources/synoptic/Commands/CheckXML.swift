import ArgumentParser
import Foundation
import SynopticExport
import SynopticTemplates

struct CheckXML: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-xml",
    abstract: "Validate an XML file against our report schema, the CDA R2 schema, or any XSD (libxml2).",
    discussion: """
      --schema native uses Schemas/synoptic-report-1.0.xsd (found like Templates/). \
      --schema cda uses HL7's CDA.xsd, which the project does not ship: give its path \
      with --cda-schema or SYNOPTIC_CDA_XSD. Exit 0 valid, 1 invalid, 2 unreadable.
      """)

  @Argument(help: "The XML file.") var file: String
  @Option(help: "native, cda, or a path to an XSD.") var schema: String = "native"
  @Option(help: "Path of HL7's CDA.xsd (default: SYNOPTIC_CDA_XSD).") var cdaSchema: String?
  @OptionGroup var templateOptions: TemplateOptions

  func schemaPath() throws -> String {
    switch schema {
    case "native":
      guard let dir = SchemaLocation.native(templates: templateOptions.templates) else {
        FileHandleOutput.stderr("error: Schemas/\(ReportXML.schemaFile) not found; give --schema PATH\n")
        throw ExitCode(2)
      }
      return dir
    case "cda":
      guard let path = cdaSchema ?? ProcessInfo.processInfo.environment["SYNOPTIC_CDA_XSD"], !path.isEmpty else {
        FileHandleOutput.stderr("error: --schema cda needs the path of HL7's CDA.xsd: --cda-schema PATH or SYNOPTIC_CDA_XSD\n")
        throw ExitCode(64)
      }
      return path
    default:
      return schema
    }
  }

  func run() throws {
    let xsd = try schemaPath()
    guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
      FileHandleOutput.stderr("\(file): error: cannot read the file (missing, or not UTF-8)\n")
      throw ExitCode(2)
    }
    let validator: XMLSchemaValidator
    do {
      validator = try XMLSchemaValidator(path: xsd)
    } catch {
      FileHandleOutput.stderr("\(error.description)\n")
      throw ExitCode(2)
    }
    let problems = validator.validate(text, file: file)
    if problems.isEmpty {
      print("\(file): valid against \(xsd)")
      return
    }
    for p in problems { print(p.description) }
    throw ExitCode(1)
  }
}

/// Finds `Schemas/` the way templates are found: beside the templates directory.
enum SchemaLocation {
  static func native(templates: String?) -> String? {
    guard let dir = TemplateStore.locate(explicit: templates) else { return nil }
    for candidate in [dir.deletingLastPathComponent().appendingPathComponent("Schemas"), dir.appendingPathComponent("../Schemas")] {
      let path = candidate.appendingPathComponent(ReportXML.schemaFile).standardizedFileURL.path
      if FileManager.default.fileExists(atPath: path) { return path }
    }
    return nil
  }
}
