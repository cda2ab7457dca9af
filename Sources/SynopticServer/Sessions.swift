import Foundation
import Hummingbird
import SynopticWorkflow

/// The session cookie: the id only, HttpOnly (no script reads it),
/// SameSite=Strict (no other site's page sends it), Path=/, and Secure when
/// the server is configured to sit behind TLS.
enum SessionCookie {
  static let name = "synoptic_session"

  static func set(_ id: String, settings: ServerSettings) -> String {
    "\(name)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(settings.sessions.absolute))\(settings.secureCookies ? "; Secure" : "")"
  }

  static func clear(settings: ServerSettings) -> String {
    "\(name)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\(settings.secureCookies ? "; Secure" : "")"
  }

  static func id(_ request: Request) -> String? {
    guard let value = request.cookies[name]?.value, !value.isEmpty, value.utf8.count <= 128 else { return nil }
    return value
  }
}

/// Who a request is: a bearer token (systems) or a session cookie (people).
/// A state-changing request through a session must come from our own pages:
/// it carries the session's CSRF token in `X-CSRF-Token` (scripts) or a
/// `csrf` form field (checked by the form's route), and a browser that says
/// it comes from another site (`Sec-Fetch-Site: cross-site`) is refused.
/// Every refusal is audited by the workflow or here.
struct CredentialMiddleware: RouterMiddleware {
  typealias Context = APIContext
  let workflow: Workflow
  let settings: ServerSettings
  let recent = RecentCredentials()

  func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
    let command = "\(request.method.rawValue) \(context.endpointPath ?? request.uri.path) from \(context.client ?? "unknown")"
    let credential = BearerMiddleware.bearer(request.headers[.authorization])
    var context = context
    if credential == nil, let sessionId = SessionCookie.id(request) {
      let policy = settings.sessions
      guard var requester = try await workflow.perform({ w throws(WorkflowError) in try w.session(sessionId, command: command, policy: policy) }) else {
        throw Problem(.unauthorized, "the session has ended; sign in again at /login", headers: [.wwwAuthenticate: #"Bearer realm="synoptic""#])
      }
      if request.method != .get, request.method != .head {
        let header = request.headers[.init("X-CSRF-Token")!]
        if request.headers[.init("Sec-Fetch-Site")!] == "cross-site" || header != requester.session?.csrfToken {
          let why = header == nil ? "no CSRF token" : "a cross-site or forged request"
          let name = requester.name
          _ = try? await workflow.perform { w throws(WorkflowError) in try w.refuseRequest(by: name, action: "csrf", why: why, command: command) }
          throw Problem(.forbidden, "refused: \(why); state-changing requests come from Synoptic's own pages")
        }
      }
      let confirmed = requester.session?.confirmedAt.map { ", password confirmed \(Workflow.iso($0))" } ?? ""
      requester.command = command + " (session \(requester.session?.reference ?? "?")\(confirmed))"
      context.requester = requester
      return try await next(request, context)
    }
    return try await BearerMiddleware(workflow: workflow, recent: recent).handle(request, context: context, next: next)
  }
}
