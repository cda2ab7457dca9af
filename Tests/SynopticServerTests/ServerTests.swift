import Foundation
import HummingbirdTesting
import Hummingbird
import NIOCore
import Testing
@testable import SynopticServer
import SynopticExport
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func sample(_ name: String) throws -> Data { try Data(contentsOf: packageRoot.appendingPathComponent("Samples/\(name)")) }

/// A server on the demo site and the shipped templates, with a scratch store
/// and three tokens: an interface, and pathologists ivale and rhale.
final class Harness: @unchecked Sendable {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-server-\(UUID().uuidString)")
  let workflow: Workflow
  let interface: String
  let vale: String
  let hale: String
  let auditor: String
  let settings: ServerSettings

  init(settings: ServerSettings = ServerSettings()) throws {
    let (templates, layouts) = try Workflow.loadTemplates(packageRoot.appendingPathComponent("Templates"))
    let site = try SiteConfiguration.load(packageRoot.appendingPathComponent("Samples/sites/demo-hospital.yaml"))
    let store = try ReportStore(
      path: directory.appendingPathComponent("store.sqlite").path, keyPath: directory.appendingPathComponent("store.key").path)
    workflow = Workflow(site: site, templates: templates, layouts: layouts, store: store)
    let admin = Requester(name: "test")
    interface = try workflow.createToken(name: "lis", role: .interface, pathologist: nil, by: admin).1
    vale = try workflow.createToken(name: "dr-vale", role: .pathologist, pathologist: "ivale", by: admin).1
    hale = try workflow.createToken(name: "dr-hale", role: .pathologist, pathologist: "rhale", by: admin).1
    auditor = try workflow.createToken(name: "audit", role: .auditor, pathologist: nil, by: admin).1
    self.settings = settings
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = Application(router: SynopticServer.router(workflow: workflow, settings: settings))
    try await app.test(.router, body)
  }

  static func headers(_ token: String?, _ contentType: String? = nil) -> HTTPFields {
    var h: HTTPFields = [:]
    if let token { h[.authorization] = "Bearer \(token)" }
    if let contentType { h[.contentType] = contentType }
    return h
  }
}

extension TestResponse {
  var text: String { String(buffer: body) }
  var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
}

let yaml = "application/yaml"

@Suite("HTTP API")
struct ServerTests {
  /// Lower-case 8-4-4-4-12 hex, version 4, RFC 4122 variant.
  static func isUUIDv4(_ id: String) -> Bool {
    let groups = id.split(separator: "-", omittingEmptySubsequences: false)
    guard groups.map(\.count) == [8, 4, 4, 4, 12], groups.allSatisfy({ $0.allSatisfy { "0123456789abcdef".contains($0) } }) else { return false }
    return groups[2].first == "4" && "89ab".contains(groups[3].first!)
  }

  @Test("every answer carries a request id: a fresh version-4 UUID, or the caller's own when it is short and plain")
  func requestIds() async throws {
    let h = try Harness()
    let header = HTTPFields.Element.Name("X-Request-Id")!
    try await h.test { client in
      var seen: Set<String> = []
      for _ in 0..<20 {
        try await client.execute(uri: "/health", method: .get) { r in
          let id = try #require(r.headers[header])
          #expect(Self.isUUIDv4(id), "\(id)")
          seen.insert(id)
        }
      }
      #expect(seen.count == 20)
      try await client.execute(uri: "/health", method: .get, headers: [header: "lis-42.a_b"]) { r in
        #expect(r.headers[header] == "lis-42.a_b")
      }
      try await client.execute(uri: "/health", method: .get, headers: [header: "x<script>"]) { r in
        #expect(r.headers[header].map(Self.isUUIDv4) == true)
      }
    }
  }

