import Foundation
import GRDB
import Synchronization
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticStore
@testable import SynopticTemplates

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

func tempStorePath() -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-store-\(UUID().uuidString)/store.sqlite").path
}

/// A store with its key beside it in the scratch directory (never the user's own key).
func openStore(_ path: String, hooks: ReportStore.Hooks = .init()) throws -> ReportStore {
  try ReportStore(path: path, keyPath: (path as NSString).deletingLastPathComponent + "/store.key", hooks: hooks)
}

/// Removes the scratch directory `tempStorePath()` made (tests must not leave stores behind in /tmp).
func removeStoreDirectory(_ path: String) {
  try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

/// A signed-out forearm document and its outputs, as the CLI would store them.
func forearmVersion(pathologist: String = "Dr. A. Path", at: String = "2021-03-16T09:30:00Z") throws -> ReportStore.NewVersion {
  let templates = try TemplateStore(directory: packageRoot.appendingPathComponent("Templates"))
  let url = packageRoot.appendingPathComponent("Samples/forearm-ddlms.yaml")
  let prepared = try #require(try ReportPipeline.prepare(try CaseLoader.decode(contentsOf: url), store: templates, templateId: nil))
  var doc = prepared.document
  doc.status = .final
  doc.signedOutBy = pathologist
  doc.signedOutAt = at
  let layouts = try ReportLayouts(directory: packageRoot.appendingPathComponent("Templates/layouts"))
  let site = SiteIdentity(
    name: "Test Laboratory", oidRoot: "2.16.840.1.113883.19.5",
    hl7v2: .init(sendingApplication: "SYNOPTIC", sendingFacility: "TEST", receivingApplication: "EHR", receivingFacility: "HOSP"))
  let outputs = try ReportPublisher.render(doc, template: prepared.template, layouts: layouts, site: site).mapValues { Data($0.utf8) }
  return .init(document: doc, caseSource: try Data(contentsOf: url), outputs: outputs, pathologist: pathologist, signedAt: at, reason: nil, command: "test")
}

@Suite("Report store")
struct StoreTests {
  @Test("a new store migrates from empty to the current schema")
  func migration() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    #expect(try store.appliedMigrations() == ["v1: versions, outputs, audit log, immutability", "v2: retraction, sealed ledger", "v3: API tokens", "v4: accounts, auditor tokens", "v5: browser sessions", "v6: drafts", "v7: outbox", "v8: draft template"])
    #expect(try store.accessions().isEmpty)
    // Opening again applies nothing twice.
    #expect(try openStore(store.path).appliedMigrations().count == 8)
  }

  @Test("an audit entry whose text holds a NUL reads back as it was sealed")
  func nulInAudit() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    try store.recordAttempt(actor: "a\u{0}b", action: "read", accession: "S21\u{0}\u{1C}-1", outcome: "refused", detail: "x\u{0}", command: "GET\u{0}")
    let entry = try #require(try store.audit(nil).last)
    #expect(entry.accession == "S21\u{FFFD}\u{1C}-1")
    #expect(entry.actor == "a\u{FFFD}b")
    let result = try store.verify()
    #expect(result.intact, "\(result.problems)")
  }

  @Test("sign-out stores version 1 with hashes; a second sign-out is refused")
  func signOut() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    let v = try store.store(try forearmVersion(), expectedParent: 0)
    #expect(v.version == 1)
    #expect(v.previousHash == "")
    #expect(Set(v.outputs.keys) == ["text", "html", "xml", "cda", "hl7", "fhir"])
    #expect(v.outputs["text"] == ReportStore.sha256(try #require(try store.output("S21-03310", version: 1, format: "text"))))
    #expect(throws: StoreError.self) { try store.store(try forearmVersion(), expectedParent: 0) }
    #expect(try store.history("S21-03310").count == 1)
    #expect(try store.verify().intact)
  }

  @Test("stored bytes never change after later versions, and the chain links them")
  func immutableBytes() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    let first = try forearmVersion()
    _ = try store.store(first, expectedParent: 0)
    let before = try #require(try store.output("S21-03310", version: 1, format: "html"))
    var amended = try forearmVersion(at: "2021-03-18T10:00:00Z")
    amended.document.status = .amended
    amended.document.version = 2
    amended.document.amendmentReason = "re-measured"
    amended.reason = "re-measured"
    let v2 = try store.store(amended, expectedParent: 1)
    #expect(v2.previousHash == (try store.history("S21-03310")[0].versionHash))
    #expect(try store.output("S21-03310", version: 1, format: "html") == before)
    #expect(before == first.outputs["html"])
    #expect(try store.verify("S21-03310").intact)
  }

  @Test("a writer that raced is told of the conflict and stores nothing")
  func conflict() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    var a = try forearmVersion()
    a.document.status = .amended
    _ = try store.store(a, expectedParent: 1)
    do {
      _ = try store.store(a, expectedParent: 1)
      Issue.record("a stale amendment must be refused")
    } catch {
      guard case .conflict(_, let expected, let found) = error else { Issue.record("expected a conflict, got \(error)"); return }
      #expect((expected, found) == (1, 2))
    }
    #expect(try store.history("S21-03310").count == 2)
  }

  @Test("signed rows cannot be updated or deleted: the triggers raise")
  func triggers() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    let db = try DatabaseQueue(path: store.path)
    for sql in [
      "UPDATE report_version SET pathologist = 'someone else'",
      "DELETE FROM report_version",
      "UPDATE report_output SET bytes = x'00'",
      "DELETE FROM report_output",
      "UPDATE audit_log SET outcome = 'ok'",
      "DELETE FROM audit_log",
    ] {
      #expect(throws: DatabaseError.self, "\(sql)") { try db.write { try $0.execute(sql: sql) } }
    }
    #expect(try store.verify().intact)
  }

  @Test("tampering that goes around the triggers is caught by verify")
  func tamperThroughSQL() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    let db = try DatabaseQueue(path: store.path)
    try db.write { db in
      try db.execute(sql: "DROP TRIGGER report_output_immutable_update")
      try db.execute(sql: "UPDATE report_output SET bytes = CAST(replace(CAST(bytes AS TEXT), 'IIIA', 'IA') AS BLOB) WHERE format = 'text'")
    }
    let problems = try store.verify().problems
    #expect(problems.map(\.message) == ["the stored text output does not match its SHA-256"])
  }

  @Test("editing a stored byte in the database file is caught by verify")
  func tamperFile() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    // Fold the WAL into the main file, then edit the file itself.
    try DatabaseQueue(path: store.path).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    var bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
    let needle = Data("at least G2".utf8)
    let range = try #require(bytes.range(of: needle))
    bytes[range.lowerBound + 10] = UInt8(ascii: "3")
    try bytes.write(to: URL(fileURLWithPath: store.path))
    let problems = try openStore(store.path).verify().problems
    #expect(!problems.isEmpty)
  }

  @Test("the version hash covers metadata: a changed signer breaks it")
  func hashCoversMetadata() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    let db = try DatabaseQueue(path: store.path)
    try db.write { db in
      try db.execute(sql: "DROP TRIGGER report_version_immutable_update")
      try db.execute(sql: "UPDATE report_version SET pathologist = 'Dr. Impostor'")
    }
    #expect(try store.verify().problems.map(\.message) == ["the version hash does not match the stored content"])
  }

  @Test("the audit log records sign-outs and failed attempts")
  func audit() throws {
    let storePath = tempStorePath()
    defer { removeStoreDirectory(storePath) }
    let store = try openStore(storePath)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    try store.recordAttempt(actor: "Dr. X", action: "signout", accession: "S21-03310", outcome: "refused", detail: "already signed", command: "test")
    let log = try store.audit("S21-03310")
    #expect(log.map(\.outcome) == ["ok", "refused"])
    #expect(log.first?.action == "signout")
    #expect(log.first?.version == 1)
  }

  @Test("document diff lists changed items with old and new values")
  func diff() throws {
    var old = try forearmVersion().document
    var new = old
    new.sections[2].items[3].display = "6.5 cm"
    new.comment = "added"
    old.comment = nil
    let changes = new.changes(from: old)
    #expect(changes.map(\.id) == ["STR-023", "comment"])
    #expect(changes.first?.old == "6 cm")
    #expect(changes.first?.new == "6.5 cm")
  }
}

