import SynopticCore
import SynopticTemplates

/// Our own report XML: a faithful, schema-described dump of the ReportDocument
/// (`Schemas/synoptic-report-1.0.xsd`, namespace `urn:synoptic:report:1.0`).
/// Written straight to bytes with ``XMLStream`` (one pass, no element tree).
public enum ReportXML {
  public static let namespace = "urn:synoptic:report:1.0"
  public static let schemaFile = "synoptic-report-1.0.xsd"

  public static func render(_ doc: ReportDocument) -> String { bytes(doc).string }

  /// The document as UTF-8 bytes (what the batch writes, without a String in between).
  static func bytes(_ doc: ReportDocument) -> ByteSink {
    var x = XMLStream(capacity: 32_768)
    write(doc, to: &x)
    return x.finishedBytes()
  }

  static func write(_ doc: ReportDocument, to x: inout XMLStream) {
    x.open("report", [
      .a("accession", doc.accession), .a("status", doc.status.rawValue), .a("version", String(doc.version)),
    ], namespaces: [.init(prefix: nil, uri: namespace)])
    x.element("template", [
      .a("id", doc.templateId), .a("version", doc.templateVersion), .a("title", doc.templateTitle), .a("base", doc.baseTemplate),
    ]) { x in x.leaf("provenance", text: doc.templateProvenance) }
    x.element("patient") { x in
      x.leaf("name", ifAny: doc.patient.name)
      x.leaf("mrn", ifAny: doc.patient.mrn)
      x.leaf("birthDate", ifAny: doc.patient.birthDate)
      x.leaf("sex", ifAny: doc.patient.sex?.rawValue)
      x.leaf("ageAtDiagnosis", ifAny: doc.patient.ageAtDiagnosis.map(String.init))
    }
    x.leaf("reportDate", ifAny: doc.reportDate)
    x.leaf("orderNumber", ifAny: doc.orderNumber)
    if let o = doc.orderingPhysician { x.leaf("orderingPhysician", doc.orderingPhysicianId.map { [.a("id", $0)] } ?? [], text: o) }
    x.leaf("facility", ifAny: doc.facility)
    x.element("specimens") { x in
      for s in doc.specimens {
        x.element("specimen", [.a("id", s.id), .a("procedure", s.procedure)]) { x in
          x.leaf("procedureLabel", text: s.procedureLabel)
          x.leaf("site", ifAny: s.site)
          x.leaf("laterality", ifAny: s.laterality)
          x.leaf("collectedAt", ifAny: s.collectedAt)
        }
      }
    }
    x.element("diagnosis") { x in
      for line in doc.diagnosis { x.leaf("line", text: line) }
    }
    x.element("sections") { x in
      for section in doc.sections {
        x.element("section", [.a("id", section.id), .a("title", section.title)]) { x in
          for i in section.items.indices { item(section.items[i], to: &x) }
        }
      }
    }
    if let d = doc.derived { derived(d, to: &x) }
    x.element("comparison") { x in
      for change in doc.comparison { x.leaf("change", text: change) }
    }
    x.leaf("comment", ifAny: doc.comment)
    x.element("diagnostics") { x in
      for d in doc.diagnostics {
        x.leaf("diagnostic", [
          .a("severity", d.severity.rawValue), .a("path", d.path), .a("rule", d.rule),
          .a("line", d.line.map(String.init)), .a("column", d.column.map(String.init)),
        ], text: d.message)
      }
    }
    if let by = doc.signedOutBy {
      x.empty("signature", [.a("pathologist", by), .a("time", doc.signedOutAt), .a("pathologistId", doc.signer?.id), .a("npi", doc.signer?.npi)])
    }
    if let reason = doc.amendmentReason {
      x.empty(doc.status == .retracted ? "retraction" : "amendment", [.a("reason", reason)])
    }
    for a in doc.addenda { x.leaf("addendum", text: a) }
    x.close()
  }

  static func code(_ c: Code, to x: inout XMLStream) {
    x.empty("code", [.a("system", c.system), .a("code", c.code), .a("display", c.display)])
  }

