import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
import SynopticLayout
@testable import SynopticTemplates

/// Reads each output format back into "item id (and row) -> value text", so the
/// formats can be compared by value, not by markup.
enum ReadBack {
  struct Key: Hashable, CustomStringConvertible {
    var id: String
    var row: Int?
    var description: String { row.map { "\(id) row \($0)" } ?? id }
  }

  /// The expected value of every answered item, as the ReportDocument says.
  static func expected(_ doc: ReportDocument) -> [Key: ReportItem] {
    var out: [Key: ReportItem] = [:]
    for item in doc.sections.flatMap(\.items) where item.hasValue {
      if let rows = item.rows {
        for (r, row) in rows.enumerated() { for c in row where c.hasValue { out[Key(id: c.id, row: r + 1)] = c } }
      } else {
        out[Key(id: item.id, row: nil)] = item
      }
    }
    return out
  }

  static func hl7Unescape(_ s: String) -> String {
    var out = ""
    var i = s.startIndex
    while i < s.endIndex {
      if s[i] == "\\", let close = s[s.index(after: i)...].firstIndex(of: "\\") {
        switch s[s.index(after: i)..<close] {
        case "F": out += "|"
        case "S": out += "^"
        case "R": out += "~"
        case "E": out += "\\"
        case "T": out += "&"
        case ".br": out += "\n"
        default: out += String(s[i...close])
        }
        i = s.index(after: close)
      } else {
        out.append(s[i])
        i = s.index(after: i)
      }
    }
    return out
  }

  /// What HL7 v2 carries for an item: the code for coded answers (and the HL7
  /// Table 0353 flavour for unknowns), the printed value otherwise.
  static func hl7Expected(_ item: ReportItem) -> String {
    switch item.value {
    case .coded(let a)?: return (item.answerCode ?? a.code)?.code ?? a.value
    case .text(let t)? where item.answerCode != nil: return item.answerCode?.system == "AJCC" ? t : item.answerCode?.code ?? t
    case .codedList(let l)?: return l.map { $0.code?.code ?? $0.value }.joined(separator: ", ")
    case .notReported?: return "NI"
    case .cannotBeDetermined?: return "UNK"
    case .textList(let l)?: return l.joined(separator: " ")  // one repetition per element
    default: return item.display
    }
  }

  /// HL7 v2: OBX-3 identifies the item (its code, or our id under L), OBX-4 the row.
  static func hl7(_ message: String, doc: ReportDocument) -> [Key: [String]] {
    var idByCode: [String: String] = [:]
    let items = doc.sections.flatMap(\.items)
    for item in items + items.flatMap({ ($0.rows ?? []).flatMap { $0 } }) {
      idByCode[item.code?.code ?? item.id] = item.id
    }
    var out: [Key: [String]] = [:]
    var inSynoptic = false
    for segment in message.split(separator: "\r") {
      let f = segment.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
      if f[0] == "OBR" { inSynoptic = f[4].hasPrefix("60568-3") }
      guard f[0] == "OBX", inSynoptic, f.count > 6 else { continue }
      let code = f[3].split(separator: "^").first.map(String.init) ?? ""
      guard let id = idByCode[code] else { continue }
      // OBX-4 is GROUP.ROW for a group's cells.
      let key = Key(id: id, row: f[4].split(separator: ".").last.flatMap { Int($0) })
      let value: String
      switch f[2] {
      // A coded value is its code (CWE.1); its text may be the code system's display.
      case "CWE": value = hl7Unescape(f[5].split(separator: "^", omittingEmptySubsequences: false).first.map(String.init) ?? "")
      case "NM":
        let unit = f[6].split(separator: "^").first.map(String.init) ?? ""
        value = hl7Unescape(f[5]) + (unit.isEmpty || unit == "1" ? "" : unit == "%" ? " %" : " \(unit)")
      case "DT":
        let d = Array(f[5])
        value = d.count == 8 ? "\(String(d[0..<4]))-\(String(d[4..<6]))-\(String(d[6..<8]))" : f[5]
      case "SN":
        let parts = f[5].split(separator: "^").map { hl7Unescape(String($0)) }
        let unit = f[6].split(separator: "^").first.map(String.init) ?? ""
        let comparator = Comparator(rawValue: parts.first ?? "")?.display ?? ""
        value = "\(comparator) \(parts.last ?? "") \(unit)"
      default: value = f[5].split(separator: "~", omittingEmptySubsequences: false).map { hl7Unescape(String($0)) }.joined(separator: " ")
      }
      out[key, default: []].append(value)
    }
    return out
  }

