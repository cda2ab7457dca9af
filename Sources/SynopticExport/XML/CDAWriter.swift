import Foundation
import SynopticCore
import SynopticTemplates

/// HL7 CDA R2 shaped by IHE PaLM Anatomic Pathology Structured Report (APSR) 2.x.
///
/// Identifiers live under the site's OID arc (``SiteIdentity/Arcs``); local
/// codes (our stable item ids) under its `.99` branch.
public enum CDAWriter {
  static let loinc: StaticString = "2.16.840.1.113883.6.1"
  static let apsrDocument: StaticString = "1.3.6.1.4.1.19376.1.8.1.1.1"
  static let problemOrganizer: StaticString = "1.3.6.1.4.1.19376.1.8.1.3.6"
  static let apObservation: StaticString = "1.3.6.1.4.1.19376.1.8.1.4.9"

  static let namespaces: [XMLWriter.Namespace] = [
    .init(prefix: nil, uri: "urn:hl7-org:v3"), .init(prefix: "xsi", uri: "http://www.w3.org/2001/XMLSchema-instance"),
  ]

  /// The document, written straight to bytes with ``XMLStream`` (no element tree).
  public static func render(_ doc: ReportDocument, site: SiteIdentity) -> String {
    bytes(doc, site: site).string
  }

  /// The document as UTF-8 bytes (what the batch writes, without a String in between).
  static func bytes(_ doc: ReportDocument, site: SiteIdentity) -> ByteSink {
    var x = XMLStream(capacity: 131_072)
    document(doc, site: site, to: &x)
    return x.finishedBytes()
  }

  /// HL7 TS: `YYYYMMDD` for a date, `YYYYMMDDHHMMSS+0000` for an instant (in UTC).
  static func ts(date: String?) -> String? { date.map(\.withoutHyphens) }

  static func ts(instant: String?) -> String? {
    guard let instant, let t = Timestamp(instant) else { return nil }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyyMMddHHmmss"
    return f.string(from: t.date) + "+0000"
  }

  /// A directory person's identifiers: the NPI when the site gives one, and the directory id.
  static func personIds(_ p: ReportPerson, site: SiteIdentity, to x: inout XMLStream) {
    if let npi = p.npi { x.empty("id", [.a("root", InteropCodes.npiOID), .a("extension", npi)]) }
    x.empty("id", [.a("root", site.arcs.pathologists), .a("extension", p.id)])
  }

  static func name(_ p: ReportPerson, to x: inout XMLStream) {
    let (family, given) = InteropCodes.nameParts(p)
    x.element("name") { x in
      if !given.isEmpty { x.leaf("given", text: given) }
      x.leaf("family", text: family)
    }
  }

  static func name(_ full: String?, to x: inout XMLStream) {
    guard let full, !full.isEmpty else { return x.empty("name", [.c("nullFlavor", "UNK")]) }
    let (family, given) = InteropCodes.nameParts(full)
    if !given.isEmpty {
      x.element("name") { x in
        x.leaf("given", text: given)
        x.leaf("family", text: family)
      }
    } else {
      x.leaf("name", text: full)
    }
  }

