import Foundation

/// The SQL engine under a ``ReportStore``: SQLite through GRDB (embedded, one
/// machine) or PostgreSQL through postgres-nio (several instances on one
/// database). The store's rules (versions, hashes, the ledger, the audit log)
/// are written once, in SQL both engines run; an engine owns connections,
/// transactions, its schema's dialect and how its errors read.
///
/// Statements use `?` placeholders. Every write transaction is serialised
/// with every other (SQLite's single writer; an advisory lock on PostgreSQL),
/// so the ledger is one chain however many instances write to it.
protocol StoreDatabase: Sendable {
  /// What the store is, for messages: a path, or a URL without its password.
  var description: String { get }
  func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T
  func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T
  /// A write that adds nothing to the ledger (a session touched, an outbox
  /// message claimed by a conditional update), so it needs no place in the
  /// writers' order: on PostgreSQL it does not wait for the write lock.
  func writeOutsideLedger<T>(_ body: (any StoreConnection) throws -> T) throws -> T
  /// Several instances may write to it: each keeps its own anchor, made when it first opens the store.
  var isShared: Bool { get }
  /// Brings the schema to the newest version; true when this sealed rows
  /// stored before the ledger existed (an upgrade of an old embedded store).
  func migrate(key: StoreKey?) throws -> Bool
  func appliedMigrations() throws -> [String]
  /// After rows were inserted with their ids (a copy), new rows continue after the highest.
  func continueIdentities(_ db: any StoreConnection, tables: [String]) throws
}

/// One connection inside a transaction.
protocol StoreConnection {
  func rows(_ sql: String, _ arguments: [any SQLArgument]) throws -> [StoreRow]
  func execute(_ sql: String, _ arguments: [any SQLArgument]) throws
  func tableExists(_ name: String) throws -> Bool
}

extension StoreConnection {
  func row(_ sql: String, _ arguments: [any SQLArgument] = []) throws -> StoreRow? { try rows(sql, arguments).first }
  func rows(_ sql: String) throws -> [StoreRow] { try rows(sql, []) }
  func execute(_ sql: String) throws { try execute(sql, []) }

  /// The first column of the first row, or nil when there is no row or it is null.
  func value<T: SQLColumnDecodable>(as type: T.Type, _ sql: String, _ arguments: [any SQLArgument] = []) throws -> T? {
    guard let row = try row(sql, arguments), let first = row.values.first else { return nil }
    return try T?(sqlValue: first, column: row.columns[0])
  }

  /// The first column of every row.
  func values<T: SQLColumnDecodable>(as type: T.Type, _ sql: String, _ arguments: [any SQLArgument] = []) throws -> [T] {
    try rows(sql, arguments).map { try T(sqlValue: $0.values[0], column: $0.columns[0]) }
  }
}

/// A value as both engines store it.
enum SQLValue: Sendable, Equatable {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
  case blob(Data)

  var kind: String {
    switch self {
    case .null: "null"
    case .integer: "integer"
    case .real: "real"
    case .text: "text"
    case .blob: "blob"
    }
  }
}

/// A value a statement takes as an argument.
protocol SQLArgument { var sqlValue: SQLValue { get } }
extension String: SQLArgument { var sqlValue: SQLValue { .text(self) } }
extension Int: SQLArgument { var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLArgument { var sqlValue: SQLValue { .integer(self) } }
extension Data: SQLArgument { var sqlValue: SQLValue { .blob(self) } }
extension SQLValue: SQLArgument { var sqlValue: SQLValue { self } }
extension Optional: SQLArgument where Wrapped: SQLArgument { var sqlValue: SQLValue { self?.sqlValue ?? .null } }

/// A row read back: its columns by name, in the order the statement gave them.
struct StoreRow: Sendable {
  var columns: [String]
  var values: [SQLValue]

  subscript(column: String) -> SQLValue? {
    columns.firstIndex(of: column).map { values[$0] }
  }

  /// The column as `T`; a missing column or a value of another type is an
  /// error naming the column (a row altered outside Synoptic is reported, not trusted).
  func decode<T: SQLColumnDecodable>(_ type: T.Type = T.self, forColumn column: String) throws -> T {
    guard let value = self[column] else { throw SQLDecodingError(column: column, message: "no such column") }
    return try T(sqlValue: value, column: column)
  }
}

struct SQLDecodingError: Error, CustomStringConvertible {
  var column: String
  var message: String
  var description: String { "column \(column): \(message)" }
}

/// A type a column decodes to, strictly: text is not read as a number, nor a number as text.
protocol SQLColumnDecodable { init(sqlValue: SQLValue, column: String) throws }

extension String: SQLColumnDecodable {
  init(sqlValue: SQLValue, column: String) throws {
    guard case .text(let s) = sqlValue else { throw SQLDecodingError(column: column, message: "\(sqlValue.kind) where text belongs") }
    self = s
  }
}
extension Int64: SQLColumnDecodable {
  init(sqlValue: SQLValue, column: String) throws {
    guard case .integer(let i) = sqlValue else { throw SQLDecodingError(column: column, message: "\(sqlValue.kind) where an integer belongs") }
    self = i
  }
}
extension Int: SQLColumnDecodable {
  init(sqlValue: SQLValue, column: String) throws {
    guard case .integer(let i) = sqlValue, let v = Int(exactly: i) else {
      throw SQLDecodingError(column: column, message: "\(sqlValue.kind) where an integer belongs")
    }
    self = v
  }
}
extension Data: SQLColumnDecodable {
  init(sqlValue: SQLValue, column: String) throws {
    switch sqlValue {
    case .blob(let d): self = d
    case .text(let s): self = Data(s.utf8)
    default: throw SQLDecodingError(column: column, message: "\(sqlValue.kind) where bytes belong")
    }
  }
}
extension Bool: SQLColumnDecodable {
  init(sqlValue: SQLValue, column: String) throws {
    guard case .integer(let i) = sqlValue else { throw SQLDecodingError(column: column, message: "\(sqlValue.kind) where a truth value belongs") }
    self = i != 0
  }
}
extension Optional: SQLColumnDecodable where Wrapped: SQLColumnDecodable {
  init(sqlValue: SQLValue, column: String) throws {
    if case .null = sqlValue { self = nil } else { self = try Wrapped(sqlValue: sqlValue, column: column) }
  }
}

/// What an engine reports when a statement fails: a broken constraint (a
/// race another writer won, decided by a key) or anything else.
enum StoreDatabaseError: Error, CustomStringConvertible {
  case constraint(String)
  case failed(String)

  var description: String {
    switch self {
    case .constraint(let m), .failed(let m): m
    }
  }
}
