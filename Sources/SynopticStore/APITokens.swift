import Foundation
import SynopticCore

/// A bearer token's record: who it is for and what it may do. The token
/// itself is shown once, when it is made; the store keeps its SHA-256 only.
public struct APIToken: Sendable, Equatable {
  public enum Role: String, Sendable, CaseIterable {
    /// An interface engine or LIS: reads reports, validates and renders cases; never signs.
    case interface
    /// Signs as the pathologist it names.
    case pathologist
    /// Reads the audit log and nothing else.
    case auditor
  }

  public var name: String
  public var role: Role
  /// The directory id a pathologist token signs as.
  public var pathologist: String?
  public var createdAt: String
  public var revokedAt: String?
  public var active: Bool { revokedAt == nil }
}

extension ReportStore {
  /// Makes a token: 256 random bits, `syn_` and base64url. Returns the record
  /// and the token, which is never stored and cannot be shown again.
  public func createToken(name: String, role: APIToken.Role, pathologist: String?, by actor: String) throws(StoreError) -> (APIToken, String) {
    guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
      throw .database("token name '\(name.terminalSafe)' must be 1 to 64 letters, digits, dots, hyphens or underscores")
    }
    if role == .pathologist, pathologist == nil { throw .database("a pathologist token names the pathologist it signs as") }
    let token = Self.randomSecret(prefix: "syn_")
    let record = APIToken(name: name, role: role, pathologist: role == .pathologist ? pathologist : nil, createdAt: Self.now(), revokedAt: nil)
    try writeAudited(actor: actor, action: "token-create", detail: "\(name) (\(role.rawValue)\(record.pathologist.map { " as \($0)" } ?? ""))") { db in
      if try db.value(as: Bool.self, "SELECT 1 FROM api_token WHERE name = ?", [name]) == true {
        throw StoreError.database("a token named '\(name)' exists; revoke it and choose another name")
      }
      try db.execute("INSERT INTO api_token (name, role, pathologist, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)", [name, role.rawValue, record.pathologist, Self.sha256(Data(token.utf8)), record.createdAt])
    }
    return (record, token)
  }

  /// 256 random bits as base64url after `prefix`: API tokens and session ids.
  public static func randomSecret(prefix: String) -> String {
    var g = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
    return prefix + Data(bytes).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
  }

  /// Every token, newest first, revoked ones included.
  public func tokens() throws(StoreError) -> [APIToken] {
    try read { db in
      try db.rows("SELECT * FROM api_token ORDER BY created_at DESC, name").map(Self.token)
    }
  }

  /// The active token a bearer credential is, or nil.
  public func token(authenticating credential: String) throws(StoreError) -> APIToken? {
    try read { db in
      try db.row("SELECT * FROM api_token WHERE token_sha256 = ? AND revoked_at IS NULL", [Self.sha256(Data(credential.utf8))]).map(Self.token)
    }
  }

  /// Revokes a token by name; refused when there is no active one of that name.
  public func revokeToken(name: String, by actor: String) throws(StoreError) {
    try writeAudited(actor: actor, action: "token-revoke", detail: name) { db in
      let changed = try db.rows("UPDATE api_token SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING name", [Self.now(), name])
      guard changed.count == 1 else { throw StoreError.database("no active token named '\(name.terminalSafe)'") }
    }
  }

  static func token(_ row: StoreRow) throws -> APIToken {
    let role: String = try row.decode(forColumn: "role")
    guard let r = APIToken.Role(rawValue: role) else { throw StoreError.database("a stored token has the unknown role '\(role)'") }
    return APIToken(
      name: try row.decode(forColumn: "name"), role: r, pathologist: try row.decode(forColumn: "pathologist"),
      createdAt: try row.decode(forColumn: "created_at"), revokedAt: try row.decode(forColumn: "revoked_at"))
  }
}