  static func document(_ doc: ReportDocument, site: SiteIdentity, to x: inout XMLStream) {
    let ids = site.arcs
    let signature = InteropCodes.signature(doc)
    let effective = ts(instant: signature.time) ?? ts(date: doc.reportDate)
    x.open("ClinicalDocument", namespaces: namespaces)
    x.empty("realmCode", [.c("code", "US")])
    x.empty("typeId", [.c("root", "2.16.840.1.113883.1.3"), .c("extension", "POCD_HD000040")])
    x.empty("templateId", [.c("root", apsrDocument)])
    x.empty("id", [.a("root", ids.documents), .a("extension", "\(doc.accession)-v\(doc.version)")])
    x.empty("code", [.c("code", "60568-3"), .c("codeSystem", loinc), .c("codeSystemName", "LOINC"), .c("displayName", "Pathology Synoptic report")])
    // A draft says so in its title and has no legal authenticator; its entries are active, not completed.
    let state = doc.status == .draft ? "DRAFT (not signed out): " : doc.status == .retracted ? "RETRACTED: " : ""
    x.leaf("title", text: "\(state)Surgical Pathology Report: \(doc.templateTitle)")
    x.empty("effectiveTime", effective.map { [.a("value", $0)] } ?? [.c("nullFlavor", "UNK")])
    x.empty("confidentialityCode", [.c("code", "N"), .c("codeSystem", "2.16.840.1.113883.5.25")])
    x.empty("languageCode", [.c("code", "en-US")])
    x.empty("setId", [.a("root", ids.documents), .a("extension", doc.accession)])
    x.empty("versionNumber", [.a("value", String(doc.version))])
    x.element("recordTarget") { x in
      x.element("patientRole") { x in
        x.empty("id", doc.patient.mrn.map { [.a("root", ids.patients), .a("extension", $0)] } ?? [.c("nullFlavor", "UNK")])
        x.element("patient") { x in
          name(doc.patient.name, to: &x)
          if let gender = InteropCodes.cdaGender(doc.patient.sex) {
            x.empty("administrativeGenderCode", [.a("code", gender), .c("codeSystem", "2.16.840.1.113883.5.1")])
          } else {
            x.empty("administrativeGenderCode", [.c("nullFlavor", "UNK")])
          }
          x.empty("birthTime", ts(date: doc.patient.birthDate).map { [.a("value", $0)] } ?? [.c("nullFlavor", "UNK")])
        }
      }
    }
    // The pathologist who signed this version authors it (an addendum's own
    // signer, at its own time); a draft is authored by the software. An
    // appended version also names the report's signer, at the report's time.
    func author(_ person: ReportPerson?, name: String?, time: String?, to x: inout XMLStream) {
      x.element("author") { x in
        x.empty("time", (ts(instant: time) ?? effective).map { [.a("value", $0)] } ?? [.c("nullFlavor", "UNK")])
        x.element("assignedAuthor") { x in
          if let person {
            personIds(person, site: site, to: &x)
            x.element("assignedPerson") { x in self.name(person, to: &x) }
          } else if let name {
            x.empty("id", [.c("nullFlavor", "UNK")])
            x.element("assignedPerson") { x in self.name(name, to: &x) }
          } else {
            x.empty("id", [.c("nullFlavor", "NA")])
            x.element("assignedAuthoringDevice") { x in x.leaf("softwareName", text: "Synoptic") }
          }
        }
      }
    }
    author(signature.person, name: signature.name, time: signature.time, to: &x)
    if doc.status == .appended { author(doc.signer, name: doc.signedOutBy, time: doc.signedOutAt, to: &x) }
    x.element("custodian") { x in
      x.element("assignedCustodian") { x in
        x.element("representedCustodianOrganization") { x in
          x.empty("id", [.a("root", ids.laboratory)])
          if let clia = site.clia { x.empty("id", [.a("root", InteropCodes.cliaOID), .a("extension", clia)]) }
          x.leaf("name", text: site.name)
          if let phone = site.phone { x.empty("telecom", [.a("value", "tel:" + phone.filter { !$0.isWhitespace })]) }
          if let address = site.address { x.element("addr") { x in x.leaf("streetAddressLine", text: address) } }
        }
      }
    }
    if doc.status != .draft, let by = signature.name, let time = ts(instant: signature.time) {
      x.element("legalAuthenticator") { x in
        x.empty("time", [.a("value", time)])
        x.empty("signatureCode", [.c("code", "S")])
        x.element("assignedEntity") { x in
          if let signer = signature.person {
            personIds(signer, site: site, to: &x)
            x.element("assignedPerson") { x in name(signer, to: &x) }
          } else {
            x.empty("id", [.c("nullFlavor", "UNK")])
            x.element("assignedPerson") { x in name(by, to: &x) }
          }
        }
      }
    }
    if let order = doc.orderNumber {
      x.element("inFulfillmentOf") { x in
        x.element("order") { x in x.empty("id", [.a("root", ids.orders), .a("extension", order)]) }
      }
    }
    x.element("documentationOf") { x in
      x.element("serviceEvent", [.c("classCode", "PROC")]) { x in x.empty("id", [.a("root", ids.accessions), .a("extension", doc.accession)]) }
    }
    if let parent = doc.parentVersion {
      x.element("relatedDocument", [.c("typeCode", doc.status == .appended ? "APND" : "RPLC")]) { x in
        x.element("parentDocument") { x in
          x.empty("id", [.a("root", ids.documents), .a("extension", "\(doc.accession)-v\(parent)")])
          x.empty("setId", [.a("root", ids.documents), .a("extension", doc.accession)])
          x.empty("versionNumber", [.a("value", String(parent))])
        }
      }
    }
    x.element("component") { x in
      x.element("structuredBody") { x in body(doc, site: site, to: &x) }
    }
    x.close()
  }

