import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticStore
@testable import SynopticTemplates
@testable import SynopticWorkflow

/// One case through draft, sign-out, amendment, addendum and retraction: each
/// of the six formats tells the states apart, and the structured formats do it
/// in coded fields, without their narrative.
@Suite("Every format tells a report's states apart")
struct LifecycleFormatsTests {
  struct Rendered {
    var text, html, xml, cda, hl7, fhir: String
    init(_ outputs: [String: String]) {
      text = outputs["text"] ?? ""
      html = outputs["html"] ?? ""
      xml = outputs["xml"] ?? ""
      cda = outputs["cda"] ?? ""
      hl7 = outputs["hl7"] ?? ""
      fhir = outputs["fhir"] ?? ""
    }

    /// OBR-25 and the set of OBX-11 values.
    var hl7Statuses: (order: Set<String>, results: Set<String>) {
      var order: Set<String> = []
      var results: Set<String> = []
      for segment in hl7.split(separator: "\r") {
        let f = segment.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        if f[0] == "OBR", f.count > 25 { order.insert(f[25]) }
        if f[0] == "OBX", f.count > 11 { results.insert(f[11]) }
      }
      return (order, results)
    }

    func cdaRoot() throws -> XMLElement { try XMLReader.parse(cda) }

    func fhirResource(_ type: String) throws -> [String: Any] {
      let bundle = try #require(try JSONSerialization.jsonObject(with: Data(fhir.utf8)) as? [String: Any])
      let entries = try #require(bundle["entry"] as? [[String: Any]])
      return try #require(entries.compactMap { $0["resource"] as? [String: Any] }.first { $0["resourceType"] as? String == type })
    }
  }

  func stored(_ w: Workflow, _ version: Int) throws -> Rendered {
    var out: [String: String] = [:]
    for format in ["text", "html", "xml", "cda", "hl7", "fhir"] {
      out[format] = String(decoding: try w.output("S21-03310", version: version, format: format), as: UTF8.self)
    }
    return Rendered(out)
  }

  @Test("draft, final, amended, appended and retracted differ in all six formats, in coded fields where the format has them")
  func states() throws {
    let s = Scratch()
    let w = try s.workflow()
    guard case .prepared(let p) = try w.prepare(data: try sample("forearm-ddlms.yaml")) else {
      Issue.record("the forearm case does not prepare")
      return
    }
    let draft = Rendered(try w.render(p).mapValues(\.string))
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: requester)
    _ = try w.amend(accession: "S21-03310", caseSource: try corrected(), reason: "Size re-measured", pathologist: "rhale", at: "2021-03-17T10:00:00Z", by: requester)
    _ = try w.addendum(accession: "S21-03310", text: "Levels reviewed.", pathologist: "apath", at: "2021-03-18T11:00:00Z", by: requester)
    _ = try w.retract(accession: "S21-03310", reason: "Issued for the wrong patient", pathologist: "ivale", at: "2021-03-19T12:00:00Z", by: requester)
    let final = try stored(w, 1)
    let amended = try stored(w, 2)
    let appended = try stored(w, 3)
    let retracted = try stored(w, 4)

    // Text and HTML: the banners.
    #expect(draft.text.contains("*** DRAFT - NOT SIGNED OUT ***"))
    #expect(!final.text.contains("***"))
    #expect(amended.text.contains("*** AMENDED REPORT (version 2) ***"))
    #expect(appended.text.contains("Levels reviewed. (addendum by Ada Path, 2021-03-18T11:00:00Z)"))
    #expect(retracted.text.contains("*** RETRACTED: ISSUED IN ERROR - DO NOT USE (version 4) ***"))
    #expect(draft.html.contains("class=\"draft\""))
    #expect(retracted.html.contains("class=\"retracted\""))
    #expect(amended.html.contains("banner amended"))

    // Our XML: the status attribute.
    for (r, status) in [(draft, "draft"), (final, "final"), (amended, "amended"), (appended, "appended"), (retracted, "retracted")] {
      #expect(try XMLReader.parse(r.xml).attribute("status") == status)
    }

