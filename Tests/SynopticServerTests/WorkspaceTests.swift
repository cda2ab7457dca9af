import Foundation
import HummingbirdTesting
import Hummingbird
import NIOCore
import Testing
@testable import SynopticServer
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

/// A form post through a session, with its CSRF token unless told otherwise.
func post(
  _ client: any TestClientProtocol, _ uri: String, session: String, fields: [(String, String)], csrf: Bool = true
) async throws -> TestResponse {
  var all = fields
  if csrf { all.insert(("csrf", Workflow.csrfToken(forSession: session)), at: 0) }
  let body = all.map { k, v in
    "\(k.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
  }.joined(separator: "&")
  return try await client.execute(
    uri: uri, method: .post, headers: sessionHeaders(session, csrf: nil, "application/x-www-form-urlencoded"), body: ByteBuffer(string: body)
  ) { $0 }
}

func get(_ client: any TestClientProtocol, _ uri: String, session: String) async throws -> TestResponse {
  try await client.execute(uri: uri, method: .get, headers: sessionHeaders(session)) { $0 }
}

@Suite("The workspace pages")
struct WorkspaceTests {
  @Test("a blank draft is made, filled by plain form posts (no script), previewed as synoptic render gives it, and signed with the password")
  func plainPosts() async throws {
    let h = try Harness()
    try h.addAccounts()
    let seed = String(decoding: try sample("neck-synovial-sarcoma.yaml"), as: UTF8.self)
    let accession = try #require(try CaseTree.parse(seed)["accession"]?.scalarText)
    try await h.test { client in
      let s = try #require(try await signIn(client, "ivale", "imogen vale passphrase"))
      var r = try await post(client, "/cases", session: s, fields: [("accession", accession), ("template", "soft-tissue-resection"), ("source", "")])
      #expect(r.status == .seeOther)
      #expect(r.headers[.location] == "/cases/\(accession)")
      r = try await get(client, "/cases/\(accession)", session: s)
      #expect(r.status == .ok)
      #expect(r.headers[.contentSecurityPolicy]?.contains("frame-src 'self'") == true)
      #expect(r.text.contains("<label for=\"f-tumor.site\">Tumour site"))
      #expect(r.text.contains("name=\"tumor.size.greatest~q\""))
      #expect(r.text.contains("data-show-item=\"STR-002\""))
      // The form the page shows, posted back with the seed's answers, as a browser without script posts it.
      let w = h.workflow
      let template = try #require(w.templates.templates["soft-tissue-resection"])
      let form = CaseForm(template: template)
      let (values, _) = form.values(of: try CaseTree.parse(seed))
      let fields = [("revision", "1")] + values.sorted { $0.key < $1.key }.flatMap { k, v in v.split(separator: "\n").map { (k, String($0)) } }
      r = try await post(client, "/cases/\(accession)", session: s, fields: fields)
      #expect(r.status == .seeOther)
      r = try await get(client, "/cases/\(accession)", session: s)
      #expect(r.text.contains("No errors"))
      #expect(r.text.contains("Revision 2"))
      // The preview is synoptic render's bytes for the case the draft holds.
      let exported = try await get(client, "/cases/\(accession)/export", session: s)
      #expect(exported.headers[.contentDisposition]?.contains("attachment") == true)
      guard case .prepared(let p) = try w.prepare(data: Data(exported.text.utf8), templateId: "soft-tissue-resection") else {
        Issue.record("the exported draft does not prepare")
        return
      }
      for format in ["html", "text"] {
        let preview = try await get(client, "/cases/\(accession)/preview?format=\(format)", session: s)
        let rendered = try #require(try w.render(p, formats: [format])[format]).withBytes { String(decoding: $0, as: UTF8.self) }
        #expect(preview.text == rendered, "\(format)")
        #expect(preview.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'self'") == true)
      }
      // The same report as the seed file gives.
      guard case .prepared(let fromSeed) = try w.prepare(text: seed) else {
        Issue.record("the seed does not prepare")
        return
      }
      let seedText = try #require(try w.render(fromSeed, formats: ["text"])["text"]).withBytes { String(decoding: $0, as: UTF8.self) }
      #expect(try await get(client, "/cases/\(accession)/preview?format=text", session: s).text == seedText)
      // A wrong password signs nothing; the right one signs and the draft is gone.
      r = try await post(client, "/cases/\(accession)/sign", session: s, fields: [("revision", "2"), ("password", "not it")])
      #expect(r.status == .forbidden)
      #expect(try w.history(accession).isEmpty)
      r = try await post(client, "/cases/\(accession)/sign", session: s, fields: [("revision", "2"), ("password", "imogen vale passphrase")])
      #expect(r.status == .seeOther)
      #expect(try w.history(accession).map(\.version) == [1])
      #expect(try w.store?.draft(accession) == nil)
      r = try await get(client, "/cases/\(accession)", session: s)
      #expect(r.text.contains("Signed versions are read-only"))
      #expect(!r.text.contains("id=\"case-form\""))
    }
    #expect(try h.workflow.verify().intact)
  }