  /// FHIR: Observations coded with our local item id; rows as components.
  static func fhir(_ json: String, doc: ReportDocument) throws -> [Key: [String]] {
    let local = "urn:oid:2.16.840.1.113883.19.5.99"
    func localCode(_ concept: Any?) -> String? {
      ((concept as? [String: Any])?["coding"] as? [[String: Any]])?.first { $0["system"] as? String == local }?["code"] as? String
    }
    func valueText(_ o: [String: Any]) -> String? {
      if let s = o["valueString"] as? String { return s }
      if let c = o["valueCodeableConcept"] as? [String: Any] { return c["text"] as? String }
      if let i = o["valueInteger"] as? Int { return String(i) }
      if let d = o["valueDateTime"] as? String { return d }
      if let q = o["valueQuantity"] as? [String: Any], let v = q["value"] as? NSNumber {
        let code = q["code"] as? String ?? ""
        let c = (q["comparator"] as? String).flatMap { Comparator(rawValue: $0)?.display }
        let number = NumberText.format(v.doubleValue) + (code == "1" ? "" : code == "%" ? " %" : " \(code == "mm2" ? "mm²" : code)")
        let approx = (o["note"] as? [[String: Any]])?.contains { $0["text"] as? String == "approximately" } == true
        return c.map { "\($0) \(number)" } ?? (approx ? "approximately \(number)" : number)
      }
      if let a = o["dataAbsentReason"] as? [String: Any] { return a["text"] as? String }
      return nil
    }
    let bundle = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    var out: [Key: [String]] = [:]
    var rowCounters: [String: Int] = [:]
    for entry in bundle["entry"] as? [[String: Any]] ?? [] {
      guard let r = entry["resource"] as? [String: Any], r["resourceType"] as? String == "Observation",
        let id = localCode(r["code"])
      else { continue }
      let components = r["component"] as? [[String: Any]] ?? []
      if components.contains(where: { localCode($0["code"]) != id }) {
        // A group row: cells are components.
        rowCounters[id, default: 0] += 1
        for c in components { if let cid = localCode(c["code"]), let v = valueText(c) { out[Key(id: cid, row: rowCounters[id]), default: []].append(v) } }
      } else if !components.isEmpty {
        out[Key(id: id, row: nil), default: []].append(components.compactMap(valueText).joined(separator: ", "))
      } else if let v = valueText(r) {
        out[Key(id: id, row: nil), default: []].append(v)
      }
    }
    return out
  }
}

