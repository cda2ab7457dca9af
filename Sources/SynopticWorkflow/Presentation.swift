import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates

/// The JSON every face writes for the same result: `synoptic validate
/// --format json` and `POST /api/v1/validate` give the same document, and so
/// on for derive, history, diff and the audit log.
public enum Presentation {
  /// 0 clean (warnings allowed), 1 a case with errors, 2 unreadable.
  public static func exitCode(_ o: CaseOutcome) -> Int {
    if case .unreadable = o { return 2 }
    return o.diagnostics.hasErrors ? 1 : 0
  }

  /// Validation of several case files: `{"files": [...], "exitCode": n}`.
  public static func validation(_ results: [(file: String, outcome: CaseOutcome)]) -> JSONOut {
    .object([
      ("files", .array(results.map { outcome($0.outcome, file: $0.file) })),
      ("exitCode", .int(results.map { exitCode($0.outcome) }.max() ?? 0)),
    ])
  }

  /// One case's status and diagnostics.
  public static func outcome(_ o: CaseOutcome, file: String) -> JSONOut {
    if case .unreadable(let e) = o {
      return .object([
        ("file", .string(file)), ("status", .string("unreadable")),
        ("diagnostics", .array([unreadable(e)])),
      ])
    }
    return .object([
      ("file", .string(file)), ("status", .string(o.diagnostics.hasErrors ? "invalid" : "valid")),
      ("diagnostics", .array(o.diagnostics.map(diagnostic))),
    ])
  }

  /// A parse error as a diagnostic of the whole file.
  public static func unreadable(_ e: SourceParseError) -> JSONOut {
    .object([
      ("severity", .string("error")), ("path", .string("(file)")), ("rule", .string("file.parse")),
      ("message", .string(e.message)),
      ("line", e.location.map { .int($0.line) } ?? .null),
      ("column", e.location.map { .int($0.column) } ?? .null),
    ])
  }

  public static func diagnostic(_ d: Diagnostic) -> JSONOut {
    .object([
      ("severity", .string(d.severity.rawValue)), ("path", .string(d.path)), ("rule", .string(d.rule)),
      ("message", .string(d.message)), ("line", d.line.map(JSONOut.int) ?? .null),
      ("column", d.column.map(JSONOut.int) ?? .null),
    ])
  }

  /// What the rules derive for a case without errors.
  public static func derivation(_ a: CaseAnalysis, diagnostics: [Diagnostic]) -> JSONOut {
    let d = a.derivation
    func grade(_ g: GradeAssessment) -> JSONOut {
      var pairs: [(String, JSONOut)] = [
        ("grade", .string(g.phrase)), ("value", .string(g.value)),
        ("range", g.range.map { .object([("lo", .int($0.lo)), ("hi", .int($0.hi))]) } ?? .null),
        ("ajcc", .string(g.ajccDisplay)), ("source", .string(g.source.rawValue)),
        ("stated", JSONOut.optional(g.stated?.description)), ("working", .string(g.working)),
      ]
      if let f = g.fnclcc {
        pairs += [
          ("differentiationScore", .int(f.differentiationScore)), ("mitoticScore", .int(f.mitoticScore)),
          ("necrosisScore", .int(f.necrosisScore)), ("totalScore", .int(f.totalScore)),
        ]
      }
      if let p = g.partial {
        pairs.append(("partialScore", .object([
          ("differentiation", range(p.differentiation)), ("mitotic", range(p.mitotic)), ("necrosis", range(p.necrosis)),
          ("total", range(p.total)),
        ])))
      }
      return .object(pairs)
    }
    func range(_ r: ClosedRange<Int>) -> JSONOut { .object([("lo", .int(r.lowerBound)), ("hi", .int(r.upperBound))]) }
    func length(_ l: Length?) -> JSONOut {
      guard let l else { return .null }
      return .object([("text", .string(l.description)), ("mm", .number(l.millimetres)), ("comparator", JSONOut.optional(l.comparator?.rawValue))])
    }
    var pairs: [(String, JSONOut)] = [
      ("accession", .string(a.pathologyCase.accession)),
      ("grade", grade(d.grade)),
      ("components", .array(d.componentGrades.map { .object([("name", .string($0.name)), ("grade", grade($0.assessment))]) })),
      ("pT", .string(d.pT)), ("t", .string(d.t.category)), ("tWorking", .string(d.t.working)),
      ("n", .string(d.n.rawValue)), ("pN", .string(d.nDisplay)), ("nWorking", .string(d.nWorking)),
      ("cN", JSONOut.optional(d.cN?.rawValue)),
      ("m", .string(d.m.rawValue)), ("pM", .string(d.mDisplay)), ("mWorking", .string(d.mWorking)),
      ("stageGroup", JSONOut.optional(d.stage.group)), ("stageReason", .string(d.stage.reason)),
      ("stageAlternatives", .array(d.stage.alternatives.map(JSONOut.string))),
    ]
    if let m = d.margins {
      pairs.append(("margins", .object([
        ("rClass", .string(m.rClass.rawValue)), ("rWorking", .string(m.rWorking)),
        ("closest", m.closest.map { .object([("name", .string($0.name)), ("distance", length($0.distance))]) } ?? .null),
        ("mayBeCloser", .array(m.mayBeCloser.map { .object([("name", .string($0.name)), ("distance", length($0.distance))]) })),
        ("equallyClose", .array(m.equallyClose.map(JSONOut.string))),
        ("closestDistance", length(m.closestDistance)), ("closestText", JSONOut.optional(m.closestText)),
        ("close", JSONOut.optional(m.close?.rawValue)), ("closeText", JSONOut.optional(m.closeText)),
        ("closeThresholdMm", .number(m.closeThresholdMm)),
        ("involved", .array(m.involved.map(JSONOut.string))),
        ("working", .string(m.working)),
      ])))
    }
    pairs.append(("stainChanges", .array(d.stainChanges.map { .string($0.text) })))
    pairs.append(("diagnostics", .array(diagnostics.map(diagnostic))))
    return .object(pairs)
  }

