import Foundation
import Hummingbird
import NIOCore
import SynopticLayout
import SynopticWorkflow

/// The pages a person sees before the workspace: sign in, who is signed in,
/// sign out. Plain HTML, no script, one stylesheet of ours; every value
/// escaped; the strictest headers a page of ours can carry.
struct Pages: Sendable {
  let workflow: Workflow
  let settings: ServerSettings

  func register(on router: Router<APIContext>) {
    router.get("/login") { request, _ in page("Sign in", loginForm(message: nil, username: nil)) }
    router.post("/login") { request, context in try await login(request, context) }
    router.post("/logout") { request, context in try await logout(request, context) }
    router.get("/") { request, context in try await home(request, context) }
    router.get("/static/synoptic.svg") { _, _ in
      Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "public, max-age=86400"], body: .init(byteBuffer: ByteBuffer(string: Self.icon)))
    }
    router.get("/favicon.ico") { _, _ in Response.redirect(to: "/static/synoptic.svg", type: .permanent) }
    router.get("/static/synoptic.css") { _, _ in
      Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
               body: .init(byteBuffer: ByteBuffer(string: Self.stylesheet)))
    }
  }

  // MARK: handlers

  struct LoginForm: Decodable {
    var username: String?
    var password: String?
  }

  struct LogoutForm: Decodable {
    var csrf: String?
  }

  func login(_ request: Request, _ context: APIContext) async throws -> Response {
    let command = "POST /login from \(context.client ?? "unknown")"
    try await refuseCrossSite(request, command: command)
    let form = try await self.form(LoginForm.self, request, context)
    guard let username = form.username, let password = form.password, !username.isEmpty, !password.isEmpty else {
      return page("Sign in", loginForm(message: "Give your user name and password.", username: form.username), status: .badRequest)
    }
    let policy = settings.sessions
    let outcome = try await workflow.perform { w throws(WorkflowError) in
      try w.startSession(username: username, password: password, client: context.client, command: command, policy: policy)
    }
    switch outcome {
    case .started(let id, _):
      // A session the browser had before is ended: a new login never keeps an old id.
      if let old = SessionCookie.id(request) {
        _ = try? await workflow.perform { w throws(WorkflowError) in try w.endSession(old, why: "replaced by a new login", command: command) }
      }
      var response = Response.redirect(to: "/", type: .normal)
      response.headers[.setCookie] = SessionCookie.set(id, settings: settings)
      return response
    case .refused(let delay):
      // Each failure in a row answers more slowly.
      try await Task.sleep(for: delay)
      return page("Sign in", loginForm(message: "The user name or password is not right.", username: username), status: .unauthorized)
    case .locked(let until):
      return page("Sign in", loginForm(message: "Too many failed sign-ins: this account is locked until \(until).", username: username), status: .tooManyRequests)
    }
  }

  func logout(_ request: Request, _ context: APIContext) async throws -> Response {
    let command = "POST /logout from \(context.client ?? "unknown")"
    try await refuseCrossSite(request, command: command)
    var response = Response.redirect(to: "/login", type: .normal)
    response.headers[.setCookie] = SessionCookie.clear(settings: settings)
    guard let id = SessionCookie.id(request) else { return response }
    let form = try await self.form(LogoutForm.self, request, context)
    guard form.csrf == Workflow.csrfToken(forSession: id) else {
      _ = try? await workflow.perform { w throws(WorkflowError) in try w.refuseRequest(by: nil, action: "csrf", why: "logout without the session's CSRF token", command: command) }
      throw Problem(.forbidden, "refused: the sign-out form did not come from this session's page")
    }
    try await workflow.perform { w throws(WorkflowError) in try w.endSession(id, why: "logout", command: command) }
    return response
  }

  func home(_ request: Request, _ context: APIContext) async throws -> Response {
    guard let (requester, _) = try await person(request, context, "GET /") else {
      return Response.redirect(to: "/login", type: .normal)
    }
    let h = EscapeMode.html
    let role: String
    switch requester.authority {
    case .pathologist(let id): role = "pathologist (signs as \(h.escape(workflow.site.pathologist(id)?.name ?? id)))"
    case .resident: role = "resident"
    case .admin: role = "administrator"
    case .auditor: role = "auditor"
    case .interface, .local: role = "-"
    }
    var body = """
      <div class="who">
      <p>Signed in as <strong>\(h.escape(requester.name))</strong>, \(role).</p>
      <form method="post" action="/logout">
      <input type="hidden" name="csrf" value="\(h.escape(requester.session?.csrfToken ?? ""))">
      <button type="submit">Sign out</button>
      </form>
      </div>

      """
    switch requester.authority {
    case .resident, .pathologist:
      let search = request.uri.queryParameters["q"].map(String.init)
      let entries = try await workflow.perform { w throws(WorkflowError) in try w.worklist(search: search, by: requester) }
      body += worklist(entries, search: search)
    default:
      body += "<p>Accounts and tokens are managed with <code>synoptic user</code> and <code>synoptic token</code>; the audit log is <code>GET /api/v1/audit</code>.</p>\n"
    }
    return page("Synoptic", body, wide: true)
  }

  /// The worklist: search by accession or patient, then every draft and signed report.
  func worklist(_ entries: [WorklistEntry], search: String?) -> String {
    let h = EscapeMode.html
    var out = """
      <p><a href="/cases/new" class="button">New case</a></p>
      <h2>Worklist</h2>
      <form method="get" action="/" role="search">
      <label for="q">Accession or patient</label>
      <input id="q" name="q" value="\(h.escape(search ?? ""))">
      <button type="submit">Search</button>
      </form>

      """
    if entries.isEmpty {
      return out + "<p>\(search?.isEmpty == false ? "Nothing matches." : "No drafts or signed reports yet.")</p>\n"
    }
    out += "<table>\n<thead><tr><th scope=\"col\">Accession</th><th scope=\"col\">Patient</th><th scope=\"col\">Status</th><th scope=\"col\">Template</th><th scope=\"col\">Last change</th><th scope=\"col\">By</th></tr></thead>\n<tbody>\n"
    for e in entries {
      out += "<tr><td><a href=\"\(h.escape(Workspace.link(e.accession)))\">\(h.escape(e.accession))</a></td><td>\(h.escape(e.patient ?? "-"))</td><td>\(h.escape(e.status))</td>"
        + "<td>\(h.escape(e.template ?? "-"))</td><td>\(h.escape(e.changedAt))</td><td>\(h.escape(e.changedBy))</td></tr>\n"
    }
    return out + "</tbody>\n</table>\n"
  }

  // MARK: pieces

  /// The signed-in person, or nil (then the page sends them to sign in).
  func person(_ request: Request, _ context: APIContext, _ what: String) async throws -> (Requester, String)? {
    let policy = settings.sessions
    let command = "\(what) from \(context.client ?? "unknown")"
    guard let id = SessionCookie.id(request),
      var r = try await workflow.perform({ w throws(WorkflowError) in try w.session(id, command: command, policy: policy) })
    else { return nil }
    r.command = command + " (session \(r.session?.reference ?? "?"))"
    return (r, id)
  }


  /// A browser that says the request comes from another site is refused, and audited.
  func refuseCrossSite(_ request: Request, command: String) async throws {
    let site = request.headers[.init("Sec-Fetch-Site")!]
    if site == "cross-site" || site == "same-site" {
      _ = try? await workflow.perform { w throws(WorkflowError) in try w.refuseRequest(by: nil, action: "csrf", why: "a \(site ?? "") form post", command: command) }
      throw Problem(.forbidden, "refused: a form posted from another site")
    }
  }

  func form<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIContext) async throws -> T {
    guard Routes.mediaType(request.headers[.contentType]) == "application/x-www-form-urlencoded" else {
      throw Problem(.unsupportedMediaType, "send the form as application/x-www-form-urlencoded")
    }
    let buffer = try await request.body.collect(upTo: 16 * 1024)
    do {
      return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: buffer))
    } catch {
      throw Problem(.badRequest, "the form cannot be read")
    }
  }

  func loginForm(message: String?, username: String?) -> String {
    let h = EscapeMode.html
    return """
      \(message.map { "<p class=\"message\" role=\"alert\">\(h.escape($0))</p>" } ?? "")
      <form method="post" action="/login">
      <label for="username">User name</label>
      <input id="username" name="username" autocomplete="username" required value="\(h.escape(username ?? ""))">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
      </form>
      """
  }

  /// A page with the headers every page of ours carries: no script but our
  /// own files (there are none inline), no framing, no referrer.
  func page(_ title: String, _ body: String, status: HTTPResponse.Status = .ok, wide: Bool = false, workspace: Bool = false) -> Response {
    let h = EscapeMode.html
    let html = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(h.escape(title))</title>
      <link rel="stylesheet" href="/static/synoptic.css">\(workspace ? "\n<link rel=\"stylesheet\" href=\"/static/workspace.css\">" : "")
      <link rel="icon" href="/static/synoptic.svg" type="image/svg+xml">
      </head>
      <body>
      <main\(workspace ? " class=\"workspace-page\"" : wide ? " class=\"wide\"" : "")>
      <h1>\(h.escape(title))</h1>
      <p class="site">\(h.escape(workflow.site.name))</p>
      \(body)
      </main>
      </body>
      </html>

      """
    return Response(status: status, headers: workspace ? Self.workspaceHeaders : Self.pageHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
  }

  static let pageHeaders: HTTPFields = [
    .contentType: "text/html; charset=utf-8",
    .contentSecurityPolicy:
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    .init("Referrer-Policy")!: "no-referrer",
    .init("X-Frame-Options")!: "DENY",
  ]

  /// The workspace also frames its own report previews.
  static let workspaceHeaders: HTTPFields = {
    var h = pageHeaders
    h[.contentSecurityPolicy] =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    h[.cacheControl] = "no-store"
    return h
  }()

  /// A plain mark for the browser tab: a slide outline.
  static let icon = """
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1.5" y="4.5" width="13" height="7" rx="1" fill="#fff" stroke="#1b1f24"/><circle cx="5" cy="8" r="2" fill="#8a4f7d"/></svg>

    """

  static let stylesheet = """
    body { font-family: system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1b1f24; }
    main { max-width: 28rem; margin: 4rem auto; background: #fff; padding: 2rem; border: 1px solid #d0d5dc; border-radius: 6px; }
    h1 { margin-top: 0; font-size: 1.5rem; }
    .site { color: #4a5361; margin-top: -0.5rem; }
    label { display: block; margin-top: 1rem; font-weight: 600; }
    input { width: 100%; box-sizing: border-box; padding: 0.5rem; font-size: 1rem; margin-top: 0.25rem; }
    button { margin-top: 1.5rem; padding: 0.5rem 1.25rem; font-size: 1rem; }
    main.wide { max-width: 60rem; }
    table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
    th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #d0d5dc; }
    form[role=search] input { width: auto; }
    .message { background: #fdecea; border: 1px solid #e0a39c; padding: 0.5rem 0.75rem; }
    .who { display: flex; justify-content: space-between; align-items: center; gap: 1rem; }
    .who button { margin-top: 0; }
    a.button { display: inline-block; padding: 0.5rem 1.25rem; background: #1f5fbf; color: #fff; border-radius: 4px; text-decoration: none; font-weight: 600; }
    a.button:focus-visible { outline: 3px solid #1b1f24; outline-offset: 2px; }

    """
}
