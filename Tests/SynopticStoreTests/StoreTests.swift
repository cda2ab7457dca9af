import Foundation
import GRDB
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
    #expect(try store.appliedMigrations() == ["v1: versions, outputs, audit log, immutability", "v2: retraction, sealed ledger"])
    #expect(try store.accessions().isEmpty)
    // Opening again applies nothing twice.
    #expect(try openStore(store.path).appliedMigrations().count == 2)
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
