import Foundation
import Hummingbird
import NIOCore
import SynopticCore
import SynopticExport
import SynopticLayout
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

/// The pathologist's workspace: a case as the form its template makes, the
/// rules and the report beside it, drafts, sign-out, amendment, addendum and
/// retraction. Plain form posts do everything; the script (a static file)
/// adds live updates, row controls and autosave on top of the same posts.
/// Every page needs a session; every post its session's CSRF token; every
/// rule is the workflow's.
struct Workspace: Sendable {
  let workflow: Workflow
  let settings: ServerSettings
  let pages: Pages
  let script: ByteBuffer
  let style: ByteBuffer
  /// Each template's form, made once: the templates do not change while the server runs.
  let forms: [String: CaseForm]
  /// The pages' layouts, or why they could not be loaded (then the pages say so).
  let layouts: Result<WorkspaceLayouts, LoadError>

  struct LoadError: Error { var message: String }

  init(workflow: Workflow, settings: ServerSettings, pages: Pages) {
    self.workflow = workflow
    self.settings = settings
    self.pages = pages
    let dir = workflow.templates.directory.appendingPathComponent("workspace")
    func file(_ name: String) -> ByteBuffer {
      ByteBuffer(string: (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? "")
    }
    forms = workflow.templates.templates.mapValues(CaseForm.init(template:))
    script = file("workspace.js")
    style = file("workspace.css")
    do {
      layouts = .success(try WorkspaceLayouts(directory: dir))
    } catch {
      layouts = .failure(LoadError(message: "\(dir.path): \(error)"))
    }
  }

  /// Renders one of the workspace's layouts; a broken layout is the server's fault, said plainly.
  func render(_ pick: (WorkspaceLayouts) -> Layout, _ value: LayoutValue) throws -> String {
    switch layouts {
    case .failure(let e): throw Problem(.serviceUnavailable, "the workspace's layouts cannot be loaded: \(e.message)")
    case .success(let l):
      do { return try pick(l).render(value) } catch { throw Problem(.serviceUnavailable, "the workspace's layout failed: \(error)") }
    }
  }

  func register(on router: Router<APIContext>) {
    router.get("/static/workspace.js") { _, _ in
      Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"], body: .init(byteBuffer: script))
    }
    router.get("/static/workspace.css") { _, _ in
      Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache"], body: .init(byteBuffer: style))
    }
    router.get("/cases/new") { request, context in try await newCase(request, context) }
    router.post("/cases") { request, context in try await createCase(request, context) }
    router.get("/cases/{accession}") { request, context in try await open(request, context) }
    router.post("/cases/{accession}") { request, context in try await save(request, context, live: false) }
    router.post("/cases/{accession}/autosave") { request, context in try await save(request, context, live: true) }
    router.get("/cases/{accession}/preview") { request, context in try await preview(request, context) }
    router.get("/cases/{accession}/export") { request, context in try await export(request, context) }
    router.get("/cases/{accession}/versions/{version}") { request, context in try await version(request, context) }
    router.post("/cases/{accession}/sign") { request, context in try await sign(request, context) }
    router.post("/cases/{accession}/amend") { request, context in try await startAmendment(request, context) }
    router.post("/cases/{accession}/addendum") { request, context in try await addendum(request, context) }
    router.post("/cases/{accession}/retract") { request, context in try await retract(request, context) }
    router.post("/cases/{accession}/discard") { request, context in try await discard(request, context) }
  }

  // MARK: sessions and forms

  /// A posted form of this session: same site, the session's CSRF token, within the body limit.
  func posted(_ request: Request, _ context: APIContext, _ what: String) async throws -> (Requester, String, Posted)? {
    try await pages.refuseCrossSite(request, command: "\(what) from \(context.client ?? "unknown")")
    guard let (requester, session) = try await pages.person(request, context, what) else { return nil }
    guard Routes.mediaType(request.headers[.contentType]) == "application/x-www-form-urlencoded" else {
      throw Problem(.unsupportedMediaType, "send the form as application/x-www-form-urlencoded")
    }
    let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
    let form = Posted(String(buffer: buffer))
    guard form["csrf"] == Workflow.csrfToken(forSession: session) else {
      let name = requester.name, command = requester.command ?? what
      _ = try? await workflow.perform { w throws(WorkflowError) in try w.refuseRequest(by: name, action: "csrf", why: "a form without this session's token", command: command) }
      throw Problem(.forbidden, "refused: the form did not come from this session's page")
    }
    return (requester, session, form)
  }

  /// `application/x-www-form-urlencoded` fields in order, repeats kept.
  struct Posted {
    var fields: [(String, String)]
    init(_ body: String) {
      fields = body.split(separator: "&", omittingEmptySubsequences: true).map { pair in
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decode(_ s: Substring) -> String {
          // Most names and many values need no decoding at all.
          guard s.contains(where: { $0 == "+" || $0 == "%" }) else { return String(s) }
          return String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
        }
        return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
      }
    }
    subscript(name: String) -> String? { fields.first { $0.0 == name }?.1 }
  }

  static func link(_ accession: String) -> String { "/cases/" + Routes.pathSegment(accession) }

  /// Workflow work whose refusal the page shows.
  func run<T: Sendable>(_ body: @escaping @Sendable (Workflow) throws(WorkflowError) -> T) async -> Result<T, WorkflowError> {
    do { return .success(try await workflow.perform(body)) } catch { return .failure(error) }
  }

  func login() -> Response { Response.redirect(to: "/login", type: .normal) }

  /// A refusal as a page: its status, its message, and the way back.
  func refusal(_ error: WorkflowError, back: String) -> Response {
    let problem = Problem(error)
    let e = EscapeMode.html.escape
    var body = "<p class=\"message\" role=\"alert\">\(e(error.message))</p>\n"
    if !error.diagnostics.isEmpty {
      body += "<ul>" + error.diagnostics.map { "<li>\(e($0.message))</li>" }.joined() + "</ul>\n"
    }
    body += "<p><a href=\"\(e(back))\">Back</a></p>\n"
    return pages.page("Not done", body, status: problem.status, wide: true)
  }

  // MARK: new case

  func newCase(_ request: Request, _ context: APIContext) async throws -> Response {
    guard let (requester, _) = try await pages.person(request, context, "GET /cases/new") else { return login() }
    // The base templates first (resection, then biopsy), then a site's own versions of them.
    let templates = workflow.templates.templates.values.sorted { a, b in
      (a.base == nil) != (b.base == nil) ? a.base == nil : a.id > b.id
    }
    let body = try render(\.newCase, [
      "csrf": .string(requester.session?.csrfToken ?? ""),
      "templates": .list(templates.map { ["id": .string($0.id), "title": .string($0.title), "version": .string($0.version)] }),
    ])
    return pages.page("New case", body, wide: true)
  }

  func createCase(_ request: Request, _ context: APIContext) async throws -> Response {
    guard let (requester, _, form) = try await posted(request, context, "POST /cases") else { return login() }
    // A textarea posts its lines with CRLF; the file had what the browser read.
    let posted = (form["source"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
    let source = posted.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "" : posted
    let templateId = form["template"].flatMap { $0.isEmpty ? nil : $0 }
    var accession = (form["accession"] ?? "").trimmingCharacters(in: .whitespaces)
    let data: Data
    if source.isEmpty {
      data = Data(CaseTree.mapping([.init("accession", .text(accession))]).json.utf8)
    } else {
      data = Data(source.utf8)
      // An imported file names its own accession.
      if let named = try? CaseTree.parse(source, limits: workflow.site.inputLimits)["accession"]?.scalarText { accession = named }
    }
    let name = accession
    let chosen = source.isEmpty ? templateId : nil
    let saved = await run { w throws(WorkflowError) in
      try w.saveDraft(accession: name, caseSource: data, templateId: chosen, expectedRevision: nil, by: requester)
    }
    if case .failure(let error) = saved { return refusal(error, back: "/cases/new") }
    return Response.redirect(to: Self.link(name), type: .normal)
  }

  // MARK: the case page

  /// What the workspace shows of a draft.
  struct DraftView: Sendable {
    var record: DraftRecord
    var form: CaseForm
    var values: [String: String]
    var rows: [String: Int]
    var outcome: CaseOutcome
    var amends: StoredVersion?
    var changes: [ItemChange]
    var preview: String?
  }

  /// The form of a draft: its own template, else the one its case's procedures choose.
  static func form(of record: DraftRecord, outcome: CaseOutcome?, forms: [String: CaseForm], workflow w: Workflow) throws(WorkflowError) -> CaseForm {
    var templateId = record.templateId
    if templateId == nil {
      let prepared: CaseOutcome
      if let outcome { prepared = outcome } else { prepared = try w.prepare(data: record.caseSource) }
      if case .prepared(let p) = prepared { templateId = p.document.templateId }
    }
    // A case that cannot be read yet, with no template of its own, gets the resection form.
    let fallback = w.templates.templates.values.filter { $0.base == nil && ($0.appliesTo ?? []).contains(.resection) }.map(\.id).sorted().first
    guard let id = templateId.flatMap({ forms[$0] == nil ? nil : $0 }) ?? fallback, let form = forms[id] else {
      throw WorkflowError(.usage, "no templates are loaded")
    }
    return form
  }

  /// What the page shows of a draft; `prepared` is the draft's case as the save just prepared it.
  static func view(of record: DraftRecord, prepared: CaseOutcome? = nil, forms: [String: CaseForm], workflow w: Workflow) throws(WorkflowError) -> DraftView {
    let text = String(decoding: record.caseSource, as: UTF8.self)
    let tree = (try? CaseTree.parse(text, limits: w.site.inputLimits)) ?? .mapping([])
    let outcome: CaseOutcome
    if let prepared { outcome = prepared } else { outcome = try w.prepare(data: record.caseSource, templateId: record.templateId) }
    let form = try form(of: record, outcome: outcome, forms: forms, workflow: w)
    let (values, rows) = form.values(of: tree)
    let history = try w.history(record.accession)
    let amends = history.last.flatMap { $0.status == .retracted ? nil : $0 }
    let changes = amends == nil ? [] : try w.draftChanges(record, prepared: outcome)
    var preview: String?
    if case .prepared(let p) = outcome, !p.document.diagnostics.hasErrors, let text = try? w.render(p, formats: ["text"])["text"] {
      preview = text.withBytes { String(decoding: $0, as: UTF8.self) }
    }
    return DraftView(record: record, form: form, values: values, rows: rows, outcome: outcome, amends: amends, changes: changes, preview: preview)
  }

  func open(_ request: Request, _ context: APIContext) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, _) = try await pages.person(request, context, "GET /cases/{accession}") else { return login() }
    let message = request.uri.queryParameters["message"].map(String.init)
    let found = await run { w throws(WorkflowError) -> Found in
      do throws(WorkflowError) {
        return .draft(try Self.view(of: try w.draft(accession, by: requester), forms: forms, workflow: w))
      } catch {
        guard error.kind == .notFound else { throw error }
      }
      let versions = try w.history(accession, by: requester)
      guard !versions.isEmpty else { throw WorkflowError(.notFound, "there is no draft or signed report of \(accession)") }
      let text = try w.output(accession, format: "text", by: requester)
      var changes: [Int: [ItemChange]] = [:]
      for v in versions where v.version > 1 && v.status == .amended {
        changes[v.version] = try w.diff(accession, from: v.version - 1, to: v.version, by: requester)
      }
      return .signed(versions, String(decoding: text, as: UTF8.self), changes)
    }
    switch found {
    case .failure(let error): return refusal(error, back: "/")
    case .success(.draft(let view)): return try workspacePage(view, requester: requester, message: message)
    case .success(.signed(let versions, let text, let changes)):
      return try reportPage(accession, versions: versions, text: text, changes: changes, requester: requester, message: message)
    }
  }

  enum Found: Sendable {
    case draft(DraftView)
    case signed([StoredVersion], String, [Int: [ItemChange]])
  }

  func workspacePage(_ v: DraftView, requester: Requester, message: String?) throws -> Response {
    let (diagnostics, invalid) = WorkspaceHTML.diagnostics(v.outcome.diagnostics, form: v.form, values: v.values)
    let completion = v.form.completion(v.values)
    let derived = Dictionary(WorkspaceHTML.derived(v.outcome), uniquingKeysWith: { a, _ in a })
    var canSign = false
    if case .pathologist = requester.authority { canSign = true }
    let title = v.amends.map { "Amendment of \(v.record.accession) (version \($0.version))" } ?? "Draft \(v.record.accession)"
    let value = WorkspaceHTML.object([
      ("accession", .string(v.record.accession)), ("link", .string(Self.link(v.record.accession))),
      ("csrf", .string(requester.session?.csrfToken ?? "")), ("message", .string(message ?? "")),
      ("revision", .int(v.record.revision)), ("updatedAt", .string(v.record.updatedAt)), ("updatedBy", .string(v.record.updatedBy)),
      ("completion", .string("\(completion.done) of \(completion.of) required items answered")),
      ("sections", WorkspaceHTML.form(v.form, values: v.values, rows: v.rows, invalid: Set(invalid), derived: derived)),
      ("summary", .string(WorkspaceHTML.summary(v.outcome))),
    ] + pairs(WorkspaceHTML.rules(v.outcome)) + pairs(diagnostics) + pairs(WorkspaceHTML.changes(v.changes, amends: v.amends)) + [
      ("preview", .string(v.preview ?? "The preview appears when the case has no errors.")),
      ("canSign", .bool(canSign)), ("signLabel", .string(v.amends == nil ? "Sign out" : "Sign the amendment")),
    ])
    return pages.page(title, try render(\.draft, value), wide: true, workspace: true)
  }

  /// The members of an object value, to merge into a page's.
  func pairs(_ v: LayoutValue) -> [(String, LayoutValue)] {
    if case .object(let o) = v { return o.members }
    return []
  }

  // MARK: saving

  /// Saves the posted form over the revision it was made from. Live (the
  /// script): the panels as JSON, or 409 with the conflict. Plain post: back
  /// to the page, which shows the same.
  func save(_ request: Request, _ context: APIContext, live: Bool) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, _, form) = try await posted(request, context, "POST /cases/{accession}") else {
      return live ? Response(status: .unauthorized) : login()
    }
    guard let revision = form["revision"].flatMap(Int.init) else { throw Problem(.badRequest, "the form has no revision") }
    let fields = form.fields.filter { $0.0 != "csrf" && $0.0 != "revision" }
    let limits = workflow.site.inputLimits
    let result = await run { w throws(WorkflowError) -> (DraftView, CaseForm.Applied) in
      let current = try w.draft(accession, by: requester)
      let base = (try? CaseTree.parse(String(decoding: current.caseSource, as: UTF8.self), limits: limits)) ?? .mapping([])
      let applied = try Self.form(of: current, outcome: nil, forms: forms, workflow: w).apply(fields, to: base)
      // The accession is the draft's: a form cannot move it elsewhere.
      var tree = applied.tree
      tree.set("accession", .text(accession))
      let (saved, outcome) = try w.saveDraft(accession: accession, caseSource: Data(tree.json.utf8), expectedRevision: revision, by: requester)
      return (try Self.view(of: saved, prepared: outcome, forms: forms, workflow: w), applied)
    }
    let view: DraftView, applied: CaseForm.Applied
    switch result {
    case .success(let done): (view, applied) = done
    case .failure(let error):
      if live { throw Problem(error) }
      return refusal(error, back: Self.link(accession))
    }
    let cleared = applied.cleared
    if !live {
      let note = cleared.isEmpty ? nil : "Cleared because hidden: " + cleared.map { "\($0.label) (was \($0.value))" }.joined(separator: "; ")
      return Response.redirect(to: Self.link(accession) + (note.map { "?message=" + Routes.pathSegment($0) } ?? ""), type: .normal)
    }
    let (diagnostics, invalid) = WorkspaceHTML.diagnostics(view.outcome.diagnostics, form: view.form, values: view.values)
    let completion = view.form.completion(view.values)
    let body = JSONOut.object([
      ("revision", .int(view.record.revision)),
      ("completion", .string("\(completion.done) of \(completion.of) required items answered")),
      ("summary", .string(WorkspaceHTML.summary(view.outcome))),
      ("rules", .string(try render(\.rules, WorkspaceHTML.rules(view.outcome)))),
      ("diagnostics", .string(try render(\.diagnostics, diagnostics))),
      ("changes", .string(try render(\.changes, WorkspaceHTML.changes(view.changes, amends: view.amends)))),
      ("derived", .object(WorkspaceHTML.derived(view.outcome).map { ($0.0, .string($0.1)) })),
      ("invalid", .array(invalid.map(JSONOut.string))),
      ("hasErrors", .bool(view.outcome.hasErrors)),
      ("cleared", .array(cleared.map { .object([("label", .string($0.label)), ("value", .string($0.value))]) })),
      ("preview", JSONOut.optional(view.preview)),
      ("rows", .object(applied.rowPositions.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
    ])
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body.render())))
  }

  // MARK: the report as it stands

  func preview(_ request: Request, _ context: APIContext) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, _) = try await pages.person(request, context, "GET /cases/{accession}/preview") else { return login() }
    let format = request.uri.queryParameters["format"].map(String.init) ?? "html"
    guard format == "html" || format == "text" else { throw Problem(.badRequest, "format is html or text") }
    let bytes: Data? = try await workflow.perform { w throws(WorkflowError) -> Data? in
      let record = try w.draft(accession, by: requester)
      guard case .prepared(let p) = try w.prepare(data: record.caseSource, templateId: record.templateId), !p.document.diagnostics.hasErrors
      else { return nil }
      return try w.render(p, formats: [format])[format].map { $0.withBytes { Data($0) } }
    }
    guard let bytes else {
      return Response(status: .ok, headers: Self.previewHeaders(format: "text"), body: .init(byteBuffer: ByteBuffer(string: "The preview appears when the case has no errors.\n")))
    }
    return Response(status: .ok, headers: Self.previewHeaders(format: format), body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
  }

  /// A report shown in the workspace's frame: no script, nothing loaded, framed by our page only.
  static func previewHeaders(format: String) -> HTTPFields {
    [
      .contentType: format == "html" ? "text/html; charset=utf-8" : "text/plain; charset=utf-8",
      .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
      .init("Referrer-Policy")!: "no-referrer", .init("X-Frame-Options")!: "SAMEORIGIN", .cacheControl: "no-store",
    ]
  }

  func export(_ request: Request, _ context: APIContext) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, _) = try await pages.person(request, context, "GET /cases/{accession}/export") else { return login() }
    let record = try await workflow.perform { w throws(WorkflowError) in try w.draft(accession, by: requester) }
    let json = record.caseSource.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) == UInt8(ascii: "{")
    let file = accession.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
    return Response(
      status: .ok,
      headers: [
        .contentType: json ? "application/json" : "application/yaml",
        .contentDisposition: "attachment; filename=\"\(String(file)).\(json ? "json" : "yaml")\"", .cacheControl: "no-store",
      ],
      body: .init(byteBuffer: ByteBuffer(bytes: record.caseSource)))
  }

  func version(_ request: Request, _ context: APIContext) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, _) = try await pages.person(request, context, "GET /cases/{accession}/versions/{version}") else { return login() }
    guard let n = context.parameters.get("version").flatMap(Int.init) else { throw Problem(.badRequest, "the version is a number") }
    let format = request.uri.queryParameters["format"].map(String.init) ?? "html"
    guard format == "html" || format == "text" else { throw Problem(.badRequest, "format is html or text") }
    let bytes = try await workflow.perform { w throws(WorkflowError) in try w.output(accession, version: n, format: format, by: requester) }
    return Response(status: .ok, headers: Self.previewHeaders(format: format), body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
  }

  // MARK: signing

  /// The password again, then the signature: the session's confirmation is
  /// what the workflow checks before it lets a pathologist sign.
  func confirmed(_ session: String, _ form: Posted, _ requester: Requester) async throws -> Requester {
    let policy = settings.sessions
    let command = requester.command
    let password = form["password"] ?? ""
    let outcome = try await workflow.perform { w throws(WorkflowError) in try w.confirmSession(session, password: password, command: command, policy: policy) }
    switch outcome {
    case .signedIn:
      guard var r = try await workflow.perform({ w throws(WorkflowError) in try w.session(session, command: command, policy: policy) }) else {
        throw WorkflowError(.forbidden, "the session has ended; sign in again")
      }
      r.command = requester.command
      return r
    case .refused(let delay):
      try await Task.sleep(for: delay)
      throw WorkflowError(.forbidden, "the password is not right; nothing was signed")
    case .locked(let until):
      throw WorkflowError(.forbidden, "too many wrong passwords: the account is locked until \(until); nothing was signed")
    }
  }

  func signerId(_ r: Requester) throws(WorkflowError) -> String {
    if case .pathologist(let id) = r.authority { return id }
    throw WorkflowError(.forbidden, "'\(r.name)' is \(r.roleName) and cannot sign; a pathologist signs")
  }

  /// A draft signed at the revision on the page: a sign-out, or an amendment with its reason.
  func sign(_ request: Request, _ context: APIContext) async throws -> Response {
    try await signedChange(request, context, what: "sign") { w, accession, form, id, signer throws(WorkflowError) in
      guard let revision = form["revision"].flatMap(Int.init) else { throw WorkflowError(.usage, "the form has no revision") }
      return try w.signDraft(accession, revision: revision, reason: form["reason"], pathologist: id, by: signer).version
    }
  }

  func startAmendment(_ request: Request, _ context: APIContext) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, _, _) = try await posted(request, context, "POST /cases/{accession}/amend") else { return login() }
    if case .failure(let error) = await run({ w throws(WorkflowError) in try w.startAmendment(accession, by: requester) }) {
      return refusal(error, back: Self.link(accession))
    }
    return Response.redirect(to: Self.link(accession), type: .normal)
  }

  func addendum(_ request: Request, _ context: APIContext) async throws -> Response {
    try await signedChange(request, context, what: "addendum") { w, accession, form, id, signer throws(WorkflowError) in
      try w.addendum(accession: accession, text: form["text"] ?? "", pathologist: id, by: signer)
    }
  }

  func retract(_ request: Request, _ context: APIContext) async throws -> Response {
    try await signedChange(request, context, what: "retract") { w, accession, form, id, signer throws(WorkflowError) in
      try w.retract(accession: accession, reason: form["reason"] ?? "", pathologist: id, by: signer)
    }
  }

  /// Anything a pathologist signs from a page: the password first, then the workflow's operation.
  func signedChange(
    _ request: Request, _ context: APIContext, what: String,
    _ body: @escaping @Sendable (Workflow, String, Posted, String, Requester) throws(WorkflowError) -> StoredVersion
  ) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, session, form) = try await posted(request, context, "POST /cases/{accession}/\(what)") else { return login() }
    let back = Self.link(accession)
    do {
      let id = try signerId(requester)
      let signer = try await confirmed(session, form, requester)
      let v = try await workflow.perform { w throws(WorkflowError) in try body(w, accession, form, id, signer) }
      return Response.redirect(to: back + "?message=" + Routes.pathSegment("Signed: version \(v.version), \(v.status.rawValue)."), type: .normal)
    } catch let error as WorkflowError {
      return refusal(error, back: back)
    }
  }

  func discard(_ request: Request, _ context: APIContext) async throws -> Response {
    let accession = try Routes.pathParameter(context, "accession")
    guard let (requester, _, form) = try await posted(request, context, "POST /cases/{accession}/discard") else { return login() }
    guard let revision = form["revision"].flatMap(Int.init) else { throw Problem(.badRequest, "the form has no revision") }
    if case .failure(let error) = await run({ w throws(WorkflowError) in try w.discardDraft(accession, revision: revision, by: requester) }) {
      return refusal(error, back: Self.link(accession))
    }
    return Response.redirect(to: "/", type: .normal)
  }

  // MARK: a signed report

  func reportPage(
    _ accession: String, versions: [StoredVersion], text: String, changes: [Int: [ItemChange]], requester: Requester, message: String?
  ) throws -> Response {
    guard let latest = versions.last else { return refusal(WorkflowError(.notFound, "no versions"), back: "/") }
    var canSign = false
    if case .pathologist = requester.authority { canSign = true }
    func version(_ v: StoredVersion) -> LayoutValue {
      let changed = changes[v.version] ?? []
      return [
        "version": .int(v.version), "status": .string(v.status.rawValue), "signedAt": .string(v.signedAt),
        "pathologist": .string(v.pathologist), "reason": .string(v.reason ?? ""), "hasChanges": .bool(!changed.isEmpty),
        "changes": .list(changed.map { .string($0.text) }),
      ]
    }
    let body = try render(\.report, [
      "link": .string(Self.link(accession)), "csrf": .string(requester.session?.csrfToken ?? ""), "message": .string(message ?? ""),
      "latest": version(latest), "versions": .list(versions.map(version)), "text": .string(text),
      "canChange": .bool(latest.status != .retracted), "canSign": .bool(canSign),
    ])
    return pages.page("Report \(accession)", body, wide: true, workspace: true)
  }
}
