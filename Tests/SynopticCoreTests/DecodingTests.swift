import Foundation
import Testing
@testable import SynopticCore

@Suite("Decoding case files")
struct DecodingTests {
  func errors(_ yaml: String) throws -> [Diagnostic] {
    try decode(yaml).diagnostics.filter { $0.severity == .error }
  }

  @Test("the minimal case decodes and validates without errors")
  func minimal() throws {
    let d = try decode(minimalCase)
    let c = try #require(d.value)
    #expect(d.diagnostics.isEmpty)
    #expect(c.tumor?.size == .value(TumorSize(greatest: Length(6, .cm))))
    #expect(!Validator.analyse(c).diagnostics.hasErrors)
  }

  @Test("JSON uses the same schema")
  func json() throws {
    let text = #"{"accession": "J-1", "tumor": {"size": {"greatest": "> 15 cm"}, "siteGroup": "retroperitoneum"}}"#
    let c = try #require(try decode(text).value)
    #expect(c.tumor?.size?.known?.greatest == Length(15, .cm, comparator: .greaterThan))
    #expect(c.tumor?.siteGroup == .retroperitoneum)
  }

  @Test("qualified values: not reported and cannot be determined are values, not zero")
  func qualified() throws {
    let c = try #require(try decode("""
      accession: Q-1
      tumor:
        size: not reported
        grading: {mitoses: "cannot be determined: crush artefact", necrosis: none}
        margins: [{name: deep, status: not-involved, distance: cannot be assessed}]
      """).value)
    #expect(c.tumor?.size == .notReported)
    #expect(c.tumor?.grading?.mitoses == .cannotBeDetermined(reason: "crush artefact"))
    #expect(c.tumor?.grading?.necrosis == .value(Percent(0)))
    #expect(c.tumor?.marginList.first?.distance == .cannotBeDetermined(reason: nil))
  }

  @Test("lengths with comparators and units")
  func lengths() {
    #expect(Length.parse("6 cm") == Length(6, .cm))
    #expect(Length.parse("0.3 mm") == Length(0.3, .mm))
    #expect(Length.parse("> 5 cm") == Length(5, .cm, comparator: .greaterThan))
    #expect(Length.parse(">=5cm") == Length(5, .cm, comparator: .greaterThanOrEqual))
    #expect(Length.parse("approximately 4 cm") == Length(4, .cm, comparator: .approximately))
    #expect(Length.parse("6") == nil)
    #expect(Length.parse("six cm") == nil)
    #expect(Length.parse("1e400 cm") == nil)
    #expect(Length.parse("  6 CM ") == Length(6, .cm))
    #expect(Length.parse("≤ 2 mm") == Length(2, .mm, comparator: .lessThanOrEqual))
    #expect(Length.parse("About 3 cm") == Length(3, .cm, comparator: .approximately))
    #expect(Length.parse("ca. 7 mm") == Length(7, .mm, comparator: .approximately))
    #expect(Comparator.split("12 mm") == (nil, "12 mm"))
    #expect(Comparator.split(" ~ 12 mm") == (.approximately, "12 mm"))
    #expect(Length(0.3, .mm).description == "0.3 mm")
    #expect(Length(1.5, .cm).millimetres == 15)
  }

  @Test("errors carry model path and line")
  func positioned() throws {
    let e = try errors("""
      accession: X
      tumor:
        margins:
          - name: deep
            status: not-involved
            distanse: 4 mm
      """)
    #expect(e.count == 1)
    #expect(e[0].path == "tumor.margins[0].distanse")
    #expect(e[0].line == 6)
    #expect(e[0].rule == "decode.unknown-key")
    #expect(e[0].message.contains("did you mean 'distance'"))
  }

  @Test("every bad field is reported in one run")
  func accumulates() throws {
    let e = try errors("""
      accession: X
      reportDate: 2024-13-01
      patient: {sex: mail}
      tumor: {siteGroup: trunk, size: six cm, focality: several}
      """)
    #expect(Set(e.map(\.path)) == ["reportDate", "patient.sex", "tumor.size", "tumor.focality"])
    #expect(e.first { $0.path == "patient.sex" }?.message.contains("female, male, other, unknown") == true)
  }

  @Test("a coded word not on the list names the list, with path, line and rule; spelling variants are forgiven")
  func codedChoices() throws {
    let e = try errors("""
      accession: X
      specimens:
        - id: A
          procedure: wide resectionn
      patient: {sex: mail}
      """)
    let procedure = try #require(e.first { $0.path == "specimens[0].procedure" })
    #expect(procedure.rule == "decode.choice")
    #expect(procedure.line == 4)
    #expect(procedure.message.hasPrefix("'wide resectionn' is not one of: "))
    #expect(procedure.message.contains("wide-resection"))
    #expect(e.first { $0.path == "patient.sex" }?.line == 5)
    let c = try #require(try decode("accession: X\nspecimens: [{id: A, procedure: Wide_Resection}]\ntumor: {focality: ' unifocal '}").value)
    #expect(c.specimens?.first?.procedure == .wideResection)
    #expect(c.tumor?.focality == .unifocal)
  }

  @Test("wrong types give clean diagnostics", arguments: [
    ("accession: [1, 2]", "accession"),
    ("accession: X\nspecimens: {id: A}", "specimens"),
    ("accession: X\ntumor: {recurrent: maybe}", "tumor.recurrent"),
    ("accession: X\nregionalLymphNodes: {status: examined, examined: 2.5}", "regionalLymphNodes.examined"),
    ("accession: X\nregionalLymphNodes: {status: examined, examined: 99999999999999999999999}", "regionalLymphNodes.examined"),
    ("accession: X\nmolecular: [{method: FISH, target: MDM2, result: amplified, ratio: 1e999}]", "molecular[0].ratio"),
    ("accession: X\ntumor: {grading: {differentiation: \"2\"}}", "tumor.grading.differentiation"),
  ])
  func wrongTypes(yaml: String, path: String) throws {
    let e = try errors(yaml)
    #expect(e.contains { $0.path == path }, "\(e)")
    #expect(try decode(yaml).value == nil)
  }

  @Test("a missing required key names the key")
  func missingKey() throws {
    let e = try errors("tumor: {site: Thigh}")
    #expect(e.contains { $0.path == "accession" && $0.message.contains("missing required key 'accession'") })
  }

  @Test("documents that are not cases are parse errors", arguments: [
    "", "- a\n- b", "just text", "a: [1,\n", "accession: 1\naccession: 2\n", "{accession: [",
  ])
  func notCases(text: String) {
    #expect(throws: SourceParseError.self) { try CaseLoader.decode(text) }
  }

  @Test("binary garbage and NUL bytes are parse errors, never crashes")
  func garbage() throws {
    var generator = SystemRandomNumberGenerator()
    let dir = FileManager.default.temporaryDirectory
    for i in 0..<20 {
      let bytes = (0..<512).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let url = dir.appendingPathComponent("synoptic-garbage-\(i).bin")
      try Data(bytes).write(to: url)
      // Either unreadable or decoded with diagnostics; both are fine, a crash is not.
      _ = try? CaseLoader.decode(contentsOf: url)
      try? FileManager.default.removeItem(at: url)
    }
    let nul = dir.appendingPathComponent("synoptic-nul.yaml")
    try Data("accession: \u{0}X".utf8).write(to: nul)
    #expect(throws: SourceParseError.self) { try CaseLoader.decode(contentsOf: nul) }
  }

  @Test("deep nesting is refused, not a stack overflow")
  func deepNesting() {
    let text = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
    #expect(throws: SourceParseError.self) { try CaseLoader.decode(text) }
  }

  @Test("source map finds the line of a model path")
  func sourceMap() throws {
    let d = try decode(minimalCase)
    #expect(d.sourceMap.location(of: "tumor.margins[0].distance")?.line == 15)
    #expect(d.sourceMap.location(of: "tumor.size")?.line == 11)
  }
}

@Suite("Validation rules")
struct ValidationTests {
  func analyse(_ yaml: String) throws -> CaseAnalysis {
    let c = try #require(try decode(yaml).value)
    return Validator.analyse(c)
  }

  func rules(_ yaml: String) throws -> Set<String> { Set(try analyse(yaml).diagnostics.map(\.rule)) }

  @Test("negative margin with distance 0 is an error")
  func zeroDistance() throws {
    let r = try rules(minimalCase.replacingOccurrences(of: "distance: 4 mm", with: "distance: 0 mm"))
    #expect(r.contains("margin.negative-zero-distance"))
  }

  @Test("negative sizes and implausible sizes")
  func sizes() throws {
    #expect(try rules(minimalCase.replacingOccurrences(of: "size: 6 cm", with: "size: -6 cm")).contains("range.size-positive"))
    #expect(try rules(minimalCase.replacingOccurrences(of: "size: 6 cm", with: "size: 600 cm")).contains("range.size-implausible"))
  }

  @Test("grade after presurgical therapy and on a core biopsy are warnings")
  func consistency() throws {
    let treated = try analyse(minimalCase.replacingOccurrences(of: "presurgicalTherapy: none", with: "presurgicalTherapy: radiotherapy"))
    #expect(treated.diagnostics.contains { $0.rule == "consistency.grade-after-therapy" && $0.severity == .warning })
    #expect(treated.derivation.pT == "ypT2")
    let core = try rules(minimalCase.replacingOccurrences(of: "wide-resection", with: "core-needle-biopsy"))
    #expect(core.contains("consistency.grade-on-core-biopsy"))
  }

  @Test("component percentages over 100")
  func components() throws {
    let yaml = minimalCase.replacingOccurrences(
      of: "  margins:", with: "  components:\n    - {name: a, kind: conventional, percent: 60}\n    - {name: b, kind: dedifferentiated, percent: 50}\n  margins:")
    #expect(try rules(yaml).contains("consistency.components-over-100"))
    let ok = minimalCase.replacingOccurrences(
      of: "  margins:", with: "  components:\n    - {name: a, kind: conventional, percent: 60}\n    - {name: b, kind: dedifferentiated, percent: 40}\n  margins:")
    #expect(!(try rules(ok).contains("consistency.components-over-100")))
  }

  @Test("missing core elements are errors that say how to fix them")
  func required() throws {
    let a = try analyse("accession: R-1\nspecimens: [{id: A, procedure: wide-resection}]\ntumor: {site: Thigh}")
    let errors = Set(a.diagnostics.filter { $0.severity == .error }.map(\.path))
    #expect(errors.isSuperset(of: ["patient", "tumor.siteGroup", "tumor.histologicType", "tumor.size", "tumor.grading", "tumor.margins", "presurgicalTherapy"]))
    #expect(a.derivation.t.category == "TX")
    #expect(a.derivation.stage.group == nil)
  }

  @Test("MDM2 FISH ratio must agree with the stated result")
  func mdm2() throws {
    let yaml = minimalCase + "\nmolecular: [{method: FISH, target: MDM2, result: not-amplified, ratio: 3.1}]"
    #expect(try rules(yaml).contains("molecular.mdm2-ratio"))
  }
}

@Suite("Dates print as written")
struct CalendarDateTests {
  @Test("zero-padded year, month and day; leap days checked")
  func description() throws {
    #expect(try #require(CalendarDate("2020-02-29")).description == "2020-02-29")
    #expect(try #require(CalendarDate("0999-01-05")).description == "0999-01-05")
    #expect(CalendarDate("2021-02-29") == nil)
    #expect(CalendarDate("2021-13-01") == nil)
  }
}

@Suite("Trimming values")
struct TrimmingTests {
  @Test("trimmingBlanks agrees with Foundation's trimming of .whitespaces, scalar by scalar")
  func agreesWithFoundation() {
    #expect("  5 cm\t".trimmingBlanks == "5 cm")
    #expect(" \n5\n ".trimmingBlanks == "\n5\n")
    // Every scalar up to CJK punctuation, and the byte order mark, alone, doubled,
    // around a letter and next to a combining accent.
    for v in Array(UInt32(0)...0x3100) + [0xFEFF] where v < 0xD800 || v > 0xDFFF {
      let s = String(Unicode.Scalar(v)!)
      for t in [s, s + s, s + "x" + s, s + "\u{301}", "e\u{301}" + s] {
        #expect(t.trimmingBlanks == t.trimmingCharacters(in: .whitespaces), "U+\(String(v, radix: 16))")
      }
    }
  }
}

@Suite("Coded answers print their words")
struct CodedLabelTests {
  @Test("a raw value's label is the raw value with hyphens as spaces (bytes, as Characters would give)")
  func spacedLabels() {
    // What the label was before it worked on bytes, for every raw value of some choices.
    func byCharacters(_ raw: String) -> String { String(raw.map { $0 == "-" ? " " : $0 }) }
    let raws = StainResult.allCases.map(\.rawValue) + StainIntensity.allCases.map(\.rawValue)
      + StainPattern.allCases.map(\.rawValue) + Procedure.allCases.map(\.rawValue) + MolecularResult.allCases.map(\.rawValue)
    #expect(raws.contains { $0.contains("-") })
    for raw in raws + ["", "-", "--a-", "a", "no-hyphen-at-all-but-long-enough-to-be-a-large-string"] {
      #expect(StainResult.spaced(raw) == byCharacters(raw), "\(raw)")
    }
    #expect(StainResult.completeLoss.label == "complete loss")
    #expect(StainResult.positive.label == "positive")
  }
}

@Suite("Numbers as printed")
struct NumberTextTests {
  @Test("the shortcut prints what %.4f (trimmed) prints, for decimals, fractions and large values")
  func agreesWithFormatted() {
    #expect(NumberText.format(4) == "4")
    #expect(NumberText.format(0.5) == "0.5")
    #expect(NumberText.format(-12.25) == "-12.25")
    #expect(NumberText.format(1.0 / 3.0) == "0.3333")
    #expect(NumberText.format(0.00005) == NumberText.formatted(0.00005))
    var rng = SystemRandomNumberGenerator()
    var values: [Double] = [0.1, 0.0001, 0.00001, 0.99995, 1e9 + 0.5, 123456789.1234, -0.0001, 2.5e-5, .pi]
    for _ in 0..<20_000 {
      let digits = Double(Int.random(in: -10_000_000...10_000_000, using: &rng))
      values.append(digits / [10, 100, 1000, 10_000, 100_000, 1e6][Int.random(in: 0..<6, using: &rng)])
      values.append(Double.random(in: -1e10...1e10, using: &rng))
      values.append(Double.random(in: 0...0.001, using: &rng))
    }
    for v in values { #expect(NumberText.format(v) == NumberText.formatted(v), "\(v)") }
  }
}
