import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The shared engine: one PostgreSQL database through postgres-nio, for
/// several `synoptic serve` instances at once.
///
/// The store's API is synchronous and runs on the workflow's worker threads,
/// never on an event loop, so each statement waits for its future there.
/// Every write transaction first takes one advisory lock: writes from all
/// instances are serialised exactly as SQLite serialises them, so the ledger
/// stays one chain and a version number is decided once.
final class PostgresStoreDatabase: StoreDatabase {
  let configuration: PostgresConnection.Configuration
  let description: String
  private let pool: Pool
  private static let logger = Logger(label: "synoptic.store.postgres")
  /// The advisory lock every write holds ("SYNO").
  static let writeLock: Int64 = 0x5359_4E4F

  /// `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=disable|require]`. The
  /// password is read from `SYNOPTIC_STORE_PASSWORD_FILE` (a file holding it)
  /// or `PGPASSWORD`, never from the URL: a command line is visible to every
  /// user of the machine, and the store's location is printed and logged.
  init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment, maxConnections: Int = 8) throws {
    guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else {
      throw StoreError.database("\(Self.redacted(url)): not a PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE)")
    }
    if parts.password != nil {
      throw StoreError.database(
        "\(Self.redacted(url)): put the database password in SYNOPTIC_STORE_PASSWORD_FILE or PGPASSWORD, not in the URL (command lines and logs show it)")
    }
    let user = parts.user ?? environment["PGUSER"] ?? "postgres"
    let database = parts.path.hasPrefix("/") && parts.path.count > 1 ? String(parts.path.dropFirst()) : user
    var password = environment["PGPASSWORD"]
    if let file = environment["SYNOPTIC_STORE_PASSWORD_FILE"], !file.isEmpty {
      guard let data = FileManager.default.contents(atPath: file) else {
        throw StoreError.database("SYNOPTIC_STORE_PASSWORD_FILE \(file): cannot read the database password")
      }
      password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
    let mode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
    let tls: PostgresConnection.Configuration.TLS
    switch mode {
    case "disable": tls = .disable
    case "require", "verify-full":
      tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
    default:
      throw StoreError.database("\(Self.redacted(url)): sslmode '\(mode)' is not one of disable, require")
    }
    configuration = .init(host: host, port: parts.port ?? 5432, username: user, password: password, database: database, tls: tls)
    description = Self.redacted(url)
    pool = Pool(limit: maxConnections)
  }

  deinit { pool.closeAll() }

  /// The URL as it may be shown: any password is replaced.
  static func redacted(_ url: String) -> String {
    guard var parts = URLComponents(string: url), parts.password != nil else { return url }
    parts.password = "redacted"
    return parts.string ?? "postgres://(unreadable URL)"
  }

  func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
    try transaction(begin: ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"], body)
  }

  func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
    try transaction(begin: ["BEGIN", "SELECT pg_advisory_xact_lock(\(Self.writeLock))"], body)
  }

  func writeOutsideLedger<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
    try transaction(begin: ["BEGIN"], body)
  }

  var isShared: Bool { true }

  private func transaction<T>(begin: [String], _ body: (any StoreConnection) throws -> T) throws -> T {
    let connection = try lease()
    var healthy = true
    defer { pool.give(connection, reuse: healthy) }
    let c = Connection(connection: connection)
    do {
      for statement in begin { try c.execute(statement) }
      let result = try body(c)
      try c.execute("COMMIT")
      return result
    } catch {
      // A connection that cannot roll back is in an unknown state: close it.
      do { try c.execute("ROLLBACK") } catch { healthy = false }
      throw error
    }
  }

  private func lease() throws -> PostgresConnection {
    if let idle = pool.take() { return idle }
    do {
      let connection = try PostgresConnection.connect(
        on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: pool.nextID(), logger: Self.logger
      ).wait()
      return connection
    } catch {
      pool.release()
      throw StoreDatabaseError.failed("cannot connect to \(description): \(Connection.describe(error))")
    }
  }

  func continueIdentities(_ db: any StoreConnection, tables: [String]) throws {
    for table in tables {
      try db.execute("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT MAX(id) FROM \(table)), 0) + 1, false)")
    }
  }

  func appliedMigrations() throws -> [String] {
    try read { db in
      guard try db.tableExists("synoptic_migration") else { return [] }
      return try db.values(as: String.self, "SELECT name FROM synoptic_migration ORDER BY applied_order")
    }
  }

  /// Applies missing migrations under the write lock, so instances starting
  /// together apply each once. A new database has no rows to seal, so this
  /// never seals existing rows (``SQLiteStoreDatabase`` may, on upgrade).
  func migrate(key: StoreKey?) throws -> Bool {
    try write { db in
      try db.execute("""
        CREATE TABLE IF NOT EXISTS synoptic_migration (
          applied_order INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT NOT NULL)
        """)
      let applied = Set(try db.values(as: String.self, "SELECT name FROM synoptic_migration"))
      for (i, m) in Self.migrations.enumerated() where !applied.contains(m.name) {
        for statement in m.statements { try db.execute(statement) }
        try db.execute("INSERT INTO synoptic_migration (applied_order, name, applied_at) VALUES (?, ?, ?)", [i + 1, m.name, ReportStore.now()])
      }
    }
    return false
  }

  /// Schema versions, each a list of statements (a statement ends at a
  /// semicolon that ends its line). Never edit a registered migration: add a
  /// new one, here and in ``SQLiteStoreDatabase``'s migrator. The first holds the whole
  /// schema as the embedded store's eight migrations left it; text that is
  /// sorted compares byte by byte (`COLLATE "C"`), as SQLite does.
  static let migrations: [(name: String, statements: [String])] = [
    ("p1: versions, outputs, audit log, ledger, tokens, accounts, sessions, drafts, outbox", """
      CREATE FUNCTION synoptic_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$;
      CREATE TABLE report_version (
        accession TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL CHECK (version >= 1),
        status TEXT NOT NULL CHECK (status IN ('final', 'amended', 'appended', 'retracted')),
        signed_at TEXT NOT NULL,
        pathologist TEXT NOT NULL,
        reason TEXT,
        template_id TEXT NOT NULL,
        template_version TEXT NOT NULL,
        case_source BYTEA NOT NULL,
        case_sha256 TEXT NOT NULL,
        document_json BYTEA NOT NULL,
        document_sha256 TEXT NOT NULL,
        previous_hash TEXT NOT NULL,
        version_hash TEXT NOT NULL,
        command TEXT,
        PRIMARY KEY (accession, version)
      );
      CREATE TABLE report_output (
        accession TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        format TEXT COLLATE "C" NOT NULL,
        bytes BYTEA NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (accession, version, format),
        FOREIGN KEY (accession, version) REFERENCES report_version (accession, version)
      );
      CREATE TABLE audit_log (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at TEXT COLLATE "C" NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        accession TEXT COLLATE "C",
        version BIGINT,
        outcome TEXT NOT NULL,
        detail TEXT,
        command TEXT
      );
      CREATE INDEX audit_log_accession ON audit_log (accession);
      CREATE TABLE ledger (
        seq BIGINT PRIMARY KEY CHECK (seq >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('version', 'audit')),
        accession TEXT COLLATE "C",
        version BIGINT,
        audit_id BIGINT,
        entry_hash TEXT NOT NULL,
        chain_hash TEXT NOT NULL,
        seal TEXT NOT NULL
      );
      CREATE UNIQUE INDEX ledger_version ON ledger (accession, version) WHERE kind = 'version';
      CREATE UNIQUE INDEX ledger_audit ON ledger (audit_id) WHERE kind = 'audit';
      CREATE TABLE api_token (
        name TEXT COLLATE "C" PRIMARY KEY NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('interface', 'pathologist', 'auditor')),
        pathologist TEXT,
        token_sha256 TEXT NOT NULL UNIQUE,
        created_at TEXT COLLATE "C" NOT NULL,
        revoked_at TEXT
      );
      CREATE TABLE account (
        username TEXT COLLATE "C" PRIMARY KEY NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('resident', 'pathologist', 'admin', 'auditor')),
        pathologist TEXT,
        password_bcrypt TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled_at TEXT,
        failed_logins BIGINT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
        locked_until TEXT,
        CHECK ((role = 'pathologist') = (pathologist IS NOT NULL))
      );
      CREATE TABLE session (
        id_sha256 TEXT PRIMARY KEY NOT NULL,
        username TEXT COLLATE "C" NOT NULL REFERENCES account(username),
        client TEXT,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        confirmed_at TEXT,
        ended_at TEXT,
        ended_why TEXT
      );
      CREATE INDEX session_by_user ON session(username);
      CREATE TABLE draft (
        accession TEXT COLLATE "C" PRIMARY KEY NOT NULL,
        revision BIGINT NOT NULL CHECK (revision >= 1),
        case_source BYTEA NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        template_id TEXT
      );
      CREATE TABLE outbox (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        accession TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        destination TEXT NOT NULL,
        format TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_at TEXT COLLATE "C" NOT NULL,
        last_error TEXT,
        ack TEXT,
        control_ids TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        FOREIGN KEY (accession, version) REFERENCES report_version(accession, version),
        UNIQUE (accession, version, destination, format)
      );
      CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
      CREATE TRIGGER report_version_immutable BEFORE UPDATE OR DELETE ON report_version
        FOR EACH ROW EXECUTE FUNCTION synoptic_refuse('signed report versions cannot be changed or deleted');
      CREATE TRIGGER report_output_immutable BEFORE UPDATE OR DELETE ON report_output
        FOR EACH ROW EXECUTE FUNCTION synoptic_refuse('stored report outputs cannot be changed or deleted');
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION synoptic_refuse('the audit log is append-only');
      CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
        FOR EACH ROW EXECUTE FUNCTION synoptic_refuse('the ledger is append-only');
      CREATE TRIGGER api_token_no_delete BEFORE DELETE ON api_token
        FOR EACH ROW EXECUTE FUNCTION synoptic_refuse('tokens are revoked, not deleted');
      CREATE TRIGGER account_no_delete BEFORE DELETE ON account
        FOR EACH ROW EXECUTE FUNCTION synoptic_refuse('accounts are disabled, not deleted');
      CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
        FOR EACH ROW EXECUTE FUNCTION synoptic_refuse('outbox messages are kept');
      CREATE TRIGGER truncate_refused BEFORE TRUNCATE ON report_version
        FOR EACH STATEMENT EXECUTE FUNCTION synoptic_refuse('signed report versions cannot be deleted');
      """.components(separatedBy: ";\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }),
    ("p2: worklist index", """
      CREATE TABLE report_index (
        accession TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        patient_name TEXT,
        patient_folded TEXT,
        PRIMARY KEY (accession, version),
        FOREIGN KEY (accession, version) REFERENCES report_version (accession, version)
      );
      CREATE INDEX report_version_signed_at ON report_version (signed_at);
      INSERT INTO report_index
        SELECT accession, version, convert_from(document_json, 'UTF8')::jsonb #>> '{patient,name}',
          lower(convert_from(document_json, 'UTF8')::jsonb #>> '{patient,name}')
        FROM report_version;
      """.components(separatedBy: ";\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }),
    ("p3: worklist of latest versions", """
        CREATE TABLE report_latest (
          accession TEXT COLLATE "C" PRIMARY KEY NOT NULL,
          version BIGINT NOT NULL,
          status TEXT NOT NULL,
          signed_at TEXT COLLATE "C" NOT NULL,
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
      """.components(separatedBy: ";\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }),
  ]

  /// A leased connection: statements with `?` placeholders become `$n`.
  struct Connection: StoreConnection {
    let connection: PostgresConnection

    func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [StoreRow] {
      var binds = PostgresBindings(capacity: arguments.count)
      for a in arguments {
        switch a.sqlValue {
        case .null: binds.appendNull()
        case .integer(let i): binds.append(i)
        case .real(let d): binds.append(d)
        case .text(let s): binds.append(s)
        case .blob(let b): binds.append(ByteBuffer(bytes: b))
        }
      }
      let result: PostgresQueryResult
      do {
        result = try connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: PostgresStoreDatabase.logger).wait()
      } catch {
        throw Self.mapped(error)
      }
      return try result.rows.map { row in
        var columns: [String] = []
        var values: [SQLValue] = []
        for cell in row {
          columns.append(cell.columnName)
          values.append(try Self.value(cell))
        }
        return StoreRow(columns: columns, values: values)
      }
    }

    func execute(_ sql: String, _ arguments: [any SQLArgument]) throws { _ = try rows(sql, arguments) }

    func tableExists(_ name: String) throws -> Bool {
      try value(as: Bool.self, "SELECT CASE WHEN to_regclass(?) IS NULL THEN 0 ELSE 1 END", [name]) ?? false
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
      guard cell.bytes != nil else { return .null }
      switch cell.dataType {
      case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
      case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
      case .float4, .float8: return .real(try cell.decode(Double.self))
      case .bytea: return .blob(try cell.decode(Data.self))
      default: return .text(try cell.decode(String.self))
      }
    }

    /// `?` outside quotes becomes `$1`, `$2`, ...
    static func numbered(_ sql: String) -> String {
      var out = ""
      out.reserveCapacity(sql.utf8.count + 16)
      var n = 0
      var quote: Character?
      for ch in sql {
        if let q = quote {
          if ch == q { quote = nil }
          out.append(ch)
        } else if ch == "'" || ch == "\"" {
          quote = ch
          out.append(ch)
        } else if ch == "?" {
          n += 1
          out += "$\(n)"
        } else {
          out.append(ch)
        }
      }
      return out
    }

    /// The server's own words and SQLSTATE; class 23 (a broken constraint) is a race a key decided.
    static func mapped(_ error: any Error) -> StoreDatabaseError {
      guard let e = error as? PSQLError else { return .failed("\(error)") }
      let text = describe(e)
      if let state = e.serverInfo?[.sqlState], state.hasPrefix("23") { return .constraint(text) }
      return .failed(text)
    }

    static func describe(_ error: any Error) -> String {
      guard let e = error as? PSQLError else { return "\(error)" }
      if let info = e.serverInfo {
        return "PostgreSQL: \(info[.message] ?? "error") (SQLSTATE \(info[.sqlState] ?? "?"))"
      }
      return "PostgreSQL: \(e.code)" + (e.underlying.map { " (\($0))" } ?? "")
    }
  }

  /// Idle connections for reuse, and a bound on how many are open at once.
  final class Pool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var ids = 0
    private let slots: DispatchSemaphore

    init(limit: Int) { slots = DispatchSemaphore(value: limit) }

    /// Waits for a slot; returns an idle connection, or nil when the caller is
    /// to open one. Connections the server closed meanwhile (a restart) are dropped.
    func take() -> PostgresConnection? {
      slots.wait()
      while let connection = lock.withLock({ idle.popLast() }) {
        if !connection.isClosed { return connection }
        Self.close(connection)
      }
      return nil
    }

    func nextID() -> Int { lock.withLock { ids += 1; return ids } }

    func release() { slots.signal() }

    func give(_ connection: PostgresConnection, reuse: Bool) {
      if reuse && !connection.isClosed {
        lock.withLock { idle.append(connection) }
      } else {
        Self.close(connection)
      }
      slots.signal()
    }

    func closeAll() {
      for c in lock.withLock({ let all = idle; idle = []; return all }) { Self.close(c) }
    }

    /// A connection must be closed before it is released: wait for it, or
    /// (on its own event loop, where waiting is not allowed) keep it until then.
    static func close(_ connection: PostgresConnection) {
      if connection.eventLoop.inEventLoop {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
      } else {
        try? connection.close().wait()
      }
    }
  }
}
