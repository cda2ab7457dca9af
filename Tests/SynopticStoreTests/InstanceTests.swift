import Foundation
import Synchronization
import Testing
@testable import SynopticStore
import SynopticTemplates
import PostgresNIO

/// Several instances on one store: each thread opens its own `ReportStore`
/// (its own connections), as separate `synoptic serve` processes would.
@Suite("Store: several instances on one store")
struct InstanceTests {
  /// Runs `body` on `count` threads at once, each with its own instance; returns what each gave.
  func race<T: Sendable>(_ scratch: Scratch, _ count: Int, _ body: @escaping @Sendable (ReportStore, Int) throws -> T) throws -> [Result<T, any Error>] {
    let instances = try (0..<count).map { _ in try scratch.open() }
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let start = DispatchSemaphore(value: 0)
    let group = DispatchGroup()
    for i in 0..<count {
      let store = instances[i]
      DispatchQueue.global().async(group: group) {
        start.wait()
        let r = Result { try body(store, i) }
        results.withLock { $0[i] = r }
      }
    }
    for _ in 0..<count { start.signal() }
    group.wait()
    return results.withLock { d in (0..<count).map { d[$0]! } }
  }

  @Test("the same accession signed out through eight instances at once: one version 1, seven refusals", arguments: Backend.all)
  func racingSignOuts(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let base = try forearmVersion()
    let results = try race(scratch, 8) { store, i in
      var v = base
      v.pathologist = "Dr. \(i)"
      return try store.store(v, expectedParent: 0).version
    }
    let won = results.compactMap { try? $0.get() }
    #expect(won == [1])
    for case .failure(let error) in results {
      guard let e = error as? StoreError else { Issue.record("unexpected \(error)"); continue }
      switch e {
      case .alreadySigned(_, 1), .conflict: break
      default: Issue.record("expected a refusal, got \(e)")
      }
    }
    let store = try scratch.open()
    #expect(try store.history("S21-03310").count == 1)
    #expect(try store.verify().intact)
  }

  @Test("racing amendments of version 1: one becomes version 2, the others are conflicts", arguments: Backend.all)
  func racingAmendments(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    _ = try scratch.open().store(try forearmVersion(), expectedParent: 0)
    var amended = try forearmVersion(at: "2021-03-18T10:00:00Z")
    amended.document.status = .amended
    amended.document.version = 2
    let base = amended
    let results = try race(scratch, 6) { store, i in
      var v = base
      v.reason = "correction \(i)"
      return try store.store(v, expectedParent: 1).version
    }
    #expect(results.compactMap { try? $0.get() } == [2])
    #expect(results.filter { if case .failure(StoreError.conflict) = $0 { true } else { false } }.count == 5)
    let store = try scratch.open()
    #expect(try store.history("S21-03310").map(\.version) == [1, 2])
    #expect(try store.verify().intact)
  }

  @Test("different accessions through eight instances at once are all kept, on one unbroken ledger", arguments: Backend.all)
  func parallelSignOuts(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let base = try forearmVersion()
    let results = try race(scratch, 8) { store, i in
      var v = base
      v.document.accession = "S21-9000\(i)"
      return try store.store(v, expectedParent: 0).version
    }
    #expect(results.allSatisfy { (try? $0.get()) == 1 })
    let v = try scratch.open().verify()
    #expect(v.intact, "\(v.problems)")
    #expect(v.versions == 8)
    #expect(v.ledgerEntries == 16)
  }

  @Test("a draft saved through two instances keeps its revision check: one save wins, the other is told", arguments: Backend.all)
  func draftRevisions(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let first = try scratch.open().saveDraft(accession: "S26-1", caseSource: Data("a".utf8), expectedRevision: nil, by: "res1", command: nil)
    #expect(first.revision == 1)
    let results = try race(scratch, 4) { store, i in
      try store.saveDraft(accession: "S26-1", caseSource: Data("edit \(i)".utf8), expectedRevision: 1, by: "res1", command: nil).revision
    }
    #expect(results.compactMap { try? $0.get() } == [2])
    #expect(results.filter { if case .failure(StoreError.draftConflict) = $0 { true } else { false } }.count == 3)
    #expect(try scratch.open().draft("S26-1")?.revision == 2)
  }

  @Test("an outbox message claimed through several instances at once is taken by one", arguments: Backend.all)
  func outboxClaimedOnce(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    var v = try forearmVersion()
    v.deliveries = [(destination: "ehr", format: "hl7")]
    _ = try scratch.open().store(v, expectedParent: 0)
    let message = try #require(try scratch.open().dueMessages(now: ReportStore.now()).first)
    let now = ReportStore.now()
    let until = ReportStore.timestamp(Date().addingTimeInterval(60))
    let results = try race(scratch, 6) { store, _ in try store.claim(message.id, now: now, until: until) }
    #expect(results.compactMap { try? $0.get() }.filter { $0 }.count == 1)
    #expect(results.allSatisfy { (try? $0.get()) != nil })
    #expect(try scratch.open().dueMessages(now: now).isEmpty)
  }

