import SynopticWorkflow

/// How `synoptic serve` listens and what it accepts.
public struct ServerSettings: Sendable {
  public var host: String
  public var port: Int
  /// The largest request body accepted (413 beyond).
  public var maxBodyBytes: Int
  /// How long a request other than a signature may take before a 503.
  public var requestTimeoutSeconds: Double
  /// Browser sessions' timeouts.
  public var sessions: SessionPolicy
  /// Mark the session cookie Secure (behind a TLS-terminating proxy).
  public var secureCookies: Bool
  /// How often the outbox is looked at.
  public var deliveryIntervalSeconds: Double = 5

  public init(
    host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 1 << 20, requestTimeoutSeconds: Double = 30,
    sessions: SessionPolicy = SessionPolicy(), secureCookies: Bool = false
  ) {
    self.host = host
    self.port = port
    self.maxBodyBytes = maxBodyBytes
    self.requestTimeoutSeconds = requestTimeoutSeconds
    self.sessions = sessions
    self.secureCookies = secureCookies
  }
}
