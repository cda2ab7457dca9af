import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticTemplates

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
let templatesDir = packageRoot.appendingPathComponent("Templates")

/// A scratch copy of Templates/ whose files a test may edit.
func scratchTemplates(edit: (URL) throws -> Void) throws -> TemplateStore {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-templates-\(UUID().uuidString)")
  try FileManager.default.copyItem(at: templatesDir, to: dir)
  defer { try? FileManager.default.removeItem(at: dir) }
  try edit(dir)
  return try TemplateStore(directory: dir)
}

func replace(_ url: URL, _ old: String, _ new: String) throws {
  let text = try String(contentsOf: url, encoding: .utf8)
  #expect(text.contains(old), "fixture text not found: \(old)")
  try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
}

func lineOf(_ needle: String, in url: URL) throws -> Int? {
  let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
  return lines.firstIndex { $0.contains(needle) }.map { $0 + 1 }
}

@Suite("Shipped templates")
struct ShippedTemplateTests {
  @Test("load with no diagnostics, overrides resolved")
  func load() throws {
    let store = try TemplateStore(directory: templatesDir)
    #expect(store.diagnostics.isEmpty, "\(store.diagnostics)")
    #expect(Set(store.templates.keys) == ["soft-tissue-resection", "soft-tissue-biopsy", "soft-tissue-resection-demo-hospital"])
    let demo = try #require(store.templates["soft-tissue-resection-demo-hospital"])
    #expect(demo.base == "soft-tissue-resection")
    #expect(demo.letterhead?.institution == "Synoptic Demonstration Hospital")
    let items = demo.allItems().map(\.item)
    #expect(items.first { $0.id == "STR-070" }?.label == "R classification")
    #expect(items.contains { $0.id == "LOC-DEMO-001" })
    // The base is not changed by its override.
    let base = try #require(store.templates["soft-tissue-resection"])
    #expect(base.allItems().first { $0.item.id == "STR-070" }?.item.label == "Residual tumour (R)")
    #expect(!base.allItems().contains { $0.item.id == "LOC-DEMO-001" })
  }

  @Test("every item id is unique across both shipped templates' own ranges")
  func ids() throws {
    let store = try TemplateStore(directory: templatesDir)
    for id in ["soft-tissue-resection", "soft-tissue-biopsy"] {
      let ids = try #require(store.templates[id]).allItems().map(\.item.id)
      #expect(Set(ids).count == ids.count)
    }
  }

  @Test("templates are chosen by procedure")
  func choice() throws {
    let store = try TemplateStore(directory: templatesDir)
    var c = PathologyCase(accession: "X")
    c.specimens = [Specimen(id: "A", procedure: .coreNeedleBiopsy)]
    #expect(store.template(for: c, id: nil)?.id == "soft-tissue-biopsy")
    c.specimens = [Specimen(id: "A", procedure: .wideResection)]
    #expect(store.template(for: c, id: nil)?.id == "soft-tissue-resection")
    #expect(store.template(for: c, id: "soft-tissue-resection-demo-hospital")?.id == "soft-tissue-resection-demo-hospital")
  }
}

@Suite("Template lint")
struct TemplateLintTests {
  @Test("a misspelt binding is an error with file and line")
  func misspeltBinding() throws {
    var line: Int?
    var file = ""
    let store = try scratchTemplates { dir in
      let url = dir.appendingPathComponent("soft-tissue-resection.yaml")
      try replace(url, "bind: tumor.site, required: core}", "bind: tumor.sight, required: core}")
      line = try lineOf("tumor.sight", in: url)
      file = url.lastPathComponent
    }
    let e = try #require(store.errors.first { $0.diagnostic.rule == "template.unknown-binding" })
    #expect(e.file.hasSuffix(file))
    #expect(e.diagnostic.line == line)
    #expect(e.diagnostic.message.contains("did you mean 'tumor.site'"))
  }

