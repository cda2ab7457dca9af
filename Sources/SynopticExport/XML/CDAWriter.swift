import Foundation
import SynopticCore
import SynopticTemplates

/// HL7 CDA R2 shaped by IHE PaLM Anatomic Pathology Structured Report (APSR) 2.x.
///
/// Identifiers use the HL7 example arc 2.16.840.1.113883.19.5 (an installation
/// replaces `CDAWriter.Options.rootOID` with its own); local codes (our stable
/// item ids) live under `<root>.99`.
/// The OID arc an installation's identifiers live under (documents .1, patients
/// .2, custodian .4, orders .5, accessions .6, local codes .99). The default is
/// the HL7 example arc, a placeholder for an installation's own.
public struct IdentifierRoot: Sendable {
  public var rootOID: String
  public init(rootOID: String = "2.16.840.1.113883.19.5") { self.rootOID = rootOID }
}

public enum CDAWriter {
  public typealias Options = IdentifierRoot

  static let loinc = "2.16.840.1.113883.6.1"
  static let apsrDocument = "1.3.6.1.4.1.19376.1.8.1.1.1"
  static let problemOrganizer = "1.3.6.1.4.1.19376.1.8.1.3.6"
  static let apObservation = "1.3.6.1.4.1.19376.1.8.1.4.9"

  /// APSR section templates and their LOINC codes.
  static let sections: [(APSRSection, templateId: String, code: String, display: String, title: String)] = [
    (.clinical, "1.3.6.1.4.1.19376.1.8.1.2.1", "22636-5", "Pathology report relevant history", "CLINICAL INFORMATION"),
    (.macroscopic, "1.3.6.1.4.1.19376.1.8.1.2.3", "22634-0", "Pathology report gross observation", "MACROSCOPIC OBSERVATION"),
    (.microscopic, "1.3.6.1.4.1.19376.1.8.1.2.4", "22635-7", "Pathology report microscopic observation", "MICROSCOPIC OBSERVATION"),
    (.additional, "1.3.6.1.4.1.19376.1.3.10.3.1", "22635-7", "Pathology report microscopic observation", "ADDITIONAL SPECIFIED OBSERVATIONS (IMMUNOHISTOCHEMISTRY, MOLECULAR)"),
    (.conclusion, "1.3.6.1.4.1.19376.1.8.1.2.5", "22637-3", "Pathology report final diagnosis", "DIAGNOSTIC CONCLUSION"),
  ]

  public static func render(_ doc: ReportDocument, options: Options = Options()) -> String {
    XMLWriter.serialize(document(doc, options: options), namespaces: [
      .init(prefix: nil, uri: "urn:hl7-org:v3"), .init(prefix: "xsi", uri: "http://www.w3.org/2001/XMLSchema-instance"),
    ])
  }

  /// HL7 TS: `YYYYMMDD` for a date, `YYYYMMDDHHMMSS+0000` for an instant (in UTC).
  static func ts(date: String?) -> String? { date.map { $0.replacingOccurrences(of: "-", with: "") } }

  static func ts(instant: String?) -> String? {
    guard let instant, let t = Timestamp(instant) else { return nil }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyyMMddHHmmss"
    return f.string(from: t.date) + "+0000"
  }

  static func oid(_ system: String, options: Options) -> String {
    if system == "LOCAL" { return options.rootOID + ".99" }
    return Code.systems[system]?.oid ?? options.rootOID + ".99"
  }

  static func name(_ full: String?) -> XMLNode {
    guard let full, !full.isEmpty else { return .el("name", [("nullFlavor", "UNK")]) }
    let parts = full.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
    if parts.count == 2 { return .el("name", [], [.el("given", text: parts[1]), .el("family", text: parts[0])]) }
    return .el("name", text: full)
  }

