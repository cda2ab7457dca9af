import Foundation
import GRDB

/// The embedded engine: one SQLite file in WAL mode through GRDB. SQLite has
/// one writer at a time, so write transactions are serialised by the file's
/// lock, across processes too.
final class SQLiteStoreDatabase: StoreDatabase {
  let queue: DatabaseQueue
  let path: String
  var description: String { path }

  /// How long a connection waits for another's lock before failing, in seconds.
  static let busyTimeout: TimeInterval = 15

  /// Opens (creating when needed) a store file for writing.
  init(path: String) throws {
    self.path = path
    try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
    var config = Configuration()
    // Another process holding the write lock makes us wait, not fail.
    config.busyMode = .timeout(Self.busyTimeout)
    config.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
    queue = try DatabaseQueue(path: path, configuration: config)
    try Self.useWAL(queue)
  }

  /// Puts the file in WAL mode (once per file: the mode is stored in it).
  /// Connections opening a new file at the same moment race to switch it,
  /// and SQLite can answer one of them SQLITE_BUSY without waiting out the
  /// busy timeout (waiting could deadlock), so a busy switch is tried again
  /// for as long as that timeout.
  static func useWAL(_ queue: DatabaseQueue) throws {
    let deadline = ContinuousClock.now + .seconds(busyTimeout)
    while true {
      do {
        try queue.writeWithoutTransaction { db in
          if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" { try db.execute(sql: "PRAGMA journal_mode = WAL") }
        }
        return
      } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
        Thread.sleep(forTimeInterval: .random(in: 0.005...0.03))
      }
    }
  }

  /// Opens an existing store file for reading only. A reader needs the WAL
  /// index beside the file; where the directory cannot take one (a read-only
  /// copy), the file is opened as immutable.
  init(readingOnly path: String) throws {
    self.path = path
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(Self.busyTimeout)
    do {
      let q = try DatabaseQueue(path: path, configuration: config)
      _ = try q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
      queue = q
    } catch {
      var encoded = URLComponents()
      encoded.path = path
      let q = try DatabaseQueue(path: "file:\(encoded.percentEncodedPath)?immutable=1", configuration: config)
      _ = try q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
      queue = q
    }
  }

  func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
    try Self.mapped { try queue.read { db in try body(Connection(db: db)) } }
  }

  func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
    try Self.mapped { try queue.write { db in try body(Connection(db: db)) } }
  }

  func writeOutsideLedger<T>(_ body: (any StoreConnection) throws -> T) throws -> T { try write(body) }

  var isShared: Bool { false }

  /// AUTOINCREMENT already continues after the highest id inserted.
  func continueIdentities(_ db: any StoreConnection, tables: [String]) throws {}

  func appliedMigrations() throws -> [String] {
    try queue.read { try Self.migrator(key: nil).appliedMigrations($0) }
  }

  /// Several processes may open a new store at once: whichever loses the race
  /// to a migration sees it applied and goes on.
  func migrate(key: StoreKey?) throws -> Bool {
    let migrator = Self.migrator(key: key)
    let sealedBefore = (try? queue.read { try migrator.appliedIdentifiers($0).contains(Self.migrationNames[1]) }) ?? false
    var attempt = 0
    while true {
      do {
        try migrator.migrate(queue)
        return !sealedBefore
      } catch let e as StoreError {
        throw e
      } catch {
        attempt += 1
        if let done = try? queue.read({ try migrator.hasCompletedMigrations($0) }), done { return false }
        if attempt >= 20 { throw StoreDatabaseError.failed("cannot prepare the store's schema: \(error)") }
        usleep(useconds_t(20_000 * attempt))
      }
    }
  }

  /// GRDB's errors as the store reads them: a broken constraint is a race a key decided.
  static func mapped<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
      throw StoreDatabaseError.constraint("\(e)")
    }
  }

  struct Connection: StoreConnection {
    let db: Database

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [StoreRow] {
      let statement = try db.cachedStatement(sql: sql)
      let columns = statement.columnNames
      return try Row.fetchAll(statement, arguments: Self.arguments(arguments)).map { row in
        StoreRow(columns: columns, values: (0..<columns.count).map { i in
          switch (row[i] as DatabaseValue).storage {
          case .null: .null
          case .int64(let v): .integer(v)
          case .double(let v): .real(v)
          case .string(let v): .text(v)
          case .blob(let v): .blob(v)
          }
        })
      }
    }

    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws {
      try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    func tableExists(_ name: String) throws -> Bool { try db.tableExists(name) }

    static func arguments(_ values: [any SQLArgument]) -> StatementArguments {
      StatementArguments(values.map { v -> DatabaseValue in
        switch v.sqlValue {
        case .null: .null
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        case .text(let s): s.databaseValue
        case .blob(let b): b.databaseValue
        }
      })
    }
  }

  static let migrationNames = [
    "v1: versions, outputs, audit log, immutability", "v2: retraction, sealed ledger", "v3: API tokens", "v4: accounts, auditor tokens",
    "v5: browser sessions", "v6: drafts", "v7: outbox", "v8: draft template", "v9: worklist index",
    "v10: worklist of latest versions",
  ]

  /// Schema versions. Never edit a registered migration: add a new one, here
  /// and in ``PostgresStoreDatabase``'s list.
  static func migrator(key: StoreKey?) -> DatabaseMigrator {
    var m = DatabaseMigrator()
    m.registerMigration(migrationNames[0]) { db in
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
    // The status list gains 'retracted' (a table is rebuilt to change a CHECK;
    // dropping it fires no delete trigger), and the ledger starts with every
    // row already stored, oldest first.
    m.registerMigration(migrationNames[1]) { db in
      try db.execute(sql: """
        CREATE TABLE report_version_v2 (
          accession TEXT NOT NULL,
          version INTEGER NOT NULL CHECK (version >= 1),
          status TEXT NOT NULL CHECK (status IN ('final', 'amended', 'appended', 'retracted')),
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
        INSERT INTO report_version_v2 SELECT * FROM report_version;
        DROP TABLE report_version;
        ALTER TABLE report_version_v2 RENAME TO report_version;
        CREATE TRIGGER report_version_immutable_update BEFORE UPDATE ON report_version
          BEGIN SELECT RAISE(ABORT, 'signed report versions cannot be changed'); END;
        CREATE TRIGGER report_version_immutable_delete BEFORE DELETE ON report_version
          BEGIN SELECT RAISE(ABORT, 'signed report versions cannot be deleted'); END;
        CREATE TABLE ledger (
          seq INTEGER PRIMARY KEY CHECK (seq >= 1),
          kind TEXT NOT NULL CHECK (kind IN ('version', 'audit')),
          accession TEXT,
          version INTEGER,
          audit_id INTEGER,
          entry_hash TEXT NOT NULL,
          chain_hash TEXT NOT NULL,
          seal TEXT NOT NULL
        );
        CREATE UNIQUE INDEX ledger_version ON ledger (accession, version) WHERE kind = 'version';
        CREATE UNIQUE INDEX ledger_audit ON ledger (audit_id) WHERE kind = 'audit';
        CREATE TRIGGER ledger_append_only_update BEFORE UPDATE ON ledger
          BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        CREATE TRIGGER ledger_append_only_delete BEFORE DELETE ON ledger
          BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        """)
      guard let key else { throw StoreError.key("the store key is needed to seal the ledger") }
      let c = Connection(db: db)
      for row in try c.rows("SELECT accession, version, version_hash, command FROM report_version ORDER BY accession, version") {
        let entry = Ledger.versionEntry(versionHash: try row.decode(forColumn: "version_hash"), command: try row.decode(forColumn: "command"))
        _ = try ReportStore.appendLedger(c, key: key, kind: "version", accession: try row.decode(forColumn: "accession"),
                                         version: try row.decode(forColumn: "version"), auditId: nil, entry: entry)
      }
      for row in try c.rows("SELECT * FROM audit_log ORDER BY id") {
        let entry = try ReportStore.auditHash(row)
        _ = try ReportStore.appendLedger(c, key: key, kind: "audit", accession: nil, version: nil, auditId: try row.decode(forColumn: "id"), entry: entry)
      }
    }
    // API tokens: only a SHA-256 of each token is kept (a token is 256 random
    // bits, so no slow hash is needed); a revoked token keeps its row.
    m.registerMigration(migrationNames[2]) { db in
      try db.execute(sql: """
        CREATE TABLE api_token (
          name TEXT PRIMARY KEY NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('interface', 'pathologist')),
          pathologist TEXT,
          token_sha256 TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL,
          revoked_at TEXT
        );
        CREATE TRIGGER api_token_no_delete BEFORE DELETE ON api_token
          BEGIN SELECT RAISE(ABORT, 'tokens are revoked, not deleted'); END;
        """)
    }
    // People: a bcrypt hash of each password (never the password), the role,
    // the directory pathologist a pathologist account signs as, and the
    // failed-login count and lock that slow down password guessing. An
    // account is disabled, never deleted, so the audit log's names stay
    // resolvable. Tokens gain the auditor role (the table is rebuilt to
    // change its CHECK).
    m.registerMigration(migrationNames[3]) { db in
      try db.execute(sql: """
        CREATE TABLE account (
          username TEXT PRIMARY KEY NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('resident', 'pathologist', 'admin', 'auditor')),
          pathologist TEXT,
          password_bcrypt TEXT NOT NULL,
          created_at TEXT NOT NULL,
          disabled_at TEXT,
          failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
          locked_until TEXT,
          CHECK ((role = 'pathologist') = (pathologist IS NOT NULL))
        );
        CREATE TRIGGER account_no_delete BEFORE DELETE ON account
          BEGIN SELECT RAISE(ABORT, 'accounts are disabled, not deleted'); END;
        CREATE TABLE api_token_v4 (
          name TEXT PRIMARY KEY NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('interface', 'pathologist', 'auditor')),
          pathologist TEXT,
          token_sha256 TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL,
          revoked_at TEXT
        );
        INSERT INTO api_token_v4 SELECT name, role, pathologist, token_sha256, created_at, revoked_at FROM api_token;
        DROP TABLE api_token;
        ALTER TABLE api_token_v4 RENAME TO api_token;
        CREATE TRIGGER api_token_no_delete BEFORE DELETE ON api_token
          BEGIN SELECT RAISE(ABORT, 'tokens are revoked, not deleted'); END;
        """)
    }
    // Browser sessions, kept in the store so that any instance can serve any
    // request: a SHA-256 of the session id (never the id), who and from
    // where, when it was last used and when the password was last re-entered.
    m.registerMigration(migrationNames[4]) { db in
      try db.execute(sql: """
        CREATE TABLE session (
          id_sha256 TEXT PRIMARY KEY NOT NULL,
          username TEXT NOT NULL REFERENCES account(username),
          client TEXT,
          created_at TEXT NOT NULL,
          last_seen_at TEXT NOT NULL,
          confirmed_at TEXT,
          ended_at TEXT,
          ended_why TEXT
        );
        CREATE INDEX session_by_user ON session(username);
        """)
    }
    // Drafts: the case as the pathologist or resident last saved it, with a
    // revision for optimistic concurrency. A draft is work in progress and
    // changes; every save is in the audit log, and nothing signed lives here.
    m.registerMigration(migrationNames[5]) { db in
      try db.execute(sql: """
        CREATE TABLE draft (
          accession TEXT PRIMARY KEY NOT NULL,
          revision INTEGER NOT NULL CHECK (revision >= 1),
          case_source BLOB NOT NULL,
          created_by TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_by TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        """)
    }
    // The outbox: one message per version, destination and format, written in
    // the version's own transaction, so a version is never stored without its
    // deliveries nor a delivery queued for a version that was not stored.
    m.registerMigration(migrationNames[6]) { db in
      try db.execute(sql: """
        CREATE TABLE outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          accession TEXT NOT NULL,
          version INTEGER NOT NULL,
          destination TEXT NOT NULL,
          format TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at TEXT NOT NULL,
          last_error TEXT,
          ack TEXT,
          control_ids TEXT,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          FOREIGN KEY (accession, version) REFERENCES report_version(accession, version),
          UNIQUE (accession, version, destination, format)
        );
        CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
        CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
          BEGIN SELECT RAISE(ABORT, 'outbox messages are kept'); END;
        """)
    }
    // A draft keeps the template its form was made from (null: chosen by the
    // case's procedures, as for a case file).
    m.registerMigration(migrationNames[7]) { db in
      try db.execute(sql: "ALTER TABLE draft ADD COLUMN template_id TEXT")
    }
    // The worklist reads the newest reports without opening their documents:
    // each version's patient name (as shown, and folded for search) beside it,
    // and the versions by signature time.
    m.registerMigration(migrationNames[8]) { db in
      try db.execute(sql: """
        CREATE TABLE report_index (
          accession TEXT NOT NULL,
          version INTEGER NOT NULL,
          patient_name TEXT,
          patient_folded TEXT,
          PRIMARY KEY (accession, version),
          FOREIGN KEY (accession, version) REFERENCES report_version (accession, version)
        );
        CREATE INDEX report_version_signed_at ON report_version (signed_at);
        """)
      let c = Connection(db: db)
      for row in try c.rows("SELECT accession, version, document_json FROM report_version") {
        let name = ReportStore.patientName(inDocument: try row.decode(Data.self, forColumn: "document_json"))
        try c.execute("INSERT INTO report_index VALUES (?, ?, ?, ?)", [
          try row.decode(String.self, forColumn: "accession"), try row.decode(Int.self, forColumn: "version"), name, name?.lowercased(),
        ])
      }
    }
    // The worklist needs only each accession's newest version: one row per
    // accession, replaced by each new version, read in signature order with
    // no filter (v9's row per version made the database check every version
    // to find the newest).
    m.registerMigration(migrationNames[9]) { db in
      try db.execute(sql: """
        CREATE TABLE report_latest (
          accession TEXT PRIMARY KEY NOT NULL,
          version INTEGER NOT NULL,
          status TEXT NOT NULL,
          signed_at TEXT NOT NULL,
          pathologist TEXT NOT NULL,
          template_id TEXT NOT NULL,
          template_version TEXT NOT NULL,
          patient_name TEXT,
          patient_folded TEXT,
          FOREIGN KEY (accession, version) REFERENCES report_version (accession, version)
        );
        CREATE INDEX report_latest_signed_at ON report_latest (signed_at, accession);
        INSERT INTO report_latest
          SELECT v.accession, v.version, v.status, v.signed_at, v.pathologist, v.template_id, v.template_version, i.patient_name, i.patient_folded
          FROM report_version v LEFT JOIN report_index i ON i.accession = v.accession AND i.version = v.version
          WHERE v.version = (SELECT MAX(w.version) FROM report_version w WHERE w.accession = v.accession);
        DROP TABLE report_index;
        DROP INDEX report_version_signed_at;
        """)
    }
    return m
  }
}