    // CDA: legal authentication, relatedDocument and the version's own author, all structured.
    let d = try draft.cdaRoot()
    let f = try final.cdaRoot()
    let a = try amended.cdaRoot()
    let ap = try appended.cdaRoot()
    let rt = try retracted.cdaRoot()
    #expect(d.element("legalAuthenticator") == nil)
    #expect(d.element("author")?.element("assignedAuthor")?.element("assignedAuthoringDevice") != nil)
    #expect(f.element("legalAuthenticator") != nil)
    #expect(f.element("relatedDocument") == nil)
    #expect(a.element("relatedDocument")?.attribute("typeCode") == "RPLC")
    #expect(a.element("versionNumber")?.attribute("value") == "2")
    #expect(ap.element("relatedDocument")?.attribute("typeCode") == "APND")
    #expect(ap.element("legalAuthenticator")?.element("time")?.attribute("value") == "20210318110000+0000")
    let appendedAuthorIds = ap.elements("author").first?.element("assignedAuthor")?.elements("id").compactMap { $0.attribute("extension") } ?? []
    #expect(appendedAuthorIds.contains("5550012343"), "the addendum's own signer authors the appended version")
    #expect(ap.elements("author").count == 2, "the report's signer is named too")
    #expect(rt.element("relatedDocument")?.attribute("typeCode") == "RPLC")
    #expect(rt.descendants.filter { $0.name == "statusCode" }.allSatisfy { $0.attribute("code") == "nullified" })
    #expect(f.descendants.filter { $0.name == "statusCode" }.allSatisfy { $0.attribute("code") == "completed" })

    // HL7 v2: OBR-25 and OBX-11; an addendum is its own coded OBX; OBR-32 is the version's signer.
    let expectedStatuses: [(Rendered, String, String)] = [(draft, "P", "P"), (final, "F", "F"), (amended, "C", "C"), (appended, "F", "F"), (retracted, "C", "W")]
    for (r, order, result) in expectedStatuses {
      let (orders, results) = r.hl7Statuses
      #expect(orders == [order], "OBR-25 \(orders)")
      #expect(results == [result], "OBX-11 \(results)")
    }
    #expect(appended.hl7.contains("|35265-8^Path report.addendum^LN|") && !final.hl7.contains("35265-8"))
    let obr32 = appended.hl7.split(separator: "\r").first { $0.hasPrefix("OBR|") }?.split(separator: "|", omittingEmptySubsequences: false).last
    #expect(obr32?.hasPrefix("5550012343&Path&Ada") == true, "\(obr32 ?? "")")
    // Every message sent has its own control id; a resend keeps the version's as its prefix.
    let msh10 = { (m: String) in m.split(separator: "\r").first?.split(separator: "|", omittingEmptySubsequences: false)[9] ?? "" }
    #expect(Set([final, amended, appended, retracted].map { msh10($0.hl7) }).count == 4)
    #expect(msh10(HL7v2Writer.resend(final.hl7, attempt: 2)) == "SYN-S21-03310-1-R2")

    // FHIR: DiagnosticReport and Composition status; the appended version's attester and time are the addendum's.
    let statuses = try [draft, final, amended, appended, retracted].map { try $0.fhirResource("DiagnosticReport")["status"] as? String }
    #expect(statuses == ["preliminary", "final", "amended", "appended", "entered-in-error"])
    let composition = try appended.fhirResource("Composition")
    #expect(composition["date"] as? String == "2021-03-18T11:00:00Z")
    #expect(((composition["attester"] as? [[String: Any]])?.first?["time"] as? String) == "2021-03-18T11:00:00Z")
    #expect(((composition["relatesTo"] as? [[String: Any]])?.first?["code"] as? String) == "appends")
    #expect(try retracted.fhirResource("Composition")["status"] as? String == "entered-in-error")
  }

  @Test("a distance not reported is the same absence in every format")
  func notReportedEverywhere() throws {
    let s = Scratch()
    let w = try s.workflow()
    guard case .prepared(let p) = try w.prepare(data: try sample("forearm-ddlms.yaml")) else {
      Issue.record("the forearm case does not prepare")
      return
    }
    let r = Rendered(try w.render(p).mapValues(\.string))
    #expect(r.text.contains("Distance to closest margin:") && r.text.contains("not reported"))
    let item = try #require(try XMLReader.parse(r.xml).descendants.first { $0.name == "item" && $0.attribute("id") == "STR-067" })
    #expect(item.attribute("display") == "not reported")
    #expect(item.descendants.contains { $0.name == "notReported" })
    let cda = try r.cdaRoot()
    let observation = try #require(cda.descendants.first { o in
      o.name == "observation" && o.element("code")?.attribute("code") == "STR-067"
    })
    #expect(observation.element("value")?.attribute("nullFlavor") == "NI")
    let obx = try #require(r.hl7.split(separator: "\r").first { $0.contains("|STR-067^") })
    #expect(obx.split(separator: "|", omittingEmptySubsequences: false)[5] == "NI^not reported^HL70353")
    #expect(r.fhir.contains("\"dataAbsentReason\""))
    #expect(!r.fhir.contains("1970-01-01"))
  }
}