  static func document(_ doc: ReportDocument, options: Options) -> XMLElement {
    let root = options.rootOID
    let effective = ts(instant: doc.signedOutAt) ?? ts(date: doc.reportDate)
    var header: [XMLNode] = [
      .el("realmCode", [("code", "US")]),
      .el("typeId", [("root", "2.16.840.1.113883.1.3"), ("extension", "POCD_HD000040")]),
      .el("templateId", [("root", apsrDocument)]),
      .el("id", [("root", root + ".1"), ("extension", "\(doc.accession)-v\(doc.version)")]),
      .el("code", [("code", "60568-3"), ("codeSystem", loinc), ("codeSystemName", "LOINC"), ("displayName", "Pathology Synoptic report")]),
      .el("title", text: "Surgical Pathology Report: \(doc.templateTitle)"),
      effective.map { .el("effectiveTime", [("value", $0)]) } ?? .el("effectiveTime", [("nullFlavor", "UNK")]),
      .el("confidentialityCode", [("code", "N"), ("codeSystem", "2.16.840.1.113883.5.25")]),
      .el("languageCode", [("code", "en-US")]),
      .el("setId", [("root", root + ".1"), ("extension", doc.accession)]),
      .el("versionNumber", [("value", String(doc.version))]),
    ]
    let gender: XMLNode
    switch doc.patient.sex {
    case "male": gender = .el("administrativeGenderCode", [("code", "M"), ("codeSystem", "2.16.840.1.113883.5.1")])
    case "female": gender = .el("administrativeGenderCode", [("code", "F"), ("codeSystem", "2.16.840.1.113883.5.1")])
    case "other": gender = .el("administrativeGenderCode", [("code", "UN"), ("codeSystem", "2.16.840.1.113883.5.1")])
    default: gender = .el("administrativeGenderCode", [("nullFlavor", "UNK")])
    }
    header.append(.el("recordTarget", [], [.el("patientRole", [], [
      doc.patient.mrn.map { .el("id", [("root", root + ".2"), ("extension", $0)]) } ?? .el("id", [("nullFlavor", "UNK")]),
      .el("patient", [], [
        name(doc.patient.name), gender,
        ts(date: doc.patient.birthDate).map { .el("birthTime", [("value", $0)]) } ?? .el("birthTime", [("nullFlavor", "UNK")]),
      ]),
    ])]))
    // The pathologist authors a signed report; a draft is authored by the software.
    let authorBody: [XMLNode]
    if let by = doc.signedOutBy {
      authorBody = [.el("id", [("nullFlavor", "UNK")]), .el("assignedPerson", [], [name(by)])]
    } else {
      authorBody = [.el("id", [("nullFlavor", "NA")]), .el("assignedAuthoringDevice", [], [.el("softwareName", text: "Synoptic")])]
    }
    header.append(.el("author", [], [
      effective.map { .el("time", [("value", $0)]) } ?? .el("time", [("nullFlavor", "UNK")]),
      .el("assignedAuthor", [], authorBody),
    ]))
    let custodianName = doc.letterhead?.institution ?? doc.facility ?? "Unknown laboratory"
    header.append(.el("custodian", [], [.el("assignedCustodian", [], [.el("representedCustodianOrganization", [], [
      .el("id", [("root", root + ".4")]), .el("name", text: custodianName),
    ])])]))
    if let by = doc.signedOutBy, let time = ts(instant: doc.signedOutAt) {
      header.append(.el("legalAuthenticator", [], [
        .el("time", [("value", time)]), .el("signatureCode", [("code", "S")]),
        .el("assignedEntity", [], [.el("id", [("nullFlavor", "UNK")]), .el("assignedPerson", [], [name(by)])]),
      ]))
    }
    if let order = doc.orderNumber {
      header.append(.el("inFulfillmentOf", [], [.el("order", [], [.el("id", [("root", root + ".5"), ("extension", order)])])]))
    }
    header.append(.el("documentationOf", [], [.el("serviceEvent", [("classCode", "PROC")], [
      .el("id", [("root", root + ".6"), ("extension", doc.accession)]),
    ])]))
    if let parent = doc.parentVersion {
      header.append(.el("relatedDocument", [("typeCode", doc.status == .appended ? "APND" : "RPLC")], [.el("parentDocument", [], [
        .el("id", [("root", root + ".1"), ("extension", "\(doc.accession)-v\(parent)")]),
        .el("setId", [("root", root + ".1"), ("extension", doc.accession)]),
        .el("versionNumber", [("value", String(parent))]),
      ])]))
    }
    header.append(.el("component", [], [.el("structuredBody", [], body(doc, options: options))]))
    return XMLElement("ClinicalDocument", [], header)
  }

