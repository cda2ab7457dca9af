import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticLayout
@testable import SynopticTemplates

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
let store: TemplateStore = {
  do { return try TemplateStore(directory: packageRoot.appendingPathComponent("Templates")) } catch { fatalError("\(error)") }
}()
let layouts: ReportLayouts = {
  do { return try ReportLayouts(directory: packageRoot.appendingPathComponent("Templates/layouts")) } catch { fatalError("\(error)") }
}()

/// The shipped demo site's identities (Samples/sites/demo-hospital.yaml), as the workflow builds them.
let site: SiteIdentity = {
  var s = SiteIdentity(
    name: "Synoptic Demonstration Hospital, Department of Pathology", oidRoot: "2.16.840.1.113883.19.5", clia: "00D0000000",
    address: "1 Example Way, Exampletown", phone: "+00 000 000 0000",
    hl7v2: .init(sendingApplication: "SYNOPTIC", sendingFacility: "DEMO-PATH", receivingApplication: "EHR", receivingFacility: "DEMO-HOSP"))
  s.director = ReportPerson(id: "apath", name: "Ada Path", family: "Path", given: "Ada", npi: "5550012343")
  return s
}()

let sampleNames = [
  "retroperitoneal-lms-2019", "retroperitoneal-ddlms-recurrence-2020", "forearm-ddlms",
  "thigh-myxofibrosarcoma-core-biopsy", "thigh-ups-post-neoadjuvant", "arm-ups-involved-margin",
  "neck-synovial-sarcoma", "retroperitoneal-ddlps-node-positive", "retroperitoneal-ddlps-in-alt", "thigh-mpnst-nf1",
  "knee-synovial-sarcoma-prior-biopsy", "arm-myxofibrosarcoma-not-reported",
]

func prepare(_ name: String, templateId: String? = nil) throws -> PreparedReport {
  let decoded = try CaseLoader.decode(contentsOf: packageRoot.appendingPathComponent("Samples/\(name).yaml"))
  return try #require(try ReportPipeline.prepare(decoded, store: store, templateId: templateId))
}

func prepare(yaml: String) throws -> PreparedReport {
  try #require(try ReportPipeline.prepare(try CaseLoader.decode(yaml), store: store, templateId: nil))
}

func render(_ p: PreparedReport, _ output: ReportLayouts.Output, width: Int = 80) throws -> String {
  try ReportWriter.render(p.document, template: p.template, layouts: layouts, output: output, options: .init(width: width))
}

/// Compares with a golden file; `SYNOPTIC_UPDATE_GOLDEN=1` rewrites it (review the diff like code).
func expectGolden(_ actual: String, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
  let url = goldenDir.appendingPathComponent(name)
  if ProcessInfo.processInfo.environment["SYNOPTIC_UPDATE_GOLDEN"] == "1" {
    try actual.write(to: url, atomically: true, encoding: .utf8)
    return
  }
  let expected = try String(contentsOf: url, encoding: .utf8)
  #expect(actual == expected, "golden \(name) differs; rerun with SYNOPTIC_UPDATE_GOLDEN=1 and review the diff", sourceLocation: sourceLocation)
}

/// Collapses runs of white space, so wrapped text compares with unwrapped values.
func squash(_ s: String) -> String {
  s.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
}
