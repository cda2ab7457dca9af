import Crypto
import Foundation
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

/// A problem `verify` found: what it concerns (`S21-1 v2`, `audit #7`,
/// `ledger #12`, `anchor`) and what is wrong.
public struct VerificationProblem: Sendable, Equatable, CustomStringConvertible {
  public var subject: String
  public var message: String
  public init(subject: String, message: String) {
    self.subject = subject
    self.message = message
  }
  public var description: String { "\(subject): \(message)" }
}

public enum StoreError: Error, Sendable, CustomStringConvertible {
  case alreadySigned(accession: String, version: Int)
  case notSigned(accession: String)
  case conflict(accession: String, expected: Int, found: Int)
  /// A draft saved over a revision that is no longer the latest.
  case draftConflict(accession: String, expected: Int?, found: Int?)
  case unknownVersion(accession: String, version: Int)
  /// The store file does not exist (a reader creates nothing).
  case missing(path: String)
  case key(String)
  case anchor(String)
  case database(String)

  public var description: String {
    switch self {
    case .alreadySigned(let a, let v):
      return "\(a) is already signed out (latest version \(v)); a correction is 'synoptic amend \(a) CASE --reason ...', new information is 'synoptic addendum \(a) --text ...'"
    case .notSigned(let a): return "\(a) has not been signed out; sign it out first with 'synoptic signout CASE --pathologist NAME'"
    case .conflict(let a, let e, let f):
      return "conflict: \(a) changed while this command ran (expected latest version \(e), found \(f)); nothing was stored, review version \(f) and run the command again"
    case .unknownVersion(let a, let v): return "\(a) has no version \(v)"
    case .draftConflict(let a, let e, let f):
      return "the draft of \(a) is at \(f.map { "revision \($0)" } ?? "no revision (there is none)"), not \(e.map { "revision \($0)" } ?? "new"): it was saved meanwhile; reload it and apply your change again"
    case .missing(let p): return "\(p): no report store there (check --store or SYNOPTIC_STORE)"
    case .key(let m): return "store key: \(m)"
    case .anchor(let m): return "store anchor: \(m)"
    case .database(let m): return "store error: \(m)"
    }
  }
}

/// An append-only store of signed report versions, on SQLite (embedded) or
/// PostgreSQL (several instances on one database); see ``StoreDatabase``.
///
/// Every version and every audit entry is also an entry of one ledger: a hash
/// chain whose entries are sealed with a key kept outside the store
/// (``StoreKey``), and whose head is written after each write to an anchor
/// file outside the database (``StoreAnchor``). Triggers refuse updates and
/// deletes; `verify` finds what goes around them.
public final class ReportStore: Sendable {
  /// Points inside the store's transactions where a caller may act: crash and
  /// concurrency tests stretch a write with them. Production code passes none.
  public struct Hooks: Sendable {
    /// Runs inside a version's transaction after each stored output.
    public var afterEachOutput: (@Sendable () -> Void)?
    public init(afterEachOutput: (@Sendable () -> Void)? = nil) { self.afterEachOutput = afterEachOutput }
  }

  let database: any StoreDatabase
  let hooks: Hooks
  /// The store as given: a file path, or a `postgres://` URL (which never holds a password).
  public let path: String
  public let keyPath: String
  public let anchorPath: String
  /// Nil only for a reader that found no key: then seals cannot be checked.
  let key: StoreKey?
  public let readOnly: Bool

