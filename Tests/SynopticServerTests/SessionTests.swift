import Foundation
import HummingbirdTesting
import Hummingbird
import NIOCore
import Synchronization
import Testing
@testable import SynopticServer
import SynopticStore
import SynopticWorkflow

extension Harness {
  /// Accounts: an administrator, pathologist ivale, a resident and an auditor.
  func addAccounts() throws {
    let root = Requester(name: "root")
    try workflow.addUser(username: "root", role: .admin, pathologist: nil, password: "administrator passphrase", by: root)
    try workflow.addUser(username: "ivale", role: .pathologist, pathologist: "ivale", password: "imogen vale passphrase", by: root)
    try workflow.addUser(username: "res1", role: .resident, pathologist: nil, password: "resident passphrase", by: root)
    try workflow.addUser(username: "aud", role: .auditor, pathologist: nil, password: "reviewer of the log", by: root)
  }
}

/// Signs in through the form; returns the session cookie's value.
func signIn(_ client: any TestClientProtocol, _ username: String, _ password: String) async throws -> String? {
  let body = "username=\(username)&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
  return try await client.execute(
    uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body)
  ) { r in
    guard r.status == .seeOther, let cookie = r.headers[.setCookie] else { return nil }
    #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
    return cookie.split(separator: ";").first.map { String($0.dropFirst("synoptic_session=".count)) }
  }
}

func sessionHeaders(_ id: String, csrf: String? = nil, _ contentType: String? = nil) -> HTTPFields {
  var h: HTTPFields = [.cookie: "synoptic_session=\(id)"]
  if let csrf { h[.init("X-CSRF-Token")!] = csrf }
  if let contentType { h[.contentType] = contentType }
  return h
}

@Suite("Browser sessions")
struct SessionTests {
  @Test("the login page is plain HTML with strict headers; a login starts a new session id each time; logout ends it")
  func loginLogout() async throws {
    let h = try Harness()
    try h.addAccounts()
    try await h.test { client in
      try await client.execute(uri: "/login", method: .get) { r in
        #expect(r.status == .ok)
        let csp = r.headers[.contentSecurityPolicy] ?? ""
        #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"))
        #expect(r.headers[.init("Referrer-Policy")!] == "no-referrer")
        #expect(r.headers[.init("X-Content-Type-Options")!] == "nosniff")
        #expect(r.text.contains(#"name="username""#) && r.text.contains(#"name="password""#))
        #expect(!r.text.contains("<script") && !r.text.contains(" on"))
      }
      let first = try #require(try await signIn(client, "ivale", "imogen vale passphrase"))
      let second = try #require(try await signIn(client, "ivale", "imogen vale passphrase"))
      #expect(first != second)
      try await client.execute(uri: "/api/v1/session", method: .get, headers: sessionHeaders(second)) { r in
        #expect(r.status == .ok)
        #expect(r.json["name"] as? String == "ivale")
        #expect(r.json["role"] as? String == "pathologist")
      }
      try await client.execute(uri: "/", method: .get, headers: sessionHeaders(second)) { r in
        #expect(r.status == .ok)
        #expect(r.text.contains("Signed in as <strong>ivale</strong>"))
      }
      let csrf = Workflow.csrfToken(forSession: second)
      // Without the session's token, no sign-out; with it, the session ends.
      try await client.execute(uri: "/logout", method: .post, headers: sessionHeaders(second, csrf: nil, "application/x-www-form-urlencoded"), body: ByteBuffer(string: "csrf=forged")) { r in
        #expect(r.status == .forbidden)
      }
      try await client.execute(uri: "/logout", method: .post, headers: sessionHeaders(second, csrf: nil, "application/x-www-form-urlencoded"), body: ByteBuffer(string: "csrf=\(csrf)")) { r in
        #expect(r.status == .seeOther)
        #expect(r.headers[.setCookie]?.contains("Max-Age=0") == true)
      }
      try await client.execute(uri: "/api/v1/session", method: .get, headers: sessionHeaders(second)) { r in #expect(r.status == .unauthorized) }
      try await client.execute(uri: "/", method: .get, headers: sessionHeaders(second)) { r in #expect(r.status == .seeOther) }
    }
    let ends = try h.workflow.audit().filter { $0.action == "session-end" }
    #expect(ends.map(\.detail) == ["logout"])
  }

  @Test("a wrong password is a 401 page that escapes what was typed; every login and failure is audited")
  func wrongPassword() async throws {
    let h = try Harness()
    try h.addAccounts()
    try await h.test { client in
      let hostile = #""><script>alert(1)</script>"#
      let body = "username=\(hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=nope"
      try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body)) { r in
        #expect(r.status == .unauthorized)
        #expect(r.headers[.setCookie] == nil)
        #expect(!r.text.contains("<script>alert(1)"))
        #expect(r.text.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"))
      }
      // A form posted from another site is refused before any password is checked.
      var crossSite: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
      crossSite[.init("Sec-Fetch-Site")!] = "cross-site"
      try await client.execute(uri: "/login", method: .post, headers: crossSite, body: ByteBuffer(string: "username=ivale&password=imogen+vale+passphrase")) { r in
        #expect(r.status == .forbidden)
      }
    }
    let audit = try h.workflow.audit()
    #expect(audit.contains { $0.action == "login" && $0.outcome == "failed" })
    #expect(audit.contains { $0.action == "csrf" && $0.outcome == "refused" })
    #expect(!audit.contains { $0.action == "login" && $0.outcome == "ok" })
  }