  /// An item that goes in a section's label/value table.
  static func isTableRow(_ item: ReportItem) -> Bool { item.rows == nil && item.hasValue }
  /// A group that gets a table of its own (at least one row with a cell).
  static func hasTable(_ item: ReportItem) -> Bool { item.rows?.contains { !$0.isEmpty } ?? false }

  /// Whether ``narrative(_:to:)`` writes anything for a section.
  static func hasNarrative(_ section: ReportSection) -> Bool {
    section.items.contains { isTableRow($0) || hasTable($0) }
  }

  /// What every entry of one document shares: its codes, site, status and time.
  struct Entries {
    let doc: ReportDocument
    let site: SiteIdentity
    /// ActStatus: completed (APSR's value for an observation made, draft or
    /// final: a draft says so by having no legal authenticator); nullified for
    /// a retracted report (entered in error), a deliberate departure from
    /// APSR's completed-or-aborted that the retraction needs.
    let status: StaticString
    /// When the observations were made: the specimens' collection, else the report date.
    let effective: String?

    init(_ doc: ReportDocument, site: SiteIdentity) {
      self.doc = doc
      self.site = site
      status = doc.status == .retracted ? "nullified" : "completed"
      effective = CDAWriter.ts(instant: InteropCodes.collectionTime(doc)) ?? CDAWriter.ts(date: doc.reportDate)
    }

    func effectiveTime(to x: inout XMLStream) {
      x.empty("effectiveTime", effective.map { [.a("value", $0)] } ?? [.c("nullFlavor", "UNK")])
    }
  }

  static func body(_ doc: ReportDocument, site: SiteIdentity, to x: inout XMLStream) {
    let entries = Entries(doc, site: site)
    for (kind, templateId, code, display, title) in InteropCodes.reportParts {
      let parts = doc.sections.filter { InteropCodes.part($0.apsr) == kind && $0.items.contains(where: \.hasValue) }
      let conclusion = kind == .conclusion
      guard conclusion || parts.contains(where: hasNarrative) else { continue }
      x.element("component") { x in
        x.element("section") { x in
          x.empty("templateId", [.c("root", templateId)])
          x.empty("code", [.c("code", code), .c("codeSystem", loinc), .c("codeSystemName", "LOINC"), .c("displayName", display)])
          x.leaf("title", text: title)
          x.element("text") { x in
            if conclusion { conclusionText(doc, to: &x) }
            for part in parts { narrative(part, to: &x) }
          }
          // This part's checklist answers: AP Observations in a Problem Organizer
          // whose narrative references resolve inside this section.
          let items = parts.flatMap(\.items).filter(\.hasValue)
          guard conclusion || !items.isEmpty else { return }
          x.element("entry") { x in
            x.element("organizer", [.c("classCode", "BATTERY"), .c("moodCode", "EVN")]) { x in
              x.empty("templateId", [.c("root", problemOrganizer)])
              x.empty("id", [.a("root", site.oidRoot + ".7"), .a("extension", "\(doc.accession)-v\(doc.version)-\(code)")])
              x.empty("code", [.c("code", "75326-9"), .c("codeSystem", loinc), .c("codeSystemName", "LOINC"), .c("displayName", "Problem")])
              x.empty("statusCode", [.c("code", entries.status)])
              entries.effectiveTime(to: &x)
              for s in doc.specimens {
                x.element("specimen", [.c("typeCode", "SPC")]) { x in
                  x.element("specimenRole", [.c("classCode", "SPEC")]) { x in
                    x.empty("id", [.a("root", site.arcs.accessions), .a("extension", "\(doc.accession)-\(s.id)")])
                  }
                }
              }
              if conclusion, !doc.diagnosis.isEmpty { x.element("component") { x in diagnosisObservation(doc, entries, to: &x) } }
              for item in items { x.element("component") { x in observation(item, entries, to: &x) } }
            }
          }
        }
      }
    }
  }