  /// The default location: `SYNOPTIC_STORE`, else `$XDG_DATA_HOME/synoptic/store.sqlite`
  /// (`~/.local/share/synoptic/store.sqlite`).
  public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let p = environment["SYNOPTIC_STORE"], !p.isEmpty { return p }
    let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share")
    return base + "/synoptic/store.sqlite"
  }

  /// Whether a store location names a PostgreSQL database rather than a file.
  public static func isPostgres(_ path: String) -> Bool {
    path.hasPrefix("postgres://") || path.hasPrefix("postgresql://")
  }

  /// Opens a store for writing, creating it, its key and its schema when needed.
  /// `keyPath` and `anchorPath` default as ``StoreKey`` and ``StoreAnchor`` say.
  public init(path: String, keyPath: String? = nil, anchorPath: String? = nil, hooks: Hooks = Hooks()) throws(StoreError) {
    self.path = path
    self.hooks = hooks
    self.readOnly = false
    self.keyPath = keyPath ?? StoreKey.defaultPath()
    self.anchorPath = anchorPath ?? StoreAnchor.defaultPath(store: path)
    guard let key = try StoreKey.load(self.keyPath, create: true) else { throw .key("\(self.keyPath): no store key") }
    self.key = key
    do {
      database = Self.isPostgres(path) ? try PostgresStoreDatabase(url: path) : try SQLiteStoreDatabase(path: path)
    } catch let e as StoreError {
      throw e
    } catch {
      throw .database("\(PostgresStoreDatabase.redacted(path)): \(error)")
    }
    try migrate()
  }

  /// Opens an existing store for reading only: nothing is created or changed,
  /// and a read-only copy of a store can be read.
  public init(readingOnly path: String, keyPath: String? = nil, anchorPath: String? = nil) throws(StoreError) {
    self.path = path
    self.hooks = Hooks()
    self.readOnly = true
    self.keyPath = keyPath ?? StoreKey.defaultPath()
    self.anchorPath = anchorPath ?? StoreAnchor.defaultPath(store: path)
    if !Self.isPostgres(path) {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { throw .missing(path: path) }
    }
    key = try StoreKey.load(self.keyPath, create: false)
    do {
      database = Self.isPostgres(path) ? try PostgresStoreDatabase(url: path) : try SQLiteStoreDatabase(readingOnly: path)
    } catch let e as StoreError {
      throw e
    } catch {
      throw .database("\(PostgresStoreDatabase.redacted(path)): \(error)")
    }
  }

  /// Applies the schema, and makes the anchor when there is none: from the
  /// store's first open (an empty ledger has nothing to hide), at the head of
  /// a ledger sealed just now (an upgrade), and on PostgreSQL at the head an
  /// instance first sees (each instance keeps its own anchor; see ``StoreAnchor``).
  private func migrate() throws(StoreError) {
    do {
      let sealedNow = try database.migrate(key: key)
      if let key, !FileManager.default.fileExists(atPath: anchorPath) {
        if let head = try ledgerHead() {
          if sealedNow || database.isShared { try head.advance(anchorPath, key: key, create: true) }
        } else {
          try StoreAnchor.genesis.advance(anchorPath, key: key, create: true)
        }
      }
    } catch let e as StoreError {
      throw e
    } catch {
      throw .database("\(database.description): \(error)")
    }
  }

  /// The migration names of the embedded store, oldest first.
  public static var migrationNames: [String] { SQLiteStoreDatabase.migrationNames }

  /// The newest ledger entry, or nil for an empty ledger.
  func ledgerHead() throws -> StoreAnchor? {
    try database.read { db in
      guard let row = try db.row("SELECT seq, chain_hash FROM ledger ORDER BY seq DESC LIMIT 1") else { return nil }
      return StoreAnchor(entry: try row.decode(forColumn: "seq"), chain: try row.decode(forColumn: "chain_hash"))
    }
  }

  /// Writes a new anchor at the ledger's head when the anchor file is lost
  /// and nothing else is wrong, and audits it. An anchor that exists is
  /// evidence and is never replaced: move it away deliberately first.
  public func reanchor(actor: String, reason: String) throws(StoreError) -> StoreAnchor {
    let key = try writingKey()
    if FileManager.default.fileExists(atPath: anchorPath) {
      throw .anchor("\(anchorPath) exists; an anchor is never replaced (move it away first if it is known to be wrong)")
    }
    let v = try verify()
    let other = v.problems.filter { $0.subject != "anchor" }
    if !other.isEmpty {
      throw .anchor("not re-anchored: the store has \(other.count) problem(s) besides its missing anchor; run 'synoptic verify'")
    }
    let head: StoreAnchor
    do {
      head = try database.write { db in
        try Self.insertAudit(db, key: key, actor: actor, action: "reanchor", accession: nil, version: nil, outcome: "ok", detail: reason, command: nil)
      }
    } catch {
      throw .database("cannot record the re-anchoring: \(error)")
    }
    try head.advance(anchorPath, key: key, create: true)
    return head
  }

  /// Schema migrations applied, oldest first.
  public func appliedMigrations() throws -> [String] {
    try database.appliedMigrations()
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
    return Ledger.sha256(Ledger.canonical(fields))
  }

  /// The ledger entry hash of an audit row, from the row as stored.
  static func auditHash(_ row: StoreRow) throws -> String {
    Ledger.auditEntry(
      id: try row.decode(forColumn: "id"), at: try row.decode(forColumn: "at"), actor: try row.decode(forColumn: "actor"),
      action: try row.decode(forColumn: "action"), accession: try row.decode(forColumn: "accession"),
      version: try row.decode(forColumn: "version"), outcome: try row.decode(forColumn: "outcome"),
      detail: try row.decode(forColumn: "detail"), command: try row.decode(forColumn: "command"))
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
    /// Where the version is to be delivered: (destination, format) pairs,
    /// queued in the outbox in the version's transaction.
    public var deliveries: [(destination: String, format: String)]
    /// The draft this version was signed from, at the revision that was
    /// signed: removed in the version's transaction (a newer save is a conflict).
    public var fromDraft: Int?

    public init(
      document: ReportDocument, caseSource: Data, outputs: [String: Data], pathologist: String, signedAt: String, reason: String?, command: String?,
      deliveries: [(destination: String, format: String)] = [], fromDraft: Int? = nil
    ) {
      self.fromDraft = fromDraft
      self.document = document
      self.caseSource = caseSource
      self.outputs = outputs
      self.pathologist = pathologist
      self.signedAt = signedAt
      self.reason = reason
      self.command = command
      self.deliveries = deliveries
    }
  }

  static let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
  }()

  func writingKey() throws(StoreError) -> StoreKey {
    guard !readOnly, let key else { throw .database("\(path): the store is open for reading only") }
    return key
  }

  /// Stores a new version in one transaction: version `expectedParent + 1`
  /// (1 for a sign-out, `expectedParent` 0). Fails with a conflict when another
  /// process stored a version meanwhile; then nothing is written.
  public func store(_ new: NewVersion, expectedParent: Int) throws(StoreError) -> StoredVersion {
    let key = try writingKey()
    let doc = new.document
    let version = expectedParent + 1
    let documentData: Data
    do { documentData = try Self.encoder.encode(doc) } catch { throw .database("cannot encode the report: \(error)") }
    let outputHashes = new.outputs.mapValues(Self.sha256)
    let caseSHA = Self.sha256(new.caseSource)
    let documentSHA = Self.sha256(documentData)
    let stored: (StoredVersion, StoreAnchor)
    do {
      stored = try database.write { db -> (StoredVersion, StoreAnchor) in
        let latest = try db.value(as: Int.self, "SELECT MAX(version) FROM report_version WHERE accession = ?", [doc.accession]) ?? 0
        if latest != expectedParent {
          if expectedParent == 0 { throw StoreError.alreadySigned(accession: doc.accession, version: latest) }
          throw StoreError.conflict(accession: doc.accession, expected: expectedParent, found: latest)
        }
        if let revision = new.fromDraft {
          let current = try db.value(as: Int.self, "SELECT revision FROM draft WHERE accession = ?", [doc.accession])
          guard current == revision else { throw StoreError.draftConflict(accession: doc.accession, expected: revision, found: current) }
          try db.execute("DELETE FROM draft WHERE accession = ?", [doc.accession])
        }
        let previous = try db.value(
          as: String.self, "SELECT version_hash FROM report_version WHERE accession = ? AND version = ?", [doc.accession, expectedParent]) ?? ""
        let hash = Self.versionHash(
          accession: doc.accession, version: version, status: doc.status.rawValue, signedAt: new.signedAt,
          pathologist: new.pathologist, reason: new.reason, templateId: doc.templateId, templateVersion: doc.templateVersion,
          caseSHA: caseSHA, documentSHA: documentSHA, outputs: outputHashes, previous: previous)
        try db.execute("""
          INSERT INTO report_version (accession, version, status, signed_at, pathologist, reason, template_id,
            template_version, case_source, case_sha256, document_json, document_sha256, previous_hash, version_hash, command)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """, [
            doc.accession, version, doc.status.rawValue, new.signedAt, new.pathologist, new.reason, doc.templateId,
            doc.templateVersion, new.caseSource, caseSHA, documentData, documentSHA, previous, hash, new.command,
          ])
        try db.execute("""
          INSERT INTO report_latest (accession, version, status, signed_at, pathologist, template_id, template_version, patient_name, patient_folded)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (accession) DO UPDATE SET version = excluded.version, status = excluded.status, signed_at = excluded.signed_at,
            pathologist = excluded.pathologist, template_id = excluded.template_id, template_version = excluded.template_version,
            patient_name = excluded.patient_name, patient_folded = excluded.patient_folded
          """, [doc.accession, version, doc.status.rawValue, new.signedAt, new.pathologist, doc.templateId, doc.templateVersion,
                doc.patient.name, doc.patient.name?.lowercased()])
        for (format, bytes) in new.outputs.sorted(by: { $0.key < $1.key }) {
          try db.execute("INSERT INTO report_output (accession, version, format, bytes, sha256) VALUES (?, ?, ?, ?, ?)", [doc.accession, version, format, bytes, outputHashes[format]])
          hooks.afterEachOutput?()
        }
        _ = try Self.appendLedger(
          db, key: key, kind: "version", accession: doc.accession, version: version, auditId: nil,
          entry: Ledger.versionEntry(versionHash: hash, command: new.command))
        let queuedAt = Self.now()
        for d in new.deliveries {
          try db.execute("""
              INSERT INTO outbox (accession, version, destination, format, status, next_attempt_at, created_at, updated_at)
              VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)
              """, [doc.accession, version, d.destination, d.format, queuedAt, queuedAt, queuedAt])
        }
        let head = try Self.insertAudit(
          db, key: key, actor: new.pathologist, action: Self.action(doc.status), accession: doc.accession,
          version: version, outcome: "ok", detail: new.reason, command: new.command)
        let v = StoredVersion(
          accession: doc.accession, version: version, status: doc.status, signedAt: new.signedAt, pathologist: new.pathologist,
          reason: new.reason, templateId: doc.templateId, templateVersion: doc.templateVersion, caseSHA256: caseSHA,
          documentSHA256: documentSHA, outputs: outputHashes, previousHash: previous, versionHash: hash)
        return (v, head)
      }
    } catch let e as StoreError {
      throw e
    } catch StoreDatabaseError.constraint {
      // Two writers raced for the same version number: the primary key decided.
      throw .conflict(accession: doc.accession, expected: expectedParent, found: version)
    } catch {
      throw .database("\(error)")
    }
    do throws(StoreError) {
      try stored.1.advance(anchorPath, key: key)
    } catch {
      throw .anchor("\(doc.accession) version \(version) is stored, but the anchor was not moved (\(error)); 'synoptic verify' reports it until a later write moves it")
    }
    return stored.0
  }

  static func action(_ s: ReportStatus) -> String {
    switch s {
    case .final, .draft: return "signout"
    case .amended: return "amend"
    case .appended: return "addendum"
    case .retracted: return "retract"
    }
  }

  /// Appends a ledger entry after the newest; returns the new head.
  static func appendLedger(
    _ db: any StoreConnection, key: StoreKey, kind: String, accession: String?, version: Int?, auditId: Int64?, entry: String
  ) throws -> StoreAnchor {
    let last = try db.row("SELECT seq, chain_hash FROM ledger ORDER BY seq DESC LIMIT 1")
    let seq: Int64 = (try last?.decode(Int64.self, forColumn: "seq") ?? 0) + 1
    let previous: String = try last?.decode(String.self, forColumn: "chain_hash") ?? ""
    let chain = Ledger.chain(seq: seq, kind: kind, entry: entry, previous: previous)
    try db.execute("INSERT INTO ledger (seq, kind, accession, version, audit_id, entry_hash, chain_hash, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [seq, kind, accession, version, auditId, entry, chain, key.seal(chain)])
    return StoreAnchor(entry: seq, chain: chain)
  }

  /// Adds an audit entry and its ledger entry; returns the new head.
  static func insertAudit(
    _ db: any StoreConnection, key: StoreKey, actor: String?, action: String, accession: String?, version: Int?, outcome: String, detail: String?,
    command: String?
  ) throws -> StoreAnchor {
    // SQLite hands text back only up to a NUL and PostgreSQL refuses one, so a
    // NUL in a refused request's text would make the row read back differently
    // from what was sealed, or not be written at all.
    func storable(_ s: String?) -> String? { s.map { $0.contains("\u{0}") ? $0.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : $0 } }
    let (actor, accession, detail, command) = (storable(actor), storable(accession), storable(detail), storable(command))
    let action = storable(action) ?? action
    let at = Self.now()
    let inserted = try db.value(
      as: Int64.self,
      "INSERT INTO audit_log (at, actor, action, accession, version, outcome, detail, command) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      [at, actor, action, accession, version, outcome, detail, command])
    guard let id = inserted else { throw StoreDatabaseError.failed("the audit entry was not given an id") }
    let entry = Ledger.auditEntry(
      id: id, at: at, actor: actor, action: action, accession: accession, version: version, outcome: outcome, detail: detail, command: command)
    return try appendLedger(db, key: key, kind: "audit", accession: nil, version: nil, auditId: id, entry: entry)
  }

  /// Runs a change and its audit entry in one transaction, then advances the anchor.
  func writeAudited(
    actor: String, action: String, outcome: String = "ok", detail: String, command: String? = nil, _ change: (any StoreConnection) throws -> Void
  ) throws(StoreError) {
    let key = try writingKey()
    let head: StoreAnchor
    do {
      head = try database.write { db in
        try change(db)
        return try Self.insertAudit(db, key: key, actor: actor, action: action, accession: nil, version: nil, outcome: outcome, detail: detail, command: command)
      }
    } catch let e as StoreError {
      throw e
    } catch {
      throw .database("\(error)")
    }
    try head.advance(anchorPath, key: key)
  }

  /// Records an attempt that stored nothing (refused or failed), in its own transaction.
  /// Throws when the attempt could not be recorded.
  public func recordAttempt(actor: String?, action: String, accession: String?, outcome: String, detail: String, command: String?) throws(StoreError) {
    let key = try writingKey()
    let head: StoreAnchor
    do {
      head = try database.write { db in
        try Self.insertAudit(db, key: key, actor: actor, action: action, accession: accession, version: nil, outcome: outcome, detail: detail, command: command)
      }
    } catch {
      throw .database("cannot record the attempt in the audit log: \(error)")
    }
    try head.advance(anchorPath, key: key)
  }

  static func now() -> String { timestamp(Date()) }

  /// A time as the store writes it: UTC with milliseconds, so that text order is time order.
  public static func timestamp(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: date)
  }

  // MARK: reading

  /// A row's `status` column as a report status; an unknown word is a damaged store.
  static func status(_ row: StoreRow) throws -> ReportStatus {
    let status: String = try row.decode(forColumn: "status")
    guard let s = ReportStatus(rawValue: status) else { throw StoreError.database("a stored version has the unknown status '\(status)'") }
    return s
  }

  static func version(_ row: StoreRow, outputs: [String: String]) throws -> StoredVersion {
    StoredVersion(
      accession: try row.decode(forColumn: "accession"), version: try row.decode(forColumn: "version"), status: try status(row),
      signedAt: try row.decode(forColumn: "signed_at"), pathologist: try row.decode(forColumn: "pathologist"),
      reason: try row.decode(forColumn: "reason"), templateId: try row.decode(forColumn: "template_id"),
      templateVersion: try row.decode(forColumn: "template_version"), caseSHA256: try row.decode(forColumn: "case_sha256"),
      documentSHA256: try row.decode(forColumn: "document_sha256"), outputs: outputs,
      previousHash: try row.decode(forColumn: "previous_hash"), versionHash: try row.decode(forColumn: "version_hash"))
  }

  func read<T>(_ body: (any StoreConnection) throws -> T) throws(StoreError) -> T {
    do { return try database.read(body) } catch let e as StoreError { throw e } catch { throw .database("\(error)") }
  }

  public func history(_ accession: String) throws(StoreError) -> [StoredVersion] {
    try read { db in
      let rows = try db.rows("SELECT accession, version, status, signed_at, pathologist, reason, template_id, template_version, case_sha256, document_sha256, previous_hash, version_hash FROM report_version WHERE accession = ? ORDER BY version", [accession])
      return try rows.map { row in
        let outs = try db.rows("SELECT format, sha256 FROM report_output WHERE accession = ? AND version = ?", [accession, try row.decode(Int.self, forColumn: "version")])
        var hashes: [String: String] = [:]
        for o in outs { hashes[try o.decode(String.self, forColumn: "format")] = try o.decode(String.self, forColumn: "sha256") }
        return try Self.version(row, outputs: hashes)
      }
    }
  }

  public func latest(_ accession: String) throws(StoreError) -> StoredVersion? { try history(accession).last }

  /// The newest version of each accession, most recently signed first, up to
  /// `limit`; with `search`, only those whose accession or patient name
  /// contains it (any case). Read from the worklist table (one row per
  /// accession, in signature order), not the documents, so its cost does not
  /// grow with the store.
  public func latestReports(limit: Int, matching search: String? = nil) throws(StoreError) -> [ReportSummary] {
    var sql = """
      SELECT accession, version, status, signed_at, pathologist, template_id, template_version, patient_name FROM report_latest
      """
    var arguments: [any SQLArgument] = []
    if let search, !search.isEmpty {
      let pattern = "%" + search.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
      sql += " WHERE (lower(accession) LIKE ? ESCAPE '\\' OR patient_folded LIKE ? ESCAPE '\\')"
      arguments += [pattern, pattern]
    }
    sql += " ORDER BY signed_at DESC, accession DESC LIMIT ?"
    arguments.append(max(0, limit))
    return try read { db in
      try db.rows(sql, arguments).map { row in
        ReportSummary(
          accession: try row.decode(forColumn: "accession"), version: try row.decode(forColumn: "version"), status: try Self.status(row),
          signedAt: try row.decode(forColumn: "signed_at"), pathologist: try row.decode(forColumn: "pathologist"),
          templateId: try row.decode(forColumn: "template_id"), templateVersion: try row.decode(forColumn: "template_version"),
          patientName: try row.decode(forColumn: "patient_name"))
      }
    }
  }

  /// The patient's name in a stored document's JSON, for the worklist index.
  static func patientName(inDocument data: Data) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let patient = object["patient"] as? [String: Any]
    else { return nil }
    return patient["name"] as? String
  }

  public func accessions() throws(StoreError) -> [String] {
    try read { try $0.values(as: String.self, "SELECT DISTINCT accession FROM report_version ORDER BY accession") }
  }

  /// Exactly the bytes stored for one format of one version.
  public func output(_ accession: String, version: Int, format: String) throws(StoreError) -> Data? {
    try read {
      try $0.value(as: Data.self, "SELECT bytes FROM report_output WHERE accession = ? AND version = ? AND format = ?", [accession, version, format])
    }
  }

  public func document(_ accession: String, version: Int) throws(StoreError) -> ReportDocument {
    let data: Data? = try read {
      try $0.value(as: Data.self, "SELECT document_json FROM report_version WHERE accession = ? AND version = ?", [accession, version])
    }
    guard let data else { throw .unknownVersion(accession: accession, version: version) }
    do { return try JSONDecoder().decode(ReportDocument.self, from: data) } catch { throw .database("stored report cannot be read: \(error)") }
  }

  public func caseSource(_ accession: String, version: Int) throws(StoreError) -> Data {
    let data: Data? = try read {
      try $0.value(as: Data.self, "SELECT case_source FROM report_version WHERE accession = ? AND version = ?", [accession, version])
    }
    guard let data else { throw .unknownVersion(accession: accession, version: version) }
    return data
  }

  public func audit(_ accession: String?) throws(StoreError) -> [AuditEntry] {
    try audit(AuditFilter(accession: accession))
  }

  /// Audit entries matching every condition given, oldest first.
  public func audit(_ filter: AuditFilter) throws(StoreError) -> [AuditEntry] {
    var conditions: [String] = []
    var arguments: [any SQLArgument] = []
    if let a = filter.accession { conditions.append("accession = ?"); arguments.append(a) }
    if let u = filter.actor { conditions.append("actor = ?"); arguments.append(u) }
    if let t = filter.since { conditions.append("at >= ?"); arguments.append(t) }
    if let t = filter.until { conditions.append("at <= ?"); arguments.append(t) }
    let sql = "SELECT * FROM audit_log" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY id"
    return try read { db in
      try db.rows(sql, arguments).map {
        AuditEntry(id: try $0.decode(forColumn: "id"), at: try $0.decode(forColumn: "at"), actor: try $0.decode(forColumn: "actor"),
                   action: try $0.decode(forColumn: "action"), accession: try $0.decode(forColumn: "accession"),
                   version: try $0.decode(forColumn: "version"), outcome: try $0.decode(forColumn: "outcome"),
                   detail: try $0.decode(forColumn: "detail"), command: try $0.decode(forColumn: "command"))
      }
    }
  }
}

/// A line of the worklist: an accession's newest version, without its document.
public struct ReportSummary: Sendable, Equatable {
  public var accession: String
  public var version: Int
  public var status: ReportStatus
  public var signedAt: String
  public var pathologist: String
  public var templateId: String
  public var templateVersion: String
  public var patientName: String?
}

/// Which audit entries to read: by accession, by who acted, and between two
/// times (UTC, as the log writes them: `2026-11-29T11:55:36.324Z`).
public struct AuditFilter: Sendable, Equatable {
  public var accession: String?
  public var actor: String?
  public var since: String?
  public var until: String?

  public init(accession: String? = nil, actor: String? = nil, since: String? = nil, until: String? = nil) {
    self.accession = accession
    self.actor = actor
    self.since = since
    self.until = until
  }
}
