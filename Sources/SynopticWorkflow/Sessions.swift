import Foundation
import SynopticCore
import SynopticStore

/// How long a browser session lasts, and how recent a password must be to sign.
public struct SessionPolicy: Sendable, Equatable {
  /// Ended after this long without a request (HIPAA's automatic logoff).
  public var idle: TimeInterval
  /// Ended this long after login, however busy.
  public var absolute: TimeInterval
  /// Signing through a session needs the password re-entered within this long.
  public var confirmation: TimeInterval

  public init(idle: TimeInterval = 30 * 60, absolute: TimeInterval = 12 * 3600, confirmation: TimeInterval = 5 * 60) {
    self.idle = idle
    self.absolute = absolute
    self.confirmation = confirmation
  }
}

/// What a request through a browser session carries besides its role.
public struct SessionProof: Sendable, Equatable {
  /// The start of the session id's SHA-256: enough to name the session in a record, not to use it.
  public var reference: String
  /// When the password was last re-entered in this session.
  public var confirmedAt: Date?
  /// The token every state-changing request of the session must carry.
  public var csrfToken: String
  public var expiresAt: Date
}

/// Browser sessions: started by a login with a new random id (a session id
/// from before the login is never kept), kept in the store so any instance
/// can serve any request, ended by logout, by the idle timeout and by the
/// absolute one. The id travels only in an HttpOnly cookie; the store keeps
/// its SHA-256.
extension Workflow {
  public enum SessionStart: Sendable, Equatable {
    case started(id: String, requester: Requester)
    case refused(delay: Duration)
    case locked(until: String)
  }

  public func startSession(
    username: String, password: String, client: String?, command: String? = nil, policy: SessionPolicy = SessionPolicy(), now: Date = Date()
  ) throws(WorkflowError) -> SessionStart {
    let store = try requireStore()
    switch try login(username: username, password: password, command: command, now: now) {
    case .refused(let delay): return .refused(delay: delay)
    case .locked(let until): return .locked(until: until)
    case .signedIn(var requester):
      let id = Self.newSessionId()
      let hash = ReportStore.sha256(Data(id.utf8))
      do throws(StoreError) {
        try store.createSession(idSHA256: hash, username: requester.name, client: client, at: Self.iso(now))
      } catch {
        throw .store(error)
      }
      requester.session = SessionProof(
        reference: String(hash.prefix(12)), confirmedAt: nil, csrfToken: Self.csrfToken(forSession: id), expiresAt: now.addingTimeInterval(policy.absolute))
      return .started(id: id, requester: requester)
    }
  }

  /// The requester a session cookie stands for, or nil when the session is
  /// unknown, ended, idle too long or too old (then it is ended, and audited).
  public func session(_ id: String, command: String? = nil, policy: SessionPolicy = SessionPolicy(), now: Date = Date()) throws(WorkflowError) -> Requester? {
    let store = try requireStore()
    guard id.utf8.count <= 128 else { return nil }
    let hash = ReportStore.sha256(Data(id.utf8))
    let record: SessionRecord?
    let account: Account?
    do throws(StoreError) {
      record = try store.session(idSHA256: hash)
      account = try record.flatMap { r throws(StoreError) in try store.account(r.username) }
    } catch {
      throw .store(error)
    }
    guard let record, record.endedAt == nil, let account else { return nil }
    guard let created = Timestamp(record.createdAt)?.date, let seen = Timestamp(record.lastSeenAt)?.date else { return nil }
    let why: String?
    if !account.active {
      why = "account disabled"
    } else if now.timeIntervalSince(created) > policy.absolute {
      why = "expired after \(Int(policy.absolute / 3600)) hours"
    } else if now.timeIntervalSince(seen) > policy.idle {
      why = "idle for more than \(Int(policy.idle / 60)) minutes"
    } else {
      why = nil
    }
    if let why {
      do throws(StoreError) { try store.endSession(idSHA256: hash, username: record.username, why: why, command: command) } catch { throw .store(error) }
      return nil
    }
    // A minute's precision is enough for the idle timeout and spares a write per request.
    if now.timeIntervalSince(seen) > 60 {
      do throws(StoreError) { try store.touchSession(idSHA256: hash, at: Self.iso(now)) } catch { throw .store(error) }
    }
    var requester = Requester(name: account.username, command: command, authority: account.authority)
    requester.session = SessionProof(
      reference: String(hash.prefix(12)), confirmedAt: record.confirmedAt.flatMap { Timestamp($0)?.date },
      csrfToken: Self.csrfToken(forSession: id), expiresAt: min(created.addingTimeInterval(policy.absolute), now.addingTimeInterval(policy.idle)))
    return requester
  }

  /// Re-enters the password in a session, which signing needs. A wrong
  /// password counts as a failed login (and can lock the account).
  public func confirmSession(_ id: String, password: String, command: String? = nil, policy: SessionPolicy = SessionPolicy(), now: Date = Date()) throws(WorkflowError) -> LoginOutcome {
    let store = try requireStore()
    guard let requester = try session(id, command: command, policy: policy, now: now) else {
      throw WorkflowError(.forbidden, "the session has ended; sign in again")
    }
    let outcome = try login(username: requester.name, password: password, command: command, now: now)
    if case .signedIn = outcome {
      do throws(StoreError) {
        try store.confirmSession(idSHA256: ReportStore.sha256(Data(id.utf8)), at: Self.iso(now))
      } catch {
        throw .store(error)
      }
    }
    return outcome
  }

  /// Ends a session (logout), audited.
  public func endSession(_ id: String, why: String = "logout", command: String? = nil) throws(WorkflowError) {
    let store = try requireStore()
    let hash = ReportStore.sha256(Data(id.utf8))
    do throws(StoreError) {
      guard let record = try store.session(idSHA256: hash), record.endedAt == nil else { return }
      try store.endSession(idSHA256: hash, username: record.username, why: why, command: command)
    } catch {
      throw .store(error)
    }
  }

  /// A session's CSRF token: derived from the session id, which only the
  /// browser's HttpOnly cookie and the server know, so a page of ours can
  /// carry it and another site cannot learn it.
  public static func csrfToken(forSession id: String) -> String {
    String(ReportStore.sha256(Data("synoptic-csrf:\(id)".utf8)).prefix(32))
  }

  static func newSessionId() -> String { ReportStore.randomSecret(prefix: "s_") }

}