/// The attacks on the store from the hardening review: each found by verify,
/// none crashing it.
@Suite("Store: tampering, truncation and hostile rows")
struct StoreTamperTests {
  /// A store with two versions of the forearm case (v1 final, v2 amended) and their audit rows.
  func twoVersions(_ path: String) throws -> ReportStore {
    let store = try openStore(path)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    var amended = try forearmVersion(at: "2021-03-18T10:00:00Z")
    amended.document.status = .amended
    amended.document.version = 2
    amended.reason = "re-measured"
    _ = try store.store(amended, expectedParent: 1)
    return store
  }

  /// Runs SQL on the database file directly, with the guarding triggers dropped, as an attacker with file access would.
  func tamper(_ store: ReportStore, _ sql: String) throws {
    let db = try DatabaseQueue(path: store.path)
    try db.write { db in
      for t in ["report_version_immutable_update", "report_version_immutable_delete", "report_output_immutable_update",
                "report_output_immutable_delete", "audit_log_append_only_update", "audit_log_append_only_delete",
                "ledger_append_only_update", "ledger_append_only_delete"] {
        try db.execute(sql: "DROP TRIGGER IF EXISTS \(t)")
      }
      try db.execute(sql: sql)
    }
  }

  @Test("an untouched store is intact: every version and audit row is in the sealed ledger, and the anchor is its head")
  func intact() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try twoVersions(path)
    let v = try store.verify()
    #expect(v.intact, "\(v.problems)")
    #expect(v.versions == 2)
    #expect(v.ledgerEntries == 4)
    #expect(v.anchor?.entry == 4)
  }

  @Test("deleting the newest versions (and their ledger and audit rows) is found through the anchor")
  func truncation() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try twoVersions(path)
    try tamper(store, """
      DELETE FROM report_output WHERE version = 2; DELETE FROM report_version WHERE version = 2;
      DELETE FROM ledger WHERE seq > 2; DELETE FROM audit_log WHERE id > 1;
      """)
    let problems = try store.verify().problems
    #expect(problems.map(\.subject) == ["anchor"])
    #expect(problems.first?.message.contains("the newest entries were deleted") == true)
  }

  @Test("an edited row with its hashes and the whole chain recomputed is found by the seals")
  func recomputedChain() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try twoVersions(path)
    // The attacker changes the signer of v2 and recomputes everything they can without the key.
    let db = try DatabaseQueue(path: store.path)
    let row = try #require(try db.read { try Row.fetchOne($0, sql: "SELECT * FROM report_version WHERE version = 2") })
    let outputs = try db.read { db in
      try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT format, sha256 FROM report_output WHERE version = 2").map {
        ($0["format"] as String, $0["sha256"] as String)
      })
    }
    let forged = ReportStore.versionHash(
      accession: row["accession"], version: 2, status: row["status"], signedAt: row["signed_at"], pathologist: "Dr. Impostor",
      reason: row["reason"], templateId: row["template_id"], templateVersion: row["template_version"], caseSHA: row["case_sha256"],
      documentSHA: row["document_sha256"], outputs: outputs, previous: row["previous_hash"])
    try tamper(store, "UPDATE report_version SET pathologist = 'Dr. Impostor', version_hash = '\(forged)' WHERE version = 2")
    // Rebuild the ledger's chain from the forged entry on, sealing with a key the attacker made up.
    let wrongKey = try #require(try StoreKey.load((path as NSString).deletingLastPathComponent + "/attacker.key", create: true))
    var previous = try db.read { try String.fetchOne($0, sql: "SELECT chain_hash FROM ledger WHERE seq = 2") } ?? ""
    for seq in Int64(3)...4 {
      let entry: Row = try #require(try db.read { try Row.fetchOne($0, sql: "SELECT * FROM ledger WHERE seq = ?", arguments: [seq]) })
      let kind: String = entry["kind"]
      var entryHash: String = entry["entry_hash"]
      if kind == "version" { entryHash = Ledger.versionEntry(versionHash: forged, command: "test") }
      let chain = Ledger.chain(seq: seq, kind: kind, entry: entryHash, previous: previous)
      try tamper(store, "UPDATE ledger SET entry_hash = '\(entryHash)', chain_hash = '\(chain)', seal = '\(wrongKey.seal(chain))' WHERE seq = \(seq)")
      previous = chain
    }
    let problems = try store.verify().problems
    #expect(problems.contains { $0.subject == "ledger #3" && $0.message.contains("seal does not match") }, "\(problems)")
    #expect(problems.contains { $0.subject == "anchor" && $0.message.contains("rewritten") }, "\(problems)")
  }

  @Test("an edited audit row and a deleted one are found")
  func auditTampering() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try twoVersions(path)
    try store.recordAttempt(actor: "ivale", action: "amend", accession: "S21-03310", outcome: "refused", detail: "nothing changed", command: "test")
    try tamper(store, "UPDATE audit_log SET outcome = 'ok', detail = NULL WHERE id = 3")
    #expect(try store.verify().problems.map(\.message) == ["audit entry #3 was edited"])
    try tamper(store, "DELETE FROM audit_log WHERE id = 1")
    #expect(try store.verify().problems.map(\.message).contains("audit entry #1 was deleted"))
    // A row slipped in without a ledger entry is found too.
    try tamper(store, "INSERT INTO audit_log (at, action, outcome) VALUES ('2021-01-01T00:00:00Z', 'signout', 'ok')")
    #expect(try store.verify().problems.contains { $0.message.contains("not in the ledger") })
  }

  @Test("rows of the wrong type are reported with their row, not crashed on")
  func wrongTypes() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try twoVersions(path)
    try tamper(store, """
      UPDATE report_version SET signed_at = x'fffe', case_source = 42 WHERE version = 1;
      UPDATE report_output SET bytes = 42 WHERE version = 2 AND format = 'text';
      UPDATE ledger SET kind = 'version', accession = 'S21-03310', version = 'four' WHERE seq = 4;
      UPDATE audit_log SET id = id WHERE 0;
      """)
    let problems = try store.verify().problems
    #expect(problems.contains { $0.subject == "S21-03310 v1" && $0.message.contains("wrong type") }, "\(problems)")
    #expect(problems.contains { $0.subject == "S21-03310 v2" && $0.message.contains("wrong type") }, "\(problems)")
    #expect(problems.contains { $0.subject == "ledger #4" }, "\(problems)")
    #expect(problems.allSatisfy { $0.description.count < 300 }, "a problem quotes the value, not the whole row")
    // Reading the history reports the broken row as a store error instead of trapping.
    #expect(throws: StoreError.self) { try store.history("S21-03310") }
  }

  @Test("a reader creates nothing: a missing store is an error and no file or directory appears")
  func missingStore() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-absent-\(UUID().uuidString)")
    let path = dir.appendingPathComponent("store.sqlite").path
    do {
      _ = try ReportStore(readingOnly: path, keyPath: dir.appendingPathComponent("store.key").path)
      Issue.record("opening a missing store must fail")
    } catch {
      guard case .missing = error else { Issue.record("expected .missing, got \(error)"); return }
    }
    #expect(!FileManager.default.fileExists(atPath: dir.path))
  }

  @Test("a reader verifies, and cannot write")
  func readOnlyVerify() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try twoVersions(path)
    let reader = try ReportStore(readingOnly: path, keyPath: store.keyPath)
    #expect(try reader.verify().intact)
    #expect(throws: StoreError.self) { try reader.recordAttempt(actor: "x", action: "signout", accession: nil, outcome: "refused", detail: "x", command: nil) }
  }

  @Test("a v1 store (before the ledger) is upgraded with every version kept and sealed")
  func upgradeFromV1() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let keyPath = (path as NSString).deletingLastPathComponent + "/store.key"
    let key = try #require(try StoreKey.load(keyPath, create: true))
    // A v1 store holding one version, as the previous release wrote it.
    let modern = tempStorePath()
    defer { removeStoreDirectory(modern) }
    let source = try openStore(modern)
    _ = try source.store(try forearmVersion(), expectedParent: 0)
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let old = try DatabaseQueue(path: path)
    try SQLiteStoreDatabase.migrator(key: key).migrate(old, upTo: ReportStore.migrationNames[0])
    try old.writeWithoutTransaction { db in
      try db.execute(sql: "ATTACH DATABASE ? AS modern", arguments: [modern])
      try db.execute(sql: "INSERT INTO report_version SELECT * FROM modern.report_version")
      try db.execute(sql: "INSERT INTO report_output SELECT * FROM modern.report_output")
      try db.execute(sql: "INSERT INTO audit_log SELECT * FROM modern.audit_log")
      try db.execute(sql: "DETACH DATABASE modern")
    }
    let upgraded = try openStore(path)
    #expect(try upgraded.appliedMigrations() == ReportStore.migrationNames)
    #expect(try upgraded.history("S21-03310").map(\.versionHash) == source.history("S21-03310").map(\.versionHash))
    let v = try upgraded.verify()
    #expect(v.ledgerEntries == 2)
    #expect(v.intact, "\(v.problems)")
    #expect(v.anchor?.entry == 2)
  }

  @Test("eight threads opening a fresh store at once all succeed, and every sign-out is kept")
  func concurrentFirstUse() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let base = try forearmVersion()
    let failures = Mutex<[String]>([])
    DispatchQueue.concurrentPerform(iterations: 8) { i in
      do {
        let store = try openStore(path)
        var v = base
        v.document.accession = "RACE-\(i)"
        _ = try store.store(v, expectedParent: 0)
      } catch {
        failures.withLock { $0.append("\(i): \(error)") }
      }
    }
    #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
    let store = try openStore(path)
    #expect(try store.accessions().count == 8)
    #expect(try store.verify().intact)
  }
}

