import Foundation
import Hummingbird
import NIOCore
import Synchronization
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

/// The endpoints: each reads its request, calls the workflow on the
/// workflow's own queue, and writes what the workflow gave. No rule lives here.
struct Routes: Sendable {
  let workflow: Workflow
  let settings: ServerSettings
  let openAPI: ByteBuffer

  init(workflow: Workflow, settings: ServerSettings) {
    self.workflow = workflow
    self.settings = settings
    openAPI = ByteBuffer(string: OpenAPIDocument.json(workflow: workflow).render() + "\n")
  }

  func register(on router: Router<APIContext>) {
    router.get("/health") { _, _ in json(.object([("status", .string("ok"))])) }
    router.get("/ready") { _, _ in try await ready() }
    router.get("/openapi.json") { _, _ in
      Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"], body: .init(byteBuffer: openAPI))
    }

    let pages = Pages(workflow: workflow, settings: settings)
    pages.register(on: router)
    Workspace(workflow: workflow, settings: settings, pages: pages).register(on: router)
    let api = router.group("api/v1").add(middleware: CredentialMiddleware(workflow: workflow, settings: settings))
    api.get("session") { _, context in try session(context) }
    api.post("session/confirm") { request, context in try await confirm(request, context) }
    api.post("validate") { request, context in try await validate(request, context) }
    api.post("derive") { request, context in try await derive(request, context) }
    api.post("render") { request, context in try await render(request, context) }
    api.get("templates") { _, _ in templates() }
    api.get("templates/{id}") { _, context in try template(Self.pathParameter(context, "id")) }

    api.get("drafts") { _, context in try await drafts(context) }
    api.get("drafts/{accession}") { _, context in try await draft(context) }
    api.put("drafts/{accession}") { request, context in try await saveDraft(request, context) }
    api.post("reports") { request, context in try await signOut(request, context) }
    api.get("reports/{accession}") { request, context in try await history(request, context) }
    api.post("reports/{accession}/amendments") { request, context in try await amend(request, context) }
    api.post("reports/{accession}/addenda") { request, context in try await addendum(request, context) }
    api.post("reports/{accession}/retractions") { request, context in try await retract(request, context) }
    api.get("reports/{accession}/versions/{version}") { request, context in try await version(request, context) }
    api.get("reports/{accession}/diff") { request, context in try await diff(request, context) }
    api.get("audit") { request, context in try await audit(request, context) }
  }

  // MARK: probes

  func ready() async throws -> Response {
    do {
      try await perform { w throws(WorkflowError) in try w.checkStore() }
    } catch {
      throw Problem(.serviceUnavailable, "the report store cannot be read", headers: [.retryAfter: "5"])
    }
    return json(.object([("status", .string("ready"))]))
  }

  // MARK: sessions

  /// Who the credential is; for a session, its CSRF token (for our scripts) and when it ends.
  func session(_ context: APIContext) throws -> Response {
    let r = try requester(context)
    var pairs: [(String, JSONOut)] = [("name", .string(r.name)), ("role", .string(r.role))]
    if case .pathologist(let id) = r.authority { pairs.append(("pathologist", .string(id))) }
    if let s = r.session {
      pairs += [
        ("csrfToken", .string(s.csrfToken)), ("expiresAt", .string(Workflow.iso(s.expiresAt))),
        ("confirmedAt", s.confirmedAt.map { .string(Workflow.iso($0)) } ?? .null),
      ]
    }
    return json(.object(pairs))
  }

  struct Confirmation: Decodable { var password: String }

