import Foundation

/// Moving a store to another engine (an embedded store to PostgreSQL when a
/// laboratory outgrows one machine, or back for a copy at hand): every row as
/// it was stored, the ledger included, so every hash and seal still holds.
extension ReportStore {
  /// What a copy moved, table by table, in the order it was copied.
  public struct CopyReport: Sendable {
    public var rows: [(table: String, count: Int)]
    public var verification: Verification
  }

  /// The tables in an order that keeps every reference satisfied.
  static let copiedTables = ["report_version", "report_latest", "report_output", "audit_log", "ledger", "api_token", "account", "session", "draft", "outbox"]

  /// Copies this store into `target`, which must be empty and sealed with the
  /// same key. The source is verified first and the target afterwards; the
  /// copy is one transaction on the target, so a failure leaves it empty.
  /// The target's audit log records the copy.
  public func copy(to target: ReportStore, by actor: String) throws(StoreError) -> CopyReport {
    let targetKey = try target.writingKey()
    guard let key else { throw .key("\(keyPath): no store key: the source's seals cannot be checked") }
    guard key.seal("synoptic-store-copy") == targetKey.seal("synoptic-store-copy") else {
      throw .key("the target is sealed with another key than the source (\(target.keyPath)); open both with the source's key")
    }
    let before = try verify()
    guard before.intact else {
      throw .database("not copied: the source has \(before.problems.count) problem(s); run 'synoptic verify' on it")
    }
    var rows: [(table: String, count: Int)] = []
    let head: StoreAnchor
    do {
      head = try target.database.write { db in
        for table in Self.copiedTables {
          if try db.value(as: Int.self, "SELECT count(*) FROM \(table)") != 0 {
            throw StoreError.database("not copied: the target's \(table) table is not empty (a copy goes into a new store only)")
          }
        }
        for table in Self.copiedTables {
          let source = try database.read { try $0.rows("SELECT * FROM \(table)") }
          for row in source {
            let marks = Array(repeating: "?", count: row.columns.count).joined(separator: ", ")
            try db.execute("INSERT INTO \(table) (\(row.columns.joined(separator: ", "))) VALUES (\(marks))", row.values)
          }
          rows.append((table, source.count))
        }
        try target.database.continueIdentities(db, tables: ["audit_log", "outbox"])
        let copied = rows.map { "\($0.count) \($0.table)" }.joined(separator: ", ")
        return try Self.insertAudit(
          db, key: targetKey, actor: actor, action: "store-copy", accession: nil, version: nil, outcome: "ok",
          detail: "copied from \(database.description): \(copied)", command: nil)
      }
    } catch let e as StoreError {
      throw e
    } catch {
      throw .database("not copied: \(error)")
    }
    try head.advance(target.anchorPath, key: targetKey, create: true)
    let after = try target.verify()
    guard after.intact, after.versions == before.versions, after.ledgerEntries == before.ledgerEntries + 1 else {
      throw .database("the copy does not verify (\(after.problems.count) problem(s), \(after.versions) of \(before.versions) versions); run 'synoptic verify' on the target")
    }
    return CopyReport(rows: rows, verification: after)
  }
}