@Suite("Store: the anchor cannot be dropped to hide a truncation")
struct StoreAnchorTests {
  @Test("with the anchor deleted, later writes do not recreate it; verify keeps saying so until an administrator re-anchors")
  func deletedAnchor() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try openStore(path)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    try FileManager.default.removeItem(atPath: store.anchorPath)
    try store.recordAttempt(actor: "x", action: "signout", accession: "S21-03310", outcome: "refused", detail: "already signed", command: nil)
    #expect(!FileManager.default.fileExists(atPath: store.anchorPath))
    #expect(try store.verify().problems.map(\.subject) == ["anchor"])
    let head = try store.reanchor(actor: "admin", reason: "anchor lost in a disk move")
    #expect(head.entry == 4)
    #expect(try store.verify().intact)
    #expect(try store.audit(nil).last?.action == "reanchor")
    // An existing anchor is never replaced.
    #expect(throws: StoreError.self) { try store.reanchor(actor: "admin", reason: "again") }
  }

  @Test("an anchor that does not read back is evidence: later writes leave it, and verify reports it")
  func corruptAnchorKept() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try openStore(path)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    let forged = "synoptic-store-anchor 1\nentry 1\nchain 00\nseal 00\n"
    try forged.write(toFile: store.anchorPath, atomically: true, encoding: .utf8)
    try store.recordAttempt(actor: "x", action: "signout", accession: "S21-03310", outcome: "refused", detail: "already signed", command: nil)
    #expect(try String(contentsOfFile: store.anchorPath, encoding: .utf8) == forged)
    #expect(try store.verify().problems.contains { $0.subject == "anchor" && $0.message.contains("seal does not match") })
  }

  @Test("re-anchoring is refused while anything else is wrong")
  func reanchorRefused() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try openStore(path)
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    try FileManager.default.removeItem(atPath: store.anchorPath)
    try StoreTamperTests().tamper(store, "UPDATE audit_log SET outcome = 'refused'")
    #expect(throws: StoreError.self) { try store.reanchor(actor: "admin", reason: "x") }
    #expect(!FileManager.default.fileExists(atPath: store.anchorPath))
  }
}

