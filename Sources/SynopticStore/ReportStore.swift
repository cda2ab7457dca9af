import Crypto
import Foundation
import GRDB
import SynopticCore
import SynopticTemplates

/// One signed version of a report, as stored.
public struct StoredVersion: Sendable, Equatable {
  public var accession: String
  public var version: Int
  public var status: ReportStatus
  public var signedAt: String
  public var pathologist: String
  /// Amendment reason or addendum text.
  public var reason: String?
  public var templateId: String
  public var templateVersion: String
  public var caseSHA256: String
  public var documentSHA256: String
  /// SHA-256 of every stored format, by format name.
  public var outputs: [String: String]
  public var previousHash: String
  public var versionHash: String
}

public struct AuditEntry: Sendable, Equatable {
  public var id: Int64
  public var at: String
  public var actor: String?
  public var action: String
  public var accession: String?
  public var version: Int?
  public var outcome: String
  public var detail: String?
  public var command: String?
}

/// A problem `verify` found.
public struct VerificationProblem: Sendable, Equatable, CustomStringConvertible {
  public var accession: String
  public var version: Int
  public var message: String
  public var description: String { "\(accession) v\(version): \(message)" }
}

public enum StoreError: Error, Sendable, CustomStringConvertible {
  case alreadySigned(accession: String, version: Int)
  case notSigned(accession: String)
  case conflict(accession: String, expected: Int, found: Int)
  case unknownVersion(accession: String, version: Int)
  case database(String)

  public var description: String {
    switch self {
    case .alreadySigned(let a, let v):
      return "\(a) is already signed out (latest version \(v)); a correction is 'synoptic amend \(a) CASE --reason ...', new information is 'synoptic addendum \(a) --text ...'"
    case .notSigned(let a): return "\(a) has not been signed out; sign it out first with 'synoptic signout CASE --pathologist NAME'"
    case .conflict(let a, let e, let f):
      return "conflict: \(a) changed while this command ran (expected latest version \(e), found \(f)); nothing was stored, review version \(f) and run the command again"
    case .unknownVersion(let a, let v): return "\(a) has no version \(v)"
    case .database(let m): return "store error: \(m)"
    }
  }
}

/// An append-only SQLite store of signed report versions (GRDB, WAL mode).
public final class ReportStore: Sendable {
  /// Points inside the store's transactions where a caller may act: crash and
  /// concurrency tests stretch a write with them. Production code passes none.
  public struct Hooks: Sendable {
    /// Runs inside a version's transaction after each stored output.
    public var afterEachOutput: (@Sendable () -> Void)?
    public init(afterEachOutput: (@Sendable () -> Void)? = nil) { self.afterEachOutput = afterEachOutput }
  }

  let db: DatabaseQueue
  let hooks: Hooks
  public let path: String

