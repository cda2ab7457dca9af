import SynopticStore

/// API tokens for the systems that will call the HTTP service: made, listed
/// and revoked here, so every face applies the same rules.
extension Workflow {
  /// Makes a token; a pathologist token must name a pathologist of the site's directory.
  public func createToken(name: String, role: APIToken.Role, pathologist: String?, by requester: Requester) throws(WorkflowError) -> (APIToken, String) {
    let store = try requireStore()
    if let pathologist { _ = try signer(pathologist) }
    if role == .interface, pathologist != nil { throw WorkflowError(.usage, "an interface token signs as no one; leave out --pathologist") }
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
    do throws(StoreError) { try store.revokeToken(name: name, by: requester.name) } catch { throw WorkflowError(.refused, error.description) }
  }
}
