import Foundation
import Testing
@testable import SynopticStore
@testable import SynopticWorkflow

@Suite("Accounts, logins and roles")
struct AccountTests {
  let admin = Requester(name: "root")
  static let password = "correct horse battery"

  @Test("accounts keep a bcrypt hash only; a pathologist account names a directory pathologist; bad names and weak passwords are refused")
  func accounts() throws {
    let s = Scratch()
    let w = try s.workflow()
    try w.addUser(username: "ivale", role: .pathologist, pathologist: "ivale", password: Self.password, by: admin)
    try w.addUser(username: "res1", role: .resident, pathologist: nil, password: "another long passphrase", by: admin)
    #expect(try w.users(by: admin).map(\.username) == ["ivale", "res1"])
    #expect(throws: WorkflowError.self) { try w.addUser(username: "x", role: .pathologist, pathologist: nil, password: Self.password, by: admin) }
    #expect(throws: WorkflowError.self) { try w.addUser(username: "x", role: .pathologist, pathologist: "nobody", password: Self.password, by: admin) }
    #expect(throws: WorkflowError.self) { try w.addUser(username: "x", role: .resident, pathologist: "ivale", password: Self.password, by: admin) }
    for bad in ["Bad Name", "<script>", "", String(repeating: "a", count: 65), "a\u{0}b"] {
      #expect(throws: WorkflowError.self) { try w.addUser(username: bad, role: .resident, pathologist: nil, password: Self.password, by: admin) }
    }
    for weak in ["short", "res2-is-my-password", String(repeating: "é", count: 40), "tab\there is long enough"] {
      #expect(throws: WorkflowError.self) { try w.addUser(username: "res2", role: .resident, pathologist: nil, password: weak, by: admin) }
    }
    #expect(throws: WorkflowError.self) { try w.addUser(username: "ivale", role: .resident, pathologist: nil, password: Self.password, by: admin) }
    // Neither the store nor its write-ahead log holds a password in plain text.
    for suffix in ["", "-wal"] {
      let bytes = (try? Data(contentsOf: URL(fileURLWithPath: s.storePath + suffix))) ?? Data()
      #expect(bytes.range(of: Data(Self.password.utf8)) == nil)
      #expect(bytes.range(of: Data("another long passphrase".utf8)) == nil)
    }
    let stored = try #require(try w.store?.passwordHash("ivale"))
    #expect(stored.hasPrefix("$2b$11$") || stored.hasPrefix("$2a$11$") || stored.hasPrefix("$2y$11$"))
  }

  @Test("a login signs in with the account's role; wrong passwords slow down and then lock; every attempt is audited")
  func logins() throws {
    let s = Scratch()
    let w = try s.workflow()
    try w.addUser(username: "ivale", role: .pathologist, pathologist: "ivale", password: Self.password, by: admin)
    let now = Date()
    guard case .signedIn(let r) = try w.login(username: "ivale", password: Self.password, now: now) else {
      Issue.record("the right password did not sign in")
      return
    }
    #expect(r.authority == .pathologist("ivale"))
    #expect(try w.login(username: "nobody", password: Self.password, now: now) == .refused(delay: .seconds(1)))
    for n in 1..<Workflow.loginAttempts {
      #expect(try w.login(username: "ivale", password: "wrong password \(n)", now: now) == .refused(delay: .seconds(n)))
    }
    guard case .locked(let until) = try w.login(username: "ivale", password: "wrong again", now: now) else {
      Issue.record("the fifth failure did not lock the account")
      return
    }
    // Locked: even the right password is not checked until the lock ends.
    #expect(try w.login(username: "ivale", password: Self.password, now: now) == .locked(until: until))
    guard case .signedIn = try w.login(username: "ivale", password: Self.password, now: now.addingTimeInterval(Workflow.lockout + 1)) else {
      Issue.record("the lock did not end")
      return
    }
    #expect(try w.store?.account("ivale")?.failedLogins == 0)
    let logins = try w.audit().filter { $0.action == "login" }.map(\.outcome)
    #expect(logins == ["ok", "failed", "failed", "failed", "failed", "failed", "locked", "locked", "ok"])
    // A disabled account signs in no more.
    try w.disableUser("ivale", by: admin)
    #expect(try w.login(username: "ivale", password: Self.password, now: now.addingTimeInterval(2 * Workflow.lockout)) == .refused(delay: .seconds(1)))
    #expect(try w.verify().intact)
  }

