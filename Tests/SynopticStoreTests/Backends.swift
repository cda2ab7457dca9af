import Foundation
import GRDB
import Logging
import PostgresNIO
import Testing
@testable import SynopticStore

/// The engines the store's tests run on: SQLite always; PostgreSQL when
/// `SYNOPTIC_TEST_POSTGRES` names a server (a `postgres://` URL of a role that
/// may create databases; the password in `SYNOPTIC_STORE_PASSWORD_FILE` or
/// `PGPASSWORD`). `Scripts/postgres-cluster.sh` starts one; CI does.
enum Backend: String, Sendable, CustomTestStringConvertible {
  case sqlite
  case postgres

  var testDescription: String { rawValue }

  static let postgresURL: String? = {
    let url = ProcessInfo.processInfo.environment["SYNOPTIC_TEST_POSTGRES"]
    return url?.isEmpty == false ? url : nil
  }()

  static let all: [Backend] = {
    if postgresURL != nil { return [.sqlite, .postgres] }
    print("note: SYNOPTIC_TEST_POSTGRES is not set, so the store tests run on SQLite only; Scripts/postgres-cluster.sh starts a PostgreSQL to run them on")
    return [.sqlite]
  }()
}

/// A store of its own for one test: a scratch directory for its key and
/// anchor, and a new file or a new database, removed afterwards. Immutable,
/// so threads standing in for instances may share it.
final class Scratch: Sendable {
  let backend: Backend
  let directory: String
  let location: String
  private let database: String?

  init(_ backend: Backend) throws {
    self.backend = backend
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-store-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    switch backend {
    case .sqlite:
      database = nil
      location = directory + "/store.sqlite"
    case .postgres:
      let base = try #require(Backend.postgresURL)
      let name = "synoptic_test_" + UUID().uuidString.prefix(8).lowercased()
      try Self.admin(base, "CREATE DATABASE \(name)")
      var parts = try #require(URLComponents(string: base))
      parts.path = "/" + name
      database = name
      location = try #require(parts.string)
    }
  }

  deinit {
    if let database, let base = Backend.postgresURL { try? Self.admin(base, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
    try? FileManager.default.removeItem(atPath: directory)
  }

  var keyPath: String { directory + "/store.key" }
  var anchorPath: String { directory + "/store.anchor" }

  /// Opens the store for writing, as an instance would (each call is another instance on the same store).
  func open(hooks: ReportStore.Hooks = .init()) throws -> ReportStore {
    try ReportStore(path: location, keyPath: keyPath, anchorPath: anchorPath, hooks: hooks)
  }

  /// The engine alone, to read rows as they are stored.
  func engine() throws -> any StoreDatabase {
    switch backend {
    case .sqlite: try SQLiteStoreDatabase(path: location)
    case .postgres: try PostgresStoreDatabase(url: location)
    }
  }

  /// Runs SQL (statements separated by `;`) with the guarding triggers out
  /// of the way, as an attacker with the database's owner rights would.
  func tamper(_ sql: String) throws {
    let statements = sql.components(separatedBy: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    switch backend {
    case .sqlite:
      let db = try DatabaseQueue(path: location)
      try db.write { db in
        for t in ["report_version_immutable_update", "report_version_immutable_delete", "report_output_immutable_update",
                  "report_output_immutable_delete", "audit_log_append_only_update", "audit_log_append_only_delete",
                  "ledger_append_only_update", "ledger_append_only_delete"] {
          try db.execute(sql: "DROP TRIGGER IF EXISTS \(t)")
        }
        for s in statements { try db.execute(sql: s) }
      }
    case .postgres:
      try engine().write { db in
        try db.execute("SET LOCAL session_replication_role = replica")
        for s in statements { try db.execute(s) }
      }
    }
  }

  /// A statement on the server outside any transaction (CREATE and DROP DATABASE).
  static func admin(_ url: String, _ sql: String) throws {
    let engine = try PostgresStoreDatabase(url: url)
    let connection = try PostgresConnection.connect(
      on: PostgresConnection.defaultEventLoopGroup.any(), configuration: engine.configuration, id: 0, logger: Logger(label: "test")
    ).wait()
    defer { try? connection.close().wait() }
    _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")).wait()
  }
}
