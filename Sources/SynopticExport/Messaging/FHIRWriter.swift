import Foundation
import SynopticCore
import SynopticLayout
import SynopticTemplates

/// FHIR R4 (4.0.1) document Bundle shaped after the HL7 US Pathology
/// (cancer-reporting) profiles: Composition first, Patient, Practitioner(s) and
/// PractitionerRole(s), Organization, Specimen(s), one DiagnosticReport, and
/// Observations (one grouper per section, one per answered item). Ids and
/// fullUrls are deterministic UUIDs derived from the accession and version.
public enum FHIRWriter {
  static let loinc = "http://loinc.org"
  static let categorySystem = "http://hl7.org/fhir/us/cancer-reporting/CodeSystem/us-pathology-codesystem"

  /// A stable UUID for a name: two FNV-1a hashes give 128 bits, shaped as an RFC 4122 v8 UUID.
  static func uuid(_ seed: String) -> String {
    func fnv(_ s: String, _ basis: UInt64) -> UInt64 {
      var h = basis
      for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100000001b3 }
      return h
    }
    var hi = fnv(seed, 0xcbf29ce484222325)
    var lo = fnv(seed + "#", 0x84222325cbf29ce4)
    hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_8000  // version 8
    lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // RFC 4122 variant
    let h = String(format: "%016llx", hi)
    let l = String(format: "%016llx", lo)
    return "\(h.prefix(8))-\(h.dropFirst(8).prefix(4))-\(h.suffix(4))-\(l.prefix(4))-\(l.suffix(12))"
  }

  /// The site's local code system (our item ids and answer words).
  static func local(_ site: SiteIdentity) -> String { "urn:oid:\(site.arcs.localCodes)" }

  /// A standard code as a coding, when its system has a FHIR URI.
  static func coding(_ c: Code?, fallbackDisplay: String, doc: ReportDocument) -> JSONOut? {
    guard let c, let uri = InteropCodes.uri(c.system, in: doc) else { return nil }
    return coding(uri, c.code, c.display ?? fallbackDisplay)
  }

  static func coding(_ system: String, _ code: String, _ display: String?) -> JSONOut {
    var pairs: [(String, JSONOut)] = [("system", .string(system)), ("code", .string(code))]
    if let display { pairs.append(("display", .string(display))) }
    return .object(pairs)
  }

  static func concept(_ codings: [JSONOut], text: String? = nil) -> JSONOut {
    // FHIR forbids empty arrays: a text-only concept has no `coding`.
    var pairs: [(String, JSONOut)] = codings.isEmpty ? [] : [("coding", .array(codings))]
    if let text { pairs.append(("text", .string(text))) }
    return .object(pairs)
  }

  static func ref(_ id: String) -> JSONOut { .object([("reference", .string("urn:uuid:\(id)"))]) }

  /// FHIR dateTime from an ISO instant or a date.
  static func dateTime(_ doc: ReportDocument) -> String? { doc.signedOutAt ?? doc.reportDate }

  public static func render(_ doc: ReportDocument, text: String, html: String, site: SiteIdentity) -> String {
    bundle(doc, text: text, html: html, site: site).render() + "\n"
  }

  static func bundle(_ doc: ReportDocument, text: String, html: String, site: SiteIdentity) -> JSONOut {
    let seed = "\(doc.accession)|v\(doc.version)|"
    let patientId = uuid(seed + "Patient")
    let orgId = uuid(seed + "Organization")
    let reportId = uuid(seed + "DiagnosticReport")
    let compositionId = uuid(seed + "Composition")
    let status = InteropCodes.fhirReportStatus(doc.status)
    // Composition.status has no "appended": an addendum leaves the composition final.
    let compositionStatus = status == "appended" ? "final" : status
    var entries: [(String, JSONOut)] = []

    // Patient
    var patient: [(String, JSONOut)] = [("resourceType", .string("Patient")), ("id", .string(patientId))]
    if let mrn = doc.patient.mrn {
      patient.append(("identifier", .array([.object([
        ("type", concept([coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number")])),
        ("system", .string("urn:oid:\(site.arcs.patients)")), ("value", .string(mrn)),
      ])])))
    }
    if let name = doc.patient.name { patient.append(("name", .array([humanName(name)]))) }
    if let gender = InteropCodes.fhirGender(doc.patient.sex) { patient.append(("gender", .string(gender))) }
    if let b = doc.patient.birthDate { patient.append(("birthDate", .string(b))) }
    entries.append((patientId, .object(patient)))

    // Practitioners: the ordering physician, and the pathologist once signed.
    var roles: [(role: String, id: String)] = []
    let pathologist: (name: JSONOut, identifiers: [JSONOut])? = doc.signer.map { p in
      var ids: [JSONOut] = []
      if let npi = p.npi { ids.append(.object([("system", .string(InteropCodes.npiURI)), ("value", .string(npi))])) }
      ids.append(.object([("system", .string("urn:oid:\(site.arcs.pathologists)")), ("value", .string(p.id))]))
      return (humanName(p), ids)
    } ?? doc.signedOutBy.map { (humanName($0), []) }
    let people: [(person: (name: JSONOut, identifiers: [JSONOut])?, role: String, text: String)] = [
      (doc.orderingPhysician.map { (humanName($0), []) }, "ordering", "Ordering physician"), (pathologist, "pathologist", "Pathologist"),
    ]
    for (who, roleCode, roleText) in people {
      guard let who else { continue }
      let practitionerId = uuid(seed + "Practitioner|" + roleCode)
      let roleId = uuid(seed + "PractitionerRole|" + roleCode)
      var practitioner: [(String, JSONOut)] = [("resourceType", .string("Practitioner")), ("id", .string(practitionerId))]
      if !who.identifiers.isEmpty { practitioner.append(("identifier", .array(who.identifiers))) }
      practitioner.append(("name", .array([who.name])))
      entries.append((practitionerId, .object(practitioner)))
      entries.append((roleId, .object([
        ("resourceType", .string("PractitionerRole")), ("id", .string(roleId)), ("practitioner", ref(practitionerId)),
        ("organization", ref(orgId)), ("code", .array([concept([], text: roleText)])),
      ])))
      roles.append((roleCode, roleId))
    }
    let interpreter = roles.first { $0.role == "pathologist" }?.id

    // Organization
    var org: [(String, JSONOut)] = [("resourceType", .string("Organization")), ("id", .string(orgId))]
    var orgIds: [JSONOut] = [.object([("system", .string("urn:oid:\(site.arcs.laboratory)")), ("value", .string(site.hl7v2.sendingFacility))])]
    if let clia = site.clia { orgIds.append(.object([("system", .string("urn:oid:\(InteropCodes.cliaOID)")), ("value", .string(clia))])) }
    org += [("identifier", .array(orgIds)), ("name", .string(site.name))]
    if let phone = site.phone { org.append(("telecom", .array([.object([("system", .string("phone")), ("value", .string(phone))])]))) }
    if let address = site.address { org.append(("address", .array([.object([("text", .string(address))])]))) }
    entries.append((orgId, .object(org)))

    // Specimens
    var specimenIds: [String] = []
    for s in doc.specimens {
      let id = uuid(seed + "Specimen|" + s.id)
      specimenIds.append(id)
      var collection: [(String, JSONOut)] = []
      if let t = s.collectedAt { collection.append(("collectedDateTime", .string(t))) }
      collection.append(("method", concept([], text: s.procedureLabel)))
      if let site = s.site { collection.append(("bodySite", concept([], text: site))) }
      entries.append((id, .object([
        ("resourceType", .string("Specimen")), ("id", .string(id)),
        ("identifier", .array([.object([("system", .string("urn:oid:\(site.arcs.accessions)")), ("value", .string("\(doc.accession)-\(s.id)"))])])),
        ("accessionIdentifier", .object([("system", .string("urn:oid:\(site.arcs.accessions)")), ("value", .string(doc.accession))])),
        ("type", concept([coding("http://snomed.info/sct", "119376003", "Tissue specimen")])),
        ("subject", ref(patientId)), ("collection", .object(collection)),
      ])))
    }

    // Observations: a grouper per section (hasMember), one per answered item (derivedFrom its section).
    var observations: [(String, JSONOut)] = []
    var sectionEntries: [(section: ReportSection, grouper: String)] = []
    let effective = dateTime(doc)

    func base(_ id: String, _ category: String, _ code: JSONOut) -> [(String, JSONOut)] {
      var o: [(String, JSONOut)] = [
        ("resourceType", .string("Observation")), ("id", .string(id)),
        ("identifier", .array([.object([("system", .string("urn:oid:\(site.arcs.observations)")), ("value", .string("urn:uuid:\(id)"))])])),
        ("status", .string(["preliminary", "amended", "entered-in-error"].contains(status) ? status : "final")),
        ("category", .array([concept([coding(categorySystem, category, nil)])])), ("code", code), ("subject", ref(patientId)),
      ]
      if let effective { o.append(("effectiveDateTime", .string(effective))) }
      return o
    }
    for section in doc.sections where section.items.contains(where: \.hasValue) {
      let grouperId = uuid(seed + "Section|" + section.id)
      var memberIds: [String] = []
      for item in section.items where item.hasValue {
        if let rows = item.rows {
          for (r, row) in rows.enumerated() where row.contains(where: \.hasValue) {
            let id = uuid(seed + "Item|\(item.id)|\(r + 1)")
            memberIds.append(id)
            var o = base(id, "QUESTION", itemCode(item, doc: doc, site: site))
            o.append(("derivedFrom", .array([ref(grouperId)])))
            o.append(("component", .array(row.filter(\.hasValue).map { cell in
              .object([("code", itemCode(cell, doc: doc, site: site))] + value(cell, doc: doc, site: site))
            })))
            observations.append((id, .object(o)))
          }
        } else {
          let id = uuid(seed + "Item|\(item.id)")
          memberIds.append(id)
          var o = base(id, "QUESTION", itemCode(item, doc: doc, site: site))
          o.append(("derivedFrom", .array([ref(grouperId)])))
          if case .codedList(let answers)? = item.value {
            // A multi-select: each selected answer is a component with the item's code.
            o.append(("component", .array(answers.map { a in
              .object([("code", itemCode(item, doc: doc, site: site)),
                        ("valueCodeableConcept", concept([coding(local(site), a.value, a.display)], text: a.display))])
            })))
          } else if let shaped = mcode(item, doc: doc, site: site, seed: seed) {
            o = base(id, "QUESTION", shaped.code)
            o.append(("derivedFrom", .array([ref(grouperId)])))
            o += shaped.rest
          } else {
            o += value(item, doc: doc, site: site)
          }
          observations.append((id, .object(o)))
        }
      }
      var g = base(grouperId, "SECTION", concept([coding(local(site), section.id, section.title)], text: section.title))
      g.append(("hasMember", .array(memberIds.map(ref))))
      observations.insert((grouperId, .object(g)), at: observations.count - memberIds.count)
      sectionEntries.append((section, grouperId))
    }

    // DiagnosticReport
    var report: [(String, JSONOut)] = [
      ("resourceType", .string("DiagnosticReport")), ("id", .string(reportId)),
      ("identifier", .array([.object([("system", .string("urn:oid:\(site.arcs.accessions)")), ("value", .string(doc.accession))])])),
      ("status", .string(status)),
      ("category", .array([concept([coding(loinc, "LP7839-6", "Pathology")])])),
      ("code", concept([coding(loinc, "60568-3", "Pathology Synoptic report")])),
      ("subject", ref(patientId)),
    ]
    if let d = doc.reportDate { report.append(("effectiveDateTime", .string(d))) }
    if let t = InteropCodes.signature(doc).time { report.append(("issued", .string(t))) }
    report.append(("performer", .array([ref(orgId)])))
    if let interpreter { report.append(("resultsInterpreter", .array([ref(interpreter)]))) }
    if !specimenIds.isEmpty { report.append(("specimen", .array(specimenIds.map(ref)))) }
    report.append(("result", .array(sectionEntries.map { ref($0.grouper) })))
    var conclusion = doc.diagnosis.joined(separator: "\n")
    if doc.status == .retracted {
      conclusion = "RETRACTED: issued in error, do not use." + (doc.amendmentReason.map { " Reason: \($0)" } ?? "") + "\n" + conclusion
    } else if let reason = doc.amendmentReason {
      conclusion += "\nAmended: \(reason)"
      for c in doc.changedItems { conclusion += "\nChanged: \(c)" }
    }
    for a in doc.addenda { conclusion += "\nAddendum: \(a)" }
    if !conclusion.isEmpty { report.append(("conclusion", .string(conclusion))) }
    report.append(("presentedForm", .array([
      .object([("contentType", .string("text/plain; charset=utf-8")), ("language", .string("en")),
               ("data", .string(Data(text.utf8).base64EncodedString())), ("title", .string("Report (text)"))]),
      .object([("contentType", .string("text/html; charset=utf-8")), ("language", .string("en")),
               ("data", .string(Data(html.utf8).base64EncodedString())), ("title", .string("Report (HTML)"))]),
    ])))

    // Composition (first entry): one section per report part, each with the
    // narrative of its template sections and their section observations.
    let signature = InteropCodes.signature(doc)
    let date = signature.time ?? doc.reportDate ?? renderedAt()
    var composition: [(String, JSONOut)] = [
      ("resourceType", .string("Composition")), ("id", .string(compositionId)),
      ("identifier", .object([("system", .string("urn:oid:\(site.arcs.documents)")), ("value", .string("\(doc.accession)-v\(doc.version)"))])),
      ("status", .string(compositionStatus)),
      ("type", concept([coding(loinc, "60568-3", "Pathology Synoptic report")])),
      ("subject", ref(patientId)),
      ("date", .string(date)),
      ("author", .array([ref(interpreter ?? orgId)])),
      ("title", .string("Surgical Pathology Report: \(doc.templateTitle)")),
    ]
    if let interpreter, let t = signature.time {
      composition.append(("attester", .array([.object([("mode", .string("legal")), ("time", .string(t)), ("party", ref(interpreter))])])))
    }
    composition.append(("custodian", ref(orgId)))
    if let parent = doc.parentVersion {
      composition.append(("relatesTo", .array([.object([
        ("code", .string(doc.status == .appended ? "appends" : "replaces")),
        ("targetIdentifier", .object([("system", .string("urn:oid:\(site.arcs.documents)")), ("value", .string("\(doc.accession)-v\(parent)"))])),
      ])])))
    }
    var sections: [JSONOut] = []
    for part in InteropCodes.reportParts {
      let here = sectionEntries.filter { InteropCodes.part($0.section.apsr) == part.kind }
      var lines: [String] = []
      if part.kind == .conclusion { lines = doc.diagnosis + (doc.comment.map { ["Comment: \($0)"] } ?? []) + doc.addenda.map { "Addendum: \($0)" } }
      for (section, _) in here {
        lines.append(section.title)
        for item in section.items where item.hasValue {
          if let rows = item.rows {
            lines.append(item.label + ":")
            lines += rows.filter { $0.contains(where: \.hasValue) }.map { "- " + ReportTree.rowText($0) }
          } else {
            lines.append("\(item.label): \(item.display)")
          }
        }
      }
      guard !lines.isEmpty else { continue }
      var entry: [JSONOut] = here.map { ref($0.grouper) }
      if part.kind == .conclusion { entry.insert(ref(reportId), at: 0) }
      var fields: [(String, JSONOut)] = [
        ("title", .string(part.title.capitalized)), ("code", concept([coding(loinc, "\(part.code)", "\(part.display)")])),
        ("text", narrative(lines)),
      ]
      if !entry.isEmpty { fields.append(("entry", .array(entry))) }
      sections.append(.object(fields))
    }
    composition.append(("section", .array(sections)))

    let all: [(String, JSONOut)] = [(compositionId, .object(composition))] + entries + [(reportId, .object(report))] + observations
    return .object([
      ("resourceType", .string("Bundle")), ("id", .string(uuid(seed + "Bundle"))),
      ("identifier", .object([("system", .string("urn:ietf:rfc:3986")), ("value", .string("urn:uuid:\(uuid(seed + "Bundle"))"))])),
      ("type", .string("document")),
      ("timestamp", .string(timestamp(doc))),
      ("entry", .array(all.map { id, resource in .object([("fullUrl", .string("urn:uuid:\(id)")), ("resource", resource)]) })),
    ])
  }

  /// The bundle timestamp: when this version was signed, else the report
  /// date at midnight UTC, else (a draft without a date) when it was assembled.
  static func timestamp(_ doc: ReportDocument) -> String {
    if let t = InteropCodes.signature(doc).time { return t }
    if let d = doc.reportDate { return d + "T00:00:00Z" }
    return renderedAt()
  }

  /// Now, as a FHIR instant: the assembly time of a draft that has no date of its own.
  static func renderedAt() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: Date())
  }

  /// A section's generated XHTML narrative, one paragraph per line.
  static func narrative(_ lines: [String]) -> JSONOut {
    let body = lines.map { "<p>" + EscapeMode.html.escape($0) + "</p>" }.joined()
    return .object([("status", .string("generated")), ("div", .string("<div xmlns=\"http://www.w3.org/1999/xhtml\">" + body + "</div>"))])
  }

  static func humanName(_ full: String) -> JSONOut {
    let (family, given) = InteropCodes.nameParts(full)
    if !given.isEmpty {
      return .object([("text", .string(full)), ("family", .string(family)), ("given", .array([.string(given)]))])
    }
    return .object([("text", .string(full))])
  }

  static func humanName(_ p: ReportPerson) -> JSONOut {
    let (family, given) = InteropCodes.nameParts(p)
    var pairs: [(String, JSONOut)] = [("text", .string(p.name)), ("family", .string(family))]
    if !given.isEmpty { pairs.append(("given", .array([.string(given)]))) }
    return .object(pairs)
  }

  static func itemCode(_ item: ReportItem, doc: ReportDocument, site: SiteIdentity) -> JSONOut {
    var codings: [JSONOut] = []
    if let c = coding(item.code, fallbackDisplay: item.label, doc: doc) { codings.append(c) }
    codings.append(coding(local(site), item.id, item.label))
    return concept(codings, text: item.label)
  }

  static let ajcc8th = coding("http://snomed.info/sct", "897275008",
    "American Joint Commission on Cancer, Cancer Staging Manual, 8th edition neoplasm staging system (tumor staging)")

  /// Items shaped like mCODE's profiles: the TNM categories and stage group
  /// (a CodeableConcept value, AJCC 8th as the method, the group pointing at
  /// its categories) and the tumour size (LOINC 21889-1 with the greatest
  /// dimension as a component Quantity). Nil for any other item.
  static func mcode(_ item: ReportItem, doc: ReportDocument, site: SiteIdentity, seed: String) -> (code: JSONOut, rest: [(String, JSONOut)])? {
    switch item.binding {
    case "derived.pT", "derived.pN", "derived.pM", "derived.stageGroup":
      guard case .text(let text)? = item.value else { return nil }
      let answer = coding(item.answerCode, fallbackDisplay: text, doc: doc)
      var rest: [(String, JSONOut)] = [("valueCodeableConcept", concept(answer.map { [$0] } ?? [], text: text)), ("method", concept([ajcc8th]))]
      if item.binding == "derived.stageGroup" {
        let members = doc.sections.flatMap(\.items)
          .filter { ["derived.pT", "derived.pN", "derived.pM"].contains($0.binding) && $0.hasValue }
          .map { ref(uuid(seed + "Item|\($0.id)")) }
        if !members.isEmpty { rest.append(("hasMember", .array(members))) }
      }
      return (itemCode(item, doc: doc, site: site), rest)
    case "tumor.size.greatest":
      guard case .measurement? = item.value else { return nil }
      let size = concept([coding(loinc, "21889-1", "Size Tumor")] + [coding(local(site), item.id, item.label)], text: "Tumour size")
      let component: JSONOut = .object([("code", itemCode(item, doc: doc, site: site))] + value(item, doc: doc, site: site))
      return (size, [("method", concept([coding("http://snomed.info/sct", "787377000", nil)], text: "Gross examination")),
                     ("component", .array([component]))])
    default:
      return nil
    }
  }

  /// value[x] for an item (never for a multi-select, which uses components).
  static func value(_ item: ReportItem, doc: ReportDocument, site: SiteIdentity) -> [(String, JSONOut)] {
    guard let v = item.value else { return [] }
    switch v {
    case .coded(let a):
      var codings: [JSONOut] = []
      if let c = coding(item.answerCode ?? a.code, fallbackDisplay: a.display, doc: doc) { codings.append(c) }
      codings.append(coding(local(site), a.value, a.display))
      return [("valueCodeableConcept", concept(codings, text: a.display))]
    case .codedList(let l):
      return [("valueCodeableConcept", concept(l.map { coding(local(site), $0.value, $0.display) }, text: v.display))]
    case .text(let t) where item.answerCode != nil:
      return [("valueCodeableConcept", concept(coding(item.answerCode, fallbackDisplay: t, doc: doc).map { [$0] } ?? [], text: t))]
    case .measurement(let value, let unit, let comparator):
      var q: [(String, JSONOut)] = [("value", .number(value))]
      switch comparator {
      case .lessThan?: q.append(("comparator", .string("<")))
      case .lessThanOrEqual?: q.append(("comparator", .string("<=")))
      case .greaterThan?: q.append(("comparator", .string(">")))
      case .greaterThanOrEqual?: q.append(("comparator", .string(">=")))
      case .approximately?, nil: break
      }
      q += [("unit", .string(unit == .ratio ? "ratio" : unit.ucum)), ("system", .string("http://unitsofmeasure.org")), ("code", .string(unit.ucum))]
      var out: [(String, JSONOut)] = [("valueQuantity", .object(q))]
      if comparator == .approximately { out.append(("note", .array([.object([("text", .string("approximately"))])]))) }
      return out
    case .count(let n): return [("valueInteger", .int(n))]
    case .text, .textList: return [("valueString", .string(v.display))]
    case .date(let d): return [("valueDateTime", .string(d))]
    case .notReported:
      return [("dataAbsentReason", concept([coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown", "Unknown")], text: "not reported"))]
    case .cannotBeDetermined:
      return [("dataAbsentReason", concept([coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown", "Unknown")], text: v.display))]
    }
  }
}