  @Test("a misspelt group field is an error at its line")
  func groupField() throws {
    var line: Int?
    let store = try scratchTemplates { dir in
      let url = dir.appendingPathComponent("soft-tissue-biopsy.yaml")
      try replace(url, "label: Marker, type: text, bind: marker,", "label: Marker, type: text, bind: markr,")
      line = try lineOf("bind: markr", in: url)
    }
    let e = try #require(store.errors.first { $0.diagnostic.rule == "template.unknown-binding" })
    #expect(e.diagnostic.line == line)
    #expect(e.diagnostic.message.contains("did you mean 'marker'"))
  }

  @Test("duplicate ids, unknown condition items and items that can never show")
  func structural() throws {
    let store = try scratchTemplates { dir in
      let url = dir.appendingPathComponent("soft-tissue-resection.yaml")
      try replace(url, "{id: STR-025, label: Tumour focality", "{id: STR-024, label: Tumour focality")
      try replace(url, "showWhen: {item: STR-080, in: [examined]}", "showWhen: {item: STR-800, in: [examined]}")
      try replace(url, "showWhen: {item: STR-083, in: [clinical, pathological]}", "showWhen: {item: STR-083, in: [proven]}")
    }
    let rules = store.errors.map(\.diagnostic.rule)
    #expect(rules.contains("template.duplicate-id"))
    #expect(rules.contains("template.unknown-condition-item"))
    #expect(rules.contains("template.never-shows"))
    #expect(store.errors.allSatisfy { $0.diagnostic.line != nil })
  }

  @Test("an override's mistakes are reported in the override file")
  func overrideErrors() throws {
    var line: Int?
    let store = try scratchTemplates { dir in
      let url = dir.appendingPathComponent("synoptic-demo-hospital.yaml")
      try replace(url, "bind: local.tumourBoard", "bind: tumourBoard")
      try replace(url, "  STR-001: Clinical details", "  STR-999: Clinical details")
      line = try lineOf("bind: tumourBoard", in: url)
    }
    let binding = try #require(store.errors.first { $0.diagnostic.rule == "template.unknown-binding" })
    #expect(binding.file.hasSuffix("synoptic-demo-hospital.yaml"))
    #expect(binding.diagnostic.line == line)
    #expect(store.errors.contains { $0.diagnostic.rule == "template.unknown-item" && $0.diagnostic.path == "labels.STR-999" })
  }
}

@Suite("Filling a template")
struct FillingTests {
  func analysis(_ yaml: String) throws -> CaseAnalysis {
    let c = try #require(try CaseLoader.decode(yaml).value)
    return Validator.analyse(c, options: RuleOptions(checkReferenceRequirements: false))
  }

  static let base = """
    accession: F-1
    patient: {name: "T, P", mrn: M1, sex: female}
    presurgicalTherapy: none
    specimens: [{id: A, procedure: wide-resection}]
    tumor:
      site: Thigh
      siteGroup: trunk-extremity
      depth: [subfascial]
      size: 12 cm
      histologicType: {name: myxofibrosarcoma, icdO3: 8811/3}
      grading: {mitoses: 12, necrosis: 10 %}
      margins: [{name: deep, status: not-involved, distance: 4 mm}]
    regionalLymphNodes: {status: examined, examined: 3, involved: 0}
    """

  @Test("items carry values, codes and provenance")
  func values() throws {
    let store = try TemplateStore(directory: templatesDir)
    let t = try #require(store.templates["soft-tissue-resection"])
    let doc = Filler.fill(t, with: try analysis(Self.base))
    let items = doc.sections.flatMap(\.items)
    #expect(items.first { $0.id == "STR-023" }?.display == "12 cm")
    #expect(items.first { $0.id == "STR-023" }?.code?.code == "33728-7")
    #expect(items.first { $0.id == "STR-044" }?.provenance == .derived)
    #expect(items.first { $0.id == "STR-040" }?.provenance == .default)
    #expect(items.first { $0.id == "STR-086" }?.display == "pT3")
    #expect(items.first { $0.id == "STR-090" }?.display == "IIIB")
    #expect(items.first { $0.id == "STR-027" }?.answerCode == Code(system: "ICD-O-3", code: "8811/3", display: "myxofibrosarcoma"))
    #expect(!doc.diagnostics.hasErrors, "\(doc.diagnostics)")
  }