  /// Re-enters the password in a session, which signing needs.
  func confirm(_ request: Request, _ context: APIContext) async throws -> Response {
    let r = try requester(context)
    guard r.session != nil, let id = SessionCookie.id(request) else {
      throw Problem(.badRequest, "only a browser session confirms a password")
    }
    guard Self.mediaType(request.headers[.contentType]) == "application/json" else { throw Problem(.unsupportedMediaType, "send {\"password\": ...} as application/json") }
    let buffer = try await request.body.collect(upTo: 4096)
    guard let body = try? JSONDecoder().decode(Confirmation.self, from: Data(buffer.readableBytesView)) else {
      throw Problem(.badRequest, #"the body is {"password": "..."}"#)
    }
    let policy = settings.sessions
    let command = r.command
    switch try await perform(timeout: false, { w throws(WorkflowError) in try w.confirmSession(id, password: body.password, command: command, policy: policy) }) {
    case .signedIn: return Response(status: .noContent)
    case .refused(let delay):
      try await Task.sleep(for: delay)
      throw Problem(.unauthorized, "the password is not right")
    case .locked(let until): throw Problem(.tooManyRequests, "too many failed attempts: the account is locked until \(until)")
    }
  }

  // MARK: cases

  func validate(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    try await permitCaseWork(context, "validate")
    let data = try await caseBody(request, context)
    let templateId = try query(q, "template")
    let outcome = try compute { w throws(WorkflowError) in try w.prepare(data: data, templateId: templateId) }
    if case .unreadable(let e) = outcome { throw Self.unreadable(e) }
    return json(Presentation.validation([("request", outcome)]))
  }

  func derive(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    try await permitCaseWork(context, "derive")
    let data = try await caseBody(request, context)
    let templateId = try query(q, "template")
    let threshold = try number(q, "closeMarginMm", in: 0.1...1000)
    let outcome = try compute { w throws(WorkflowError) in
      try w.prepare(data: data, templateId: templateId, rules: w.rules(closeMarginMm: threshold))
    }
    let analysis = try usable(outcome).analysis
    return json(Presentation.derivation(analysis, diagnostics: outcome.diagnostics))
  }

  func render(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    try await permitCaseWork(context, "render")
    let format = try reportFormat(q) ?? "text"
    let width = try integer(q, "width", in: 40...400) ?? 80
    let data = try await caseBody(request, context)
    let templateId = try query(q, "template")
    let bytes = try compute { w throws(WorkflowError) -> ByteBuffer in
      let p = try Self.usable(w.prepare(data: data, templateId: templateId))
      guard let out = try w.render(p, formats: [format], width: width)[format] else {
        throw WorkflowError(.usage, "no output in format '\(format)'")
      }
      return out.withBytes { ByteBuffer(bytes: $0) }
    }
    return report(bytes, format: format)
  }

  /// Case work needs a role that may see case content. The role is checked on
  /// the request's task; a refusal, audited in the store, goes to the
  /// workflow's threads like all store work (request tasks run on the event
  /// loops, where a store waiting on the network would stall every connection).
  func permitCaseWork(_ context: APIContext, _ action: String) async throws {
    let requester = try self.requester(context)
    guard !requester.handlesCases else { return }
    try await perform { w throws(WorkflowError) in try w.permitCaseWork(by: requester, action: action) }
  }

  // MARK: templates

  func templates() -> Response {
    let list = workflow.templates.templates.values.sorted { $0.id < $1.id }.map { t in
      JSONOut.object([("id", .string(t.id)), ("title", .string(t.title)), ("version", .string(t.version))])
    }
    return json(.object([("templates", .array(list))]))
  }

  func template(_ id: String) throws -> Response {
    guard let t = workflow.templates.templates[id] else {
      throw Problem(.notFound, "no template '\(id)'; GET /api/v1/templates lists them")
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = (try? encoder.encode(t)) ?? Data("{}".utf8)
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  // MARK: drafts

  func draftJSON(_ d: DraftRecord, source: Bool) -> [(String, JSONOut)] {
    var pairs: [(String, JSONOut)] = [
      ("accession", .string(d.accession)), ("revision", .int(d.revision)), ("createdBy", .string(d.createdBy)),
      ("createdAt", .string(d.createdAt)), ("updatedBy", .string(d.updatedBy)), ("updatedAt", .string(d.updatedAt)),
    ]
    if source { pairs.append(("source", .string(String(decoding: d.caseSource, as: UTF8.self)))) }
    return pairs
  }

  func drafts(_ context: APIContext) async throws -> Response {
    let requester = try self.requester(context)
    let list = try await perform { w throws(WorkflowError) in try w.drafts(by: requester) }
    return json(.object([("drafts", .array(list.map { .object(draftJSON($0, source: false)) }))]))
  }

  func draft(_ context: APIContext) async throws -> Response {
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    let d = try await perform { w throws(WorkflowError) in try w.draft(accession, by: requester) }
    var r = json(.object(draftJSON(d, source: true)))
    r.headers[.eTag] = "\"\(d.revision)\""
    return r
  }

  /// PUT a case as the draft of its accession: `If-Match: "N"` saves over
  /// revision N, no If-Match makes a new draft; a stale revision is a 409.
  func saveDraft(_ request: Request, _ context: APIContext) async throws -> Response {
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    let expected: Int?
    if let match = request.headers[.ifMatch] {
      guard let n = Int(match.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))), n >= 1 else {
        throw Problem(.badRequest, "If-Match is the draft's revision in quotes, e.g. \"3\"")
      }
      expected = n
    } else {
      expected = nil
    }
    let data = try await caseBody(request, context)
    let (saved, outcome) = try await perform(timeout: false) { w throws(WorkflowError) in
      try w.saveDraft(accession: accession, caseSource: data, expectedRevision: expected, by: requester)
    }
    var pairs = draftJSON(saved, source: false)
    pairs.append(("diagnostics", .array(outcome.diagnostics.map(Presentation.diagnostic))))
    var r = json(.object(pairs), status: expected == nil ? .created : .ok)
    r.headers[.eTag] = "\"\(saved.revision)\""
    r.headers[.location] = "/api/v1/drafts/\(Self.pathSegment(accession))"
    return r
  }

  // MARK: signing

  func signOut(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    let requester = try self.requester(context)
    let pathologist = try signer(q, requester)
    let at = try query(q, "at")
    let templateId = try query(q, "template")
    let data = try await caseBody(request, context)
    let v = try await perform(timeout: false) { w throws(WorkflowError) in
      try w.signOut(caseSource: data, pathologist: pathologist, at: at, templateId: templateId, by: requester)
    }
    return created(v, Presentation.version(v))
  }

  func amend(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    let pathologist = try signer(q, requester)
    guard let reason = try query(q, "reason") else { throw Problem(.badRequest, "an amendment needs ?reason= saying why the report is amended") }
    let at = try query(q, "at")
    let templateId = try query(q, "template")
    let data = try await caseBody(request, context)
    let (v, changes) = try await perform(timeout: false) { w throws(WorkflowError) in
      try w.amend(accession: accession, caseSource: data, reason: reason, pathologist: pathologist, at: at, templateId: templateId, by: requester)
    }
    guard case .object(var pairs) = Presentation.version(v) else { return created(v, Presentation.version(v)) }
    pairs.append(("changes", .array(changes.map { .object([("id", .string($0.id)), ("text", .string($0.text))]) })))
    return created(v, .object(pairs))
  }

  /// The body of an addendum or a retraction.
  struct Note: Decodable {
    var text: String?
    var reason: String?
    var pathologist: String?
    var at: String?
  }

  func addendum(_ request: Request, _ context: APIContext) async throws -> Response {
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    let note = try await noteBody(request, context)
    guard let text = note.text else { throw Problem(.badRequest, #"the body needs "text": the addendum"#) }
    let pathologist = signer(note.pathologist, requester)
    let v = try await perform(timeout: false) { w throws(WorkflowError) in
      try w.addendum(accession: accession, text: text, pathologist: pathologist, at: note.at, by: requester)
    }
    return created(v, Presentation.version(v))
  }

  func retract(_ request: Request, _ context: APIContext) async throws -> Response {
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    let note = try await noteBody(request, context)
    guard let reason = note.reason else { throw Problem(.badRequest, #"the body needs "reason": why the report is withdrawn"#) }
    let pathologist = signer(note.pathologist, requester)
    let v = try await perform(timeout: false) { w throws(WorkflowError) in
      try w.retract(accession: accession, reason: reason, pathologist: pathologist, at: note.at, by: requester)
    }
    return created(v, Presentation.version(v))
  }

  // MARK: reading

  func history(_ request: Request, _ context: APIContext) async throws -> Response {
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    let versions = try await perform { w throws(WorkflowError) in try w.history(accession, by: requester) }
    if versions.isEmpty { throw Problem(.notFound, "\(accession) has no signed versions") }
    return json(Presentation.history(accession, versions))
  }

  func version(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    guard let n = Int(try Self.pathParameter(context, "version")), n >= 1, n <= 1_000_000 else {
      throw Problem(.badRequest, "the version is a whole number from 1")
    }
    let format = try reportFormat(q) ?? "text"
    let bytes = try await perform { w throws(WorkflowError) in try w.output(accession, version: n, format: format, by: requester) }
    return report(ByteBuffer(bytes: bytes), format: format)
  }

  func diff(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    let requester = try self.requester(context)
    let accession = try Self.pathParameter(context, "accession")
    guard let from = try integer(q, "from", in: 1...1_000_000), let to = try integer(q, "to", in: 1...1_000_000) else {
      throw Problem(.badRequest, "give ?from=N&to=M, two version numbers")
    }
    let changes = try await perform { w throws(WorkflowError) in try w.diff(accession, from: from, to: to, by: requester) }
    return json(Presentation.diff(accession, from: from, to: to, changes))
  }

  func audit(_ request: Request, _ context: APIContext) async throws -> Response {
    let q = request.uri.queryParameters
    let requester = try self.requester(context)
    let filter = AuditQuery(
      accession: try query(q, "accession"), user: try query(q, "user"), since: try query(q, "since"), until: try query(q, "until"))
    let entries = try await perform { w throws(WorkflowError) in try w.audit(filter, by: requester) }
    return json(Presentation.audit(entries))
  }

  // MARK: requests

  static let caseMediaTypes: Set<String> = ["application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]

  /// A case body: JSON or YAML, within the body limit.
  func caseBody(_ request: Request, _ context: APIContext) async throws -> Data {
    let type = Self.mediaType(request.headers[.contentType])
    guard let type, Self.caseMediaTypes.contains(type) else {
      throw Problem(.unsupportedMediaType, "send the case as application/json or application/yaml\(type.map { ", not \($0)" } ?? "")")
    }
    let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
    let data = Data(buffer.readableBytesView)
    if type == "application/json", data.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) != UInt8(ascii: "{") {
      throw Problem(.badRequest, "the body is not a JSON object; a case is a mapping ({\"accession\": ...})")
    }
    return data
  }

  /// A small JSON body (an addendum or a retraction).
  func noteBody(_ request: Request, _ context: APIContext) async throws -> Note {
    guard Self.mediaType(request.headers[.contentType]) == "application/json" else {
      throw Problem(.unsupportedMediaType, "send a JSON object as application/json")
    }
    let buffer = try await request.body.collect(upTo: context.maxBodyBytes)
    do {
      return try JSONDecoder().decode(Note.self, from: Data(buffer.readableBytesView))
    } catch {
      throw Problem(.badRequest, "the body is not the JSON object this endpoint takes; see /openapi.json")
    }
  }

  static func mediaType(_ header: String?) -> String? {
    guard let header else { return nil }
    let type = header.split(separator: ";", maxSplits: 1).first.map { $0.trimmingBlanks.lowercased() } ?? ""
    return type.isEmpty ? nil : type
  }

  /// A path segment as the client meant it: percent-decoded (Location
  /// headers encode an accession the same way).
  static func pathParameter(_ context: APIContext, _ name: String) throws -> String {
    guard let value = try context.parameters.require(name).removingPercentEncoding else {
      throw Problem(.badRequest, "the \(name) in the path is not valid percent-encoded UTF-8")
    }
    return value
  }

  func query(_ q: Parameters, _ name: String) throws -> String? {
    guard let value = q[Substring(name)].map(String.init) else { return nil }
    if value.utf8.count > workflow.site.inputLimits.textBytes {
      throw Problem(.badRequest, "?\(name)= is longer than \(workflow.site.inputLimits.textBytes) bytes")
    }
    return value
  }

  func integer(_ q: Parameters, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
    guard let text = try query(q, name) else { return nil }
    guard let n = Int(text), range.contains(n) else { throw Problem(.badRequest, "?\(name)= is a whole number from \(range.lowerBound) to \(range.upperBound)") }
    return n
  }

  func number(_ q: Parameters, _ name: String, in range: ClosedRange<Double>) throws -> Double? {
    guard let text = try query(q, name) else { return nil }
    guard let n = Double(text), range.contains(n) else { throw Problem(.badRequest, "?\(name)= is a number from \(range.lowerBound) to \(range.upperBound)") }
    return n
  }

  func reportFormat(_ q: Parameters) throws -> String? {
    guard let format = try query(q, "format") else { return nil }
    guard Self.contentTypes[format] != nil else {
      throw Problem(.badRequest, "?format= is one of \(ReportPublisher.formats.map(\.name).joined(separator: ", "))")
    }
    return format
  }

  func requester(_ context: APIContext) throws -> Requester {
    guard let r = context.requester else { throw Problem(.unauthorized, "no credentials", headers: [.wwwAuthenticate: #"Bearer realm="synoptic""#]) }
    return r
  }

  /// The signing pathologist: the one named, else the token's own.
  func signer(_ q: Parameters, _ requester: Requester) throws -> String {
    try signer(query(q, "pathologist"), requester)
  }

  /// An interface token names no one; the workflow refuses it (and audits the refusal).
  func signer(_ named: String?, _ requester: Requester) -> String {
    if let named { return named }
    if case .pathologist(let id) = requester.authority { return id }
    return ""
  }

  // MARK: responses

  static let contentTypes: [String: String] = [
    "text": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8", "xml": "application/xml; charset=utf-8",
    "cda": "application/xml; charset=utf-8", "hl7": "application/hl7-v2; charset=utf-8", "fhir": "application/fhir+json; charset=utf-8",
  ]

  func report(_ bytes: ByteBuffer, format: String) -> Response {
    var headers: HTTPFields = [.contentType: Self.contentTypes[format] ?? "application/octet-stream"]
    // A report shown straight from the API runs no script and loads nothing.
    if format == "html" {
      headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
      headers[.init("Referrer-Policy")!] = "no-referrer"
    }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
  }

  func json(_ value: JSONOut, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.render() + "\n")))
  }

  func created(_ v: StoredVersion, _ body: JSONOut) -> Response {
    var r = json(body, status: .created)
    r.headers[.location] = "/api/v1/reports/\(Self.pathSegment(v.accession))/versions/\(v.version)"
    return r
  }

  static func pathSegment(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? s
  }

  // MARK: outcomes

  /// A case that was read, decoded and has no errors; else 400 or 422.
  static func usable(_ outcome: CaseOutcome) throws(WorkflowError) -> PreparedReport {
    switch outcome {
    case .unreadable(let e): throw WorkflowError(.unreadable, "the case cannot be read: \(e.message)", diagnostics: [diagnostic(e)])
    case .undecodable(let d), .analysed(_, let d): throw WorkflowError(.invalid, "the case has errors", diagnostics: d)
    case .prepared(let p):
      if p.document.diagnostics.hasErrors {
        let n = p.document.diagnostics.filter { $0.severity == .error }.count
        throw WorkflowError(.invalid, "the case has \(n) error\(n == 1 ? "" : "s")", diagnostics: p.document.diagnostics)
      }
      return p
    }
  }

  func usable(_ outcome: CaseOutcome) throws -> PreparedReport {
    do { return try Self.usable(outcome) } catch { throw Problem(error) }
  }

  static func unreadable(_ e: SourceParseError) -> Problem {
    Problem(.badRequest, "the case cannot be read: \(e.message)", diagnostics: [diagnostic(e)])
  }

  static func diagnostic(_ e: SourceParseError) -> Diagnostic {
    Diagnostic(severity: .error, path: "(file)", rule: "file.parse", message: e.message, location: e.location)
  }

  // MARK: running work

  /// Work that only computes (prepare, render: no store) runs on the
  /// request's own task: it never blocks, and the input limits bound it, so
  /// it needs neither another thread nor a timeout.
  func compute<T>(_ body: (Workflow) throws(WorkflowError) -> T) throws -> T {
    do { return try body(workflow) } catch { throw Problem(error) }
  }

  /// Runs store work on the workflow's queue; past the timeout the client
  /// gets a 503 (the work itself finishes on its own, its result unused).
  func perform<T: Sendable>(timeout: Bool = true, _ body: @escaping @Sendable (Workflow) throws(WorkflowError) -> T) async throws -> T {
    guard timeout else { return try await workflow.perform(body) }
    let seconds = settings.requestTimeoutSeconds
    let workflow = self.workflow
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
      let pending = Mutex(Optional(continuation))
      let finish: @Sendable (Result<T, any Error>) -> Void = { result in
        pending.withLock { c in
          c?.resume(with: result)
          c = nil
        }
      }
      let timer = Task {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        if !Task.isCancelled {
          finish(.failure(Problem(.serviceUnavailable, "the request took longer than \(seconds) s; try again", headers: [.retryAfter: "5"])))
        }
      }
      Task {
        do {
          finish(.success(try await workflow.perform(body)))
        } catch {
          finish(.failure(error))
        }
        timer.cancel()
      }
    }
  }
}