  /// The Diagnostic Conclusion's own narrative: retraction, diagnosis, comment, amendment and addenda.
  static func conclusionText(_ doc: ReportDocument, to x: inout XMLStream) {
    if doc.status == .retracted {
      x.node(XMLElement("paragraph", [("ID", "retraction")], [
        .el("caption", text: "RETRACTED: issued in error, do not use"), .text(doc.amendmentReason ?? ""),
      ]))
    }
    if doc.status == .draft {
      x.node(XMLElement("paragraph", [("ID", "draft")], [.el("caption", text: "DRAFT"), .text("not signed out; not for clinical use")]))
    }
    if !doc.diagnosis.isEmpty {
      x.element("list", [.c("ID", "diagnosis")]) { x in for line in doc.diagnosis { x.leaf("item", text: line) } }
    }
    if let comment = doc.comment { x.node(XMLElement("paragraph", [], [.el("caption", text: "Comment"), .text(comment)])) }
    if doc.status == .amended, let reason = doc.amendmentReason {
      x.node(XMLElement("paragraph", [], [.el("caption", text: "Amended report"), .text(reason)]))
      if !doc.changedItems.isEmpty {
        x.element("list") { x in for changed in doc.changedItems { x.leaf("item", text: changed) } }
      }
    }
    for (i, a) in doc.addenda.enumerated() {
      x.node(XMLElement("paragraph", [("ID", "addendum-\(i + 1)")], [.el("caption", text: "Addendum"), .text(a)]))
    }
  }

  /// The final diagnosis as an AP Observation (LOINC 22637-3), so the
  /// mandatory organizer always holds the report's conclusion.
  static func diagnosisObservation(_ doc: ReportDocument, _ e: Entries, to x: inout XMLStream) {
    x.element("observation", [.c("classCode", "OBS"), .c("moodCode", "EVN")]) { x in
      x.empty("templateId", [.c("root", apObservation)])
      x.empty("code", [.c("code", "22637-3"), .c("codeSystem", loinc), .c("codeSystemName", "LOINC"), .c("displayName", "Pathology report final diagnosis")])
      x.element("text") { x in x.empty("reference", [.c("value", "#diagnosis")]) }
      x.empty("statusCode", [.c("code", e.status)])
      e.effectiveTime(to: &x)
      x.leaf("value", [.c("xsi:type", "ST")], text: doc.diagnosis.joined(separator: "\n"))
    }
  }

  static func rowID(_ group: ReportItem, _ r: Int) -> String { "\(group.id)-r\(r + 1)" }
  static func cellID(_ cell: ReportItem, _ r: Int) -> String { "\(cell.id)-r\(r + 1)" }

  /// A section's narrative: a label/value table, and one captioned table per group.
  static func narrative(_ section: ReportSection, to x: inout XMLStream) {
    if section.items.contains(where: isTableRow) {
      x.element("table") { x in
        x.leaf("caption", text: section.title)
        x.element("tbody") { x in
          for i in section.items.indices where isTableRow(section.items[i]) {
            x.element("tr") { x in
              x.leaf("th", text: section.items[i].label)
              x.leaf("td", [.a("ID", section.items[i].id)], text: section.items[i].display)
            }
          }
        }
      }
    }
    for group in section.items {
      guard hasTable(group), let rows = group.rows else { continue }
      let columns = ReportTree.columns(rows)
      x.element("table", [.a("ID", group.id)]) { x in
        x.leaf("caption", text: group.label)
        x.element("thead") { x in
          x.element("tr") { x in for col in columns { x.leaf("th", text: col.label) } }
        }
        x.element("tbody") { x in
          for (r, row) in rows.enumerated() {
            x.element("tr", [.a("ID", rowID(group, r))]) { x in
              for col in columns {
                if let c = row.indices.first(where: { row[$0].id == col.id && row[$0].hasValue }) {
                  x.leaf("td", [.a("ID", cellID(row[c], r))], text: row[c].display)
                } else {
                  x.leaf("td", text: "")
                }
              }
            }
          }
        }
      }
    }
  }

  /// A code in the document's terms: the standard system's OID when it has
  /// one, else nil (the caller writes the local code).
  static func standard(_ c: Code?, _ doc: ReportDocument) -> (code: Code, oid: String)? {
    guard let c, let oid = InteropCodes.oid(c.system, in: doc) else { return nil }
    return (c, oid)
  }

  static func questionCode(_ item: ReportItem, _ e: Entries, to x: inout XMLStream) {
    let local: [XMLStream.Attribute] = [
      .a("code", item.id), .a("codeSystem", e.site.arcs.localCodes), .c("codeSystemName", "Synoptic item"), .a("displayName", item.label),
    ]
    if let (c, oid) = standard(item.code, e.doc) {
      x.element("code", [.a("code", c.code), .a("codeSystem", oid), .a("codeSystemName", c.system),
                         .a("displayName", c.display ?? item.label)]) { x in x.empty("translation", local) }
    } else {
      x.empty("code", local)
    }
  }

