import Foundation
import SynopticCore

/// A case being prepared: its source as last saved, and who saved it when.
public struct DraftRecord: Sendable, Equatable {
  public var accession: String
  public var revision: Int
  public var caseSource: Data
  /// The template the draft's form uses; nil when the case's procedures choose it.
  public var templateId: String?
  public var createdBy: String
  public var createdAt: String
  public var updatedBy: String
  public var updatedAt: String
}

extension ReportStore {
  /// Saves a draft: a new one when `expectedRevision` is nil, else over that
  /// revision only (a save over a stale revision is a conflict, and nothing
  /// is written). Audited in the same transaction.
  public func saveDraft(
    accession: String, caseSource: Data, templateId: String? = nil, expectedRevision: Int?, by actor: String, command: String?
  ) throws(StoreError) -> DraftRecord {
    let key = try writingKey()
    let now = Self.now()
    let result: (DraftRecord, StoreAnchor)
    do {
      result = try database.write { db in
        let current = try db.value(as: Int.self, "SELECT revision FROM draft WHERE accession = ?", [accession])
        guard current == expectedRevision else {
          throw StoreError.draftConflict(accession: accession, expected: expectedRevision, found: current)
        }
        let revision = (current ?? 0) + 1
        if current == nil {
          try db.execute("INSERT INTO draft (accession, revision, case_source, template_id, created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [accession, revision, caseSource, templateId, actor, now, actor, now])
        } else {
          try db.execute("UPDATE draft SET revision = ?, case_source = ?, template_id = COALESCE(?, template_id), updated_by = ?, updated_at = ? WHERE accession = ?", [revision, caseSource, templateId, actor, now, accession])
        }
        let record = try db.row("SELECT * FROM draft WHERE accession = ?", [accession]).map(Self.draft)
        guard let record else { throw StoreError.database("the draft of \(accession) did not read back") }
        let head = try Self.insertAudit(
          db, key: key, actor: actor, action: "draft-save", accession: accession, version: nil, outcome: "ok",
          detail: "revision \(revision), \(caseSource.count) bytes, SHA-256 \(Self.sha256(caseSource).prefix(16))", command: command)
        return (record, head)
      }
    } catch let e as StoreError {
      throw e
    } catch {
      throw .database("\(error)")
    }
    try result.1.advance(anchorPath, key: key)
    return result.0
  }

  public func draft(_ accession: String) throws(StoreError) -> DraftRecord? {
    try read { db in try db.row("SELECT * FROM draft WHERE accession = ?", [accession]).map(Self.draft) }
  }

  /// Every draft, most recently saved first (the sources included).
  public func drafts() throws(StoreError) -> [DraftRecord] {
    try read { db in try db.rows("SELECT * FROM draft ORDER BY updated_at DESC, accession").map(Self.draft) }
  }

  static func draft(_ row: StoreRow) throws -> DraftRecord {
    DraftRecord(
      accession: try row.decode(forColumn: "accession"), revision: try row.decode(forColumn: "revision"),
      caseSource: try row.decode(forColumn: "case_source"), templateId: try row.decode(forColumn: "template_id"), createdBy: try row.decode(forColumn: "created_by"),
      createdAt: try row.decode(forColumn: "created_at"), updatedBy: try row.decode(forColumn: "updated_by"),
      updatedAt: try row.decode(forColumn: "updated_at"))
  }
}

extension ReportStore {
  /// Discards a draft at the revision its owner last saw (a newer save is a
  /// conflict). Audited in the same transaction.
  public func discardDraft(accession: String, revision: Int, by actor: String, command: String?) throws(StoreError) {
    let key = try writingKey()
    let head: StoreAnchor
    do {
      head = try database.write { db in
        let current = try db.value(as: Int.self, "SELECT revision FROM draft WHERE accession = ?", [accession])
        guard current == revision else { throw StoreError.draftConflict(accession: accession, expected: revision, found: current) }
        try db.execute("DELETE FROM draft WHERE accession = ?", [accession])
        return try Self.insertAudit(
          db, key: key, actor: actor, action: "draft-discard", accession: accession, version: nil, outcome: "ok",
          detail: "revision \(revision)", command: command)
      }
    } catch let e as StoreError {
      throw e
    } catch {
      throw .database("\(error)")
    }
    try head.advance(anchorPath, key: key)
  }
}
