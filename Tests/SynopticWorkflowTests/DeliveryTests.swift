import Foundation
import Testing
@testable import SynopticStore
@testable import SynopticWorkflow

@Suite("Delivery: the outbox and acknowledgements")
struct DeliveryTests {
  func site(_ delivery: String) throws -> SiteConfiguration {
    let text = String(decoding: try Data(contentsOf: demoSiteURL), as: UTF8.self).replacingOccurrences(of: "hl7v2:", with: delivery + "\nhl7v2:")
    return try SiteConfiguration.parse(text, file: "site.yaml")
  }

  @Test("a version's messages are queued in its own transaction; a refused sign-out queues nothing")
  func queuedWithTheVersion() throws {
    let s = Scratch()
    let w = try s.workflow(site: try site("""
      delivery:
        - {name: engine, kind: mllp, host: 127.0.0.1, port: 2575, formats: [hl7]}
        - {name: archive, kind: directory, path: /tmp/synoptic-archive, formats: [cda, text]}
      """))
    let r = Requester(name: "test")
    #expect(throws: WorkflowError.self) { try w.signOut(caseSource: try sample("invalid/clinical-errors.yaml"), pathologist: "ivale", by: r) }
    #expect(try w.outbox().isEmpty)
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: r)
    let queued = try w.outbox()
    #expect(queued.map { "\($0.destination) \($0.format) v\($0.version) \($0.status.rawValue)" } == [
      "engine hl7 v1 pending", "archive cda v1 pending", "archive text v1 pending",
    ])
    #expect(throws: WorkflowError.self) { try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", by: r) }
    #expect(try w.outbox().count == 3)
  }

  @Test("delivery destinations are checked when the site file is read")
  func destinations() throws {
    for bad in [
      "delivery:\n  - {name: e, kind: mllp, port: 2575, formats: [hl7]}",
      "delivery:\n  - {name: e, kind: mllp, host: h, port: 70000, formats: [hl7]}",
      "delivery:\n  - {name: e, kind: mllp, host: h, port: 2575, formats: [cda]}",
      "delivery:\n  - {name: f, kind: fhir, baseURL: 'ftp://x', formats: [fhir]}",
      "delivery:\n  - {name: d, kind: directory, path: relative, formats: [text]}",
      "delivery:\n  - {name: d, kind: directory, path: /a, formats: [text]}\n  - {name: d, kind: directory, path: /b, formats: [text]}",
      "delivery:\n  - {name: d, kind: directory, path: /a, formats: [text], retrySeconds: 0}",
    ] {
      #expect(throws: SiteConfigurationError.self, "\(bad)") { try site(bad) }
    }
  }

  @Test("an acknowledgement's MSA is read whatever its line ends")
  func acknowledgements() {
    let ack = MLLP.acknowledgement("MSH|^~\\&|EHR|HOSP|SYN|LAB|20260101||ACK|1|P|2.5.1\rMSA|AE|SYN-S1-1|bad OBX-5\r")
    #expect(ack?.code == "AE" && ack?.controlId == "SYN-S1-1" && ack?.text == "bad OBX-5")
    #expect(MLLP.acknowledgement("MSH|^~\\&|x\nMSA|AA|X\n")?.code == "AA")
    #expect(MLLP.acknowledgement("MSH|^~\\&|x\r") == nil)
  }

  @Test("retries back off: doubling from the base, with jitter, never past an hour")
  func backoff() {
    for attempts in 1...20 {
      let wait = Workflow.backoff(attempts: attempts, base: 5)
      let nominal = min(3600, 5 * pow(2, Double(attempts - 1)))
      #expect(wait >= nominal * 0.5 && wait <= nominal * 1.5)
    }
  }
}