  @Test("each role against each operation, through the workflow: allowed, or refused with 403's kind and an audit entry")
  func roles() throws {
    let s = Scratch()
    let w = try s.workflow()
    let pathologist = Requester(name: "ivale", authority: .pathologist("ivale"))
    let resident = Requester(name: "res1", authority: .resident)
    let adminUser = Requester(name: "adm", authority: .admin)
    let auditor = Requester(name: "aud", authority: .auditor)
    let interface = Requester(name: "lis", authority: .interface)
    let source = try sample("forearm-ddlms.yaml")
    func refused(_ body: () throws(WorkflowError) -> Void) -> Bool {
      do { try body() } catch { return error.kind == .forbidden }
      return false
    }
    for r in [resident, adminUser, auditor, interface] {
      #expect(refused { () throws(WorkflowError) in _ = try w.signOut(caseSource: source, pathologist: "ivale", by: r) }, "\(r.name) signed")
    }
    _ = try w.signOut(caseSource: source, pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: pathologist)
    for r in [pathologist, resident, interface] { _ = try w.history("S21-03310", by: r) }
    for r in [adminUser, auditor] {
      #expect(refused { () throws(WorkflowError) in _ = try w.history("S21-03310", by: r) }, "\(r.name) read a report")
      #expect(refused { () throws(WorkflowError) in _ = try w.output("S21-03310", format: "text", by: r) }, "\(r.name) read a report")
    }
    _ = try w.audit(by: auditor)
    for r in [pathologist, resident, adminUser, interface] {
      #expect(refused { () throws(WorkflowError) in _ = try w.audit(by: r) }, "\(r.name) read the audit log")
    }
    for r in [pathologist, resident, auditor, interface] {
      #expect(refused { () throws(WorkflowError) in try w.addUser(username: "x", role: .resident, pathologist: nil, password: Self.password, by: r) })
      #expect(refused { () throws(WorkflowError) in _ = try w.createToken(name: "t", role: .interface, pathologist: nil, by: r) })
    }
    _ = try w.createToken(name: "t", role: .interface, pathologist: nil, by: adminUser)
    let refusals = try w.audit().filter { $0.outcome == "refused" }
    #expect(refusals.contains { $0.actor == "res1" && $0.action == "signout" })
    #expect(refusals.contains { $0.actor == "adm" && $0.action == "read-history" })
    #expect(refusals.contains { $0.actor == "ivale" && $0.action == "read-audit" })
    #expect(refusals.contains { $0.actor == "aud" && $0.action == "account-create" })
  }

  @Test("the audit log filters by user, accession and time; a time without a zone is refused")
  func auditFilters() throws {
    let s = Scratch()
    let w = try s.workflow()
    let pathologist = Requester(name: "ivale", authority: .pathologist("ivale"))
    let auditor = Requester(name: "aud", authority: .auditor)
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: pathologist)
    _ = try w.history("S21-03310", by: Requester(name: "res1", authority: .resident))
    let all = try w.audit(by: auditor)
    #expect(all.count >= 2)
    #expect(try w.audit(AuditQuery(user: "res1"), by: auditor).map(\.action) == ["read-history"])
    #expect(try w.audit(AuditQuery(accession: "S21-03310", user: "ivale"), by: auditor).map(\.action) == ["signout"])
    let first = try #require(all.first)
    #expect(try w.audit(AuditQuery(until: "2000-01-01T00:00:00Z"), by: auditor).isEmpty)
    #expect(try w.audit(AuditQuery(since: "2000-01-01T00:00:00+02:00"), by: auditor).first?.id == first.id)
    #expect(throws: WorkflowError.self) { try w.audit(AuditQuery(since: "yesterday"), by: auditor) }
    #expect(throws: WorkflowError.self) { try w.audit(AuditQuery(since: "2026-11-29T09:00:00"), by: auditor) }
  }
}
