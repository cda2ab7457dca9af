import Foundation
import SynopticCore

/// A browser session as the store keeps it; the session id itself is only
/// ever in the browser's cookie.
public struct SessionRecord: Sendable, Equatable {
  public var idSHA256: String
  public var username: String
  public var client: String?
  public var createdAt: String
  public var lastSeenAt: String
  /// When the password was last re-entered (signing needs a recent one).
  public var confirmedAt: String?
  public var endedAt: String?
  public var endedWhy: String?
}

extension ReportStore {
  /// Starts a session for an account that has just signed in.
  public func createSession(idSHA256: String, username: String, client: String?, at: String) throws(StoreError) {
    do {
      try database.writeOutsideLedger { db in
        try db.execute("INSERT INTO session (id_sha256, username, client, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)", [idSHA256, username, client, at, at])
      }
    } catch {
      throw .database("cannot start the session: \(error)")
    }
  }

  public func session(idSHA256: String) throws(StoreError) -> SessionRecord? {
    try read { db in
      try db.row("SELECT * FROM session WHERE id_sha256 = ?", [idSHA256]).map { row in
        SessionRecord(
          idSHA256: try row.decode(forColumn: "id_sha256"), username: try row.decode(forColumn: "username"),
          client: try row.decode(forColumn: "client"), createdAt: try row.decode(forColumn: "created_at"),
          lastSeenAt: try row.decode(forColumn: "last_seen_at"), confirmedAt: try row.decode(forColumn: "confirmed_at"),
          endedAt: try row.decode(forColumn: "ended_at"), endedWhy: try row.decode(forColumn: "ended_why"))
      }
    }
  }

  /// Marks the session used now (for the idle timeout).
  public func touchSession(idSHA256: String, at: String) throws(StoreError) {
    do {
      try database.writeOutsideLedger { db in try db.execute("UPDATE session SET last_seen_at = ? WHERE id_sha256 = ? AND ended_at IS NULL", [at, idSHA256]) }
    } catch {
      throw .database("cannot update the session: \(error)")
    }
  }

  /// Records that the password was re-entered now.
  public func confirmSession(idSHA256: String, at: String) throws(StoreError) {
    do {
      try database.writeOutsideLedger { db in
        try db.execute("UPDATE session SET confirmed_at = ?, last_seen_at = ? WHERE id_sha256 = ? AND ended_at IS NULL", [at, at, idSHA256])
      }
    } catch {
      throw .database("cannot update the session: \(error)")
    }
  }

  /// Ends a session (logout, idle, expired, a new login) and audits it.
  public func endSession(idSHA256: String, username: String, why: String, command: String?) throws(StoreError) {
    try writeAudited(actor: username, action: "session-end", detail: why, command: command) { db in
      try db.execute("UPDATE session SET ended_at = ?, ended_why = ? WHERE id_sha256 = ? AND ended_at IS NULL", [Self.now(), why, idSHA256])
    }
  }
}