  /// Every signed version of an accession, oldest first.
  public static func history(_ accession: String, _ versions: [StoredVersion]) -> JSONOut {
    .object([("accession", .string(accession)), ("versions", .array(versions.map(version)))])
  }

  public static func version(_ v: StoredVersion) -> JSONOut {
    .object([
      ("version", .int(v.version)), ("status", .string(v.status.rawValue)), ("signedAt", .string(v.signedAt)),
      ("pathologist", .string(v.pathologist)), ("reason", JSONOut.optional(v.reason)),
      ("template", .string("\(v.templateId) \(v.templateVersion)")), ("caseSha256", .string(v.caseSHA256)),
      ("documentSha256", .string(v.documentSHA256)),
      ("outputs", .object(v.outputs.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
      ("previousHash", .string(v.previousHash)), ("versionHash", .string(v.versionHash)),
    ])
  }

  /// The items that differ between two versions.
  public static func diff(_ accession: String, from: Int, to: Int, _ changes: [ItemChange]) -> JSONOut {
    .object([("accession", .string(accession)), ("from", .int(from)), ("to", .int(to)), ("changes", .array(changes.map {
      .object([("id", .string($0.id)), ("label", .string($0.label)), ("old", JSONOut.optional($0.old)), ("new", JSONOut.optional($0.new))])
    }))])
  }

  /// Audit entries, oldest first.
  public static func audit(_ entries: [AuditEntry]) -> JSONOut {
    .object([("entries", .array(entries.map { e in
      .object([
        ("id", .int(Int(e.id))), ("at", .string(e.at)), ("actor", JSONOut.optional(e.actor)), ("action", .string(e.action)),
        ("accession", JSONOut.optional(e.accession)), ("version", e.version.map(JSONOut.int) ?? .null),
        ("outcome", .string(e.outcome)), ("detail", JSONOut.optional(e.detail)), ("command", JSONOut.optional(e.command)),
      ])
    }))])
  }

  /// The outbox: `{"messages": [...]}`, oldest first. `controlId` is the last MSH-10 sent.
  public static func outbox(_ messages: [OutboxMessage]) -> JSONOut {
    .object([("messages", .array(messages.map { m in
      .object([
        ("id", .int(Int(m.id))), ("accession", .string(m.accession)), ("version", .int(m.version)), ("destination", .string(m.destination)),
        ("format", .string(m.format)), ("status", .string(m.status.rawValue)), ("attempts", .int(m.attempts)),
        ("lastError", JSONOut.optional(m.lastError)), ("ack", JSONOut.optional(m.ack)), ("controlId", JSONOut.optional(m.controlIds.last)),
        ("controlIds", .array(m.controlIds.map(JSONOut.string))), ("nextAttemptAt", .string(m.nextAttemptAt)),
      ])
    }))])
  }
}
