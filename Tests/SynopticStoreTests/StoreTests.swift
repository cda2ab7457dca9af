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
  @Test("a new store migrates from empty to the current schema", arguments: Backend.all)
  func migration(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    let expected = switch backend {
    case .sqlite: ["v1: versions, outputs, audit log, immutability", "v2: retraction, sealed ledger", "v3: API tokens", "v4: accounts, auditor tokens", "v5: browser sessions", "v6: drafts", "v7: outbox", "v8: draft template", "v9: worklist index", "v10: worklist of latest versions"]
    case .postgres: ["p1: versions, outputs, audit log, ledger, tokens, accounts, sessions, drafts, outbox", "p2: worklist index", "p3: worklist of latest versions"]
    }
    #expect(try store.appliedMigrations() == expected)
    #expect(try store.accessions().isEmpty)
    // Opening again applies nothing twice.
    #expect(try scratch.open().appliedMigrations() == expected)
  }

  @Test("an audit entry whose text holds a NUL reads back as it was sealed", arguments: Backend.all)
  func nulInAudit(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    try store.recordAttempt(actor: "a\u{0}b", action: "read", accession: "S21\u{0}\u{1C}-1", outcome: "refused", detail: "x\u{0}", command: "GET\u{0}")
    let entry = try #require(try store.audit(nil).last)
    #expect(entry.accession == "S21\u{FFFD}\u{1C}-1")
    #expect(entry.actor == "a\u{FFFD}b")
    let result = try store.verify()
    #expect(result.intact, "\(result.problems)")
  }

  @Test("sign-out stores version 1 with hashes; a second sign-out is refused", arguments: Backend.all)
  func signOut(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    let v = try store.store(try forearmVersion(), expectedParent: 0)
    #expect(v.version == 1)
    #expect(v.previousHash == "")
    #expect(Set(v.outputs.keys) == ["text", "html", "xml", "cda", "hl7", "fhir"])
    #expect(v.outputs["text"] == ReportStore.sha256(try #require(try store.output("S21-03310", version: 1, format: "text"))))
    #expect(throws: StoreError.self) { try store.store(try forearmVersion(), expectedParent: 0) }
    #expect(try store.history("S21-03310").count == 1)
    #expect(try store.verify().intact)
  }

  @Test("stored bytes never change after later versions, and the chain links them", arguments: Backend.all)
  func immutableBytes(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
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

  @Test("a writer that raced is told of the conflict and stores nothing", arguments: Backend.all)
  func conflict(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
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

  @Test("signed rows cannot be updated or deleted: the triggers raise", arguments: Backend.all)
  func triggers(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    let db = try scratch.engine()
    for sql in [
      "UPDATE report_version SET pathologist = 'someone else'",
      "DELETE FROM report_version",
      "UPDATE report_output SET sha256 = '00'",
      "DELETE FROM report_output",
      "UPDATE audit_log SET outcome = 'ok'",
      "DELETE FROM audit_log",
      "UPDATE ledger SET seal = '00'",
      "DELETE FROM ledger",
    ] {
      #expect(throws: (any Error).self, "\(sql)") { try db.write { try $0.execute(sql, []) } }
    }
    #expect(try store.verify().intact)
  }

  @Test("tampering that goes around the triggers is caught by verify", arguments: Backend.all)
  func tamperThroughSQL(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    let edit = switch backend {
    case .sqlite: "UPDATE report_output SET bytes = CAST(replace(CAST(bytes AS TEXT), 'IIIA', 'IA') AS BLOB) WHERE format = 'text'"
    case .postgres: "UPDATE report_output SET bytes = convert_to(replace(convert_from(bytes, 'UTF8'), 'IIIA', 'IA'), 'UTF8') WHERE format = 'text'"
    }
    try scratch.tamper(edit)
    let problems = try store.verify().problems
    #expect(problems.map(\.message) == ["the stored text output does not match its SHA-256"])
  }

  @Test("editing a stored byte in the database file is caught by verify")
  func tamperFile() throws {
    let scratch = try Scratch(.sqlite)
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    // Fold the WAL into the main file, then edit the file itself.
    try DatabaseQueue(path: scratch.location).writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    var bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.location))
    let needle = Data("at least G2".utf8)
    let range = try #require(bytes.range(of: needle))
    bytes[range.lowerBound + 10] = UInt8(ascii: "3")
    try bytes.write(to: URL(fileURLWithPath: scratch.location))
    let problems = try scratch.open().verify().problems
    #expect(!problems.isEmpty)
  }

  @Test("the version hash covers metadata: a changed signer breaks it", arguments: Backend.all)
  func hashCoversMetadata(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    // The attacker keeps the worklist consistent too; only the hash can tell.
    try scratch.tamper("UPDATE report_version SET pathologist = 'Dr. Impostor'; UPDATE report_latest SET pathologist = 'Dr. Impostor'")
    #expect(try store.verify().problems.map(\.message) == ["the version hash does not match the stored content"])
  }

  @Test("the audit log records sign-outs and failed attempts", arguments: Backend.all)
  func audit(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
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
  func twoVersions(_ scratch: Scratch) throws -> ReportStore {
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    var amended = try forearmVersion(at: "2021-03-18T10:00:00Z")
    amended.document.status = .amended
    amended.document.version = 2
    amended.reason = "re-measured"
    _ = try store.store(amended, expectedParent: 1)
    return store
  }

  @Test("an untouched store is intact: every version and audit row is in the sealed ledger, and the anchor is its head", arguments: Backend.all)
  func intact(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try twoVersions(scratch)
    let v = try store.verify()
    #expect(v.intact, "\(v.problems)")
    #expect(v.versions == 2)
    #expect(v.ledgerEntries == 4)
    #expect(v.anchor?.entry == 4)
  }

  @Test("deleting the newest versions (and their ledger and audit rows) is found through the anchor", arguments: Backend.all)
  func truncation(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try twoVersions(scratch)
    try scratch.tamper("""
      DELETE FROM report_output WHERE version = 2; DELETE FROM report_latest; DELETE FROM report_version WHERE version = 2;
      INSERT INTO report_latest SELECT accession, version, status, signed_at, pathologist, template_id, template_version,
        'Synthetic, Bernard', 'synthetic, bernard' FROM report_version WHERE version = 1;
      DELETE FROM ledger WHERE seq > 2; DELETE FROM audit_log WHERE id > 1;
      """)
    let problems = try store.verify().problems
    #expect(problems.map(\.subject) == ["anchor"])
    #expect(problems.first?.message.contains("the newest entries were deleted") == true)
  }

  @Test("an edited row with its hashes and the whole chain recomputed is found by the seals", arguments: Backend.all)
  func recomputedChain(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try twoVersions(scratch)
    // The attacker changes the signer of v2 and recomputes everything they can without the key.
    let db = try scratch.engine()
    let row = try #require(try db.read { try $0.row("SELECT * FROM report_version WHERE version = 2") })
    let outputs = try db.read { db in
      try Dictionary(uniqueKeysWithValues: db.rows("SELECT format, sha256 FROM report_output WHERE version = 2").map {
        (try $0.decode(String.self, forColumn: "format"), try $0.decode(String.self, forColumn: "sha256"))
      })
    }
    func text(_ column: String) throws -> String { try row.decode(forColumn: column) }
    let forged = ReportStore.versionHash(
      accession: try text("accession"), version: 2, status: try text("status"), signedAt: try text("signed_at"), pathologist: "Dr. Impostor",
      reason: try row.decode(forColumn: "reason"), templateId: try text("template_id"), templateVersion: try text("template_version"),
      caseSHA: try text("case_sha256"), documentSHA: try text("document_sha256"), outputs: outputs, previous: try text("previous_hash"))
    try scratch.tamper("UPDATE report_version SET pathologist = 'Dr. Impostor', version_hash = '\(forged)' WHERE version = 2")
    // Rebuild the ledger's chain from the forged entry on, sealing with a key the attacker made up.
    let wrongKey = try #require(try StoreKey.load(scratch.directory + "/attacker.key", create: true))
    var previous = try db.read { try $0.value(as: String.self, "SELECT chain_hash FROM ledger WHERE seq = 2") } ?? ""
    for seq in Int64(3)...4 {
      let entry = try #require(try db.read { try $0.row("SELECT * FROM ledger WHERE seq = ?", [seq]) })
      let kind: String = try entry.decode(forColumn: "kind")
      var entryHash: String = try entry.decode(forColumn: "entry_hash")
      if kind == "version" { entryHash = Ledger.versionEntry(versionHash: forged, command: "test") }
      let chain = Ledger.chain(seq: seq, kind: kind, entry: entryHash, previous: previous)
      try scratch.tamper("UPDATE ledger SET entry_hash = '\(entryHash)', chain_hash = '\(chain)', seal = '\(wrongKey.seal(chain))' WHERE seq = \(seq)")
      previous = chain
    }
    let problems = try store.verify().problems
    #expect(problems.contains { $0.subject == "ledger #3" && $0.message.contains("seal does not match") }, "\(problems)")
    #expect(problems.contains { $0.subject == "anchor" && $0.message.contains("rewritten") }, "\(problems)")
  }

  @Test("an edited audit row and a deleted one are found", arguments: Backend.all)
  func auditTampering(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try twoVersions(scratch)
    try store.recordAttempt(actor: "ivale", action: "amend", accession: "S21-03310", outcome: "refused", detail: "nothing changed", command: "test")
    try scratch.tamper("UPDATE audit_log SET outcome = 'ok', detail = NULL WHERE id = 3")
    #expect(try store.verify().problems.map(\.message) == ["audit entry #3 was edited"])
    try scratch.tamper("DELETE FROM audit_log WHERE id = 1")
    #expect(try store.verify().problems.map(\.message).contains("audit entry #1 was deleted"))
    // A row slipped in without a ledger entry is found too.
    try scratch.tamper("INSERT INTO audit_log (at, action, outcome) VALUES ('2021-01-01T00:00:00Z', 'signout', 'ok')")
    #expect(try store.verify().problems.contains { $0.message.contains("not in the ledger") })
  }

  /// SQLite only: a PostgreSQL column holds only values of its own type.
  @Test("rows of the wrong type are reported with their row, not crashed on")
  func wrongTypes() throws {
    let scratch = try Scratch(.sqlite)
    let store = try twoVersions(scratch)
    try scratch.tamper("""
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

  @Test("a reader verifies, and cannot write", arguments: Backend.all)
  func readOnlyVerify(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try twoVersions(scratch)
    let reader = try ReportStore(readingOnly: scratch.location, keyPath: store.keyPath, anchorPath: store.anchorPath)
    #expect(try reader.verify().intact)
    #expect(throws: StoreError.self) { try reader.recordAttempt(actor: "x", action: "signout", accession: nil, outcome: "refused", detail: "x", command: nil) }
  }

  @Test("a v1 store (before the ledger) is upgraded with every version kept and sealed")
  func upgradeFromV1() throws {
    let scratch = try Scratch(.sqlite)
    let path = scratch.location
    let key = try #require(try StoreKey.load(scratch.keyPath, create: true))
    // A v1 store holding one version, as the previous release wrote it.
    let modernScratch = try Scratch(.sqlite)
    let modern = modernScratch.location
    let source = try modernScratch.open()
    _ = try source.store(try forearmVersion(), expectedParent: 0)
    let old = try DatabaseQueue(path: path)
    try SQLiteStoreDatabase.migrator(key: key).migrate(old, upTo: ReportStore.migrationNames[0])
    try old.writeWithoutTransaction { db in
      try db.execute(sql: "ATTACH DATABASE ? AS modern", arguments: [modern])
      try db.execute(sql: "INSERT INTO report_version SELECT * FROM modern.report_version")
      try db.execute(sql: "INSERT INTO report_output SELECT * FROM modern.report_output")
      try db.execute(sql: "INSERT INTO audit_log SELECT * FROM modern.audit_log")
      try db.execute(sql: "DETACH DATABASE modern")
    }
    let upgraded = try scratch.open()
    #expect(try upgraded.appliedMigrations() == ReportStore.migrationNames)
    #expect(try upgraded.history("S21-03310").map(\.versionHash) == source.history("S21-03310").map(\.versionHash))
    // The worklist index is filled from the documents already stored.
    #expect(try upgraded.latestReports(limit: 10, matching: "bernard").map(\.patientName) == ["Synthetic, Bernard"])
    let v = try upgraded.verify()
    #expect(v.ledgerEntries == 2)
    #expect(v.intact, "\(v.problems)")
    #expect(v.anchor?.entry == 2)
  }

  @Test("eight threads opening a fresh store at once all succeed, and every sign-out is kept", arguments: Backend.all)
  func concurrentFirstUse(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let base = try forearmVersion()
    let failures = Mutex<[String]>([])
    DispatchQueue.concurrentPerform(iterations: 8) { i in
      do {
        let store = try scratch.open()
        var v = base
        v.document.accession = "RACE-\(i)"
        _ = try store.store(v, expectedParent: 0)
      } catch {
        failures.withLock { $0.append("\(i): \(error)") }
      }
    }
    #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
    let store = try scratch.open()
    #expect(try store.accessions().count == 8)
    #expect(try store.verify().intact)
  }
}

@Suite("Store: the anchor cannot be dropped to hide a truncation")
struct StoreAnchorTests {
  @Test("with the anchor deleted, later writes do not recreate it; verify keeps saying so until an administrator re-anchors", arguments: Backend.all)
  func deletedAnchor(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
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

  @Test("an anchor that does not read back is evidence: later writes leave it, and verify reports it", arguments: Backend.all)
  func corruptAnchorKept(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    let forged = "synoptic-store-anchor 1\nentry 1\nchain 00\nseal 00\n"
    try forged.write(toFile: store.anchorPath, atomically: true, encoding: .utf8)
    try store.recordAttempt(actor: "x", action: "signout", accession: "S21-03310", outcome: "refused", detail: "already signed", command: nil)
    #expect(try String(contentsOfFile: store.anchorPath, encoding: .utf8) == forged)
    #expect(try store.verify().problems.contains { $0.subject == "anchor" && $0.message.contains("seal does not match") })
  }

  @Test("re-anchoring is refused while anything else is wrong", arguments: Backend.all)
  func reanchorRefused(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    _ = try store.store(try forearmVersion(), expectedParent: 0)
    try FileManager.default.removeItem(atPath: store.anchorPath)
    try scratch.tamper("UPDATE audit_log SET outcome = 'refused'")
    #expect(throws: StoreError.self) { try store.reanchor(actor: "admin", reason: "x") }
    #expect(!FileManager.default.fileExists(atPath: store.anchorPath))
  }
}

@Suite("Store: API tokens")
struct APITokenTests {
  @Test("a token is shown once and kept as a hash; it authenticates until revoked; names are unique; each change is audited", arguments: Backend.all)
  func lifecycle(_ backend: Backend) throws {
    let scratch = try Scratch(backend)
    let store = try scratch.open()
    let (record, token) = try store.createToken(name: "lis", role: .interface, pathologist: nil, by: "admin")
    #expect(token.hasPrefix("syn_") && token.count == 47)
    #expect(record.active)
    #expect(try store.token(authenticating: token)?.name == "lis")
    #expect(try store.token(authenticating: token + "x") == nil)
    #expect(throws: StoreError.self) { try store.createToken(name: "lis", role: .interface, pathologist: nil, by: "admin") }
    #expect(throws: StoreError.self) { try store.createToken(name: "bad name", role: .interface, pathologist: nil, by: "admin") }
    #expect(throws: StoreError.self) { try store.createToken(name: "p", role: .pathologist, pathologist: nil, by: "admin") }
    // The database holds no token, only its SHA-256.
    let stored = try scratch.engine().read { try $0.rows("SELECT * FROM api_token") }
    #expect(!stored.isEmpty)
    #expect(stored.allSatisfy { !$0.values.contains(.text(token)) })
    if backend == .sqlite { #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.location)).range(of: Data(token.utf8)) == nil) }
    try store.revokeToken(name: "lis", by: "admin")
    #expect(try store.token(authenticating: token) == nil)
    #expect(throws: StoreError.self) { try store.revokeToken(name: "lis", by: "admin") }
    #expect(try store.tokens().first?.revokedAt != nil)
    #expect(try store.audit(nil).map(\.action) == ["token-create", "token-revoke"])
    #expect(try store.verify().intact)
  }
}