  @Test("live saves: the panels come back as JSON, a stale revision is a 409, a hidden answer is cleared and named, and no form passes without the session's token")
  func liveSaves() async throws {
    let h = try Harness()
    try h.addAccounts()
    try await h.test { client in
      let resident = try #require(try await signIn(client, "res1", "resident passphrase"))
      _ = try await post(client, "/cases", session: resident, fields: [("accession", "S26-1"), ("template", "soft-tissue-resection"), ("source", "")])
      var r = try await post(client, "/cases/S26-1/autosave", session: resident, fields: [
        ("revision", "1"), ("presurgicalTherapy", "none"), ("treatmentEffect.viablePercent~q", "exact"), ("treatmentEffect.viablePercent~n", "40"),
        ("tumor.siteGroup", "trunk-extremity"), ("tumor.size.greatest~q", "exact"), ("tumor.size.greatest~n", "12"), ("tumor.size.greatest~u", "cm"),
      ])
      #expect(r.status == .ok)
      #expect(r.json["revision"] as? Int == 2)
      #expect((r.json["rules"] as? String)?.contains("T3") == true)
      #expect((r.json["diagnostics"] as? String)?.contains("error") == true)
      let cleared = r.json["cleared"] as? [[String: Any]]
      #expect(cleared?.first?["label"] as? String == "Treatment effect, viable tumour")
      // A second writer still on revision 1.
      r = try await post(client, "/cases/S26-1/autosave", session: resident, fields: [("revision", "1"), ("tumor.site", "Thigh")])
      #expect(r.status == .conflict)
      #expect((r.json["detail"] as? String)?.contains("revision 2") == true)
      r = try await post(client, "/cases/S26-1/autosave", session: resident, fields: [("revision", "2"), ("tumor.site", "Thigh")], csrf: false)
      #expect(r.status == .forbidden)
      // Typed markup comes back as text, on the page and in the live panels.
      r = try await post(client, "/cases/S26-1/autosave", session: resident, fields: [
        ("revision", "2"), ("tumor.site", "<script>alert(1)</script>"), ("tumor.histologicType.name", "\"><img src=x onerror=alert(2)>"),
        ("patient.birthDate", "<b>1950</b>"),
      ])
      #expect(r.status == .ok)
      #expect((r.json["diagnostics"] as? String)?.contains("&lt;b&gt;1950&lt;/b&gt;") == true)
      #expect((r.json["diagnostics"] as? String)?.contains("<b>") == false)
      let page = try await get(client, "/cases/S26-1", session: resident).text
      #expect(page.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""))
      #expect(page.contains("value=\"&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\""))
      #expect(!page.contains("<script>alert") && !page.contains("<img src=x"))
      // A resident prepares but cannot sign, whatever the password.
      r = try await post(client, "/cases/S26-1/sign", session: resident, fields: [("revision", "3"), ("password", "resident passphrase")])
      #expect(r.status == .forbidden)
      #expect(r.text.contains("cannot sign"))
    }
    let draft = try #require(try h.workflow.store?.draft("S26-1"))
    #expect(draft.revision == 3)
    #expect(draft.templateId == "soft-tissue-resection")
    let refusals = try h.workflow.audit(AuditQuery()).filter { $0.outcome == "refused" }
    #expect(refusals.contains { $0.action == "csrf" })
  }

