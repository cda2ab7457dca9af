import Hummingbird
import SynopticWorkflow

/// What a request carries through the middleware to its route: the
/// requester its credential stands for, once authenticated.
public struct APIContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  /// Set by the bearer middleware for every route under /api/v1.
  public var requester: Requester?
  /// The body limit; the server sets it from its settings.
  public var maxBodyBytes: Int = ServerSettings().maxBodyBytes

  /// The peer's address, for the audit log (the proxy's, behind one).
  public var client: String?

  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    client = source.channel.remoteAddress?.ipAddress
  }

  public var maxUploadSize: Int { maxBodyBytes }
}
