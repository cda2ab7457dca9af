import Foundation
import HummingbirdBcrypt
import SynopticCore
import SynopticStore

/// The people who sign in: accounts made, listed, disabled and given new
/// passwords here, and the login rule that slows down and then stops
/// password guessing. The store keeps bcrypt hashes only.
extension Workflow {
  /// bcrypt's cost: 2^11 rounds take about a fifth of a second on the
  /// project's build machine (`Benchmarks/README.md`), slow for a guesser,
  /// bearable at a login.
  public static let bcryptCost: UInt8 = 11
  /// Failed logins in a row before the account locks.
  public static let loginAttempts = 5
  /// How long a locked account stays locked.
  public static let lockout: TimeInterval = 15 * 60

  /// Adds an account. A pathologist account names a pathologist of the
  /// site's directory, whose identity its signatures carry; no other role names one.
  public func addUser(username: String, role: Account.Role, pathologist: String?, password: String, by requester: Requester) throws(WorkflowError) {
    let store = try requireStore()
    try permit(requester, "account-create", nil, in: store) { r throws(WorkflowError) in try r.mustAdminister() }
    try Self.checkUsername(username)
    switch (role, pathologist) {
    case (.pathologist, nil): throw WorkflowError(.usage, "a pathologist account names the directory pathologist it signs as (--pathologist ID)")
    case (.pathologist, let id?): _ = try signer(id)
    case (_, .some): throw WorkflowError(.usage, "only a pathologist account names a pathologist; leave out --pathologist")
    case (_, nil): break
    }
    try Self.checkPassword(password, username: username)
    let hash = Bcrypt.hash(password, cost: Self.bcryptCost)
    do throws(StoreError) {
      try store.createAccount(username: username, role: role, pathologist: pathologist, passwordHash: hash, by: requester.name)
    } catch {
      throw WorkflowError(.refused, error.description)
    }
  }

  public func users(by requester: Requester) throws(WorkflowError) -> [Account] {
    let store = try requireStore()
    try permit(requester, "account-list", nil, in: store) { r throws(WorkflowError) in try r.mustAdminister() }
    do throws(StoreError) { return try store.accounts() } catch { throw .store(error) }
  }

  public func disableUser(_ username: String, by requester: Requester) throws(WorkflowError) {
    let store = try requireStore()
    try permit(requester, "account-disable", nil, in: store) { r throws(WorkflowError) in try r.mustAdminister() }
    do throws(StoreError) { try store.disableAccount(username, by: requester.name) } catch { throw WorkflowError(.refused, error.description) }
  }

  /// Sets a new password (and lifts a lock).
  public func changePassword(_ username: String, to password: String, by requester: Requester) throws(WorkflowError) {
    let store = try requireStore()
    try permit(requester, "account-password", nil, in: store) { r throws(WorkflowError) in try r.mustAdminister() }
    try Self.checkPassword(password, username: username)
    let hash = Bcrypt.hash(password, cost: Self.bcryptCost)
    do throws(StoreError) { try store.setPassword(username, hash: hash, by: requester.name) } catch { throw WorkflowError(.refused, error.description) }
  }

  /// What a login attempt gave.
  public enum LoginOutcome: Sendable, Equatable {
    case signedIn(Requester)
    /// Wrong name or password; the face waits `delay` before answering.
    case refused(delay: Duration)
    /// Too many failures: no password is checked until `until`.
    case locked(until: String)
  }

  /// Checks a password. A wrong one counts against the account and slows the
  /// next answer (a second per failure in a row); the fifth in a row locks
  /// the account for fifteen minutes. A name that is no account costs the
  /// same bcrypt check, so timing does not tell names apart. Every attempt is audited.
  public func login(username: String, password: String, command: String? = nil, now: Date = Date()) throws(WorkflowError) -> LoginOutcome {
    let store = try requireStore()
    let name = String(username.prefix(64))
    let account: Account?
    let hash: String?
    do throws(StoreError) {
      account = try store.account(name)
      hash = try store.passwordHash(name)
    } catch {
      throw .store(error)
    }
    func record(_ outcome: String, failures: Int?, lockedUntil: String?, _ detail: String) throws(WorkflowError) {
      do throws(StoreError) {
        try store.recordLogin(name, outcome: outcome, failedLogins: failures, lockedUntil: lockedUntil, detail: detail, command: command)
      } catch {
        throw .store(error)
      }
    }
    if let account, let until = account.lockedUntil, let t = Timestamp(until), t.date > now {
      try record("locked", failures: account.failedLogins, lockedUntil: until, "locked until \(until)")
      return .locked(until: until)
    }
    let matches = Bcrypt.verify(password, hash: hash ?? Self.absentHash)
    guard let account, account.active, hash != nil, matches else {
      guard let account, account.active else {
        try record("failed", failures: nil, lockedUntil: nil, account == nil ? "no such account" : "account disabled")
        return .refused(delay: .seconds(1))
      }
      let failures = account.failedLogins + 1
      if failures >= Self.loginAttempts {
        let until = Self.iso(now.addingTimeInterval(Self.lockout))
        try record("locked", failures: failures, lockedUntil: until, "\(failures) failed logins in a row; locked until \(until)")
        return .locked(until: until)
      }
      try record("failed", failures: failures, lockedUntil: nil, "wrong password (\(failures) in a row)")
      return .refused(delay: .seconds(failures))
    }
    try record("ok", failures: 0, lockedUntil: nil, "signed in")
    return .signedIn(Requester(name: account.username, command: command, authority: account.authority))
  }

  /// A hash no password matches, checked for names that are no account.
  static let absentHash = Bcrypt.hash("synoptic: no such account \(UUID().uuidString)", cost: bcryptCost)

  /// A time to the second, as signatures and sessions record it.
  public static func iso(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: date)
  }

  static func checkUsername(_ username: String) throws(WorkflowError) {
    guard username.range(of: #"^[a-z0-9][a-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
      throw WorkflowError(.usage, "'\(username.terminalSafe)' is not a user name: 1 to 64 lower-case letters, digits, dots, hyphens or underscores")
    }
  }

  /// At least 12 characters, at most 72 bytes (bcrypt reads no further), not
  /// the user name, no control characters.
  static func checkPassword(_ password: String, username: String) throws(WorkflowError) {
    if password.count < 12 { throw WorkflowError(.usage, "the password is shorter than 12 characters") }
    if password.utf8.count > 72 { throw WorkflowError(.usage, "the password is longer than 72 bytes, which bcrypt does not read past") }
    if password.lowercased().contains(username.lowercased()) { throw WorkflowError(.usage, "the password contains the user name") }
    if password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      throw WorkflowError(.usage, "the password contains a control character")
    }
  }
}

extension Account {
  /// What the account may do, as a requester.
  public var authority: Requester.Authority {
    switch role {
    case .resident: return .resident
    case .pathologist: return .pathologist(pathologist ?? "")
    case .admin: return .admin
    case .auditor: return .auditor
    }
  }
}