  @Test("a missing core element is an error; conditional ones follow their condition")
  func required() throws {
    let store = try TemplateStore(directory: templatesDir)
    let t = try #require(store.templates["soft-tissue-resection"])
    let noSize = Filler.fill(t, with: try analysis(Self.base.replacingOccurrences(of: "  size: 12 cm\n", with: "")))
    #expect(noSize.diagnostics.contains { $0.rule == "template.required" && $0.path == "tumor.size" && $0.severity == .error })
    let notReported = Filler.fill(t, with: try analysis(Self.base.replacingOccurrences(of: "size: 12 cm", with: "size: not reported")))
    #expect(!notReported.diagnostics.contains { $0.rule == "template.required" })
    let nodes = Filler.fill(t, with: try analysis(Self.base.replacingOccurrences(of: ", examined: 3, involved: 0", with: "")))
    #expect(nodes.diagnostics.contains { $0.rule == "template.required" && $0.path == "regionalLymphNodes.examined" })
    let notSubmitted = Filler.fill(t, with: try analysis(Self.base.replacingOccurrences(of: "{status: examined, examined: 3, involved: 0}", with: "{status: not-submitted}")))
    #expect(!notSubmitted.diagnostics.contains { $0.rule == "template.required" })
    // Hidden by its condition: nodes examined is not shown when none were submitted.
    #expect(!notSubmitted.sections.flatMap(\.items).contains { $0.id == "STR-081" })
  }

  @Test("treatment effect is required only after presurgical therapy")
  func conditional() throws {
    let store = try TemplateStore(directory: templatesDir)
    let t = try #require(store.templates["soft-tissue-resection"])
    let treated = Filler.fill(t, with: try analysis(Self.base.replacingOccurrences(of: "presurgicalTherapy: none", with: "presurgicalTherapy: radiotherapy")))
    #expect(treated.diagnostics.contains { $0.rule == "template.required" && $0.path == "treatmentEffect.viablePercent" })
    let untreated = Filler.fill(t, with: try analysis(Self.base))
    #expect(!untreated.sections.flatMap(\.items).contains { $0.id == "STR-003" })
  }
}

@Suite("Free-text bindings")
struct FreeTextBindingTests {
  @Test("text made only of white space (any Unicode space, line breaks) is no answer; anything else is kept whole")
  func blankText() {
    // The check must agree with Foundation's trimming, which it replaced.
    let samples = [
      "", " ", "\t\n", "\r\n", "\u{00A0}", "\u{3000}\u{2028}\u{2029}", "\u{0085}\u{000B}\u{000C}", "\u{200B}",
      " x ", "\u{301}", " \u{301}", "a", "\n<script>\n",
    ]
    for s in samples {
      let blank = s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
      #expect((ItemValue.textIfAny(s) == nil) == blank, "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
      if !blank { #expect(ItemValue.textIfAny(s) == .text(s)) }
    }
    #expect(ItemValue.textIfAny(nil) == nil)
    // Every scalar of the BMP up to CJK punctuation, alone and around a letter.
    for v in UInt32(0)...0x3100 where v < 0xD800 || v > 0xDFFF {
      let s = String(Character(Unicode.Scalar(v)!))
      for t in [s, s + s, s + "x" + s] {
        #expect((ItemValue.textIfAny(t) == nil) == t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "U+\(String(v, radix: 16))")
      }
    }
  }
}

@Suite("Report items")
struct ReportItemTests {
  static func item() -> ReportItem {
    let cell = ReportItem(id: "C-1", label: "Cell", display: "v", value: .text("v"), type: .text, required: .nonCore, binding: "f")
    return ReportItem(
      id: "X-1", label: "Size", printText: "p", display: "6 cm", value: .measurement(value: 6, unit: .cm, comparator: nil),
      type: .measurement, code: nil, answerCode: nil, required: .core, provenance: .entered, help: "h", binding: "tumor.size",
      rows: [[cell]])
  }

  @Test("encode as their plain fields (the store's JSON has no wrapper) and decode back equal")
  func codable() throws {
    let item = Self.item()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(item)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(Set(object.keys) == ["id", "label", "printText", "display", "value", "type", "required", "provenance", "help", "binding", "rows"])
    #expect(object["label"] as? String == "Size")
    let decoded = try JSONDecoder().decode(ReportItem.self, from: data)
    #expect(decoded == item)
    #expect(try encoder.encode(decoded) == data)
  }