  @Test("an account made and a session started through one instance are seen by another (no sticky sessions)", arguments: Backend.all)
  func sharedSessions(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let a = try scratch.open()
    let b = try scratch.open()
    try a.createAccount(username: "ivale", role: .pathologist, pathologist: "ivale", passwordHash: "$2b$12$x", by: "admin")
    #expect(try b.account("ivale")?.role == .pathologist)
    try a.createSession(idSHA256: "abc", username: "ivale", client: "127.0.0.1", at: ReportStore.now())
    #expect(try b.session(idSHA256: "abc")?.username == "ivale")
    try b.endSession(idSHA256: "abc", username: "ivale", why: "logout", command: nil)
    #expect(try a.session(idSHA256: "abc")?.endedWhy == "logout")
    #expect(try a.verify().intact)
  }
}

@Suite("Store: the worklist index")
struct WorklistIndexTests {
  @Test("newest version of each accession, most recent first, limited; searched by accession or patient in any case, wildcards literal", arguments: Backend.all)
  func latestReports(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    for (i, (accession, name)) in [("S26-00001", "Émile Zola"), ("S26-00002", "100% Synthetic"), ("S26-00003", nil)].enumerated() {
      var v = try forearmVersion(at: "2026-01-0\(i + 1)T09:00:00Z")
      v.document.accession = accession
      v.document.patient.name = name
      _ = try store.store(v, expectedParent: 0)
    }
    var amended = try forearmVersion(at: "2026-01-09T09:00:00Z")
    amended.document.accession = "S26-00001"
    amended.document.patient.name = "Émile Zola"
    amended.document.status = .amended
    amended.document.version = 2
    _ = try store.store(amended, expectedParent: 1)
    let all = try store.latestReports(limit: 10)
    #expect(all.map(\.accession) == ["S26-00001", "S26-00003", "S26-00002"])
    #expect(all.map(\.version) == [2, 1, 1])
    #expect(all.first?.status == .amended)
    #expect(all.map(\.patientName) == ["Émile Zola", nil, "100% Synthetic"])
    #expect(try store.latestReports(limit: 2).count == 2)
    #expect(try store.latestReports(limit: 10, matching: "émile").map(\.accession) == ["S26-00001"])
    #expect(try store.latestReports(limit: 10, matching: "ÉMILE").map(\.accession) == ["S26-00001"])
    #expect(try store.latestReports(limit: 10, matching: "s26-0000").count == 3)
    #expect(try store.latestReports(limit: 10, matching: "0%").map(\.accession) == ["S26-00002"])
    #expect(try store.latestReports(limit: 10, matching: "_").isEmpty)
    #expect(try store.verify().intact)
  }

  @Test("a worklist row edited to hide or disguise a report is found by verify", arguments: Backend.all)
  func editedWorklist(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    try scratch.tamper("UPDATE report_latest SET patient_name = 'Someone Else', patient_folded = 'someone else'")
    #expect(try store.verify().problems.map(\.message) == ["the worklist's patient name differs from the newest version's report"])
    try scratch.tamper("DELETE FROM report_latest")
    #expect(try store.verify().problems.map(\.message) == ["missing from the worklist (it has no row for the newest version)"])
  }
}

@Suite("Store: copying a store to another engine")
struct StoreCopyTests {
  /// An embedded store holding something of every kind.
  func fullSource() throws -> (Scratch, ReportStore) {
    let scratch = try Scratch(.sqlite)
    let store = try scratch.open()
    var v = try forearmVersion()
    v.deliveries = [(destination: "ehr", format: "hl7")]
    _ = try store.store(v, expectedParent: 0)
    var amended = try forearmVersion(at: "2021-03-18T10:00:00Z")
    amended.document.status = .amended
    amended.document.version = 2
    amended.reason = "re-measured"
    _ = try store.store(amended, expectedParent: 1)
    _ = try store.createToken(name: "lis", role: .interface, pathologist: nil, by: "admin")
    try store.createAccount(username: "ivale", role: .pathologist, pathologist: "ivale", passwordHash: "$2b$12$x", by: "admin")
    try store.createSession(idSHA256: "abc", username: "ivale", client: nil, at: ReportStore.now())
    _ = try store.saveDraft(accession: "S26-1", caseSource: Data("draft".utf8), expectedRevision: nil, by: "ivale", command: nil)
    return (scratch, store)
  }