  static func observation(_ item: ReportItem, _ e: Entries, row: Int? = nil, to x: inout XMLStream) {
    let ref = row.map { cellID(item, $0) } ?? item.id
    x.element("observation", [.c("classCode", "OBS"), .c("moodCode", "EVN")]) { x in
      x.empty("templateId", [.c("root", apObservation)])
      questionCode(item, e, to: &x)
      x.element("text") { x in x.empty("reference", [.a("value", "#" + ref)]) }
      x.empty("statusCode", [.c("code", e.status)])
      e.effectiveTime(to: &x)
      if let v = item.value { values(v, answerCode: item.answerCode, e, to: &x) }
      if let rows = item.rows {
        for (r, row) in rows.enumerated() where row.contains(where: \.hasValue) {
          x.element("entryRelationship", [.c("typeCode", "COMP")]) { x in
            x.element("observation", [.c("classCode", "OBS"), .c("moodCode", "EVN")]) { x in
              x.empty("templateId", [.c("root", apObservation)])
              questionCode(item, e, to: &x)
              x.element("text") { x in x.empty("reference", [.a("value", "#" + rowID(item, r))]) }
              x.empty("statusCode", [.c("code", e.status)])
              e.effectiveTime(to: &x)
              for c in row.indices where row[c].hasValue {
                x.element("entryRelationship", [.c("typeCode", "COMP")]) { x in observation(row[c], e, row: r, to: &x) }
              }
            }
          }
        }
      }
    }
  }

  static func values(_ v: ItemValue, answerCode: Code?, _ e: Entries, to x: inout XMLStream) {
    func cd(code value: String, display: String, _ code: Code?, originalText: String? = nil, to x: inout XMLStream) {
      let attributes: [XMLStream.Attribute]
      if let (c, oid) = standard(code, e.doc) {
        attributes = [.c("xsi:type", "CD"), .a("code", c.code), .a("codeSystem", oid), .a("codeSystemName", c.system), .a("displayName", c.display ?? display)]
      } else {
        attributes = [.c("xsi:type", "CD"), .a("code", value), .a("codeSystem", e.site.arcs.localCodes), .c("codeSystemName", "Synoptic answer"), .a("displayName", display)]
      }
      if let originalText {
        x.element("value", attributes) { x in x.leaf("originalText", text: originalText) }
      } else {
        x.empty("value", attributes)
      }
    }
    switch v {
    case .coded(let a): cd(code: a.value, display: a.display, answerCode ?? a.code, to: &x)
    case .codedList(let l): for a in l { cd(code: a.value, display: a.display, a.code, to: &x) }
    case .text(let t) where answerCode != nil: cd(code: t, display: t, answerCode, originalText: t, to: &x)
    case .measurement(let value, let u, let comparator):
      let number = NumberText.format(value)
      switch comparator {
      case nil, .approximately?:
        x.empty("value", [.c("xsi:type", "PQ"), .a("value", number), .a("unit", u.ucum)])
      case .lessThan?, .lessThanOrEqual?:
        x.element("value", [.c("xsi:type", "IVL_PQ")]) { x in
          x.empty("high", [.a("value", number), .a("unit", u.ucum), .c("inclusive", comparator == .lessThanOrEqual ? "true" : "false")])
        }
      case .greaterThan?, .greaterThanOrEqual?:
        x.element("value", [.c("xsi:type", "IVL_PQ")]) { x in
          x.empty("low", [.a("value", number), .a("unit", u.ucum), .c("inclusive", comparator == .greaterThanOrEqual ? "true" : "false")])
        }
      }
    case .count(let n): x.empty("value", [.c("xsi:type", "INT"), .a("value", String(n))])
    case .text(let t): x.leaf("value", [.c("xsi:type", "ST")], text: t)
    case .textList(let l): for t in l { x.leaf("value", [.c("xsi:type", "ST")], text: t) }
    case .date(let d): x.empty("value", [.c("xsi:type", "TS"), .a("value", d.withoutHyphens)])
    case .notReported:
      x.element("value", [.c("xsi:type", "CD"), .c("nullFlavor", "NI")]) { x in x.leaf("originalText", text: "not reported") }
    case .cannotBeDetermined(let reason):
      x.element("value", [.c("xsi:type", "CD"), .c("nullFlavor", "UNK")]) { x in
        x.leaf("originalText", text: ItemValue.cannotBeDetermined(reason: reason).display)
      }
    }
  }
}
