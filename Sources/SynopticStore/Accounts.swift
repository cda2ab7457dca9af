import Foundation
import SynopticCore

/// A person who signs in: their role, the directory pathologist a
/// pathologist account signs as, and the state of their password guessing.
/// The store keeps a bcrypt hash of the password, never the password.
public struct Account: Sendable, Equatable {
  public enum Role: String, Sendable, CaseIterable {
    /// Prepares drafts and reads; never signs.
    case resident
    /// Also signs out, amends, adds addenda and retracts, as their own directory pathologist.
    case pathologist
    /// Accounts, tokens and templates; no case content.
    case admin
    /// The audit log, read only.
    case auditor
  }

  public var username: String
  public var role: Role
  public var pathologist: String?
  public var createdAt: String
  public var disabledAt: String?
  public var failedLogins: Int
  public var lockedUntil: String?
  public var active: Bool { disabledAt == nil }
}

extension ReportStore {
  /// Adds an account; refused when the name is taken (disabled accounts keep theirs).
  public func createAccount(username: String, role: Account.Role, pathologist: String?, passwordHash: String, by actor: String) throws(StoreError) {
    try writeAudited(actor: actor, action: "account-create", detail: "\(username) (\(role.rawValue)\(pathologist.map { " as \($0)" } ?? ""))") { db in
      if try db.value(as: Bool.self, "SELECT 1 FROM account WHERE username = ?", [username]) == true {
        throw StoreError.database("an account named '\(username.terminalSafe)' exists; choose another name")
      }
      try db.execute("INSERT INTO account (username, role, pathologist, password_bcrypt, created_at) VALUES (?, ?, ?, ?, ?)", [username, role.rawValue, pathologist, passwordHash, Self.now()])
    }
  }

  /// Every account, in name order, disabled ones included.
  public func accounts() throws(StoreError) -> [Account] {
    try read { db in try db.rows("SELECT * FROM account ORDER BY username").map(Self.account) }
  }

  public func account(_ username: String) throws(StoreError) -> Account? {
    try read { db in try db.row("SELECT * FROM account WHERE username = ?", [username]).map(Self.account) }
  }

  /// The stored hash of an active account's password, for checking a login.
  public func passwordHash(_ username: String) throws(StoreError) -> String? {
    try read { db in
      try db.value(as: String.self, "SELECT password_bcrypt FROM account WHERE username = ? AND disabled_at IS NULL", [username])
    }
  }

  public func disableAccount(_ username: String, by actor: String) throws(StoreError) {
    try writeAudited(actor: actor, action: "account-disable", detail: username) { db in
      let changed = try db.rows("UPDATE account SET disabled_at = ? WHERE username = ? AND disabled_at IS NULL RETURNING username", [Self.now(), username])
      guard changed.count == 1 else { throw StoreError.database("no active account named '\(username.terminalSafe)'") }
    }
  }

  /// Replaces a password's hash; clears failed logins and any lock.
  public func setPassword(_ username: String, hash: String, by actor: String) throws(StoreError) {
    try writeAudited(actor: actor, action: "account-password", detail: username) { db in
      let changed = try db.rows(
        "UPDATE account SET password_bcrypt = ?, failed_logins = 0, locked_until = NULL WHERE username = ? AND disabled_at IS NULL RETURNING username",
        [hash, username])
      guard changed.count == 1 else { throw StoreError.database("no active account named '\(username.terminalSafe)'") }
    }
  }

  /// Records a login attempt: its outcome in the audit log, and the failure
  /// count and lock it leaves (nil for a name that is no account).
  public func recordLogin(
    _ username: String, outcome: String, failedLogins: Int?, lockedUntil: String?, detail: String, command: String?
  ) throws(StoreError) {
    try writeAudited(actor: username, action: "login", outcome: outcome, detail: detail, command: command) { db in
      if let failedLogins {
        try db.execute("UPDATE account SET failed_logins = ?, locked_until = ? WHERE username = ?", [failedLogins, lockedUntil, username])
      }
    }
  }

  static func account(_ row: StoreRow) throws -> Account {
    let role: String = try row.decode(forColumn: "role")
    guard let r = Account.Role(rawValue: role) else { throw StoreError.database("a stored account has the unknown role '\(role)'") }
    return Account(
      username: try row.decode(forColumn: "username"), role: r, pathologist: try row.decode(forColumn: "pathologist"),
      createdAt: try row.decode(forColumn: "created_at"), disabledAt: try row.decode(forColumn: "disabled_at"),
      failedLogins: try row.decode(forColumn: "failed_logins"), lockedUntil: try row.decode(forColumn: "locked_until"))
  }
}