  static func body(_ doc: ReportDocument, options: Options) -> [XMLNode] {
    var components: [XMLNode] = []
    for (kind, templateId, code, display, title) in sections {
      let parts = doc.sections.filter { $0.apsr == kind && $0.items.contains(where: \.hasValue) }
      var text: [XMLNode] = []
      var entries: [XMLNode] = []
      if kind == .conclusion {
        text += doc.diagnosis.map { .el("paragraph", text: $0) }
        if let comment = doc.comment { text.append(.el("paragraph", [], [.el("caption", text: "Comment"), .text(comment)])) }
        if doc.status == .amended, let reason = doc.amendmentReason {
          text.append(.el("paragraph", [], [.el("caption", text: "Amended report"), .text(reason)]))
          if !doc.changedItems.isEmpty {
            text.append(.el("list", [], doc.changedItems.map { .el("item", text: $0) }))
          }
        }
        for (i, a) in doc.addenda.enumerated() {
          text.append(.el("paragraph", [("ID", "addendum-\(i + 1)")], [.el("caption", text: "Addendum"), .text(a)]))
        }
        // The checklist: one AP Observation per answered item, in a Problem Organizer.
        let observations = doc.sections.flatMap { $0.items.filter(\.hasValue).map { observation($0, options: options) } }
        entries.append(.el("entry", [], [.el("organizer", [("classCode", "BATTERY"), ("moodCode", "EVN")], [
          .el("templateId", [("root", problemOrganizer)]),
          .el("id", [("root", options.rootOID + ".7"), ("extension", doc.accession)]),
          .el("code", [("code", "75326-9"), ("codeSystem", loinc), ("codeSystemName", "LOINC"), ("displayName", "Problem")]),
          .el("statusCode", [("code", "completed")]),
        ] + observations.map { .el("component", [], [$0]) })]))
      }
      for part in parts { text += narrative(part) }
      guard !text.isEmpty else { continue }
      components.append(.el("component", [], [.el("section", [], [
        .el("templateId", [("root", templateId)]),
        .el("code", [("code", code), ("codeSystem", loinc), ("codeSystemName", "LOINC"), ("displayName", display)]),
        .el("title", text: title),
        .el("text", [], text),
      ] + entries)]))
    }
    return components
  }

  static func rowID(_ group: ReportItem, _ r: Int) -> String { "\(group.id)-r\(r + 1)" }
  static func cellID(_ cell: ReportItem, _ r: Int) -> String { "\(cell.id)-r\(r + 1)" }

  /// A section's narrative: a label/value table, and one captioned table per group.
  static func narrative(_ section: ReportSection) -> [XMLNode] {
    var out: [XMLNode] = []
    let scalars = section.items.filter { $0.rows == nil && $0.hasValue }
    if !scalars.isEmpty {
      out.append(.el("table", [], [.el("caption", text: section.title), .el("tbody", [], scalars.map { item in
        .el("tr", [], [.el("th", text: item.label), .el("td", [("ID", item.id)], text: item.display)])
      })]))
    }
    for group in section.items where (group.rows ?? []).contains(where: { !$0.isEmpty }) {
      let rows = group.rows ?? []
      let columns = ReportTree.columns(rows)
      out.append(.el("table", [("ID", group.id)], [
        .el("caption", text: group.label),
        .el("thead", [], [.el("tr", [], columns.map { .el("th", text: $0.label) })]),
        .el("tbody", [], rows.enumerated().map { r, row in
          .el("tr", [("ID", rowID(group, r))], columns.map { col in
            if let cell = row.first(where: { $0.id == col.id && $0.hasValue }) {
              return .el("td", [("ID", cellID(cell, r))], text: cell.display)
            }
            return .el("td", text: "")
          })
        }),
      ]))
    }
    return out
  }