  @Test("an amendment starts from the signed case, lists what it changes before it is signed, and needs a reason")
  func amendment() async throws {
    let h = try Harness()
    try h.addAccounts()
    let source = try sample("forearm-ddlms.yaml")
    _ = try h.workflow.signOut(caseSource: source, pathologist: "ivale", by: Requester(name: "test"))
    try await h.test { client in
      let s = try #require(try await signIn(client, "ivale", "imogen vale passphrase"))
      var r = try await post(client, "/cases/S21-03310/amend", session: s, fields: [])
      #expect(r.status == .seeOther)
      r = try await get(client, "/cases/S21-03310", session: s)
      #expect(r.text.contains("Amendment of S21-03310 (version 1)"))
      #expect(r.text.contains("Nothing differs from version 1"))
      // The whole form, as the page posts it, with one answer changed.
      let form = CaseForm(template: try #require(h.workflow.templates.templates["soft-tissue-resection"]))
      var (values, _) = form.values(of: try CaseTree.parse(String(decoding: source, as: UTF8.self)))
      values["tumor.size.greatest~n"] = "6.5"
      let fields = [("revision", "1")] + values.sorted { $0.key < $1.key }.flatMap { k, v in v.split(separator: "\n").map { (k, String($0)) } }
      r = try await post(client, "/cases/S21-03310/autosave", session: s, fields: fields)
      #expect((r.json["changes"] as? String)?.contains("6 cm -&gt; 6.5 cm") == true)
      r = try await post(client, "/cases/S21-03310/sign", session: s, fields: [("revision", "2"), ("password", "imogen vale passphrase"), ("reason", " ")])
      #expect(r.status == .badRequest)
      r = try await post(client, "/cases/S21-03310/sign", session: s, fields: [("revision", "2"), ("password", "imogen vale passphrase"), ("reason", "re-measured")])
      #expect(r.status == .seeOther)
      r = try await get(client, "/cases/S21-03310", session: s)
      #expect(r.text.contains("6 cm -&gt; 6.5 cm"))
    }
    #expect(try h.workflow.history("S21-03310").map(\.status) == [.final, .amended])
  }

  @Test("an imported case file is kept byte for byte and exported as it came; an addendum and a retraction are signed from the report page")
  func importExportAddendumRetraction() async throws {
    let h = try Harness()
    try h.addAccounts()
    let yamlSource = String(decoding: try sample("thigh-myxofibrosarcoma-core-biopsy.yaml"), as: UTF8.self)
    try await h.test { client in
      let s = try #require(try await signIn(client, "ivale", "imogen vale passphrase"))
      var r = try await post(client, "/cases", session: s, fields: [("accession", ""), ("template", "soft-tissue-resection"), ("source", yamlSource.replacingOccurrences(of: "\n", with: "\r\n"))])
      #expect(r.status == .seeOther)
      #expect(r.headers[.location] == "/cases/S24-11802")
      r = try await get(client, "/cases/S24-11802/export", session: s)
      #expect(r.text == yamlSource)
      #expect(r.headers[.contentType] == "application/yaml")
      // The imported biopsy opens as the biopsy template's form, chosen by its procedure.
      r = try await get(client, "/cases/S24-11802", session: s)
      #expect(r.text.contains("data-item=\"STB-041\""))
      r = try await post(client, "/cases/S24-11802/sign", session: s, fields: [("revision", "1"), ("password", "imogen vale passphrase")])
      #expect(r.status == .seeOther)
      r = try await post(client, "/cases/S24-11802/addendum", session: s, fields: [("text", "MDM2 FISH to follow <b>"), ("password", "imogen vale passphrase")])
      #expect(r.status == .seeOther)
      r = try await get(client, "/cases/S24-11802", session: s)
      #expect(r.text.contains("MDM2 FISH to follow &lt;b&gt;"))
      r = try await post(client, "/cases/S24-11802/retract", session: s, fields: [("reason", "wrong patient"), ("password", "wrong")])
      #expect(r.status == .forbidden)
      r = try await post(client, "/cases/S24-11802/retract", session: s, fields: [("reason", "wrong patient"), ("password", "imogen vale passphrase")])
      #expect(r.status == .seeOther)
      r = try await get(client, "/cases/S24-11802", session: s)
      #expect(!r.text.contains("Amend this report"))
    }
    #expect(try h.workflow.history("S24-11802").map(\.status) == [.final, .appended, .retracted])
  }
}