@Suite("All six formats agree")
struct CrossFormatTests {
  @Test("every item has the same value in text, HTML, XML, CDA, HL7 v2 and FHIR", arguments: sampleNames + ["hostile"])
  func agree(name: String) throws {
    let p: PreparedReport
    if name == "hostile" {
      p = try #require(try ReportPipeline.prepare(
        try CaseLoader.decode(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/hostile-text.yaml")), store: store, templateId: nil))
    } else {
      p = try prepare(name)
    }
    let doc = p.document
    let text = try render(p, .text, width: 100)
    let html = try render(p, .html)
    let xml = try XMLReader.parse(ReportXML.render(doc))
    let cda = try XMLReader.parse(CDAWriter.render(doc, site: site))
    let hl7 = ReadBack.hl7(HL7v2Writer.render(doc, site: site), doc: doc)
    let fhir = try ReadBack.fhir(FHIRWriter.render(doc, text: text, html: html, site: site), doc: doc)

    var xmlDisplay: [ReadBack.Key: String] = [:]
    for item in xml.descendants where item.name == "item" {
      if let id = item.attribute("id"), let d = item.attribute("display") { xmlDisplay[ReadBack.Key(id: id, row: nil)] = d }
    }
    for row in xml.descendants where row.name == "row" {
      for item in row.elements("item") {
        if let id = item.attribute("id"), let d = item.attribute("display") { xmlDisplay[ReadBack.Key(id: id, row: Int(row.attribute("index") ?? ""))] = d }
      }
    }
    var cdaNarrative: [String: String] = [:]
    for e in cda.descendants { if let id = e.attribute("ID") { cdaNarrative[id] = e.text } }

    let squashedText = squash(text)
    let expected = ReadBack.expected(doc)
    #expect(!expected.isEmpty)
    for (key, item) in expected {
      let display = item.display
      #expect(squashedText.contains(squash(display)), "text lacks \(key)")
      #expect(html.contains(EscapeMode.html.escape(display)), "HTML lacks \(key)")
      #expect(xmlDisplay[key] == display, "XML \(key): \(xmlDisplay[key] ?? "nil") vs \(display)")
      let cdaId = key.row.map { "\(key.id)-r\($0)" } ?? key.id
      #expect(cdaNarrative[cdaId] == display, "CDA \(key)")
      // HL7 v2 splits long text into repetitions and multi-selects into OBX segments.
      let hl7Values = hl7[key] ?? []
      #expect(squash(hl7Values.joined(separator: ", ")) == squash(ReadBack.hl7Expected(item)), "HL7 \(key): \(hl7Values) vs \(display)")
      #expect(fhir[key]?.first.map(squash) == squash(display), "FHIR \(key): \(fhir[key] ?? []) vs \(display)")
    }
  }

  @Test("hostile free text survives every format intact and escaped")
  func hostile() throws {
    let p = try #require(try ReportPipeline.prepare(
      try CaseLoader.decode(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/hostile-text.yaml")), store: store, templateId: nil))
    let doc = p.document
    let comment = try #require(doc.comment)
    #expect(comment.count > 5000)
    let text = try render(p, .text, width: 100)
    let html = try render(p, .html)
    #expect(squash(text).contains(squash(comment)))
    #expect(!html.contains("<script>"))
    #expect(html.contains(EscapeMode.html.escape(comment)))
    #expect(try XMLReader.parse(ReportXML.render(doc)).element("comment")?.text == comment)
    let cda = try XMLReader.parse(CDAWriter.render(doc, site: site))
    #expect(cda.descendants.contains { $0.name == "paragraph" && $0.text.hasSuffix(comment) })
    let message = HL7v2Writer.render(doc, site: site)
    // Delimiters in data never split a field: every OBX keeps its result status in OBX-11
    // and the performing laboratory in OBX-23.
    for segment in message.split(separator: "\r") where segment.hasPrefix("OBX") {
      let fields = segment.split(separator: "|", omittingEmptySubsequences: false)
      #expect(fields.count >= 24 && fields[11] == "P" && fields[23].hasPrefix(site.name), "\(segment.prefix(60))")
    }
    let commentOBX = try #require(message.split(separator: "\r").first { $0.hasPrefix("OBX") && $0.contains("22638-1") })
    let reps = commentOBX.split(separator: "|", omittingEmptySubsequences: false)[5].split(separator: "~").map(String.init)
    #expect(reps.allSatisfy { $0.count <= 199 })
    #expect(squash(reps.map(ReadBack.hl7Unescape).joined(separator: " ")) == squash(comment))
    let fhir = try #require(try JSONSerialization.jsonObject(with: Data(FHIRWriter.render(doc, text: text, html: html, site: site).utf8)) as? [String: Any])
    let report = try #require((fhir["entry"] as? [[String: Any]])?.compactMap { $0["resource"] as? [String: Any] }.first { $0["resourceType"] as? String == "DiagnosticReport" })
    let forms = try #require(report["presentedForm"] as? [[String: Any]])
    let plain = try #require(forms.first { ($0["contentType"] as? String)?.hasPrefix("text/plain") == true }?["data"] as? String)
    #expect(String(decoding: try #require(Data(base64Encoded: plain)), as: UTF8.self) == text)
  }

  @Test("FHIR ids and fullUrls are deterministic and every reference resolves", arguments: sampleNames)
  func fhirReferences(name: String) throws {
    let p = try prepare(name)
    let text = try render(p, .text)
    let html = try render(p, .html)
    let a = FHIRWriter.render(p.document, text: text, html: html, site: site)
    #expect(a == FHIRWriter.render(p.document, text: text, html: html, site: site))
    let bundle = try #require(try JSONSerialization.jsonObject(with: Data(a.utf8)) as? [String: Any])
    let entries = try #require(bundle["entry"] as? [[String: Any]])
    #expect((entries.first?["resource"] as? [String: Any])?["resourceType"] as? String == "Composition")
    let urls = Set(entries.compactMap { $0["fullUrl"] as? String })
    #expect(urls.count == entries.count)
    func refs(_ node: Any) -> [String] {
      if let d = node as? [String: Any] { return d.flatMap { k, v in k == "reference" ? [v as? String ?? ""] : refs(v) } }
      if let l = node as? [Any] { return l.flatMap(refs) }
      return []
    }
    for r in refs(bundle) { #expect(urls.contains(r), "\(r) does not resolve") }
    try expectGolden(a, "\(name).fhir.json")
    try expectGolden(HL7v2Writer.render(p.document, site: site).replacingOccurrences(of: "\r", with: "\n"), "\(name).hl7.txt")
  }
}
