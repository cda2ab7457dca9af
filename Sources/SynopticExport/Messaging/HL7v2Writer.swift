import Foundation
import SynopticCore
import SynopticLayout
import SynopticTemplates

/// HL7 v2.5.1 ORU^R01 following NAACCR Volume V: a narrative OBR (11529-5) with
/// one TX OBX per report part, and a synoptic OBR (60568-3) with one OBX per
/// answered item; SPM per specimen. Segments end with CR.
public enum HL7v2Writer {
  /// HL7 escaping of `| ^ ~ \ &` and line breaks, from the layout engine.
  static func e(_ s: String) -> String { EscapeMode.hl7.escape(s) }

  /// Splits text into escaped repetitions of at most `limit` characters each
  /// (measured after escaping, as receivers count), on spaces where possible;
  /// every line of the text starts a new repetition.
  static func chunks(_ s: String, limit: Int = 199) -> [String] {
    var out: [String] = []
    for line in s.split(separator: "\n", omittingEmptySubsequences: false) {
      var current = ""
      var size = 0
      func flush() {
        out.append(current)
        current = ""
        size = 0
      }
      for (i, word) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
        let piece = (i == 0 ? "" : " ") + word
        let cost = e(String(piece)).count
        if size + cost <= limit {
          current += e(String(piece))
          size += cost
          continue
        }
        if size > 0 { flush() }
        // Start the new repetition with the word itself; split a word that is too long alone.
        for ch in word {
          let c = e(String(ch))
          if size + c.count > limit { flush() }
          current += c
          size += c.count
        }
      }
      flush()
    }
    return out
  }

  /// What an ST component holds (hl7apy and many engines enforce it).
  static let stLength = 199

  /// Text for an ST component: escaped, and cut to ``stLength`` characters
  /// (never inside an escape sequence). ``truncations(_:)`` warns of each cut.
  static func st(_ s: String) -> String {
    chunks(s.replacingOccurrences(of: "\n", with: " "), limit: stLength).first ?? ""
  }

  /// The texts the message carries in ST components, where a value longer
  /// than ``stLength`` is cut: each with its model path and its place.
  static func boundedTexts(_ doc: ReportDocument) -> [(path: String, place: String, text: String)] {
    var out: [(String, String, String)] = []
    if let name = doc.patient.name {
      let (family, given) = InteropCodes.nameParts(name)
      out += [("patient.name", "PID-5 (family name)", family), ("patient.name", "PID-5 (given name)", given)]
    }
    if let o = doc.orderingPhysician { out.append(("orderingPhysician", "OBR-16 (ordering provider)", InteropCodes.nameParts(o).family)) }
    for s in doc.specimens { if let site = s.site { out.append(("specimens.\(s.id).site", "SPM-8 (specimen source site)", site)) } }
    return out
  }

  /// A warning for each text the message carries cut short: the report is
  /// still sent (a receiver would reject an over-long field), and says so.
  public static func truncations(_ doc: ReportDocument) -> [Diagnostic] {
    // Every render asks; when no source text can be cut (name parts are no
    // longer than the name), the texts are not even listed.
    guard mayBeCut(doc.patient.name) || mayBeCut(doc.orderingPhysician) || doc.specimens.contains(where: { mayBeCut($0.site) }) else {
      return []
    }
    return boundedTexts(doc).compactMap { path, place, text in
      guard mayBeCut(text) else { return nil }
      let escaped = e(text.replacingOccurrences(of: "\n", with: " ")).count
      guard escaped > stLength else { return nil }
      return Diagnostic(
        severity: .warning, path: path, rule: "hl7v2.truncated",
        message: "\(place) holds \(stLength) characters; the HL7 v2 message carries the first \(stLength) of \(escaped) (the other formats carry all of it)")
    }
  }

  /// Whether escaping could take a text past ``stLength``: it writes at most
  /// five characters for one byte (a line break is \.br\).
  static func mayBeCut(_ text: String?) -> Bool { (text?.utf8.count ?? 0) * 5 > stLength }

  /// Escaped repetitions, each at most 199 characters after escaping.
  static func repetitions(_ s: String) -> String { chunks(s).joined(separator: "~") }

  static func cwe(_ code: String, _ text: String, _ system: String) -> String { "\(st(code))^\(st(text))^\(system)" }

  /// A standard code's HL7 v2 coding-system name, when the document's terminology gives one.
  static func standard(_ c: Code?, _ doc: ReportDocument) -> (code: Code, system: String)? {
    guard let c, let name = InteropCodes.hl7v2Name(c.system, in: doc) else { return nil }
    return (c, name)
  }

  static func questionID(_ item: ReportItem, _ doc: ReportDocument) -> String {
    if let (c, system) = standard(item.code, doc) { return cwe(c.code, c.display ?? item.label, system) + "^" + st(item.id) + "^" + st(item.label) + "^L" }
    return cwe(item.id, item.label, "L")
  }

  /// An XCN: identifier, family and given names, and the identifier's authority
  /// (the NPI registry for a ten-digit NPI, else the site's provider arc).
  static func xcn(name: String, id: String?, site: SiteIdentity) -> String {
    let (family, given) = InteropCodes.nameParts(name)
    guard let id else { return "^\(st(family))^\(st(given))" }
    let authority = NPI.isValid(id) ? "NPI&\(InteropCodes.npiOID)&ISO" : "&\(site.arcs.providers)&ISO"
    return [st(id), st(family), st(given), "", "", "", "", "", authority, "L", "", "", NPI.isValid(id) ? "NPI" : "PRN"].joined(separator: "^")
  }

  /// An XCN for a directory person: the NPI (or the directory id), names, and the identifier's authority.
  static func xcn(_ p: ReportPerson, site: SiteIdentity) -> String {
    let (family, given) = InteropCodes.nameParts(p)
    let authority = p.npi != nil ? "NPI&\(InteropCodes.npiOID)&ISO" : "&\(site.arcs.pathologists)&ISO"
    return [st(p.npi ?? p.id), st(family), st(given), "", "", "", "", "", authority].joined(separator: "^")
  }

  /// A message as sent again: the same version under a new message control id
  /// (MSH-10 is unique for every message sent). The id keeps the version's own
  /// (`SYN-ACCESSION-VERSION`) as its prefix, so a receiver's log ties a
  /// resend to the version it carries.
  public static func resend(_ message: String, attempt: Int) -> String {
    var segments = message.split(separator: "\r", omittingEmptySubsequences: false).map(String.init)
    guard var msh = segments.first?.split(separator: "|", omittingEmptySubsequences: false).map(String.init), msh.count > 9 else { return message }
    msh[9] += "-R\(attempt)"
    segments[0] = msh.joined(separator: "|")
    return segments.joined(separator: "\r")
  }

  public static func render(_ doc: ReportDocument, site: SiteIdentity) -> String {
    let (orderStatus, resultStatus) = InteropCodes.hl7v2Statuses(doc.status)
    let signature = InteropCodes.signature(doc)
    // MSH-7 and OBR-22: when this version was signed (an addendum's own time), else the report date.
    let time = CDAWriter.ts(instant: signature.time) ?? CDAWriter.ts(date: doc.reportDate) ?? ""
    let collected = CDAWriter.ts(instant: InteropCodes.collectionTime(doc)) ?? ""
    let observed = collected.isEmpty ? CDAWriter.ts(date: doc.reportDate) ?? "" : collected
    var segments: [String] = []
    let ids = site.arcs
    let names = site.hl7v2
    let application = e(names.sendingApplication)
    // The sending facility is named by its CLIA number where the site has one (NAACCR Volume V).
    let facility = site.clia.map { "\(e(names.sendingFacility))^\(e($0))^CLIA" } ?? "\(e(names.sendingFacility))^\(ids.laboratory)^ISO"
    segments.append([
      "MSH", "^~\\&", "\(application)^\(ids.sendingApplication)^ISO", facility,
      "\(e(names.receivingApplication))^\(ids.receivingApplication)^ISO", e(names.receivingFacility), time, "", "ORU^R01^ORU_R01",
      "SYN-\(e(doc.accession))-\(doc.version)", "P", "2.5.1", "", "", "AL", "NE", "", "UNICODE UTF-8", "", "", "VOL_V_51_ORU_R01^NAACCR_CP",
    ].joined(separator: "|"))
    let (family, given) = doc.patient.name.map(InteropCodes.nameParts) ?? ("", "")
    segments.append([
      "PID", "1", "", "\(e(doc.patient.mrn ?? ""))^^^\(e(names.sendingFacility))&\(ids.patients)&ISO^MR", "",
      "\(st(family))^\(st(given))^^^^^L", "", (doc.patient.birthDate ?? "").withoutHyphens, InteropCodes.hl7v2Sex(doc.patient.sex),
    ].joined(separator: "|"))
    let filler = "\(e(doc.accession))^\(application)^\(ids.sendingApplication)^ISO"
    let placer = doc.orderNumber.map { "\(e($0))^ORDER^\(ids.orders)^ISO" } ?? ""
    let provider = doc.orderingPhysician.map { xcn(name: $0, id: doc.orderingPhysicianId, site: site) } ?? ""
    let interpreter = interpreterName(doc, site: site)
    // OBX-23 to OBX-25: the performing laboratory, its address and its director.
    let lab = site.clia.map { "\(st(site.name))^^^^^CLIA&\(InteropCodes.cliaOID)&ISO^XX^^^\(e($0))" } ?? "\(st(site.name))^^^^^&\(ids.laboratory)&ISO^XX"
    let labAddress = site.address.map { st($0) } ?? ""
    let director = site.director.map { xcn($0, site: site) } ?? ""
    let responsible = signature.person.map { xcn($0, site: site) } ?? ""

    // ORC-12: the ordering provider, as in OBR-16.
    let orc = (["ORC", "RE", placer, filler] + Array(repeating: "", count: 8) + [provider]).joined(separator: "|")
      .replacingOccurrences(of: "\\|+$", with: "", options: .regularExpression)
    func obr(_ n: Int, _ code: String) -> String {
      var f = Array(repeating: "", count: 33)
      f[0] = "OBR"; f[1] = String(n); f[2] = placer; f[3] = filler; f[4] = code; f[7] = collected
      f[16] = provider; f[22] = time; f[25] = orderStatus; f[32] = interpreter
      return f.joined(separator: "|").replacingOccurrences(of: "\\|+$", with: "", options: .regularExpression)
    }
    func obx(_ n: Int, _ type: String, _ id: String, _ sub: String, _ value: String, _ units: String = "") -> String {
      var f = Array(repeating: "", count: 26)
      f[0] = "OBX"; f[1] = String(n); f[2] = type; f[3] = id; f[4] = sub; f[5] = value; f[6] = units
      f[11] = resultStatus; f[14] = observed; f[16] = responsible; f[23] = lab; f[24] = labAddress; f[25] = director
      return f.joined(separator: "|").replacingOccurrences(of: "\\|+$", with: "", options: .regularExpression)
    }

    // Narrative report, one TX OBX per part.
    segments.append(orc)
    segments.append(obr(1, "11529-5^Surgical pathology study^LN"))
    var n = 0
    for (code, label, text) in parts(doc) where !text.isEmpty {
      n += 1
      segments.append(obx(n, "TX", "\(code)^\(label)^LN", "1", repetitions(text)))
    }
    // Synoptic report: template source, id and version, then one OBX per answer.
    segments.append(orc)
    segments.append(obr(2, "60568-3^Pathology Synoptic report^LN"))
    var m = 3
    segments.append(obx(1, "ST", "60573-3^Report template source^LN", "", "Synoptic"))
    segments.append(obx(2, "CWE", "60572-5^Report template ID^LN", "", cwe(doc.templateId, doc.templateTitle, "L")))
    segments.append(obx(3, "ST", "60574-1^Report template version ID^LN", "", e(doc.templateVersion)))
    var group = 0
    for section in doc.sections {
      for item in section.items where item.hasValue {
        if let rows = item.rows {
          // Volume V's hierarchical sub-IDs: GROUP.ROW, so rows of different
          // groups never share one, and the cells of a row (a "specify" value
          // with its answer) share theirs.
          group += 1
          for (r, row) in rows.enumerated() {
            for cell in row where cell.hasValue {
              for v in values(cell, doc) {
                m += 1
                segments.append(obx(m, v.type, questionID(cell, doc), "\(group).\(r + 1)", v.value, v.units))
                if let note = v.note { segments.append("NTE|1|L|\(repetitions(note))") }
              }
            }
          }
        } else {
          for v in values(item, doc) {
            m += 1
            segments.append(obx(m, v.type, questionID(item, doc), "", v.value, v.units))
            if let note = v.note { segments.append("NTE|1|L|\(repetitions(note))") }
          }
        }
      }
    }
    for (i, s) in doc.specimens.enumerated() {
      let bodySite = s.site.map { "^\(st($0))" } ?? ""
      var spm = Array(repeating: "", count: 18)
      spm[0] = "SPM"; spm[1] = String(i + 1)
      spm[2] = "^\(e(doc.accession))-\(e(s.id))&\(application)&\(ids.sendingApplication)&ISO"
      spm[4] = "TISS^Tissue^HL70487"; spm[7] = cweText(s.procedureLabel); spm[8] = bodySite
      spm[17] = s.collectedAt.flatMap(CDAWriter.ts(instant:)) ?? ""
      segments.append(spm.joined(separator: "|").replacingOccurrences(of: "\\|+$", with: "", options: .regularExpression))
    }
    return segments.joined(separator: "\r") + "\r"
  }

  static func cweText(_ text: String) -> String { "^" + (chunks(text).first ?? "") }

  /// One OBX's value type, OBX-5 and OBX-6, and the full text for an NTE when
  /// a coded answer's text is longer than CWE's 199 characters.
  struct Value {
    var type: String
    var value: String
    var units: String
    var note: String? = nil
  }

  /// The OBX values for an item; a multi-select gives one OBX per answer.
  static func values(_ item: ReportItem, _ doc: ReportDocument) -> [Value] {
    guard let v = item.value else { return [] }
    func coded(_ a: CodedAnswer, _ code: Code?) -> Value {
      let (code, text, system) = standard(code ?? a.code, doc).map { ($0.code.code, $0.code.display ?? a.display, $0.system) } ?? (a.value, a.display, "L")
      // CWE text holds 199 characters: the start of a longer text, cut at a word, and the whole in an NTE.
      let pieces = chunks(text)
      let value = "\(e(code))^\(pieces.first ?? "")^\(system)"
      return Value(type: "CWE", value: value, units: "", note: pieces.count > 1 ? text : nil)
    }
    switch v {
    case .coded(let a): return [coded(a, item.answerCode)]
    case .codedList(let l): return l.map { coded($0, nil) }
    case .measurement(let value, let unit, let comparator):
      let units = "\(e(unit.ucum))^\(e(unit == .ratio ? "ratio" : unit.ucum))^UCUM"
      let number = NumberText.format(value)
      switch comparator {
      case nil, .approximately?: return [Value(type: "NM", value: number, units: units)]
      case let c?:
        // SN keeps the comparator: ">^5".
        return [Value(type: "SN", value: "\(e(c.rawValue))^\(number)", units: units)]
      }
    case .count(let n): return [Value(type: "NM", value: String(n), units: "")]
    case .text(let t) where item.answerCode != nil:
      // A derived category (pT2, IIIA) the terminology codes: a CWE with the printed value as its original text.
      if let (c, system) = standard(item.answerCode, doc) {
        return [Value(type: "CWE", value: "\(st(c.code))^\(st(c.display ?? t))^\(system)^^^^^^\(st(t))", units: "")]
      }
      return [Value(type: "CWE", value: "\(st(t))^\(st(t))^L", units: "")]
    case .text(let t): return [Value(type: e(t).count > 199 || t.contains("\n") ? "TX" : "ST", value: repetitions(t), units: "")]
    case .textList(let l): return [Value(type: "TX", value: l.flatMap { chunks($0) }.joined(separator: "~"), units: "")]
    case .date(let d): return [Value(type: "DT", value: d.withoutHyphens, units: "")]
    case .notReported: return [Value(type: "CWE", value: "NI^not reported^HL70353", units: "")]
    case .cannotBeDetermined(let r):
      let text = ItemValue.cannotBeDetermined(reason: r).display
      let pieces = chunks(text)
      return [Value(type: "CWE", value: "UNK^\(pieces.first ?? "")^HL70353", units: "", note: pieces.count > 1 ? text : nil)]
    }
  }

  /// Report parts for the narrative OBR: LOINC code, name and plain text.
  static func parts(_ doc: ReportDocument) -> [(String, String, String)] {
    func text(_ kinds: [APSRSection]) -> String {
      doc.sections.filter { kinds.contains($0.apsr) }.flatMap { section in
        section.items.filter(\.hasValue).map { item in
          if let rows = item.rows {
            return item.label + ":\n" + rows.map { "- " + ReportTree.rowText($0) }.joined(separator: "\n")
          }
          return "\(item.label): \(item.display)"
        }
      }.joined(separator: "\n")
    }
    var final = doc.diagnosis.joined(separator: "\n")
    let staging = text([.conclusion])
    if !staging.isEmpty { final += (final.isEmpty ? "" : "\n") + staging }
    var comments = doc.comment ?? ""
    if doc.status == .retracted {
      comments = "RETRACTED: issued in error, do not use." + (doc.amendmentReason.map { " Reason: \($0)" } ?? "")
        + (comments.isEmpty ? "" : "\n" + comments)
    } else if let reason = doc.amendmentReason {
      let changes = doc.changedItems.map { "\nChanged: \($0)" }.joined()
      comments = "Amended report: \(reason)\(changes)" + (comments.isEmpty ? "" : "\n" + comments)
    }

    return [
      ("22636-5", "Path report.relevant Hx", text([.clinical])),
      ("22634-0", "Path report.gross description", text([.macroscopic])),
      ("22635-7", "Path report.microscopic observation", text([.microscopic, .additional])),
      ("22637-3", "Path report.final diagnosis", final),
      ("22638-1", "Path report.comments", comments),
      // Addenda have their own code, so a receiver tells an appended report from a corrected one.
      ("35265-8", "Path report.addendum", doc.addenda.joined(separator: "\n")),
    ]
  }

  /// OBR-32, the principal result interpreter (NDL): the signer's NPI or
  /// directory id, family and given names, and the identifier's authority.
  static func interpreterName(_ doc: ReportDocument, site: SiteIdentity) -> String {
    let signature = InteropCodes.signature(doc)
    if let p = signature.person {
      let (family, given) = InteropCodes.nameParts(p)
      let (id, authority) = p.npi.map { ($0, InteropCodes.npiOID) } ?? (p.id, site.arcs.pathologists)
      return [e(id), e(family), e(given), "", "", "", "", "", "", authority, "ISO"].joined(separator: "&")
    }
    return signature.name.map { "&\(e($0))" } ?? ""
  }

}
