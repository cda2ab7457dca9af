import Foundation
import SynopticCore

/// A message waiting to be, or having been, delivered.
public struct OutboxMessage: Sendable, Equatable {
  public enum Status: String, Sendable, CaseIterable {
    /// Waiting for its next attempt.
    case pending
    /// The receiver accepted it (MLLP AA, HTTP 2xx, file written).
    case delivered
    /// The receiver refused it for good (MLLP AE, HTTP 4xx); not retried.
    case failed
    /// Every attempt was used up; an operator may put it back.
    case dead
  }

  public var id: Int64
  public var accession: String
  public var version: Int
  public var destination: String
  public var format: String
  public var status: Status
  public var attempts: Int
  public var nextAttemptAt: String
  public var lastError: String?
  public var ack: String?
  /// Every MSH-10 sent for it, first to last (a resend gets a new one).
  public var controlIds: [String]
}

extension ReportStore {
  /// Every message, oldest first.
  public func outbox() throws(StoreError) -> [OutboxMessage] {
    try read { db in try db.rows("SELECT * FROM outbox ORDER BY id").map(Self.message) }
  }

  /// Pending messages whose time has come, oldest first, leaving out any whose
  /// accession has an earlier version not yet delivered to the same destination
  /// (version 2 never arrives before version 1).
  public func dueMessages(now: String) throws(StoreError) -> [OutboxMessage] {
    try read { db in
      try db.rows("""
        SELECT * FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?
          AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.accession = o.accession AND e.destination = o.destination
                          AND e.version < o.version AND e.status != 'delivered')
        ORDER BY o.id
        """, [now]).map(Self.message)
    }
  }

  /// Takes a due message for `seconds`, so that no other deliverer sends it
  /// meanwhile; false when another has it or it is no longer due.
  public func claim(_ id: Int64, now: String, until: String) throws(StoreError) -> Bool {
    do {
      return try database.writeOutsideLedger { db in
        try db.rows(
          "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at <= ? RETURNING id", [until, id, now]
        ).count == 1
      }
    } catch {
      throw .database("cannot claim outbox message \(id): \(error)")
    }
  }

  /// Records an attempt's result and audits it in the same transaction.
  public func recordDelivery(_ m: OutboxMessage, actor: String) throws(StoreError) {
    let detail = "\(m.destination) \(m.format) #\(m.id): \(m.status.rawValue) after \(m.attempts) attempt(s)" + (m.lastError.map { "; \($0)" } ?? "")
    let outcome = m.status == .delivered ? "ok" : m.status == .pending ? "retry" : m.status.rawValue
    try writeAudited(actor: actor, action: "deliver", outcome: outcome, detail: detail) { db in
      try db.execute("""
          UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, ack = ?, control_ids = ?, updated_at = ?
          WHERE id = ?
          """, [m.status.rawValue, m.attempts, m.nextAttemptAt, m.lastError, m.ack, m.controlIds.joined(separator: ","), Self.now(), m.id])
    }
  }

  /// Puts a failed or dead message back in the queue, due now; audited.
  public func retryMessage(_ id: Int64, by actor: String) throws(StoreError) {
    try writeAudited(actor: actor, action: "outbox-retry", detail: "#\(id)") { db in
      let changed = try db.rows(
        "UPDATE outbox SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ? AND status IN ('failed', 'dead') RETURNING id",
        [Self.now(), Self.now(), id])
      guard changed.count == 1 else { throw StoreError.database("no failed or dead outbox message #\(id)") }
    }
  }

  static func message(_ row: StoreRow) throws -> OutboxMessage {
    let status: String = try row.decode(forColumn: "status")
    guard let s = OutboxMessage.Status(rawValue: status) else { throw StoreError.database("an outbox message has the unknown status '\(status)'") }
    let ids: String? = try row.decode(forColumn: "control_ids")
    return OutboxMessage(
      id: try row.decode(forColumn: "id"), accession: try row.decode(forColumn: "accession"), version: try row.decode(forColumn: "version"),
      destination: try row.decode(forColumn: "destination"), format: try row.decode(forColumn: "format"), status: s,
      attempts: try row.decode(forColumn: "attempts"), nextAttemptAt: try row.decode(forColumn: "next_attempt_at"),
      lastError: try row.decode(forColumn: "last_error"), ack: try row.decode(forColumn: "ack"),
      controlIds: ids.map { $0.split(separator: ",").map(String.init) } ?? [])
  }
}
