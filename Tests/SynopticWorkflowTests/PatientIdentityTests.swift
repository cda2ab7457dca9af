import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticStore
@testable import SynopticTemplates
@testable import SynopticWorkflow

/// A report for the wrong patient is withdrawn, never amended into another patient's.
@Suite("Workflow: patient identity, retraction and signature times")
struct PatientIdentityTests {
  /// The forearm case issued for another patient (the wrong name, MRN and birth date).
  static func wrongPatient() throws -> Data {
    let text = String(decoding: try sample("forearm-ddlms.yaml"), as: UTF8.self)
    return Data(text.replacingOccurrences(of: "name: Synthetic, Bernard", with: "name: Synthetic, Wrong")
      .replacingOccurrences(of: "mrn: SYN-200002", with: "mrn: SYN-999999")
      .replacingOccurrences(of: "birthDate: 1955-11-20", with: "birthDate: 1950-01-01").utf8)
  }

  @Test("an amendment that also changes the patient's name and MRN is refused, naming the fields and the way forward")
  func identityAmendmentRefused() throws {
    let s = Scratch()
    let w = try s.workflow()
    _ = try w.signOut(caseSource: try Self.wrongPatient(), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: requester)
    // The "fix": the correct patient, and the size corrected too.
    let fix = try corrected()
    let e = try #require(refusal { () throws(WorkflowError) in
      try w.amend(accession: "S21-03310", caseSource: fix, reason: "wrong patient and size", pathologist: "ivale", at: "2021-03-17T09:00:00Z", by: requester)
    })
    #expect(e.kind == .refused)
    #expect(e.message.contains("changes the patient's identity (name, MRN, birth date)"), "\(e.message)")
    #expect(e.message.contains("synoptic retract S21-03310"))
    #expect(try w.history("S21-03310").count == 1)
    #expect(try w.audit("S21-03310").last?.outcome == "refused")
    // A sex given where none was is a change of identity too.
    #expect(ReportPatient(name: "A", mrn: "1").identityChanges(from: ReportPatient(name: "A", mrn: "1", sex: .female)) == ["sex"])
  }

  @Test("retract, then sign out the correct case afresh: the withdrawn report is marked in every format, the history keeps all")
  func retractAndSignAfresh() throws {
    let s = Scratch()
    let w = try s.workflow()
    _ = try w.signOut(caseSource: try Self.wrongPatient(), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: requester)
    let r = try w.retract(accession: "S21-03310", reason: "issued for the wrong patient", pathologist: "rhale", at: "2021-03-17T08:00:00Z", by: requester)
    #expect(r.version == 2)
    #expect(r.status == .retracted)
    func out(_ format: String, _ version: Int = 2) throws -> String {
      String(decoding: try w.output("S21-03310", version: version, format: format), as: UTF8.self)
    }
    let hl7 = try out("hl7")
    let obr = hl7.split(separator: "\r").filter { $0.hasPrefix("OBR|") }
    // The order is corrected (table 0123 has no W); every result is posted as wrong (table 0085).
    #expect(!obr.isEmpty && obr.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false)[25] == "C" })
    #expect(hl7.split(separator: "\r").filter { $0.hasPrefix("OBX|") }.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false)[11] == "W" })
    #expect(hl7.contains("RETRACTED: issued in error, do not use. Reason: issued for the wrong patient"))
    // Sent to the record it was wrongly filed under.
    #expect(hl7.contains("SYN-999999"))
    let fhir = try out("fhir")
    #expect(fhir.contains("\"status\": \"entered-in-error\""))
    #expect(!fhir.contains("\"status\": \"final\""))
    let cda = try out("cda")
    #expect(cda.contains("<statusCode code=\"nullified\"/>"))
    #expect(!cda.contains("<statusCode code=\"completed\"/>"))
    #expect(cda.contains("RETRACTED: issued in error, do not use"))
    #expect(cda.contains("typeCode=\"RPLC\""))
    #expect(try out("xml").contains("status=\"retracted\""))
    #expect(try out("xml").contains("<retraction reason=\"issued for the wrong patient\"/>"))
    #expect(try out("text").contains("*** RETRACTED: ISSUED IN ERROR - DO NOT USE (version 2) ***"))
    #expect(try out("html").contains("RETRACTED &ndash; issued in error, do not use"))

    // Nothing more can be done to the retracted report but a fresh sign-out.
    let fix = try corrected()
    let amend = try #require(refusal { () throws(WorkflowError) in
      try w.amend(accession: "S21-03310", caseSource: fix, reason: "x", pathologist: "ivale", by: requester)
    })
    #expect(amend.message.contains("was retracted in version 2"))
    #expect(refusal { () throws(WorkflowError) in try w.addendum(accession: "S21-03310", text: "x", pathologist: "ivale", by: requester) } != nil)
    #expect(refusal { () throws(WorkflowError) in try w.retract(accession: "S21-03310", reason: "x", pathologist: "ivale", by: requester) } != nil)

    let fresh = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", at: "2021-03-17T09:00:00Z", by: requester)
    #expect(fresh.version == 3)
    #expect(fresh.status == .final)
    #expect(try out("hl7", 3).contains("SYN-200002"))
    #expect(try w.history("S21-03310").map(\.status) == [.final, .retracted, .final])
    // The diff names the identity fields that differ between the wrong report and the right one.
    let changed = try w.diff("S21-03310", from: 1, to: 3).map(\.id)
    #expect(Array(changed.prefix(3)) == ["patient.name", "patient.mrn", "patient.birthDate"], "\(changed)")
    // Once signed afresh, it is an ordinary report again.
    #expect(refusal { () throws(WorkflowError) in try w.signOut(caseSource: bytes("forearm-ddlms.yaml"), pathologist: "ivale", by: requester) } != nil)
    #expect(try w.verify().intact)
  }

  @Test("signature times: ISO 8601 with a zone, not before 1900, not in the future, not before the version they follow")
  func signatureTimes() throws {
    let now = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14T22:13:20Z
    #expect(try Workflow.signingTime("2021-03-16T09:30:00Z", now: now) == "2021-03-16T09:30:00Z")
    for bad in ["0000-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "2023-11-15T00:00:00Z", "2021-03-16", "yesterday", ""] {
      #expect(throws: WorkflowError.self, "\(bad)") { try Workflow.signingTime(bad, now: now) }
    }
    #expect(throws: WorkflowError.self) { try Workflow.signingTime("2021-03-16T09:00:00Z", after: "2021-03-16T09:30:00Z", now: now) }
    // Another zone is compared as the instant it is.
    #expect(try Workflow.signingTime("2021-03-16T10:00:00+01:00", after: "2021-03-16T09:00:00Z", now: now) == "2021-03-16T10:00:00+01:00")

    let s = Scratch()
    let w = try s.workflow()
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: requester)
    let early = try #require(refusal { () throws(WorkflowError) in
      try w.addendum(accession: "S21-03310", text: "x", pathologist: "ivale", at: "2021-03-15T09:30:00Z", by: requester)
    })
    #expect(early.message.contains("before 2021-03-16T09:30:00Z"))
    #expect(refusal { () throws(WorkflowError) in try w.signOut(caseSource: bytes("neck-synovial-sarcoma.yaml"), pathologist: "", by: requester) }?.kind == .refused)
  }

  @Test("a sign-out stores exactly the bytes it signed")
  func storesTheBytesSigned() throws {
    let s = Scratch()
    let w = try s.workflow()
    let bytes = try sample("forearm-ddlms.yaml") + Data("# trailing comment kept byte for byte\n".utf8)
    let v = try w.signOut(caseSource: bytes, pathologist: "ivale", by: requester)
    #expect(try #require(w.store).caseSource("S21-03310", version: 1) == bytes)
    #expect(v.caseSHA256 == ReportStore.sha256(bytes))
  }
}