  @Test("health, readiness and the OpenAPI document need no token; the document lists every route")
  func probes() async throws {
    let h = try Harness()
    try await h.test { client in
      try await client.execute(uri: "/health", method: .get) { r in
        #expect(r.status == .ok)
        #expect(r.json["status"] as? String == "ok")
      }
      try await client.execute(uri: "/ready", method: .get) { r in #expect(r.json["status"] as? String == "ready") }
      try await client.execute(uri: "/openapi.json", method: .get) { r in
        #expect(r.status == .ok)
        #expect(r.json["openapi"] as? String == "3.1.0")
        let paths = Set((r.json["paths"] as? [String: Any] ?? [:]).keys)
        #expect(paths == [
          "/health", "/ready", "/openapi.json", "/login", "/logout", "/", "/api/v1/session", "/api/v1/session/confirm", "/api/v1/drafts", "/api/v1/drafts/{accession}", "/api/v1/validate", "/api/v1/derive", "/api/v1/render", "/api/v1/templates",
          "/api/v1/templates/{id}", "/api/v1/reports", "/api/v1/reports/{accession}", "/api/v1/reports/{accession}/amendments",
          "/api/v1/reports/{accession}/addenda", "/api/v1/reports/{accession}/retractions",
          "/api/v1/reports/{accession}/versions/{version}", "/api/v1/reports/{accession}/diff", "/api/v1/audit",
        ])
        let schemas = ((r.json["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        let caseProperties = ((schemas["Case"] as? [String: Any])?["properties"] as? [String: Any]) ?? [:]
        #expect(caseProperties["tumor"] != nil && caseProperties["stains"] != nil && caseProperties["accession"] != nil)
      }
      try await client.execute(uri: "/no/such/thing", method: .get) { r in
        #expect(r.status == .notFound)
        #expect(r.headers[.contentType] == "application/problem+json")
      }
    }
  }

  @Test("no token, a wrong token and a revoked token get 401 with a problem document, and the refusal is audited")
  func credentials() async throws {
    let h = try Harness()
    try h.workflow.revokeToken(name: "dr-hale", by: Requester(name: "test"))
    let hale = h.hale
    try await h.test { client in
      for token in [nil, "syn_not-a-token", hale, String(repeating: "x", count: 5000)] {
        try await client.execute(uri: "/api/v1/templates", method: .get, headers: Harness.headers(token)) { r in
          #expect(r.status == .unauthorized)
          #expect(r.headers[.wwwAuthenticate] == #"Bearer realm="synoptic""#)
          #expect(r.headers[.contentType] == "application/problem+json")
          #expect(r.json["status"] as? Int == 401)
        }
      }
    }
    let refusals = try h.workflow.audit().filter { $0.action == "authenticate" && $0.outcome == "refused" }
    #expect(refusals.count == 4)
    #expect(refusals.allSatisfy { $0.command?.hasPrefix("GET /api/v1/templates from ") == true })
  }

  @Test("an accepted credential is reused only for its lifetime, and a full cache starts afresh")
  func recentCredentials() async throws {
    let recent = RecentCredentials(lifetime: .milliseconds(50))
    let r = Requester(name: "lis", authority: .interface)
    #expect(recent.requester("syn_a") == nil)
    recent.remember("syn_a", r)
    #expect(recent.requester("syn_a") == r)
    #expect(recent.requester("syn_b") == nil)
    try await Task.sleep(for: .milliseconds(120))
    #expect(recent.requester("syn_a") == nil)
    for i in 0..<RecentCredentials.capacity { recent.remember("syn_\(i)", r) }
    recent.remember("syn_last", r)
    #expect(recent.requester("syn_0") == nil)
    #expect(recent.requester("syn_last") == r)
  }

  @Test("validate gives the command line's JSON; an unreadable body is a 400 with the parse diagnostic")
  func validate() async throws {
    let h = try Harness()
    let token = h.interface
    let invalid = try sample("invalid/clinical-errors.yaml")
    let expected = try h.workflow.prepare(data: invalid)
    try await h.test { client in
      try await client.execute(uri: "/api/v1/validate", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: invalid)) { r in
        #expect(r.status == .ok)
        #expect(r.text == Presentation.validation([("request", expected)]).render() + "\n")
        #expect((r.json["files"] as? [[String: Any]])?.first?["status"] as? String == "invalid")
      }
      try await client.execute(uri: "/api/v1/validate", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(string: "- just\n- a list\n")) { r in
        #expect(r.status == .badRequest)
        #expect(r.headers[.contentType] == "application/problem+json")
        #expect((r.json["diagnostics"] as? [[String: Any]])?.first?["rule"] as? String == "file.parse")
      }
    }
  }

  @Test("derive gives the derivation of a clean case and a 422 with diagnostics for a case with errors")
  func derive() async throws {
    let h = try Harness()
    let token = h.interface
    let good = try sample("forearm-ddlms.yaml")
    let bad = try sample("invalid/clinical-errors.yaml")
    try await h.test { client in
      try await client.execute(uri: "/api/v1/derive", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: good)) { r in
        #expect(r.status == .ok)
        #expect(r.json["accession"] as? String == "S21-03310")
        #expect(r.json["pT"] as? String != nil)
      }
      try await client.execute(uri: "/api/v1/derive", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: bad)) { r in
        #expect(r.status == .unprocessableContent)
        let diagnostics = r.json["diagnostics"] as? [[String: Any]] ?? []
        #expect(diagnostics.contains { $0["severity"] as? String == "error" })
      }
    }
  }

  @Test("render gives exactly the bytes the command line writes, for every sample and every format")
  func renderMatchesTheCommandLine() async throws {
    let h = try Harness()
    let token = h.interface
    let samples = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("Samples").path)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(samples.count >= 3)
    var expected: [String: [String: Data]] = [:]
    for name in samples {
      guard case .prepared(let p) = try h.workflow.prepare(data: try sample(name)) else {
        Issue.record("\(name) does not prepare")
        continue
      }
      expected[name] = try h.workflow.render(p).mapValues { $0.withBytes { Data($0) } }
    }
    let types = Routes.contentTypes
    let all = expected
    try await h.test { client in
      for name in samples {
        let body = try sample(name)
        for format in ["text", "html", "xml", "cda", "hl7", "fhir"] {
          try await client.execute(uri: "/api/v1/render?format=\(format)", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: body)) { r in
            #expect(r.status == .ok, "\(name) \(format)")
            #expect(r.headers[.contentType] == types[format])
            if format == "html" {
              #expect(r.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
              #expect(r.headers[.contentSecurityPolicy]?.contains("script-src") == false)
            }
            #expect(Data(r.body.readableBytesView) == all[name]?[format], "\(name) \(format)")
          }
        }
      }
    }
  }

  @Test("a JSON case renders as its YAML does")
  func jsonBody() async throws {
    let h = try Harness()
    let token = h.interface
    let json = #"{"accession": "S99-1", "patient": {"name": "Test Person", "sex": "female"}, "specimens": [{"id": "A", "procedure": "core-needle-biopsy", "site": "thigh"}], "tumor": {"site": "thigh", "histologicType": "synovial sarcoma"}}"#
    try await h.test { client in
      try await client.execute(uri: "/api/v1/validate", method: .post, headers: Harness.headers(token, "application/json; charset=utf-8"), body: ByteBuffer(string: json)) { r in
        #expect(r.status == .ok)
        #expect((r.json["files"] as? [[String: Any]])?.first?["status"] as? String != "unreadable")
      }
      try await client.execute(uri: "/api/v1/validate", method: .post, headers: Harness.headers(token, "application/json"), body: ByteBuffer(string: "accession: S99-1\n")) { r in
        #expect(r.status == .badRequest)
      }
    }
  }

  @Test("bodies of the wrong type are 415, over the limit 413, bad parameters 400; never a 500")
  func refusals() async throws {
    let h = try Harness(settings: ServerSettings(maxBodyBytes: 65536))
    let token = h.interface
    let good = try sample("forearm-ddlms.yaml")
    try await h.test { client in
      try await client.execute(uri: "/api/v1/render", method: .post, headers: Harness.headers(token, "text/plain"), body: ByteBuffer(bytes: good)) { r in
        #expect(r.status == .unsupportedMediaType)
      }
      try await client.execute(uri: "/api/v1/render", method: .post, headers: Harness.headers(token), body: ByteBuffer(bytes: good)) { r in
        #expect(r.status == .unsupportedMediaType)
      }
      let big = ByteBuffer(string: "accession: S1\ncomment: " + String(repeating: "a", count: 70000) + "\n")
      try await client.execute(uri: "/api/v1/validate", method: .post, headers: Harness.headers(token, yaml), body: big) { r in
        #expect(r.status == .contentTooLarge)
        #expect(r.headers[.contentType] == "application/problem+json")
      }
      try await client.execute(uri: "/api/v1/render?format=pdf", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: good)) { r in
        #expect(r.status == .badRequest)
      }
      try await client.execute(uri: "/api/v1/render?width=9", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: good)) { r in
        #expect(r.status == .badRequest)
      }
      try await client.execute(uri: "/api/v1/render?template=nope", method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: good)) { r in
        #expect(r.status == .badRequest)
      }
      var g = SystemRandomNumberGenerator()
      for _ in 0..<50 {
        let noise = (0..<Int.random(in: 0...600, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
        for uri in ["/api/v1/validate", "/api/v1/derive", "/api/v1/render", "/api/v1/reports"] {
          try await client.execute(uri: uri, method: .post, headers: Harness.headers(token, yaml), body: ByteBuffer(bytes: noise)) { r in
            #expect(r.status.code < 500, "\(uri): \(r.status)")
          }
        }
      }
    }
  }

  @Test("an accession with a NUL or a control character is a 400 and leaves the audit log intact")
  func hostileAccessions() async throws {
    let h = try Harness()
    let token = h.auditor
    try await h.test { client in
      let vale = h.vale
      for accession in ["S21%00-1", "S21%1C%00", "A%0AB", String(repeating: "x", count: 65)] {
        try await client.execute(uri: "/api/v1/audit?accession=\(accession)", method: .get, headers: Harness.headers(token)) { r in
          #expect(r.status == .badRequest, "\(accession)")
        }
        try await client.execute(uri: "/api/v1/reports/\(accession)", method: .get, headers: Harness.headers(token)) { r in
          #expect(r.status == .badRequest, "\(accession)")
        }
        try await client.execute(uri: "/api/v1/reports?pathologist=iv%00ale", method: .post, headers: Harness.headers(vale, yaml), body: ByteBuffer(bytes: try sample("forearm-ddlms.yaml"))) { r in
          #expect(r.status == .forbidden)
        }
      }
    }
    let result = try h.workflow.verify()
    #expect(result.intact, "\(result.problems)")
  }

  @Test("templates are listed and served as JSON; an unknown one is 404")
  func templates() async throws {
    let h = try Harness()
    let token = h.interface
    try await h.test { client in
      try await client.execute(uri: "/api/v1/templates", method: .get, headers: Harness.headers(token)) { r in
        let ids = (r.json["templates"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids.contains("soft-tissue-resection"))
      }
      try await client.execute(uri: "/api/v1/templates/soft-tissue-resection", method: .get, headers: Harness.headers(token)) { r in
        #expect(r.status == .ok)
        #expect(r.json["id"] as? String == "soft-tissue-resection")
        #expect((r.json["sections"] as? [Any])?.isEmpty == false)
      }
      try await client.execute(uri: "/api/v1/templates/nope", method: .get, headers: Harness.headers(token)) { r in #expect(r.status == .notFound) }
    }
  }

  @Test("sign-out, amendment, addendum and retraction: who may sign, what is stored, what is refused, and every read audited")
  func lifecycle() async throws {
    let h = try Harness()
    let (lis, vale, hale, auditor) = (h.interface, h.vale, h.hale, h.auditor)
    let original = try sample("forearm-ddlms.yaml")
    let corrected = Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "greatest: 6 cm", with: "greatest: 6.5 cm").utf8)
    #expect(corrected != original)
    try await h.test { client in
      // An interface token signs nothing, and a pathologist signs as no one else.
      try await client.execute(uri: "/api/v1/reports", method: .post, headers: Harness.headers(lis, yaml), body: ByteBuffer(bytes: original)) { r in
        #expect(r.status == .forbidden)
      }
      try await client.execute(uri: "/api/v1/reports?pathologist=ivale", method: .post, headers: Harness.headers(hale, yaml), body: ByteBuffer(bytes: original)) { r in
        #expect(r.status == .forbidden)
      }
      try await client.execute(uri: "/api/v1/reports?at=2021-03-16T09:30:00Z", method: .post, headers: Harness.headers(vale, yaml), body: ByteBuffer(bytes: original)) { r in
        #expect(r.status == .created)
        #expect(r.headers[.location] == "/api/v1/reports/S21-03310/versions/1")
        #expect(r.json["status"] as? String == "final")
        #expect(r.json["pathologist"] as? String == "ivale")
      }
      try await client.execute(uri: "/api/v1/reports", method: .post, headers: Harness.headers(vale, yaml), body: ByteBuffer(bytes: original)) { r in
        #expect(r.status == .conflict)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/amendments", method: .post, headers: Harness.headers(hale, yaml), body: ByteBuffer(bytes: corrected)) { r in
        #expect(r.status == .badRequest)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/amendments?reason=Size%20re-measured", method: .post, headers: Harness.headers(hale, yaml), body: ByteBuffer(bytes: original)) { r in
        #expect(r.status == .conflict)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/amendments?reason=Size%20re-measured", method: .post, headers: Harness.headers(hale, yaml), body: ByteBuffer(bytes: corrected)) { r in
        #expect(r.status == .created)
        #expect(r.json["version"] as? Int == 2)
        #expect(r.json["pathologist"] as? String == "rhale")
        #expect((r.json["changes"] as? [[String: Any]])?.isEmpty == false)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/addenda", method: .post, headers: Harness.headers(vale, "application/json"), body: ByteBuffer(string: #"{"text": "MDM2 FISH: amplified."}"#)) { r in
        #expect(r.status == .created)
        #expect(r.json["status"] as? String == "appended")
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/addenda", method: .post, headers: Harness.headers(vale, "application/json"), body: ByteBuffer(string: #"{"note": 1}"#)) { r in
        #expect(r.status == .badRequest)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310", method: .get, headers: Harness.headers(lis)) { r in
        #expect(r.status == .ok)
        #expect((r.json["versions"] as? [[String: Any]])?.map { $0["version"] as? Int } == [1, 2, 3])
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/versions/2?format=hl7", method: .get, headers: Harness.headers(lis)) { r in
        #expect(r.status == .ok)
        #expect(r.headers[.contentType] == "application/hl7-v2; charset=utf-8")
        #expect(r.text.hasPrefix("MSH|"))
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/versions/9?format=hl7", method: .get, headers: Harness.headers(lis)) { r in
        #expect(r.status == .notFound)
      }
      try await client.execute(uri: "/api/v1/reports/S99-0/versions/1", method: .get, headers: Harness.headers(lis)) { r in
        #expect(r.status == .conflict || r.status == .notFound)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/diff?from=1&to=2", method: .get, headers: Harness.headers(lis)) { r in
        #expect(r.status == .ok)
        #expect((r.json["changes"] as? [[String: Any]])?.isEmpty == false)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/diff?from=1", method: .get, headers: Harness.headers(lis)) { r in
        #expect(r.status == .badRequest)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/retractions", method: .post, headers: Harness.headers(lis, "application/json"), body: ByteBuffer(string: #"{"reason": "wrong patient"}"#)) { r in
        #expect(r.status == .forbidden)
      }
      try await client.execute(uri: "/api/v1/reports/S21-03310/retractions", method: .post, headers: Harness.headers(vale, "application/json"), body: ByteBuffer(string: #"{"reason": "wrong patient"}"#)) { r in
        #expect(r.status == .created)
        #expect(r.json["status"] as? String == "retracted")
      }
      try await client.execute(uri: "/api/v1/reports/nobody", method: .get, headers: Harness.headers(lis)) { r in #expect(r.status == .notFound) }
      // The audit log is for auditors, who read no report.
      try await client.execute(uri: "/api/v1/audit", method: .get, headers: Harness.headers(lis)) { r in #expect(r.status == .forbidden) }
      try await client.execute(uri: "/api/v1/reports/S21-03310", method: .get, headers: Harness.headers(auditor)) { r in #expect(r.status == .forbidden) }
      try await client.execute(uri: "/api/v1/audit?accession=S21-03310", method: .get, headers: Harness.headers(auditor)) { r in
        let entries = r.json["entries"] as? [[String: Any]] ?? []
        #expect(entries.contains { $0["action"] as? String == "read-history" && $0["actor"] as? String == "lis" })
        #expect(entries.contains { $0["action"] as? String == "read-version" && $0["detail"] as? String == "v2 hl7" })
        #expect(entries.contains { $0["action"] as? String == "signout" && $0["outcome"] as? String == "refused" && $0["actor"] as? String == "lis" })
        #expect(entries.contains { $0["action"] as? String == "signout" && $0["outcome"] as? String == "refused" && $0["actor"] as? String == "dr-hale" })
        #expect(entries.contains { $0["action"] as? String == "read-history" && $0["outcome"] as? String == "refused" && $0["actor"] as? String == "audit" })
      }
    }
    // What the API stored is what the workflow reads back.
    #expect(try h.workflow.history("S21-03310").map(\.status) == [.final, .amended, .appended, .retracted])
    #expect(try h.workflow.verify().intact)
  }
}

@Suite("serve's event loops")
struct EventLoopSizingTests {
  @Test("the CPUs a process may run on are counted from its status file's allowed list")
  func allowedCPUs() {
    #expect(SynopticServer.allowedCPUs("Name:\tsynoptic\nCpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\n") == 1)
    #expect(SynopticServer.allowedCPUs("Cpus_allowed_list:\t0-3,6\n") == 5)
    #expect(SynopticServer.allowedCPUs("Cpus_allowed_list:\t2,4-5,7\n") == 4)
    // Nothing to go on: NIO's own count stands.
    #expect(SynopticServer.allowedCPUs("Name:\tsynoptic\n") == nil)
    #expect(SynopticServer.allowedCPUs("Cpus_allowed_list:\t3-1\n") == nil)
    #expect(SynopticServer.allowedCPUs("Cpus_allowed_list:\tall\n") == nil)
  }
}
