import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import SynopticCore
import SynopticWorkflow

/// Gives every request an id and the server's body limit, logs it by its
/// route pattern (never its path, which may carry an accession, nor its
/// body), and turns every error into a problem document: a client's mistake
/// is never a 500.
struct ProblemMiddleware: RouterMiddleware {
  typealias Context = APIContext
  let maxBodyBytes: Int

  func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
    let requestId = request.headers[Self.requestIdField].flatMap(Self.acceptableId) ?? Self.newId()
    var context = context
    context.maxBodyBytes = maxBodyBytes
    context.logger[metadataKey: "request_id"] = .string(requestId)
    let started = ContinuousClock.now
    var response: Response
    do {
      response = try await next(request, context)
    } catch let problem as Problem {
      response = problem.response(requestId: requestId)
    } catch let error as WorkflowError {
      response = Problem(error).response(requestId: requestId)
    } catch is NIOTooManyBytesError {
      response = Problem(.contentTooLarge, "the request body is over the limit of \(context.maxBodyBytes) bytes").response(requestId: requestId)
    } catch let error as any HTTPResponseError {
      let status = error.status
      let detail = status == .notFound ? "no such resource; see /openapi.json" : status.reasonPhrase
      response = Problem(status, detail).response(requestId: requestId)
    } catch {
      context.logger.error("unexpected failure", metadata: ["error": .string(String(describing: type(of: error)))])
      response = Problem(.internalServerError, "the server failed; the request id names it in the log").response(requestId: requestId)
    }
    response.headers[Self.requestIdField] = requestId
    response.headers[Self.noSniffField] = "nosniff"
    response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
    let elapsed = (ContinuousClock.now - started).components
    let ms = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
    context.logger.info(
      "request",
      metadata: [
        "method": .string(request.method.rawValue), "route": .string(context.endpointPath ?? "(none)"),
        "status": .stringConvertible(response.status.code), "ms": .string(String(format: "%.1f", ms)),
      ])
    return response
  }

  static let requestIdField = HTTPFields.Element.Name("X-Request-Id")!
  static let noSniffField = HTTPFields.Element.Name("X-Content-Type-Options")!
  private static let issued = Atomic<UInt64>(0)

  /// A version 4 UUID in lower case. Its bits are a count of the ids issued
  /// so far run through SipHash under the process's random hash seed (the
  /// standard library's `Hasher`): unique in the process and not guessable
  /// from another id, which is what an id that names a request in the log
  /// needs, without a system call for random bytes on every request.
  static func newId() -> String {
    let n = issued.wrappingAdd(1, ordering: .relaxed).newValue
    let halves = [UInt64(0), 1].map { half -> UInt64 in
      var h = Hasher()
      h.combine(n)
      h.combine(half)
      return UInt64(UInt(bitPattern: h.finalize()))
    }
    var bytes = halves.flatMap { h in (0..<8).map { UInt8(truncatingIfNeeded: h >> (8 * $0)) } }
    bytes[6] = bytes[6] & 0x0F | 0x40
    bytes[8] = bytes[8] & 0x3F | 0x80
    var out: [UInt8] = []
    out.reserveCapacity(36)
    for (i, b) in bytes.enumerated() {
      if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
      for nibble in [b >> 4, b & 0x0F] { out.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble) }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// A caller's request id is kept when it is short and plain; anything else is replaced.
  static func acceptableId(_ id: String) -> String? {
    id.utf8.count <= 64 && !id.isEmpty && id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) ? id : nil
  }
}

/// Every route under /api/v1 needs a bearer token; the workflow says who it
/// stands for, and audits a refusal.
struct BearerMiddleware: RouterMiddleware {
  typealias Context = APIContext
  let workflow: Workflow
  let recent: RecentCredentials

  func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
    let credential = Self.bearer(request.headers[.authorization])
    let command = "\(request.method.rawValue) \(context.endpointPath ?? request.uri.path) from \(context.client ?? "unknown")"
    var requester = credential.flatMap(recent.requester)
    if requester == nil {
      requester = try await workflow.perform { w throws(WorkflowError) in try w.authenticate(bearer: credential, command: command) }
      if let credential, let requester { recent.remember(credential, requester) }
    }
    guard var requester else {
      throw Problem(
        .unauthorized, credential == nil ? "this endpoint needs 'Authorization: Bearer TOKEN' (see 'synoptic token create')" : "the token is not valid (unknown, revoked or malformed)",
        headers: [.wwwAuthenticate: #"Bearer realm="synoptic""#])
    }
    requester.command = command
    var context = context
    context.requester = requester
    return try await next(request, context)
  }

  static func bearer(_ header: String?) -> String? {
    guard let header else { return nil }
    let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
    return parts[1].trimmingBlanks
  }
}

/// The workflow's answer for a credential it accepted, reused for two
/// seconds: a store read and a thread hop per request would cost more than
/// the render itself. A revoked token therefore stops working within two
/// seconds on a running server; an unknown one is asked about every time.
final class RecentCredentials: Sendable {
  static let capacity = 1024
  let lifetime: Duration
  private let entries = Mutex<[String: (requester: Requester, until: ContinuousClock.Instant)]>([:])

  init(lifetime: Duration = .seconds(2)) {
    self.lifetime = lifetime
  }

  func requester(_ credential: String) -> Requester? {
    let now = ContinuousClock.now
    return entries.withLock { e in
      guard let hit = e[credential] else { return nil }
      if hit.until < now {
        e[credential] = nil
        return nil
      }
      return hit.requester
    }
  }

  func remember(_ credential: String, _ requester: Requester) {
    let until = ContinuousClock.now.advanced(by: lifetime)
    entries.withLock { e in
      if e.count >= Self.capacity { e.removeAll() }
      e[credential] = (requester, until)
    }
  }
}