@Suite("Store: API tokens")
struct APITokenTests {
  @Test("a token is shown once and kept as a hash; it authenticates until revoked; names are unique; each change is audited")
  func lifecycle() throws {
    let path = tempStorePath()
    defer { removeStoreDirectory(path) }
    let store = try openStore(path)
    let (record, token) = try store.createToken(name: "lis", role: .interface, pathologist: nil, by: "admin")
    #expect(token.hasPrefix("syn_") && token.count == 47)
    #expect(record.active)
    #expect(try store.token(authenticating: token)?.name == "lis")
    #expect(try store.token(authenticating: token + "x") == nil)
    #expect(throws: StoreError.self) { try store.createToken(name: "lis", role: .interface, pathologist: nil, by: "admin") }
    #expect(throws: StoreError.self) { try store.createToken(name: "bad name", role: .interface, pathologist: nil, by: "admin") }
    #expect(throws: StoreError.self) { try store.createToken(name: "p", role: .pathologist, pathologist: nil, by: "admin") }
    // The database holds no token, only its SHA-256.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(bytes.range(of: Data(token.utf8)) == nil)
    try store.revokeToken(name: "lis", by: "admin")
    #expect(try store.token(authenticating: token) == nil)
    #expect(throws: StoreError.self) { try store.revokeToken(name: "lis", by: "admin") }
    #expect(try store.tokens().first?.revokedAt != nil)
    #expect(try store.audit(nil).map(\.action) == ["token-create", "token-revoke"])
    #expect(try store.verify().intact)
  }
}
