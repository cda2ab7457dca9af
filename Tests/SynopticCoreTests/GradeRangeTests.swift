import Foundation
import Testing
@testable import SynopticCore

@Suite("Grades as ranges")
struct GradeRangeTests {
  static let statements: [(name: String, grade: StatedGrade, range: GradeRange)] = [
    ("G1", StatedGrade(.g1), GradeRange(exactly: 1)), ("G2", StatedGrade(.g2), GradeRange(exactly: 2)),
    ("G3", StatedGrade(.g3), GradeRange(exactly: 3)), ("low", StatedGrade(.low), GradeRange(exactly: 1)),
    ("high", StatedGrade(.high), GradeRange(2, 3)),
  ]

  @Test("statements map to FNCLCC ranges, in their own system, with the FNCLCC grade beside only when exact")
  func statements() throws {
    #expect(StatedGrade(.low).system == .twoTier)
    #expect(StatedGrade(.g2).system == .fnclcc)
    #expect(StatedGrade(.intermediate).system == .fnclcc)
    #expect(StatedGrade(.g2).description == "G2 (FNCLCC)")
    #expect(StatedGrade(.high).description == "high grade (two-tier)")
    #expect(StatedGrade(.low).description == "low grade (two-tier); FNCLCC G1")
    #expect(StatedGrade(.intermediate, hedge: "favoured").description == "favoured intermediate grade (FNCLCC G2)")
    #expect(StatedGrade(.high, system: .fnclcc).fnclcc?.range == GradeRange(exactly: 3))
    #expect(StatedGrade(.high, system: .other("NCI")).description == "high grade (NCI)")
    #expect(StatedGrade(.high, system: .other("NCI")).fnclcc?.exact == false)
    #expect(StatedGrade(.g2, system: .twoTier).fnclcc == nil, "two-tier grades are low or high")
    for s in Self.statements { #expect(s.grade.fnclcc?.range == s.range, "\(s.name)") }
    // No phrase mixes systems the way 'high grade (FNCLCC G2 or G3)' did.
    for s in Self.statements { #expect(!s.grade.description.contains("G2 or G3")) }
  }

  @Test("every pair of overall and component statements: the tumour takes the highest by range and warns only on a definite contradiction")
  func everyPair() {
    for overall in Self.statements {
      for component in Self.statements {
        var d: [Diagnostic] = []
        let o = GradeRules.assess(Grading(statedGrade: .value(overall.grade)), histotype: nil, path: "tumor.grading", into: &d)
        let c = GradeRules.assess(Grading(statedGrade: .value(component.grade)), histotype: nil, path: "tumor.components[0].grading", into: &d)
        let t = GradeRules.tumour(overall: o, overallGiven: true, components: [("area", c)], diagnostics: &d)
        let expected = GradeRange(max(overall.range.lo, component.range.lo), max(overall.range.hi, component.range.hi))
        let label = "overall \(overall.name), component \(component.name)"
        #expect(t.range == expected, "\(label)")
        let contradiction = component.range.lo > overall.range.hi
        #expect(d.contains { $0.rule == "grade.component-exceeds-overall" } == contradiction, "\(label)")
        // A statement is never replaced by a less specific one: the most
        // specific statement at the tumour's lower bound is the phrase when
        // it says it all, and otherwise the FNCLCC range leads.
        let atLow = [overall, component].filter { $0.range.lo == expected.lo }
        let narrowest = atLow.min { ($0.range.hi - $0.range.lo) < ($1.range.hi - $1.range.lo) }!
        if narrowest.range == expected {
          #expect(t.phrase == narrowest.grade.description, "\(label): \(t.phrase)")
        } else {
          #expect(t.phrase.hasPrefix(expected.fnclccPhrase + "; "), "\(label): \(t.phrase)")
          #expect(t.phrase.contains("high grade (two-tier)"), "\(label): the wider statement stands beside it")
        }
      }
    }
  }

  @Test("G2 and high grade agree: at least G2, the two-tier statement beside it, no warning")
  func g2AndHigh() {
    var d: [Diagnostic] = []
    let o = GradeRules.assess(Grading(statedGrade: .value(StatedGrade(.g2))), histotype: nil, path: "tumor.grading", into: &d)
    let c = GradeRules.assess(Grading(statedGrade: .value(StatedGrade(.high))), histotype: nil, path: "c", into: &d)
    let t = GradeRules.tumour(overall: o, overallGiven: true, components: [("osteosarcoma", c)], diagnostics: &d)
    #expect(t.phrase == "at least G2 (FNCLCC); 'osteosarcoma' component high grade (two-tier)")
    #expect(t.ajccGrades == [.g2, .g3])
    #expect(d.isEmpty)
    // Stated G2 against a scored G3 component is a contradiction.
    let scored = GradeRules.assess(
      Grading(differentiation: .value(3), mitoses: .value(.init(count: 25)), necrosis: .value(Percent(60))), histotype: nil, path: "c",
      into: &d)
    _ = GradeRules.tumour(overall: o, overallGiven: true, components: [("pleomorphic", scored)], diagnostics: &d)
    #expect(d.map(\.rule) == ["grade.component-exceeds-overall"])
  }

  @Test("a partial FNCLCC score is a range; a histotype fixing differentiation 3 makes it G2 or G3, never GX")
  func partialScores() {
    var d: [Diagnostic] = []
    let ddlps = GradeRules.assess(
      Grading(mitoses: .notReported, necrosis: .notReported), histotype: "dedifferentiated liposarcoma", path: "tumor.grading", into: &d)
    #expect(ddlps.status == .graded(GradeRange(2, 3)))
    #expect(ddlps.source == .partial)
    #expect(ddlps.ajccGrades == [.g2, .g3])
    #expect(ddlps.working.contains("= 4 to 8 -> G2 or G3"))
    // Differentiation 1, few mitoses, necrosis unknown: 2 to 4, G1 or G2.
    let open = GradeRules.assess(
      Grading(differentiation: .value(1), mitoses: .value(.init(count: 3)), necrosis: .notReported), histotype: nil, path: "g", into: &d)
    #expect(open.status == .graded(GradeRange(1, 2)))
    // Nothing known narrows it: GX, not a range.
    let nothing = GradeRules.assess(Grading(mitoses: .notReported), histotype: "leiomyosarcoma", path: "g", into: &d)
    #expect(nothing.status == .cannotBeAssessed)
    #expect(nothing.ajccGrades == [.gx])
    // A partial score that fixes one grade is that grade.
    let fixed = GradeRules.assess(
      Grading(differentiation: .value(3), mitoses: .value(.init(count: 30)), necrosis: .notReported), histotype: nil, path: "g", into: &d)
    #expect(fixed.status == .graded(GradeRange(exactly: 3)))
  }

  @Test("a stated grade and a partial score combine by intersection; a stated grade the score cannot reach is a warning")
  func statedAndPartial() {
    var d: [Diagnostic] = []
    let agree = GradeRules.assess(
      Grading(mitoses: .notReported, necrosis: .notReported, statedGrade: .value(StatedGrade(.g2))), histotype: "synovial sarcoma",
      path: "g", into: &d)
    #expect(agree.status == .graded(GradeRange(exactly: 2)))
    #expect(agree.phrase == "G2 (FNCLCC)")
    #expect(d.isEmpty)
    let narrower = GradeRules.assess(
      Grading(mitoses: .value(.init(count: 25)), necrosis: .notReported, statedGrade: .value(StatedGrade(.high))),
      histotype: "synovial sarcoma", path: "g", into: &d)
    #expect(narrower.status == .graded(GradeRange(exactly: 3)))
    #expect(d.isEmpty)
    _ = GradeRules.assess(
      Grading(mitoses: .notReported, necrosis: .notReported, statedGrade: .value(StatedGrade(.g1))), histotype: "synovial sarcoma",
      path: "g", into: &d)
    #expect(d.map(\.rule) == ["grade.stated-differs"])
  }

  @Test("a two-tier number is refused with the fix")
  func twoTierNumber() {
    var d: [Diagnostic] = []
    _ = GradeRules.assess(Grading(statedGrade: .value(StatedGrade(.g2, system: .twoTier))), histotype: nil, path: "g", into: &d)
    #expect(d.map(\.rule) == ["grade.term-system"])
    #expect(d.first?.severity == .error)
  }

  @Test("stated grades decode from numbers, words and mappings with a system and a hedge")
  func decoding() throws {
    func grade(_ yaml: String) throws -> StatedGrade? {
      let d = try decode(minimalCase.replacingOccurrences(of: "grading: {mitoses: 12, necrosis: 10 %}", with: "grading: {statedGrade: \(yaml)}"))
      return d.value?.tumor?.grading?.statedGrade?.known
    }
    #expect(try grade("2") == StatedGrade(.g2))
    #expect(try grade("high") == StatedGrade(.high, system: .twoTier))
    #expect(try grade("intermediate") == StatedGrade(.intermediate, system: .fnclcc))
    #expect(try grade("{grade: 3, system: NCI}") == StatedGrade(.g3, system: .other("NCI")))
    #expect(try grade("{grade: intermediate, hedge: favoured}") == StatedGrade(.intermediate, hedge: "favoured"))
    #expect(try grade("{grade: high, system: FNCLCC}")?.fnclcc?.range == GradeRange(exactly: 3))
    let bad = try decode(minimalCase.replacingOccurrences(of: "grading: {mitoses: 12, necrosis: 10 %}", with: "grading: {statedGrade: 4}"))
    #expect(bad.diagnostics.contains { $0.rule == "decode.grade" && $0.path == "tumor.grading.statedGrade" })
  }
}

@Suite("FNCLCC only where it is validated")
struct GradingPolicyTests {
  static let ungradedTypes = [
    "extraskeletal Ewing sarcoma", "alveolar soft part sarcoma", "clear cell sarcoma", "epithelioid sarcoma", "angiosarcoma",
    "epithelioid angiosarcoma", "atypical lipomatous tumour", "well-differentiated liposarcoma", "MPNST",
    "malignant peripheral nerve sheath tumour", "rhabdomyosarcoma", "pleomorphic rhabdomyosarcoma", "atypical fibroxanthoma",
  ]

  @Test("no score is computed for a type FNCLCC does not grade: not applicable, with a warning citing the source", arguments: ungradedTypes)
  func notApplicable(type: String) throws {
    var d: [Diagnostic] = []
    let a = GradeRules.assess(
      Grading(differentiation: .value(3), mitoses: .value(.init(count: 25)), necrosis: .value(Percent(60))), histotype: type,
      path: "tumor.grading", into: &d)
    guard case .notApplicable(let name) = a.status else {
      Issue.record("\(type): \(a.status)")
      return
    }
    #expect(a.phrase == "not applicable (\(name))")
    #expect(a.fnclcc == nil)
    #expect(a.ajccGrades == [.gx])
    let warning = try #require(d.first { $0.rule == "grade.fnclcc-not-applicable" })
    #expect(warning.severity == .warning)
    #expect(warning.message.contains("2006") || warning.message.contains("ESMO"), "cites the table's source: \(warning.message)")
  }

  @Test("the pathologist's stated grade is reported for such a type, still with the warning")
  func statedForNotApplicable() {
    var d: [Diagnostic] = []
    let a = GradeRules.assess(Grading(statedGrade: .value(StatedGrade(.high))), histotype: "angiosarcoma", path: "g", into: &d)
    #expect(a.status == .graded(GradeRange(2, 3)))
    #expect(a.phrase == "high grade (two-tier)")
    #expect(d.map(\.rule) == ["grade.fnclcc-not-applicable"])
  }

  @Test("dedifferentiated liposarcoma is graded and flagged")
  func ddlps() {
    var d: [Diagnostic] = []
    let a = GradeRules.assess(
      Grading(mitoses: .value(.init(count: 15)), necrosis: .value(Percent(20))), histotype: "dedifferentiated liposarcoma", path: "g",
      into: &d)
    #expect(a.status == .graded(GradeRange(exactly: 3)))
    #expect(d.map(\.rule) == ["grade.fnclcc-caveat"])
    #expect(d.first?.message.contains("Coindre") == true)
  }

  @Test("types FNCLCC grades as usual get no advice")
  func usual() {
    for type in ["myxofibrosarcoma", "undifferentiated pleomorphic sarcoma", "synovial sarcoma", "leiomyosarcoma", "extraskeletal osteosarcoma"] {
      #expect(GradingPolicy.entry(for: type) == nil, "\(type)")
    }
  }
}

@Suite("Mitoses counted in a small area")
struct SmallAreaTests {
  func assess(count: Int, area: Double) -> (GradeAssessment, [Diagnostic]) {
    var d: [Diagnostic] = []
    let a = GradeRules.assess(
      Grading(differentiation: .value(2), mitoses: .value(.init(count: count, areaMm2: area)), necrosis: .value(Percent(0))),
      histotype: nil, path: "tumor.grading", into: &d)
    return (a, d)
  }

  @Test("under 10 HPF the figure is an extrapolation and says so, with the raw count and area", arguments: [
    (1.734, "7 per 10 HPF", false), (1.8, "7 in 1.8 mm² = 6.7 per 10 HPF (1.734 mm²)", false),
    (1.7, "7 in 1.7 mm², extrapolated to 7.1 per 10 HPF (1.734 mm²)", false),
    (0.867, "7 in 0.867 mm², extrapolated to 14 per 10 HPF (1.734 mm²)", false),
    (0.866, "7 in 0.866 mm², extrapolated to 14 per 10 HPF (1.734 mm²)", true),
    (0.2, "7 in 0.2 mm², extrapolated to 60.7 per 10 HPF (1.734 mm²)", true),
  ])
  func areas(area: Double, text: String, warns: Bool) {
    let (a, d) = assess(count: 7, area: area)
    #expect(a.working.contains("(mitoses \(text);"), "\(a.working)")
    #expect(d.contains { $0.rule == "fnclcc.area-small" } == warns, "\(area)")
    #expect(MitoticCount(count: 7, areaMm2: area).description.contains("extrapolated") == (area < 1.734))
  }

  @Test("numbers are plain decimals: hexadecimal, exponents and denormals are errors")
  func plainDecimals() throws {
    #expect(PlainDecimal.parse("0.867") == 0.867)
    #expect(PlainDecimal.parse("-3") == -3)
    #expect(PlainDecimal.parse("12") == 12)
    for bad in ["0x10", "1e-320", "1E3", "inf", "nan", "infinity", "0x1p-2", "", ".", "1.2.3", "1_000", String(repeating: "1", count: 30)] {
      #expect(PlainDecimal.parse(bad) == nil, "\(bad)")
    }
    #expect(Length.parse("0x10 cm") == nil)
    #expect(Percent.parse("1e2") == nil)
    let hexSize = try decode(minimalCase.replacingOccurrences(of: "size: 6 cm", with: "size: 0x10 cm"))
    #expect(hexSize.value == nil)
    #expect(hexSize.diagnostics.contains { $0.path == "tumor.size" })
    let denormal = try decode(minimalCase.replacingOccurrences(of: "mitoses: 12", with: "mitoses: {count: 3, areaMm2: 1e-320}"))
    #expect(denormal.diagnostics.contains { $0.path == "tumor.grading.mitoses.areaMm2" && $0.rule == "decode.number" })
  }
}