  @Test("through a session: a resident drafts nothing signed (403), a pathologist signs only after re-entering the password, and no state change passes without the CSRF token")
  func signingThroughSessions() async throws {
    let h = try Harness()
    try h.addAccounts()
    let source = try sample("forearm-ddlms.yaml")
    try await h.test { client in
      let resident = try #require(try await signIn(client, "res1", "resident passphrase"))
      let pathologist = try #require(try await signIn(client, "ivale", "imogen vale passphrase"))
      let auditor = try #require(try await signIn(client, "aud", "reviewer of the log"))
      let (rc, pc) = (Workflow.csrfToken(forSession: resident), Workflow.csrfToken(forSession: pathologist))
      // Reading and rendering are open to a resident.
      try await client.execute(uri: "/api/v1/render?format=text", method: .post, headers: sessionHeaders(resident, csrf: rc, "application/yaml"), body: ByteBuffer(bytes: source)) { r in
        #expect(r.status == .ok)
      }
      try await client.execute(uri: "/api/v1/reports", method: .post, headers: sessionHeaders(resident, csrf: rc, "application/yaml"), body: ByteBuffer(bytes: source)) { r in
        #expect(r.status == .forbidden)
      }
      try await client.execute(uri: "/api/v1/reports", method: .post, headers: sessionHeaders(pathologist, csrf: nil, "application/yaml"), body: ByteBuffer(bytes: source)) { r in
        #expect(r.status == .forbidden)
      }
      try await client.execute(uri: "/api/v1/reports", method: .post, headers: sessionHeaders(pathologist, csrf: pc, "application/yaml"), body: ByteBuffer(bytes: source)) { r in
        #expect(r.status == .forbidden)
        #expect((r.json["detail"] as? String)?.contains("password again") == true)
      }
      try await client.execute(uri: "/api/v1/session/confirm", method: .post, headers: sessionHeaders(pathologist, csrf: pc, "application/json"), body: ByteBuffer(string: #"{"password": "imogen vale passphrase"}"#)) { r in
        #expect(r.status == .noContent)
      }
      try await client.execute(uri: "/api/v1/reports", method: .post, headers: sessionHeaders(pathologist, csrf: pc, "application/yaml"), body: ByteBuffer(bytes: source)) { r in
        #expect(r.status == .created)
        #expect(r.json["pathologist"] as? String == "ivale")
      }
      // The auditor reads the audit log and no report.
      try await client.execute(uri: "/api/v1/reports/S21-03310", method: .get, headers: sessionHeaders(auditor)) { r in #expect(r.status == .forbidden) }
      try await client.execute(uri: "/api/v1/audit?accession=S21-03310", method: .get, headers: sessionHeaders(auditor)) { r in #expect(r.status == .ok) }
    }
    // The stored version records the account, the session and the confirmation.
    let audit = try h.workflow.audit("S21-03310")
    let signed = try #require(audit.first { $0.action == "signout" && $0.outcome == "ok" })
    #expect(signed.actor == "ivale")
    #expect(signed.command?.contains("(session ") == true)
    #expect(signed.command?.contains("password confirmed") == true)
    #expect(try h.workflow.verify().intact)
  }

  @Test("a resident drafts and edits with optimistic concurrency; a pathologist reads the draft; systems, administrators and auditors do not; free text stays text")
  func drafts() async throws {
    let h = try Harness()
    try h.addAccounts()
    let text = String(decoding: try sample("forearm-ddlms.yaml"), as: UTF8.self)
    let hostile = text.replacingOccurrences(of: "accession: S21-03310", with: "accession: S21-03310\nadditionalFindings: '<script>alert(1)</script> \"onmouseover=alert(2)'")
    let edited = hostile.replacingOccurrences(of: "greatest: 6 cm", with: "greatest: 6.5 cm")
    let (lis, audit) = (h.interface, h.auditor)
    try await h.test { client in
      let resident = try #require(try await signIn(client, "res1", "resident passphrase"))
      let pathologist = try #require(try await signIn(client, "ivale", "imogen vale passphrase"))
      let rc = Workflow.csrfToken(forSession: resident)
      try await client.execute(uri: "/api/v1/drafts/S21-03310", method: .put, headers: sessionHeaders(resident, csrf: rc, "application/yaml"), body: ByteBuffer(string: hostile)) { r in
        #expect(r.status == .created, "\(r.text)")
        #expect(r.json["revision"] as? Int == 1)
        #expect(r.headers[.eTag] == "\"1\"")
      }
      var stale: HTTPFields = sessionHeaders(resident, csrf: rc, "application/yaml")
      stale[.ifMatch] = "\"1\""
      try await client.execute(uri: "/api/v1/drafts/S21-03310", method: .put, headers: stale, body: ByteBuffer(string: edited)) { r in
        #expect(r.status == .ok)
        #expect(r.json["revision"] as? Int == 2)
      }
      // The same stale revision again: someone saved meanwhile.
      try await client.execute(uri: "/api/v1/drafts/S21-03310", method: .put, headers: stale, body: ByteBuffer(string: edited)) { r in
        #expect(r.status == .conflict)
      }
      // A new draft where one exists is a conflict too; a path that names another accession is refused.
      try await client.execute(uri: "/api/v1/drafts/S21-03310", method: .put, headers: sessionHeaders(resident, csrf: rc, "application/yaml"), body: ByteBuffer(string: edited)) { r in
        #expect(r.status == .conflict)
      }
      try await client.execute(uri: "/api/v1/drafts/S99-1", method: .put, headers: sessionHeaders(resident, csrf: rc, "application/yaml"), body: ByteBuffer(string: edited)) { r in
        #expect(r.status == .badRequest)
      }
      try await client.execute(uri: "/api/v1/drafts/S21-03310", method: .get, headers: sessionHeaders(pathologist)) { r in
        #expect(r.status == .ok)
        #expect(r.json["updatedBy"] as? String == "res1")
        #expect((r.json["source"] as? String)?.contains("<script>alert(1)</script>") == true)
        #expect(r.headers[.contentType] == "application/json")
        #expect(r.json["source"] as? String == edited)
      }
      try await client.execute(uri: "/api/v1/drafts", method: .get, headers: sessionHeaders(pathologist)) { r in
        #expect((r.json["drafts"] as? [[String: Any]])?.map { $0["accession"] as? String } == ["S21-03310"])
      }
      for token in [lis, audit] {
        try await client.execute(uri: "/api/v1/drafts/S21-03310", method: .get, headers: Harness.headers(token)) { r in #expect(r.status == .forbidden) }
        try await client.execute(uri: "/api/v1/drafts/S21-03310", method: .put, headers: Harness.headers(token, "application/yaml"), body: ByteBuffer(string: edited)) { r in
          #expect(r.status == .forbidden)
        }
      }
    }
    let saves = try h.workflow.audit("S21-03310").filter { $0.action == "draft-save" }
    #expect(saves.filter { $0.outcome == "ok" }.map(\.actor) == ["res1", "res1"])
    #expect(saves.contains { $0.outcome == "refused" && $0.actor == "lis" })
    #expect(try h.workflow.verify().intact)
  }

  @Test("a locked account gets 429 at the sign-in form, and the right password does not unlock it")
  func lockedAtTheForm() async throws {
    let h = try Harness()
    try h.addAccounts()
    for n in 0..<Workflow.loginAttempts { _ = try h.workflow.login(username: "res1", password: "wrong guess \(n)") }
    try await h.test { client in
      try await client.execute(
        uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
        body: ByteBuffer(string: "username=res1&password=resident+passphrase")
      ) { r in
        #expect(r.status == .tooManyRequests)
        #expect(r.headers[.setCookie] == nil)
        #expect(r.text.contains("locked until"))
      }
    }
  }

  @Test("a session ends after its idle time and after its absolute time, and says why in the audit log")
  func expiry() throws {
    let h = try Harness()
    try h.addAccounts()
    let policy = SessionPolicy(idle: 30 * 60, absolute: 12 * 3600)
    let start = Date()
    guard case .started(let id, _) = try h.workflow.startSession(username: "res1", password: "resident passphrase", client: nil, policy: policy, now: start) else {
      Issue.record("no session")
      return
    }
    #expect(try h.workflow.session(id, policy: policy, now: start.addingTimeInterval(29 * 60)) != nil)
    #expect(try h.workflow.session(id, policy: policy, now: start.addingTimeInterval(58 * 60)) != nil)
    #expect(try h.workflow.session(id, policy: policy, now: start.addingTimeInterval(90 * 60)) == nil)
    guard case .started(let busy, _) = try h.workflow.startSession(username: "res1", password: "resident passphrase", client: nil, policy: policy, now: start) else {
      Issue.record("no session")
      return
    }
    var t = start
    while t.addingTimeInterval(20 * 60) < start.addingTimeInterval(12 * 3600) {
      t = t.addingTimeInterval(20 * 60)
      #expect(try h.workflow.session(busy, policy: policy, now: t) != nil)
    }
    #expect(try h.workflow.session(busy, policy: policy, now: start.addingTimeInterval(12 * 3600 + 60)) == nil)
    let why = try h.workflow.audit().filter { $0.action == "session-end" }.compactMap(\.detail)
    #expect(why == ["idle for more than 30 minutes", "expired after 12 hours"])
  }

  @Test("the store holds no password, token or session id in plain text")
  func noSecretsStored() async throws {
    let h = try Harness()
    try h.addAccounts()
    let token = h.vale
    let session = Mutex<String?>(nil)
    try await h.test { client in
      let id = try await signIn(client, "ivale", "imogen vale passphrase")
      session.withLock { $0 = id }
    }
    let id = try #require(session.withLock { $0 })
    for suffix in ["", "-wal"] {
      let bytes = (try? Data(contentsOf: h.directory.appendingPathComponent("store.sqlite" + suffix))) ?? Data()
      for secret in [token, id, "imogen vale passphrase", "administrator passphrase"] {
        #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret.prefix(6))… found in store.sqlite\(suffix)")
      }
    }
  }
}

@Suite("Each role against each operation, through the API")
struct RoleMatrixTests {
  @Test("validate, render, drafts, history, audit, sign-out and token-free reads: allowed or 403 by role")
  func matrix() async throws {
    let h = try Harness()
    try h.addAccounts()
    let source = try sample("forearm-ddlms.yaml")
    _ = try h.workflow.signOut(caseSource: source, pathologist: "rhale", at: "2021-03-16T09:30:00Z", by: Requester(name: "setup"))
    let lis = h.interface
    try await h.test { client in
      var who: [String: HTTPFields] = ["interface": Harness.headers(lis)]
      for (user, password) in [("res1", "resident passphrase"), ("ivale", "imogen vale passphrase"), ("root", "administrator passphrase"), ("aud", "reviewer of the log")] {
        let id = try #require(try await signIn(client, user, password))
        who[user] = sessionHeaders(id, csrf: Workflow.csrfToken(forSession: id))
      }
      // (method, uri, body, content type) -> the roles that may
      let yamlBody = ByteBuffer(bytes: source)
      let operations: [(HTTPRequest.Method, String, ByteBuffer?, Set<String>)] = [
        (.post, "/api/v1/validate", yamlBody, ["interface", "res1", "ivale"]),
        (.post, "/api/v1/render?format=text", yamlBody, ["interface", "res1", "ivale"]),
        (.get, "/api/v1/drafts", nil, ["res1", "ivale"]),
        (.get, "/api/v1/reports/S21-03310", nil, ["interface", "res1", "ivale"]),
        (.get, "/api/v1/reports/S21-03310/versions/1?format=text", nil, ["interface", "res1", "ivale"]),
        (.get, "/api/v1/audit", nil, ["aud"]),
        (.get, "/api/v1/templates", nil, ["interface", "res1", "ivale", "root", "aud"]),
      ]
      for (method, uri, body, allowed) in operations {
        for (role, headers) in who {
          var headers = headers
          if body != nil { headers[.contentType] = "application/yaml" }
          try await client.execute(uri: uri, method: method, headers: headers, body: body) { r in
            if allowed.contains(role) {
              #expect(r.status.code < 300, "\(role) \(method) \(uri): \(r.status)")
            } else {
              #expect(r.status == .forbidden, "\(role) \(method) \(uri): \(r.status)")
            }
          }
        }
      }
      // Signing: only a pathologist, as themselves (here ivale, whose password is not yet confirmed, then is).
      for (role, headers) in who where role != "ivale" {
        var headers = headers
        headers[.contentType] = "application/json"
        try await client.execute(uri: "/api/v1/reports/S21-03310/addenda", method: .post, headers: headers, body: ByteBuffer(string: #"{"text": "Reviewed."}"#)) { r in
          #expect(r.status == .forbidden, "\(role) added an addendum: \(r.status)")
        }
      }
    }
  }
}

@Suite("The worklist page")
struct WorklistTests {
  @Test("a resident sees drafts and signed reports, searches by accession or patient, and every value is escaped; the read is audited")
  func worklist() async throws {
    let h = try Harness()
    try h.addAccounts()
    let forearm = String(decoding: try sample("forearm-ddlms.yaml"), as: UTF8.self)
    _ = try h.workflow.signOut(caseSource: Data(forearm.utf8), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: Requester(name: "setup"))
    let hostile = try String(decoding: sample("neck-synovial-sarcoma.yaml"), as: UTF8.self)
    let accession = try #require(hostile.split(separator: "\n").first { $0.hasPrefix("accession:") }).dropFirst("accession:".count)
      .trimmingCharacters(in: .whitespaces)
    let named = hostile.replacingOccurrences(of: "\n  name: Synthetic, Farid\n", with: "\n  name: '<script>x</script>\"onmouseover=y'\n")
    #expect(named != hostile)
    _ = try h.workflow.saveDraft(accession: accession, caseSource: Data(named.utf8), expectedRevision: nil, by: Requester(name: "res1", authority: .resident))
    try await h.test { client in
      let resident = try #require(try await signIn(client, "res1", "resident passphrase"))
      try await client.execute(uri: "/", method: .get, headers: sessionHeaders(resident)) { r in
        #expect(r.status == .ok)
        #expect(r.text.contains("S21-03310") && r.text.contains(accession))
        #expect(r.text.contains(">draft<") && r.text.contains(">final<"))
        #expect(!r.text.contains("<script>x"))
        #expect(r.text.contains("&lt;script&gt;x&lt;/script&gt;&quot;onmouseover=y"))
      }
      try await client.execute(uri: "/?q=s21-0331", method: .get, headers: sessionHeaders(resident)) { r in
        #expect(r.text.contains("S21-03310") && !r.text.contains(">\(accession)<"))
      }
      let admin = try #require(try await signIn(client, "root", "administrator passphrase"))
      try await client.execute(uri: "/", method: .get, headers: sessionHeaders(admin)) { r in
        #expect(r.status == .ok)
        #expect(!r.text.contains("S21-03310"))
      }
    }
    #expect(try h.workflow.audit().contains { $0.action == "read-worklist" && $0.actor == "res1" && $0.outcome == "ok" })
  }
}