  @Test("a copy is independent: changing one leaves the other as it was")
  func copies() {
    let original = Self.item()
    var changed = original
    #expect(changed == original)
    changed.display = "7 cm"
    changed.rows = nil
    #expect(original.display == "6 cm")
    #expect(original.rows?.count == 1)
    #expect(changed.display == "7 cm")
    #expect(changed.rows == nil)
    #expect(changed != original)
    #expect(original.hasValue && changed.hasValue)
    var emptied = original
    emptied.value = nil
    #expect(emptied.hasValue)  // still has rows
    emptied.rows = []
    #expect(!emptied.hasValue)
  }
}

@Suite("Terminology as data")
struct TerminologyTests {
  @Test("templates take codes from the terminology by binding; an item's own code wins")
  func applied() throws {
    let store = try TemplateStore(directory: templatesDir)
    let t = try #require(store.templates["soft-tissue-resection"])
    let pT = try #require(t.allItems().first { $0.item.bind == "derived.pT" }?.item)
    #expect(pT.code == Code(system: "LOINC", code: "21899-0", display: "Primary tumor.pathology Cancer"))
    #expect(pT.answerCodes?["pT2"]?.code == "1229852009")
    let laterality = try #require(t.allItems().first { $0.item.bind == "laterality" }?.item)
    #expect(laterality.answerCodes?["left"]?.code == "7771000", "a group field maps as GROUP.FIELD")
    #expect(t.codeSystems?["SNOMED-CT"]?.oid == "2.16.840.1.113883.6.96")

    var own = t
    own.sections[0].items[0].code = Code(system: "LOINC", code: "00000-0")
    let reapplied = store.terminology.apply(to: own)
    #expect(reapplied.sections[0].items[0].code?.code == "00000-0")
  }

  @Test("a filled document codes a derived category and carries the code systems it used")
  func filled() throws {
    let store = try TemplateStore(directory: templatesDir)
    let c = try #require(try CaseLoader.decode(contentsOf: templatesDir.deletingLastPathComponent().appendingPathComponent("Samples/retroperitoneal-ddlps-node-positive.yaml")).value)
    let doc = Filler.fill(try #require(store.template(for: c, id: nil)), with: Validator.analyse(c))
    let items = doc.sections.flatMap(\.items)
    #expect(items.first { $0.binding == "derived.pN" }?.answerCode?.code == "1229951001")
    #expect(items.first { $0.binding == "derived.stageGroup" }?.answerCode == Code(system: "AJCC", code: "3B", display: "IIIB"))
    #expect(doc.system("AJCC")?.uri == "http://cancerstaging.org")
    #expect(doc.system("AJCC")?.oid == nil)
  }

  @Test("a binding mapped twice and a code in an undefined system are load errors; coverage counts what is standard")
  func errorsAndCoverage() throws {
    let store = try scratchTemplates { dir in
      let extra = dir.appendingPathComponent("terminology/extra.yaml")
      try """
        concepts:
          - bind: derived.pT
            code: {system: LOINC, code: 21899-0}
          - bind: derived.grade
            code: {system: MADE-UP, code: "1"}
        """.write(to: extra, atomically: true, encoding: .utf8)
    }
    let rules = store.diagnostics.map(\.diagnostic.rule)
    #expect(rules.contains("terminology.duplicate"))
    #expect(rules.contains("terminology.unknown-system"))

    let shipped = try TemplateStore(directory: templatesDir)
    let t = try #require(shipped.templates["soft-tissue-resection"])
    let c = shipped.terminology.coverage(t, answerWords: TemplateLint.answerWords)
    #expect(c.standardItems >= 11 && c.standardItems < c.items)
    #expect(c.localItems.contains { $0.hasPrefix("STR-001 ") })
    #expect(!c.localItems.contains { $0.hasPrefix("STR-086 ") }, "pT has a LOINC code")
    #expect(c.localAnswers.contains("STR-086 rpT2"), "r-prefixed categories have no code")
  }
}
