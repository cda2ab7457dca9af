import SynopticExport
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

/// `GET /openapi.json`: every endpoint, its parameters, bodies and answers,
/// and the case model, as OpenAPI 3.1. CI fuzzes the server against it.
enum OpenAPIDocument {
  static func json(workflow: Workflow) -> JSONOut {
    .object([
      ("openapi", .string("3.1.0")),
      ("info", .object([
        ("title", .string("Synoptic")),
        ("version", .string("1.0.0")),
        ("description", .string(
          "Structured pathology reports: validate, derive, render, sign out, amend and read signed versions. "
            + "Everything under /api/v1 needs 'Authorization: Bearer TOKEN' (synoptic token create). "
            + "Site: \(workflow.site.name)")),
      ])),
      ("paths", paths(templates: workflow.templates.templates.keys.sorted(), pathologists: workflow.site.pathologists.map(\.id))),
      ("components", .object([
        ("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))]))])),
        ("schemas", .object(CaseSchema.components + schemas)),
      ])),
    ])
  }

  // MARK: paths

  static func paths(templates: [String], pathologists: [String]) -> JSONOut {
    let templateParam = query("template", CaseSchema.choices(templates), "template id (default: the template for the case's procedure)")
    let pathologistParam = query("pathologist", CaseSchema.choices(pathologists), "the signing pathologist's id in the site's directory (default: the token's)")
    return .object([
      ("/health", .object([("get", op("Liveness: the process answers", public: true, responses: [("200", jsonBody("Health"))]))])),
      ("/ready", .object([("get", op("Readiness: the report store answers", public: true, responses: [("200", jsonBody("Health")), problem("503")]))])),
      ("/openapi.json", .object([("get", op("This document", public: true, responses: [("200", .object([
        ("description", .string("OpenAPI 3.1")), ("content", .object([("application/json", .object([("schema", .object([("type", .string("object"))]))]))])),
      ]))]))])),
      ("/login", .object([
        ("get", op("The sign-in form (HTML)", public: true, responses: [("200", html("The form"))])),
        ("post", op(
          "Sign in: starts a browser session (a new id in an HttpOnly, SameSite=Strict cookie) and redirects to /",
          public: true, body: form(["username", "password"]),
          responses: [("303", redirect("Signed in: Set-Cookie carries the session")), ("400", htmlOrProblem("A field is missing, or the form cannot be read")),
                      ("401", html("Wrong user name or password (answered more slowly after each failure)")), problem("403"),
                      problem("415"), ("429", html("Locked after repeated failures"))]))
      ])),
      ("/logout", .object([("post", op(
        "Sign out: ends the session (the form carries the session's CSRF token)", public: true, body: form(["csrf"]),
        responses: [("303", redirect("Signed out")), problem("403"), problem("415")]))])),
      ("/", .object([("get", op("The signed-in page, or a redirect to /login", public: true, responses: [("200", html("The page")), ("303", redirect("Not signed in"))]))])),
      ("/api/v1/session", .object([("get", op("Who the credential is; for a browser session, its CSRF token and when it ends", responses: [("200", jsonBody("Session"))]))])),
      ("/api/v1/session/confirm", .object([("post", op(
        "Re-enter the password in a browser session: signing through a session needs one within 5 minutes",
        body: noteBody("Confirmation"), responses: [("204", .object([("description", .string("Confirmed"))])), ("429", problem("429").1)]))])),
      ("/api/v1/validate", .object([("post", op(
        "Check a case: the same JSON as 'synoptic validate --format json' for one file (file is \"request\")",
        parameters: [templateParam], body: caseBody, responses: [("200", jsonBody("Validation"))] + caseProblems))])),
      ("/api/v1/derive", .object([("post", op(
        "What the rules derive for a case: grade with its working, pT, pN, stage group, margins; as 'synoptic derive --format json'",
        parameters: [templateParam, query("closeMarginMm", .object([("type", .string("number")), ("minimum", .number(0.1)), ("maximum", .int(1000))]), "close-margin threshold in mm (default: the site's)")],
        body: caseBody, responses: [("200", jsonBody("Derivation"))] + caseProblems))])),
      ("/api/v1/render", .object([("post", op(
        "The report in one format: exactly the bytes 'synoptic render' writes",
        parameters: [formatParam, templateParam, query("width", .object([("type", .string("integer")), ("minimum", .int(40)), ("maximum", .int(400))]), "text width (default 80)")],
        body: caseBody, responses: [("200", reportBody)] + caseProblems))])),
      ("/api/v1/templates", .object([("get", op("The templates this server fills", responses: [("200", jsonBody("TemplateList"))]))])),
      ("/api/v1/templates/{id}", .object([("get", op(
        "One template as JSON: sections, items, codes, conditions", parameters: [path("id")],
        responses: [("200", jsonBody("Template")), problem("404")]))])),
      ("/api/v1/drafts", .object([("get", op("Every draft, most recently saved first (residents and pathologists)", responses: [("200", jsonBody("DraftList"))]))])),
      ("/api/v1/drafts/{accession}", .object([
        ("get", op("One draft with its source; ETag is its revision", parameters: [accessionParam], responses: [("200", jsonBody("Draft")), problem("404")])),
        ("put", op(
          "Save the case in the body as the draft of its accession: If-Match \"N\" saves over revision N (a stale N is a 409), none makes a new draft",
          parameters: [accessionParam, .object([
            ("name", .string("If-Match")), ("in", .string("header")), ("required", .bool(false)),
            ("schema", .object([("type", .string("string")), ("pattern", .string(#"^"[1-9][0-9]{0,8}"$"#))])),
          ])],
          body: caseBody,
          responses: [("200", jsonBody("Draft")), ("201", jsonBody("Draft", created: true))] + caseProblems + [problem("409")])),
      ])),
      ("/api/v1/reports", .object([("post", op(
        "Sign out a case: version 1 (or the next after a retraction), every format stored. The signer is the token's pathologist, or ?pathologist= where the token may sign for them",
        parameters: [pathologistParam, atParam, templateParam], body: caseBody,
        responses: [("201", jsonBody("Version", created: true))] + caseProblems + [problem("403"), problem("409")]))])),
      ("/api/v1/reports/{accession}", .object([("get", op(
        "Every signed version, oldest first: as 'synoptic history --format json'", parameters: [accessionParam],
        responses: [("200", jsonBody("History")), problem("404")]))])),
      ("/api/v1/reports/{accession}/amendments", .object([("post", op(
        "Amend: a corrected case becomes the next version, with the reason and what changed",
        parameters: [accessionParam, query("reason", .object([("type", .string("string")), ("minLength", .int(1))]), "why the report is amended", required: true),
                     pathologistParam, atParam, templateParam],
        body: caseBody, responses: [("201", jsonBody("Version", created: true))] + caseProblems + [problem("403"), problem("409")]))])),
      ("/api/v1/reports/{accession}/addenda", .object([("post", op(
        "Add an addendum, signed by its own pathologist at its own time", parameters: [accessionParam],
        body: noteBody("Addendum"), responses: [("201", jsonBody("Version", created: true))] + noteProblems))])),
      ("/api/v1/reports/{accession}/retractions", .object([("post", op(
        "Retract a report issued in error: a new version marked retracted in every format", parameters: [accessionParam],
        body: noteBody("Retraction"), responses: [("201", jsonBody("Version", created: true))] + noteProblems))])),
      ("/api/v1/reports/{accession}/versions/{version}", .object([("get", op(
        "Exactly the stored bytes of one format of one version", parameters: [accessionParam, versionParam, formatParam],
        responses: [("200", reportBody), problem("400"), problem("404")]))])),
      ("/api/v1/reports/{accession}/diff", .object([("get", op(
        "The items that differ between two versions", parameters: [
          accessionParam, query("from", versionNumber, "the earlier version", required: true), query("to", versionNumber, "the later version", required: true),
        ], responses: [("200", jsonBody("Diff")), problem("400"), problem("404")]))])),
      ("/api/v1/audit", .object([("get", op(
        "The audit log: sign-outs, amendments, reads, logins, refusals (auditors only)", parameters: [
          query("accession", accessionSchema, "only this accession"), query("user", CaseSchema.string, "only what this account, token or pathologist did"),
          query("since", CaseSchema.timestamp, "only entries at or after this time"), query("until", CaseSchema.timestamp, "only entries at or before this time"),
        ],
        responses: [("200", jsonBody("Audit"))]))])),
    ])
  }

  static let caseProblems = [problem("400"), problem("413"), problem("415"), problem("422")]
  static let noteProblems = [problem("400"), problem("403"), problem("409"), problem("413"), problem("415")]

  static func op(_ summary: String, public: Bool = false, parameters: [JSONOut] = [], body: JSONOut? = nil, responses: [(String, JSONOut)]) -> JSONOut {
    var pairs: [(String, JSONOut)] = [("summary", .string(summary))]
    if !parameters.isEmpty { pairs.append(("parameters", .array(parameters))) }
    if let body { pairs.append(("requestBody", body)) }
    var all = responses
    // Any parameter or body can be malformed.
    if !parameters.isEmpty || body != nil, !all.contains(where: { $0.0 == "400" }) { all.append(problem("400")) }
    if !`public` {
      pairs.append(("security", .array([.object([("bearer", .array([]))])])))
      if !all.contains(where: { $0.0 == "403" }) { all.append(problem("403")) }
      all += [problem("401"), problem("503")]
    }
    pairs.append(("responses", .object(all)))
    return .object(pairs)
  }

  static func problem(_ status: String) -> (String, JSONOut) {
    let why = [
      "400": "The request cannot be read (the body, a parameter)", "401": "No valid bearer token",
      "403": "The token's role may not do this (an interface token signing, a pathologist signing as another, an auditor reading a report, anyone but an auditor reading the audit log)",
      "404": "No such accession, version, format or template", "409": "Already signed, nothing changed, retracted, or a concurrent change",
      "413": "The body is over the limit", "415": "The body is not JSON or YAML", "422": "The case has errors: the diagnostics say which",
      "503": "The store cannot be reached, or the request took too long; retry",
      "429": "Locked after repeated failed passwords",
    ][status] ?? "Error"
    return (status, .object([
      ("description", .string(why)),
      ("content", .object([("application/problem+json", .object([("schema", CaseSchema.refTo("Problem"))]))])),
    ]))
  }

  static func html(_ description: String) -> JSONOut {
    .object([("description", .string(description)), ("content", .object([("text/html", .object([("schema", CaseSchema.string)]))]))])
  }

  static func htmlOrProblem(_ description: String) -> JSONOut {
    .object([
      ("description", .string(description)),
      ("content", .object([
        ("text/html", .object([("schema", CaseSchema.string)])),
        ("application/problem+json", .object([("schema", CaseSchema.refTo("Problem"))])),
      ])),
    ])
  }

  static func redirect(_ description: String) -> JSONOut {
    .object([("description", .string(description)), ("headers", .object([("Location", .object([("schema", CaseSchema.string)]))]))])
  }

  static func form(_ fields: [String]) -> JSONOut {
    .object([
      ("required", .bool(true)),
      ("content", .object([("application/x-www-form-urlencoded", .object([("schema", CaseSchema.object(fields.map { ($0, CaseSchema.string) }, required: fields))]))])),
    ])
  }

  static func jsonBody(_ schema: String, created: Bool = false) -> JSONOut {
    var pairs: [(String, JSONOut)] = [("description", .string(created ? "Stored; Location names the new version" : "OK"))]
    if created {
      pairs.append(("headers", .object([("Location", .object([("schema", .object([("type", .string("string"))]))]))])))
    }
    pairs.append(("content", .object([("application/json", .object([("schema", CaseSchema.refTo(schema))]))])))
    return .object(pairs)
  }

  static var reportBody: JSONOut {
    let types = ["text/plain", "text/html", "application/xml", "application/hl7-v2", "application/fhir+json"]
    return .object([
      ("description", .string("The report: text, html, xml (our schema), cda (HL7 CDA R2, IHE APSR), hl7 (v2.5.1 ORU^R01), fhir (R4 document Bundle)")),
      ("content", .object(types.map { ($0, .object([("schema", .object([("type", .string("string"))]))])) })),
    ])
  }

  static var caseBody: JSONOut {
    .object([
      ("required", .bool(true)),
      ("description", .string("A case (see the Case schema), as JSON or YAML")),
      ("content", .object([
        ("application/json", .object([("schema", CaseSchema.refTo("Case"))])),
        ("application/yaml", .object([("schema", CaseSchema.refTo("Case"))])),
      ])),
    ])
  }

  static func noteBody(_ schema: String) -> JSONOut {
    .object([("required", .bool(true)), ("content", .object([("application/json", .object([("schema", CaseSchema.refTo(schema))]))]))])
  }

  static func query(_ name: String, _ schema: JSONOut, _ description: String, required: Bool = false) -> JSONOut {
    .object([("name", .string(name)), ("in", .string("query")), ("required", .bool(required)), ("description", .string(description)), ("schema", schema)])
  }

  static func path(_ name: String, _ schema: JSONOut = CaseSchema.string) -> JSONOut {
    .object([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)), ("schema", schema)])
  }

  static let accessionSchema = JSONOut.object([
    ("type", .string("string")), ("minLength", .int(1)), ("maxLength", .int(64)), ("pattern", .string(#"^[^\u0000-\u001F\u007F-\u009F]+$"#)),
  ])
  static let versionNumber = JSONOut.object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(1_000_000))])
  static var accessionParam: JSONOut { path("accession", accessionSchema) }
  static var versionParam: JSONOut { path("version", versionNumber) }
  static var atParam: JSONOut { query("at", CaseSchema.timestamp, "the signature time, ISO 8601 with a zone (default now)") }
  static var formatParam: JSONOut {
    query("format", CaseSchema.choices(ReportPublisher.formats.map(\.name)), "the report format (default text)")
  }

  // MARK: schemas

  static let nullableString = JSONOut.object([("type", .array([.string("string"), .string("null")]))])
  static let nullableInteger = JSONOut.object([("type", .array([.string("integer"), .string("null")]))])

  static var schemas: [(String, JSONOut)] {
    let s = CaseSchema.string, i = JSONOut.object([("type", .string("integer"))])
    func open(_ properties: [(String, JSONOut)], required: [String]) -> JSONOut {
      .object([("type", .string("object")), ("properties", .object(properties)), ("required", .array(required.map(JSONOut.string)))])
    }
    let diagnostic = open([("severity", CaseSchema.choices(["error", "warning", "info"])), ("path", s), ("rule", s), ("message", s),
                           ("line", nullableInteger), ("column", nullableInteger)],
                          required: ["severity", "path", "rule", "message", "line", "column"])
    let statuses = ReportStatus.allCases.map(\.rawValue)
    return [
      ("Problem", open([("type", s), ("title", s), ("status", i), ("detail", s), ("diagnostics", CaseSchema.array(CaseSchema.refTo("Diagnostic"))), ("requestId", s)],
                       required: ["type", "title", "status", "detail"])),
      ("Diagnostic", diagnostic),
      ("Health", open([("status", CaseSchema.choices(["ok", "ready"]))], required: ["status"])),
      ("Validation", open([
        ("files", CaseSchema.array(open([("file", s), ("status", CaseSchema.choices(["valid", "invalid", "unreadable"])),
                                         ("diagnostics", CaseSchema.array(CaseSchema.refTo("Diagnostic")))], required: ["file", "status", "diagnostics"]))),
        ("exitCode", i),
      ], required: ["files", "exitCode"])),
      ("Derivation", open([
        ("accession", s), ("grade", .object([("type", .string("object"))])), ("components", CaseSchema.array(.object([("type", .string("object"))]))),
        ("pT", s), ("t", s), ("tWorking", s), ("n", s), ("pN", s), ("nWorking", s), ("cN", nullableString), ("m", s), ("pM", s), ("mWorking", s),
        ("stageGroup", nullableString), ("stageReason", s), ("stageAlternatives", CaseSchema.array(s)),
        ("margins", .object([("type", .string("object"))])), ("stainChanges", CaseSchema.array(s)),
        ("diagnostics", CaseSchema.array(CaseSchema.refTo("Diagnostic"))),
      ], required: ["accession", "grade", "pT", "pN", "pM", "stageGroup", "stageReason", "diagnostics"])),
      ("Version", open([
        ("version", i), ("status", CaseSchema.choices(statuses)), ("signedAt", s), ("pathologist", s), ("reason", nullableString),
        ("template", s), ("caseSha256", s), ("documentSha256", s),
        ("outputs", .object([("type", .string("object")), ("additionalProperties", s)])), ("previousHash", s), ("versionHash", s),
        ("changes", CaseSchema.array(open([("id", s), ("text", s)], required: ["id", "text"]))),
      ], required: ["version", "status", "signedAt", "pathologist", "versionHash"])),
      ("History", open([("accession", s), ("versions", CaseSchema.array(CaseSchema.refTo("Version")))], required: ["accession", "versions"])),
      ("Diff", open([
        ("accession", s), ("from", i), ("to", i),
        ("changes", CaseSchema.array(open([("id", s), ("label", s), ("old", nullableString), ("new", nullableString)], required: ["id", "label", "old", "new"]))),
      ], required: ["accession", "from", "to", "changes"])),
      ("Audit", open([("entries", CaseSchema.array(open([
        ("id", i), ("at", s), ("actor", nullableString), ("action", s), ("accession", nullableString), ("version", nullableInteger),
        ("outcome", s), ("detail", nullableString), ("command", nullableString),
      ], required: ["id", "at", "action", "outcome"])))], required: ["entries"])),
      ("TemplateList", open([("templates", CaseSchema.array(open([("id", s), ("title", s), ("version", s)], required: ["id", "title", "version"])))],
                            required: ["templates"])),
      ("Template", open([("id", s), ("title", s), ("version", s), ("sections", CaseSchema.array(.object([("type", .string("object"))])))],
                        required: ["id", "title", "version"])),
      ("Session", open([
        ("name", s), ("role", CaseSchema.choices(["interface", "pathologist", "resident", "admin", "auditor"])), ("pathologist", s),
        ("csrfToken", s), ("expiresAt", s), ("confirmedAt", nullableString),
      ], required: ["name", "role"])),
      ("Confirmation", CaseSchema.object([("password", s)], required: ["password"])),
      ("Draft", open([
        ("accession", s), ("revision", i), ("createdBy", s), ("createdAt", s), ("updatedBy", s), ("updatedAt", s), ("source", s),
        ("diagnostics", CaseSchema.array(CaseSchema.refTo("Diagnostic"))),
      ], required: ["accession", "revision", "updatedBy", "updatedAt"])),
      ("DraftList", open([("drafts", CaseSchema.array(CaseSchema.refTo("Draft")))], required: ["drafts"])),
      ("Addendum", CaseSchema.object([
        ("text", .object([("type", .string("string")), ("minLength", .int(1))])), ("pathologist", s), ("at", CaseSchema.timestamp),
      ], required: ["text"])),
      ("Retraction", CaseSchema.object([
        ("reason", .object([("type", .string("string")), ("minLength", .int(1))])), ("pathologist", s), ("at", CaseSchema.timestamp),
      ], required: ["reason"])),
    ]
  }
}
