import SynopticCore
import SynopticTemplates

/// Our own report XML: a faithful, schema-described dump of the ReportDocument
/// (`Schemas/synoptic-report-1.0.xsd`, namespace `urn:synoptic:report:1.0`).
public enum ReportXML {
  public static let namespace = "urn:synoptic:report:1.0"
  public static let schemaFile = "synoptic-report-1.0.xsd"

  public static func render(_ doc: ReportDocument) -> String {
    XMLWriter.serialize(element(doc), namespaces: [.init(prefix: nil, uri: namespace)])
  }

  static func opt(_ name: String, _ value: String?) -> [XMLNode] {
    value.map { [XMLNode.el(name, text: $0)] } ?? []
  }

  public static func element(_ doc: ReportDocument) -> XMLElement {
    var children: [XMLNode] = []
    children.append(.el("template", [
      ("id", doc.templateId), ("version", doc.templateVersion), ("title", doc.templateTitle), ("base", doc.baseTemplate),
    ], [.el("provenance", text: doc.templateProvenance)]))
    children.append(.el("patient", [], opt("name", doc.patient.name) + opt("mrn", doc.patient.mrn)
      + opt("birthDate", doc.patient.birthDate) + opt("sex", doc.patient.sex)))
    children += opt("reportDate", doc.reportDate) + opt("orderNumber", doc.orderNumber)
      + opt("orderingPhysician", doc.orderingPhysician) + opt("facility", doc.facility)
    children.append(.el("specimens", [], doc.specimens.map { s in
      .el("specimen", [("id", s.id), ("procedure", s.procedure)],
          [.el("procedureLabel", text: s.procedureLabel)] + opt("site", s.site) + opt("laterality", s.laterality))
    }))
    children.append(.el("diagnosis", [], doc.diagnosis.map { .el("line", text: $0) }))
    children.append(.el("sections", [], doc.sections.map { section in
      .el("section", [("id", section.id), ("title", section.title)],
          (section.code.map { [code($0)] } ?? []) + section.items.map(item))
    }))
    if let d = doc.derived { children.append(derived(d)) }
    children.append(.el("comparison", [], doc.comparison.map { .el("change", text: $0) }))
    children += opt("comment", doc.comment)
    children.append(.el("diagnostics", [], doc.diagnostics.map { d in
      .el("diagnostic", [("severity", d.severity.rawValue), ("path", d.path), ("rule", d.rule),
                         ("line", d.line.map(String.init)), ("column", d.column.map(String.init))], text: d.message)
    }))
    if let by = doc.signedOutBy {
      children.append(.el("signature", [("pathologist", by), ("time", doc.signedOutAt)]))
    }
    if let reason = doc.amendmentReason { children.append(.el("amendment", [("reason", reason)])) }
    for a in doc.addenda { children.append(.el("addendum", text: a)) }
    return XMLElement("report", [
      ("accession", doc.accession), ("status", doc.status.rawValue), ("version", String(doc.version)),
    ], children)
  }

  static func code(_ c: Code) -> XMLNode {
    .el("code", [("system", c.system), ("code", c.code), ("display", c.display)])
  }

  static func item(_ i: ReportItem) -> XMLNode {
    var children: [XMLNode] = []
    if let c = i.code { children.append(code(c)) }
    if let rows = i.rows {
      children += rows.enumerated().map { n, row in
        .el("row", [("index", String(n + 1))], row.filter(\.hasValue).map(item))
      }
    } else if let v = i.value {
      children.append(value(v, answerCode: i.answerCode))
    }
    return .el("item", [
      ("id", i.id), ("label", i.label), ("type", i.type.rawValue), ("required", i.required.rawValue),
      ("provenance", i.provenance?.rawValue), ("binding", i.binding), ("display", i.hasValue ? i.display : nil),
    ], children)
  }

  static func value(_ v: ItemValue, answerCode: Code?) -> XMLNode {
    func coded(_ a: CodedAnswer, _ code: Code?) -> XMLNode {
      .el("coded", [("value", a.value), ("display", a.display)], (code ?? a.code).map { [ReportXML.code($0)] } ?? [])
    }
    switch v {
    case .coded(let a): return coded(a, answerCode)
    case .codedList(let list): return .el("codedList", [], list.map { coded($0, nil) })
    case .measurement(let value, let unit, let comparator):
      return .el("measurement", [
        ("value", NumberText.format(value)), ("unit", unit), ("comparator", comparator?.rawValue),
      ])
    case .count(let n): return .el("count", text: String(n))
    case .text(let t): return .el("text", text: t)
    case .textList(let l): return .el("textList", [], l.map { .el("text", text: $0) })
    case .date(let d): return .el("date", text: d)
    case .notReported: return .el("notReported")
    case .cannotBeDetermined(let reason): return .el("cannotBeDetermined", [("reason", reason)])
    }
  }

  static func grade(_ g: ReportDerived.Grade, name: String) -> XMLNode {
    var children: [XMLNode] = []
    if let s = g.scores {
      children.append(.el("scores", [
        ("differentiation", String(s.differentiation)), ("mitotic", String(s.mitotic)), ("necrosis", String(s.necrosis)),
        ("total", String(s.total)), ("differentiationFromTable", g.differentiationFromTable ? "true" : "false"),
      ]))
    }
    children.append(.el("working", text: g.working))
    return .el(name, [("component", g.name), ("value", g.value), ("ajcc", g.ajcc), ("source", g.source), ("display", g.display)], children)
  }

  static func derived(_ d: ReportDerived) -> XMLNode {
    var children: [XMLNode] = [grade(d.grade, name: "grade")]
    children += d.componentGrades.map { grade($0, name: "componentGrade") }
    children.append(.el("staging", [
      ("siteGroup", d.siteGroup), ("ajccChapter", d.ajccChapter.map(String.init)), ("edition", "8"),
    ], [
      .el("t", [("category", d.t), ("display", d.pT)], text: d.tWorking),
      .el("n", [("category", d.n), ("display", d.pN)]),
      .el("m", [("category", d.m), ("display", d.pM)]),
      .el("stageGroup", [("value", d.stageGroup), ("assigned", d.stageGroup == nil ? "false" : "true")], text: d.stageRule),
    ]))
    if let r = d.rClass {
      var margin: [XMLNode] = []
      if let name = d.closestMargin, let dist = d.closestDistance {
        margin.append(.el("closest", [
          ("name", name), ("distanceMm", NumberText.format(dist.millimetres)), ("value", NumberText.format(dist.value)),
          ("unit", dist.unit.rawValue), ("comparator", dist.comparator?.rawValue), ("close", d.closeMargin.map { $0 ? "true" : "false" }),
        ]))
      }
      margin += opt("working", d.marginWorking)
      children.append(.el("margins", [("rClass", r)], margin))
    }
    return .el("derived", [], children)
  }
}