  static func item(_ i: ReportItem, to x: inout XMLStream) {
    x.element("item", [
      .a("id", i.id), .a("label", i.label), .a("type", i.type.rawValue), .a("required", i.required.rawValue),
      .a("provenance", i.provenance?.rawValue), .a("binding", i.binding), .a("display", i.hasValue ? i.display : nil),
    ]) { x in
      if let c = i.code { code(c, to: &x) }
      if let rows = i.rows {
        for n in rows.indices {
          x.element("row", [.a("index", String(n + 1))]) { x in
            for cell in rows[n].indices where rows[n][cell].hasValue { item(rows[n][cell], to: &x) }
          }
        }
      } else if let v = i.value {
        value(v, answerCode: i.answerCode, to: &x)
      }
    }
  }

  static func value(_ v: ItemValue, answerCode: Code?, to x: inout XMLStream) {
    func coded(_ a: CodedAnswer, _ code: Code?, to x: inout XMLStream) {
      x.element("coded", [.a("value", a.value), .a("display", a.display)]) { x in
        if let c = code ?? a.code { ReportXML.code(c, to: &x) }
      }
    }
    switch v {
    case .coded(let a): coded(a, answerCode, to: &x)
    case .codedList(let list): x.element("codedList") { x in for a in list { coded(a, nil, to: &x) } }
    case .measurement(let value, let unit, let comparator):
      x.empty("measurement", [.a("value", NumberText.format(value)), .a("unit", unit.rawValue), .a("comparator", comparator?.rawValue)])
    case .count(let n): x.leaf("count", text: String(n))
    case .text(let t): x.leaf("text", text: t)
    case .textList(let l): x.element("textList") { x in for t in l { x.leaf("text", text: t) } }
    case .date(let d): x.leaf("date", text: d)
    case .notReported: x.empty("notReported")
    case .cannotBeDetermined(let reason): x.empty("cannotBeDetermined", [.a("reason", reason)])
    }
  }

  static func grade(_ g: ReportDerived.Grade, name: StaticString, to x: inout XMLStream) {
    x.element(name, [.a("component", g.name), .a("value", g.value), .a("ajcc", g.ajcc), .a("source", g.source), .a("display", g.display)]) { x in
      if let s = g.scores {
        x.empty("scores", [
          .a("differentiation", String(s.differentiation)), .a("mitotic", String(s.mitotic)), .a("necrosis", String(s.necrosis)),
          .a("total", String(s.total)), .a("differentiationFromTable", g.differentiationFromTable ? "true" : "false"),
        ])
      }
      x.leaf("working", text: g.working)
    }
  }

  static func derived(_ d: ReportDerived, to x: inout XMLStream) {
    x.element("derived") { x in
      grade(d.grade, name: "grade", to: &x)
      for g in d.componentGrades { grade(g, name: "componentGrade", to: &x) }
      x.element("staging", [.a("siteGroup", d.siteGroup), .a("ajccChapter", d.ajccChapter.map(String.init)), .c("edition", "8")]) { x in
        x.leaf("t", [.a("category", d.t), .a("display", d.pT)], text: d.tWorking)
        x.empty("n", [.a("category", d.n), .a("display", d.pN)])
        x.empty("m", [.a("category", d.m), .a("display", d.pM)])
        x.leaf("stageGroup", [.a("value", d.stageGroup), .a("assigned", d.stageGroup == nil ? "false" : "true")], text: d.stageRule)
      }
      if let r = d.rClass {
        x.element("margins", [.a("rClass", r)]) { x in
          if let name = d.closestMargin, let dist = d.closestDistance {
            x.empty("closest", [
              .a("name", name), .a("distanceMm", NumberText.format(dist.millimetres)), .a("value", NumberText.format(dist.value)),
              .a("unit", dist.unit.rawValue), .a("comparator", dist.comparator?.rawValue), .a("close", d.closeMargin.map { $0 ? "true" : "false" }),
            ])
          }
          x.leaf("working", ifAny: d.marginWorking)
        }
      }
    }
  }
}