  static func questionCode(_ item: ReportItem, options: Options) -> XMLNode {
    let local: XMLNode = .el("translation", [
      ("code", item.id), ("codeSystem", oid("LOCAL", options: options)), ("codeSystemName", "Synoptic item"), ("displayName", item.label),
    ])
    if let c = item.code {
      return .el("code", [("code", c.code), ("codeSystem", oid(c.system, options: options)), ("codeSystemName", c.system),
                          ("displayName", c.display ?? item.label)], [local])
    }
    return .el("code", [("code", item.id), ("codeSystem", oid("LOCAL", options: options)), ("codeSystemName", "Synoptic item"), ("displayName", item.label)])
  }

  static func observation(_ item: ReportItem, options: Options, row: Int? = nil) -> XMLNode {
    let ref = row.map { cellID(item, $0) } ?? item.id
    var children: [XMLNode] = [
      .el("templateId", [("root", apObservation)]),
      questionCode(item, options: options),
      .el("text", [], [.el("reference", [("value", "#" + ref)])]),
      .el("statusCode", [("code", "completed")]),
    ]
    if let v = item.value { children += values(v, answerCode: item.answerCode, options: options) }
    if let rows = item.rows {
      for (r, row) in rows.enumerated() where row.contains(where: \.hasValue) {
        let cells = row.filter(\.hasValue).map { cell in
          XMLNode.el("entryRelationship", [("typeCode", "COMP")], [observation(cell, options: options, row: r)])
        }
        children.append(.el("entryRelationship", [("typeCode", "COMP")], [.el("observation", [("classCode", "OBS"), ("moodCode", "EVN")], [
          .el("templateId", [("root", apObservation)]),
          questionCode(item, options: options),
          .el("text", [], [.el("reference", [("value", "#" + rowID(item, r))])]),
          .el("statusCode", [("code", "completed")]),
        ] + cells)]))
      }
    }
    return .el("observation", [("classCode", "OBS"), ("moodCode", "EVN")], children)
  }

  static func values(_ v: ItemValue, answerCode: Code?, options: Options) -> [XMLNode] {
    func cd(_ a: CodedAnswer, _ code: Code?) -> XMLNode {
      if let c = code ?? a.code {
        return .el("value", [("xsi:type", "CD"), ("code", c.code), ("codeSystem", oid(c.system, options: options)),
                             ("codeSystemName", c.system), ("displayName", c.display ?? a.display)])
      }
      return .el("value", [("xsi:type", "CD"), ("code", a.value), ("codeSystem", oid("LOCAL", options: options)),
                           ("codeSystemName", "Synoptic answer"), ("displayName", a.display)])
    }
    func unit(_ u: String) -> String { u == "%" ? "%" : u == "mm2" ? "mm2" : u }
    switch v {
    case .coded(let a): return [cd(a, answerCode)]
    case .codedList(let l): return l.map { cd($0, nil) }
    case .measurement(let value, let u, let comparator):
      let number = NumberText.format(value)
      switch comparator {
      case nil, .approximately?:
        return [.el("value", [("xsi:type", "PQ"), ("value", number), ("unit", unit(u))])]
      case .lessThan?, .lessThanOrEqual?:
        return [.el("value", [("xsi:type", "IVL_PQ")], [.el("high", [("value", number), ("unit", unit(u)), ("inclusive", comparator == .lessThanOrEqual ? "true" : "false")])])]
      case .greaterThan?, .greaterThanOrEqual?:
        return [.el("value", [("xsi:type", "IVL_PQ")], [.el("low", [("value", number), ("unit", unit(u)), ("inclusive", comparator == .greaterThanOrEqual ? "true" : "false")])])]
      }
    case .count(let n): return [.el("value", [("xsi:type", "INT"), ("value", String(n))])]
    case .text(let t): return [.el("value", [("xsi:type", "ST")], text: t)]
    case .textList(let l): return l.map { .el("value", [("xsi:type", "ST")], text: $0) }
    case .date(let d): return [.el("value", [("xsi:type", "TS"), ("value", d.replacingOccurrences(of: "-", with: ""))])]
    case .notReported: return [.el("value", [("xsi:type", "CD"), ("nullFlavor", "NI")], [.el("originalText", text: "not reported")])]
    case .cannotBeDetermined(let reason):
      return [.el("value", [("xsi:type", "CD"), ("nullFlavor", "UNK")], [.el("originalText", text: ItemValue.cannotBeDetermined(reason: reason).display)])]
    }
  }
}
