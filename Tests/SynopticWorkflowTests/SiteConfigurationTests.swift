import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticTemplates
@testable import SynopticWorkflow

@Suite("Site configuration")
struct SiteConfigurationTests {
  static let demoText = (try? String(contentsOf: demoSiteURL, encoding: .utf8)) ?? ""

  func problems(_ edit: (String) -> String) -> [String] {
    do {
      _ = try SiteConfiguration.parse(edit(Self.demoText), file: "site.yaml")
      return []
    } catch {
      return error.diagnostics.map { $0.formatted(file: "site.yaml") }
    }
  }

  @Test("the shipped demo site loads, and every key it documents is read")
  func demo() throws {
    let site = try SiteConfiguration.load(demoSiteURL)
    #expect(site.name == "Synoptic Demonstration Hospital, Department of Pathology")
    #expect(site.identity.arcs.documents == "2.16.840.1.113883.19.5.1")
    #expect(site.clia == "00D0000000")
    #expect(site.hl7v2.sendingFacility == "DEMO-PATH")
    #expect(site.pathologists.map(\.id) == ["ivale", "rhale", "apath"])
    #expect(site.ruleOptions.closeMarginThresholdMm == 10)
    #expect(SiteConfiguration.locate(explicit: nil, environment: ["SYNOPTIC_SITE": "/x/site.yaml"])?.path == "/x/site.yaml")
  }

  @Test("a malformed site file is an error naming the key and the line", arguments: [
    ("clia: 00D0000000", "clia: 00D0000000\ncolour: blue", "site.yaml:7:1: error: colour: unknown key 'colour'"),
    ("oidRoot: 2.16.840.1.113883.19.5", "oidRoot: 2.16.840.1.x", "site.yaml:5:10: error: oidRoot: '2.16.840.1.x' is not an OID"),
    ("npi: \"1234567893\"}", "npi: \"1234567890\"}", "site.yaml:16:41: error: pathologists[0].npi: '1234567890' is not a National Provider Identifier"),
    ("{id: rhale,", "{id: ivale,", "site.yaml:17:10: error: pathologists[1].id: pathologist id 'ivale' is listed twice"),
    ("  receivingFacility: DEMO-HOSP\n", "", "site.yaml:10:3: error: hl7v2.receivingFacility: missing required key 'receivingFacility'"),
    ("sendingFacility: DEMO-PATH", "sendingFacility: DEMO|PATH", "site.yaml:11:20: error: hl7v2.sendingFacility: sendingFacility 'DEMO|PATH' contains an HL7 v2 delimiter"),
    ("name: Imogen Vale,", "name: \"Imogen\\nVale\",", "site.yaml:16:23: error: pathologists[0].name: the pathologist's name must be one line"),
    ("closeMarginMm: 10", "closeMarginMm: 0x10", "site.yaml:21:18: error: rules.closeMarginMm: expected a plain decimal number"),
  ])
  func malformed(old: String, new: String, expected: String) {
    #expect(Self.demoText.contains(old), "fixture text not found: \(old)")
    let found = problems { $0.replacingOccurrences(of: old, with: new) }
    #expect(found.contains { $0.hasPrefix(expected) }, "\(found)")
  }

  /// Every identity of the demo site, and another site's for each.
  static let other = """
    name: Other Lab
    oidRoot: 1.2.3.4.5
    clia: 11D1111111
    address: 9 Other Road
    phone: "+99 999 999 9999"
    hl7v2: {sendingApplication: OTHERAPP, sendingFacility: OTHER-LAB, receivingApplication: OTHERRCV, receivingFacility: OTHER-HOSP}
    pathologists:
      - {id: ivale, name: Imogen Vale, npi: "2468135795"}
      - {id: odir, name: Otto Director, npi: "1357924681"}
    director: odir
    rules: {closeMarginMm: 10}
    """

  @Test("changing the site file changes each identity field in CDA, HL7 v2 and FHIR, and nothing else")
  func identitiesOnly() throws {
    let s = Scratch()
    let demo = try s.workflow()
    let other = try s.workflow(site: try SiteConfiguration.parse(Self.other, file: "other.yaml"))
    let source = try sample("forearm-ddlms.yaml")
    func signed(_ w: Workflow) throws -> [String: String] {
      guard case .prepared(var p) = try w.prepare(data: source) else { throw WorkflowError(.invalid, "not prepared") }
      p.document.status = .final
      p.document.signer = try w.signer("ivale")
      p.document.signedOutBy = "Imogen Vale"
      p.document.signedOutAt = "2021-03-16T09:30:00Z"
      return try w.render(p).mapValues(\.string)
    }
    let a = try signed(demo)
    let b = try signed(other)
    // The printed reports carry no identity of the site: they do not change at all.
    for format in ["text", "html"] { #expect(a[format] == b[format], "\(format) changed with the site") }
    // The interop formats change exactly where an identity stands.
    let substitutions = [
      ("Synoptic Demonstration Hospital, Department of Pathology", "Other Lab"), ("2.16.840.1.113883.19.5", "1.2.3.4.5"),
      ("00D0000000", "11D1111111"), ("1 Example Way, Exampletown", "9 Other Road"), ("+00 000 000 0000", "+99 999 999 9999"),
      ("+000000000000", "+999999999999"), ("SYNOPTIC^", "OTHERAPP^"), ("&SYNOPTIC&", "&OTHERAPP&"), ("DEMO-PATH", "OTHER-LAB"), ("|EHR^", "|OTHERRCV^"),
      ("DEMO-HOSP", "OTHER-HOSP"), ("1234567893", "2468135795"),
      ("5550012343^Path^Ada", "1357924681^Director^Otto"),
    ]
    for format in ["xml", "cda", "hl7", "fhir"] {
      var expected = try #require(a[format])
      // Our report XML names the signer's NPI and no other identity (its facility is the case's).
      for (old, new) in substitutions where format != "xml" || old == "1234567893" {
        expected = expected.replacingOccurrences(of: old, with: new)
      }
      let differing = zip(expected.split(separator: "\n"), (b[format] ?? "").split(separator: "\n")).filter { $0 != $1 }
      #expect(expected == b[format], "\(format): \(differing.prefix(3))")
      #expect(a[format] != b[format])
    }
    // The embedded text and HTML in FHIR are the same report, so only identities differ there too (checked above).
  }
}
