import SynopticStore

/// API tokens for the systems that will call the HTTP service: made, listed
/// and revoked here, so every face applies the same rules.
extension Workflow {
  /// Makes a token; a pathologist token must name a pathologist of the site's directory.
  public func createToken(name: String, role: APIToken.Role, pathologist: String?, by requester: Requester) throws(WorkflowError) -> (APIToken, String) {
    let store = try requireStore()
    try permit(requester, "token-create", nil, in: store) { r throws(WorkflowError) in try r.mustAdminister() }
    if let pathologist { _ = try signer(pathologist) }
    if role != .pathologist, pathologist != nil { throw WorkflowError(.usage, "an \(role.rawValue) token signs as no one; leave out --pathologist") }
    do throws(StoreError) {
      return try store.createToken(name: name, role: role, pathologist: pathologist, by: requester.name)
    } catch {
      throw WorkflowError(.refused, error.description)
    }
  }

  public func tokens() throws(WorkflowError) -> [APIToken] {
    let store = try requireStore()
    do throws(StoreError) { return try store.tokens() } catch { throw .store(error) }
  }

  public func revokeToken(name: String, by requester: Requester) throws(WorkflowError) {
    let store = try requireStore()
    try permit(requester, "token-revoke", nil, in: store) { r throws(WorkflowError) in try r.mustAdminister() }
    do throws(StoreError) { try store.revokeToken(name: name, by: requester.name) } catch { throw WorkflowError(.refused, error.description) }
  }
}

extension Workflow {
  /// The requester a bearer credential stands for, or nil when it is no
  /// active token. The refusal is audited (without the credential).
  public func authenticate(bearer credential: String?, command: String) throws(WorkflowError) -> Requester? {
    let store = try requireStore()
    let token: APIToken?
    if let credential, credential.utf8.count <= Self.maxCredentialBytes {
      do throws(StoreError) { token = try store.token(authenticating: credential) } catch { throw .store(error) }
    } else {
      token = nil
    }
    guard let token else {
      let why = credential == nil ? "no bearer token" : "an unknown, revoked or malformed token"
      try recordRefusal(action: "authenticate", why: why, command: command, in: store)
      return nil
    }
    switch token.role {
    case .interface: return Requester(name: token.name, command: command, authority: .interface)
    case .pathologist: return Requester(name: token.name, command: command, authority: .pathologist(token.pathologist ?? ""))
    case .auditor: return Requester(name: token.name, command: command, authority: .auditor)
    }
  }

  /// Tokens are `syn_` and 43 characters; anything far longer is not one.
  static let maxCredentialBytes = 256

  /// A refusal a face made (a forged cross-site request), in the audit log.
  public func refuseRequest(by name: String?, action: String, why: String, command: String) throws(WorkflowError) {
    let store = try requireStore()
    do throws(StoreError) {
      try store.recordAttempt(actor: name, action: action, accession: nil, outcome: "refused", detail: why, command: command)
    } catch {
      throw .store(error)
    }
  }

  func recordRefusal(action: String, why: String, command: String, in store: ReportStore) throws(WorkflowError) {
    do throws(StoreError) {
      try store.recordAttempt(actor: nil, action: action, accession: nil, outcome: "refused", detail: why, command: command)
    } catch {
      throw .store(error)
    }
  }
}