  /// The default location: `SYNOPTIC_STORE`, else `$XDG_DATA_HOME/synoptic/store.sqlite`
  /// (`~/.local/share/synoptic/store.sqlite`).
  public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let p = environment["SYNOPTIC_STORE"], !p.isEmpty { return p }
    let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share")
    return base + "/synoptic/store.sqlite"
  }

  public init(path: String, hooks: Hooks = Hooks()) throws(StoreError) {
    self.path = path
    self.hooks = hooks
    do {
      try FileManager.default.createDirectory(
        at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
      var config = Configuration()
      // Another process holding the write lock makes us wait, not fail.
      config.busyMode = .timeout(15)
      config.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
      db = try DatabaseQueue(path: path, configuration: config)
      _ = try db.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
      try Self.migrator.migrate(db)
    } catch {
      throw .database("\(path): \(error)")
    }
  }

  /// Schema versions. Never edit a registered migration: add a new one.
  static var migrator: DatabaseMigrator {
    var m = DatabaseMigrator()
    m.registerMigration("v1: versions, outputs, audit log, immutability") { db in
      try db.execute(sql: """
        CREATE TABLE report_version (
          accession TEXT NOT NULL,
          version INTEGER NOT NULL CHECK (version >= 1),
          status TEXT NOT NULL CHECK (status IN ('final', 'amended', 'appended')),
          signed_at TEXT NOT NULL,
          pathologist TEXT NOT NULL,
          reason TEXT,
          template_id TEXT NOT NULL,
          template_version TEXT NOT NULL,
          case_source BLOB NOT NULL,
          case_sha256 TEXT NOT NULL,
          document_json BLOB NOT NULL,
          document_sha256 TEXT NOT NULL,
          previous_hash TEXT NOT NULL,
          version_hash TEXT NOT NULL,
          command TEXT,
          PRIMARY KEY (accession, version)
        );
        CREATE TABLE report_output (
          accession TEXT NOT NULL,
          version INTEGER NOT NULL,
          format TEXT NOT NULL,
          bytes BLOB NOT NULL,
          sha256 TEXT NOT NULL,
          PRIMARY KEY (accession, version, format),
          FOREIGN KEY (accession, version) REFERENCES report_version (accession, version)
        );
        CREATE TABLE audit_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          at TEXT NOT NULL,
          actor TEXT,
          action TEXT NOT NULL,
          accession TEXT,
          version INTEGER,
          outcome TEXT NOT NULL,
          detail TEXT,
          command TEXT
        );
        CREATE INDEX audit_log_accession ON audit_log (accession);
        CREATE TRIGGER report_version_immutable_update BEFORE UPDATE ON report_version
          BEGIN SELECT RAISE(ABORT, 'signed report versions cannot be changed'); END;
        CREATE TRIGGER report_version_immutable_delete BEFORE DELETE ON report_version
          BEGIN SELECT RAISE(ABORT, 'signed report versions cannot be deleted'); END;
        CREATE TRIGGER report_output_immutable_update BEFORE UPDATE ON report_output
          BEGIN SELECT RAISE(ABORT, 'stored report outputs cannot be changed'); END;
        CREATE TRIGGER report_output_immutable_delete BEFORE DELETE ON report_output
          BEGIN SELECT RAISE(ABORT, 'stored report outputs cannot be deleted'); END;
        CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """)
    }
    return m
  }

  /// Schema migrations applied, oldest first.
  public func appliedMigrations() throws -> [String] {
    try db.read { try Self.migrator.appliedMigrations($0) }
  }

  // MARK: hashing

  public static func sha256(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
  }

  /// The hash that seals a version: its metadata, the hashes of the case, the
  /// document and every output, and the previous version's hash.
  static func versionHash(
    accession: String, version: Int, status: String, signedAt: String, pathologist: String, reason: String?,
    templateId: String, templateVersion: String, caseSHA: String, documentSHA: String, outputs: [String: String], previous: String
  ) -> String {
    var fields: [(String, String)] = [
      ("scheme", "synoptic-version-1"), ("accession", accession), ("version", String(version)), ("status", status),
      ("signed_at", signedAt), ("pathologist", pathologist), ("reason", reason ?? ""), ("template_id", templateId),
      ("template_version", templateVersion), ("case", caseSHA), ("document", documentSHA),
    ]
    fields += outputs.sorted { $0.key < $1.key }.map { ("output:\($0.key)", $0.value) }
    fields.append(("previous", previous))
    // Length-prefixed, so no value can imitate a field boundary.
    let canonical = fields.map { "\($0.0)=\($0.1.utf8.count):\($0.1)\n" }.joined()
    return sha256(Data(canonical.utf8))
  }

  // MARK: writing

  /// What a new version stores.
  public struct NewVersion: Sendable {
    public var document: ReportDocument
    public var caseSource: Data
    public var outputs: [String: Data]
    public var pathologist: String
    public var signedAt: String
    public var reason: String?
    public var command: String?

    public init(document: ReportDocument, caseSource: Data, outputs: [String: Data], pathologist: String, signedAt: String, reason: String?, command: String?) {
      self.document = document
      self.caseSource = caseSource
      self.outputs = outputs
      self.pathologist = pathologist
      self.signedAt = signedAt
      self.reason = reason
      self.command = command
    }
  }

  static let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
  }()

  /// Stores a new version in one transaction: version `expectedParent + 1`
  /// (1 for a sign-out, `expectedParent` 0). Fails with a conflict when another
  /// process stored a version meanwhile; then nothing is written.
  public func store(_ new: NewVersion, expectedParent: Int) throws(StoreError) -> StoredVersion {
    let doc = new.document
    let version = expectedParent + 1
    let documentData: Data
    do { documentData = try Self.encoder.encode(doc) } catch { throw .database("cannot encode the report: \(error)") }
    let outputHashes = new.outputs.mapValues(Self.sha256)
    let caseSHA = Self.sha256(new.caseSource)
    let documentSHA = Self.sha256(documentData)
    do {
      return try db.write { db -> StoredVersion in
        let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM report_version WHERE accession = ?", arguments: [doc.accession]) ?? 0
        if latest != expectedParent {
          if expectedParent == 0 { throw StoreError.alreadySigned(accession: doc.accession, version: latest) }
          throw StoreError.conflict(accession: doc.accession, expected: expectedParent, found: latest)
        }
        let previous = try String.fetchOne(
          db, sql: "SELECT version_hash FROM report_version WHERE accession = ? AND version = ?",
          arguments: [doc.accession, expectedParent]) ?? ""
        let hash = Self.versionHash(
          accession: doc.accession, version: version, status: doc.status.rawValue, signedAt: new.signedAt,
          pathologist: new.pathologist, reason: new.reason, templateId: doc.templateId, templateVersion: doc.templateVersion,
          caseSHA: caseSHA, documentSHA: documentSHA, outputs: outputHashes, previous: previous)
        try db.execute(sql: """
          INSERT INTO report_version (accession, version, status, signed_at, pathologist, reason, template_id,
            template_version, case_source, case_sha256, document_json, document_sha256, previous_hash, version_hash, command)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """, arguments: [
            doc.accession, version, doc.status.rawValue, new.signedAt, new.pathologist, new.reason, doc.templateId,
            doc.templateVersion, new.caseSource, caseSHA, documentData, documentSHA, previous, hash, new.command,
          ])
        for (format, bytes) in new.outputs.sorted(by: { $0.key < $1.key }) {
          try db.execute(
            sql: "INSERT INTO report_output (accession, version, format, bytes, sha256) VALUES (?, ?, ?, ?, ?)",
            arguments: [doc.accession, version, format, bytes, outputHashes[format]])
          hooks.afterEachOutput?()
        }
        try Self.insertAudit(db, actor: new.pathologist, action: Self.action(doc.status), accession: doc.accession,
                             version: version, outcome: "ok", detail: new.reason, command: new.command)
        return StoredVersion(
          accession: doc.accession, version: version, status: doc.status, signedAt: new.signedAt, pathologist: new.pathologist,
          reason: new.reason, templateId: doc.templateId, templateVersion: doc.templateVersion, caseSHA256: caseSHA,
          documentSHA256: documentSHA, outputs: outputHashes, previousHash: previous, versionHash: hash)
      }
    } catch let e as StoreError {
      throw e
    } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
      // Two writers raced for the same version number: the primary key decided.
      throw .conflict(accession: doc.accession, expected: expectedParent, found: version)
    } catch {
      throw .database("\(error)")
    }
  }

  static func action(_ s: ReportStatus) -> String {
    switch s {
    case .final, .draft: return "signout"
    case .amended: return "amend"
    case .appended: return "addendum"
    }
  }

  static func insertAudit(
    _ db: Database, actor: String?, action: String, accession: String?, version: Int?, outcome: String, detail: String?, command: String?
  ) throws {
    try db.execute(
      sql: "INSERT INTO audit_log (at, actor, action, accession, version, outcome, detail, command) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      arguments: [Self.now(), actor, action, accession, version, outcome, detail, command])
  }

  /// Records an attempt that stored nothing (refused or failed), in its own transaction.
  public func recordAttempt(actor: String?, action: String, accession: String?, outcome: String, detail: String, command: String?) {
    try? db.write { db in
      try Self.insertAudit(db, actor: actor, action: action, accession: accession, version: nil, outcome: outcome, detail: detail, command: command)
    }
  }

  static func now() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date())
  }

  // MARK: reading

  static func version(_ row: Row, outputs: [String: String]) -> StoredVersion {
    StoredVersion(
      accession: row["accession"], version: row["version"], status: ReportStatus(rawValue: row["status"]) ?? .final,
      signedAt: row["signed_at"], pathologist: row["pathologist"], reason: row["reason"], templateId: row["template_id"],
      templateVersion: row["template_version"], caseSHA256: row["case_sha256"], documentSHA256: row["document_sha256"],
      outputs: outputs, previousHash: row["previous_hash"], versionHash: row["version_hash"])
  }

  func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
    do { return try db.read(body) } catch let e as StoreError { throw e } catch { throw .database("\(error)") }
  }

  public func history(_ accession: String) throws(StoreError) -> [StoredVersion] {
    try read { db in
      let rows = try Row.fetchAll(db, sql: "SELECT * FROM report_version WHERE accession = ? ORDER BY version", arguments: [accession])
      return try rows.map { row in
        let outs = try Row.fetchAll(
          db, sql: "SELECT format, sha256 FROM report_output WHERE accession = ? AND version = ?",
          arguments: [accession, row["version"] as Int])
        return Self.version(row, outputs: Dictionary(uniqueKeysWithValues: outs.map { ($0["format"] as String, $0["sha256"] as String) }))
      }
    }
  }

  public func latest(_ accession: String) throws(StoreError) -> StoredVersion? { try history(accession).last }

  public func accessions() throws(StoreError) -> [String] {
    try read { try String.fetchAll($0, sql: "SELECT DISTINCT accession FROM report_version ORDER BY accession") }
  }

  /// Exactly the bytes stored for one format of one version.
  public func output(_ accession: String, version: Int, format: String) throws(StoreError) -> Data? {
    try read {
      try Data.fetchOne($0, sql: "SELECT bytes FROM report_output WHERE accession = ? AND version = ? AND format = ?",
                        arguments: [accession, version, format])
    }
  }

  public func document(_ accession: String, version: Int) throws(StoreError) -> ReportDocument {
    let data: Data? = try read {
      try Data.fetchOne($0, sql: "SELECT document_json FROM report_version WHERE accession = ? AND version = ?", arguments: [accession, version])
    }
    guard let data else { throw .unknownVersion(accession: accession, version: version) }
    do { return try JSONDecoder().decode(ReportDocument.self, from: data) } catch { throw .database("stored report cannot be read: \(error)") }
  }

  public func caseSource(_ accession: String, version: Int) throws(StoreError) -> Data {
    let data: Data? = try read {
      try Data.fetchOne($0, sql: "SELECT case_source FROM report_version WHERE accession = ? AND version = ?", arguments: [accession, version])
    }
    guard let data else { throw .unknownVersion(accession: accession, version: version) }
    return data
  }

  public func audit(_ accession: String?) throws(StoreError) -> [AuditEntry] {
    try read { db in
      let rows = try accession.map {
        try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE accession = ? ORDER BY id", arguments: [$0])
      } ?? Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id")
      return rows.map {
        AuditEntry(id: $0["id"], at: $0["at"], actor: $0["actor"], action: $0["action"], accession: $0["accession"],
                   version: $0["version"], outcome: $0["outcome"], detail: $0["detail"], command: $0["command"])
      }
    }
  }

  // MARK: verification

  /// Recomputes every hash and the chain; an empty list means intact.
  public func verify(_ accession: String? = nil) throws(StoreError) -> [VerificationProblem] {
    try read { db in
      var problems: [VerificationProblem] = []
      let accessions = try accession.map { [$0] } ?? String.fetchAll(db, sql: "SELECT DISTINCT accession FROM report_version ORDER BY accession")
      for acc in accessions {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM report_version WHERE accession = ? ORDER BY version", arguments: [acc])
        var previous = ""
        for (i, row) in rows.enumerated() {
          let v: Int = row["version"]
          func problem(_ m: String) { problems.append(VerificationProblem(accession: acc, version: v, message: m)) }
          if v != i + 1 { problem("version numbers are not consecutive (expected \(i + 1))") }
          let caseData: Data = row["case_source"]
          let documentData: Data = row["document_json"]
          if Self.sha256(caseData) != row["case_sha256"] as String { problem("the stored case does not match its SHA-256") }
          if Self.sha256(documentData) != row["document_sha256"] as String { problem("the stored report document does not match its SHA-256") }
          var outputs: [String: String] = [:]
          for o in try Row.fetchAll(db, sql: "SELECT format, bytes, sha256 FROM report_output WHERE accession = ? AND version = ?", arguments: [acc, v]) {
            let format: String = o["format"]
            let bytes: Data = o["bytes"]
            let actual = Self.sha256(bytes)
            if actual != o["sha256"] as String { problem("the stored \(format) output does not match its SHA-256") }
            outputs[format] = o["sha256"] as String
          }
          let stored: String = row["previous_hash"]
          if stored != previous { problem("the chain is broken: previous hash does not match version \(v - 1)") }
          let expected = Self.versionHash(
            accession: acc, version: v, status: row["status"], signedAt: row["signed_at"], pathologist: row["pathologist"],
            reason: row["reason"], templateId: row["template_id"], templateVersion: row["template_version"],
            caseSHA: Self.sha256(caseData), documentSHA: Self.sha256(documentData), outputs: outputs, previous: stored)
          if expected != row["version_hash"] as String { problem("the version hash does not match the stored content") }
          previous = row["version_hash"]
        }
      }
      return problems
    }
  }
}