  @Test("an embedded store copied into an empty store keeps every row, hash and seal; a second copy is refused", arguments: Backend.all)
  func copies(_ backend: Backend) throws {
    let (sourceScratch, source) = try fullSource()
    let targetScratch = try Scratch(backend)
    try FileManager.default.copyItem(atPath: sourceScratch.keyPath, toPath: targetScratch.keyPath)
    let target = try targetScratch.open()
    let report = try source.copy(to: target, by: "admin")
    #expect(report.rows.first { $0.table == "report_version" }?.count == 2)
    #expect(report.verification.intact)
    #expect(try target.history("S21-03310") == source.history("S21-03310"))
    #expect(try target.output("S21-03310", version: 2, format: "cda") == source.output("S21-03310", version: 2, format: "cda"))
    #expect(try target.tokens() == source.tokens())
    #expect(try target.draft("S26-1") == source.draft("S26-1"))
    #expect(try target.outbox() == source.outbox())
    #expect(try target.session(idSHA256: "abc") == source.session(idSHA256: "abc"))
    #expect(try target.audit(nil).dropLast() == source.audit(nil)[...])
    #expect(try target.audit(nil).last?.action == "store-copy")
    // New rows continue after the copied ones.
    try target.recordAttempt(actor: "x", action: "signout", accession: nil, outcome: "refused", detail: "after the copy", command: nil)
    #expect(try target.verify().intact)
    // A target with rows in it is never written over.
    #expect(throws: StoreError.self) { try source.copy(to: target, by: "admin") }
    #expect(try target.history("S21-03310").count == 2)
  }

  @Test("a source that does not verify, or a target sealed with another key, is refused and nothing is copied", arguments: Backend.all)
  func refusals(_ backend: Backend) throws {
    let (sourceScratch, source) = try fullSource()
    let otherKey = try Scratch(backend)
    #expect(throws: StoreError.self) { try source.copy(to: try otherKey.open(), by: "admin") }
    #expect(try otherKey.open().accessions().isEmpty)
    try sourceScratch.tamper("UPDATE report_version SET pathologist = 'Dr. Impostor' WHERE version = 1")
    let targetScratch = try Scratch(backend)
    try FileManager.default.copyItem(atPath: sourceScratch.keyPath, toPath: targetScratch.keyPath)
    let target = try targetScratch.open()
    #expect(throws: StoreError.self) { try source.copy(to: target, by: "admin") }
    #expect(try target.accessions().isEmpty)
  }
}

@Suite("Store: PostgreSQL locations")
struct PostgresLocationTests {
  @Test("a password in the URL is refused with where to put it instead, and never echoed")
  func passwordRefused() throws {
    do {
      _ = try PostgresStoreDatabase(url: "postgres://synoptic:hunter2@db.example:5432/synoptic", environment: [:])
      Issue.record("a URL with a password must be refused")
    } catch {
      let text = "\(error)"
      #expect(text.contains("SYNOPTIC_STORE_PASSWORD_FILE"))
      #expect(!text.contains("hunter2"))
    }
  }

  @Test("the password comes from the file SYNOPTIC_STORE_PASSWORD_FILE names, before PGPASSWORD; the rest from the URL")
  func credentials() throws {
    let scratch = try Scratch(.sqlite)
    let file = scratch.directory + "/password"
    try "from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
    let db = try PostgresStoreDatabase(
      url: "postgres://lab@db.example:6543/reports?sslmode=disable", environment: ["SYNOPTIC_STORE_PASSWORD_FILE": file, "PGPASSWORD": "env"])
    #expect(db.configuration.password == "from-file")
    #expect(db.configuration.username == "lab")
    #expect(db.configuration.database == "reports")
    #expect(db.configuration.host == "db.example")
    #expect(db.configuration.port == 6543)
    #expect(try PostgresStoreDatabase(url: "postgres://lab@db.example/reports", environment: ["PGPASSWORD": "env"]).configuration.password == "env")
  }

  @Test("an unknown sslmode, a URL without a host and an unreadable password file are refused by name")
  func refusals() throws {
    #expect(throws: StoreError.self) { try PostgresStoreDatabase(url: "postgres://lab@db.example/reports?sslmode=allow", environment: [:]) }
    #expect(throws: StoreError.self) { try PostgresStoreDatabase(url: "postgres:///reports", environment: [:]) }
    #expect(throws: StoreError.self) {
      try PostgresStoreDatabase(url: "postgres://lab@db.example/reports", environment: ["SYNOPTIC_STORE_PASSWORD_FILE": "/nonexistent/password"])
    }
  }

  @Test("each PostgreSQL instance's anchor defaults to its own data directory, named after the database")
  func anchorPath() {
    let path = StoreAnchor.defaultPath(store: "postgres://lab@db.example:6543/reports", environment: ["XDG_DATA_HOME": "/data"])
    #expect(path == "/data/synoptic/postgres-db.example-6543-reports.anchor")
    #expect(StoreAnchor.defaultPath(store: "/var/lib/synoptic/store.sqlite", environment: [:]) == "/var/lib/synoptic/store.sqlite.anchor")
  }
}
