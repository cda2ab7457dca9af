import Testing
@testable import SynopticCore

@Suite("FNCLCC grading")
struct FNCLCCTests {
  /// The reference's tables, restated independently of the implementation.
  static func expectedMitoticScore(_ n: Int) -> Int { n <= 9 ? 1 : n <= 19 ? 2 : 3 }
  static func expectedNecrosisScore(_ p: Double) -> Int { p == 0 ? 0 : p < 50 ? 1 : 2 }
  static let gradeOfTotal = [2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3, 8: 3]

  @Test("every combination of differentiation, mitoses 0-40 and necrosis boundaries")
  func everyCombination() throws {
    let necroses: [Double] = [0, 0.5, 1, 25, 49, 49.9, 50, 50.1, 75, 100]
    for d in 1...3 {
      for m in 0...40 {
        for n in necroses {
          let r = try FNCLCC.grade(differentiation: d, mitoses: m, necrosisPercent: n)
          let total = d + Self.expectedMitoticScore(m) + Self.expectedNecrosisScore(n)
          #expect(r.differentiationScore == d)
          #expect(r.mitoticScore == Self.expectedMitoticScore(m), "mitoses \(m)")
          #expect(r.necrosisScore == Self.expectedNecrosisScore(n), "necrosis \(n)")
          #expect(r.totalScore == total)
          #expect(r.grade == Self.gradeOfTotal[total], "total \(total)")
        }
      }
    }
  }

  @Test("boundaries: 9/10 and 19/20 mitoses, 0/<50/50 % necrosis")
  func boundaries() {
    #expect(FNCLCC.mitoticScore(per10HPF: 9) == 1)
    #expect(FNCLCC.mitoticScore(per10HPF: 10) == 2)
    #expect(FNCLCC.mitoticScore(per10HPF: 19) == 2)
    #expect(FNCLCC.mitoticScore(per10HPF: 20) == 3)
    #expect(FNCLCC.necrosisScore(percent: 0) == 0)
    #expect(FNCLCC.necrosisScore(percent: 49.999) == 1)
    #expect(FNCLCC.necrosisScore(percent: 50) == 2)
    #expect(FNCLCC.grade(total: 3) == 1)
    #expect(FNCLCC.grade(total: 4) == 2)
    #expect(FNCLCC.grade(total: 5) == 2)
    #expect(FNCLCC.grade(total: 6) == 3)
  }

  @Test("worked checks from the reference", arguments: [
    (1, 3, 0.0, "1+1+0", 2, 1),
    (2, 12, 10.0, "2+2+1", 5, 2),
    (2, 25, 60.0, "2+3+2", 7, 3),
    (3, 4, 0.0, "3+1+0", 4, 2),
    (3, 20, 50.0, "3+3+2", 8, 3),
    (3, 9, 49.0, "3+1+1", 5, 2),
  ])
  func workedChecks(d: Int, m: Int, n: Double, scores: String, total: Int, grade: Int) throws {
    let r = try FNCLCC.grade(differentiation: d, mitoses: m, necrosisPercent: n)
    #expect("\(r.differentiationScore)+\(r.mitoticScore)+\(r.necrosisScore)" == scores)
    #expect(r.totalScore == total)
    #expect(r.grade == grade)
  }

  @Test("working reads as the sum")
  func working() throws {
    let r = try FNCLCC.grade(differentiation: 3, mitoses: 12, necrosisPercent: 10)
    #expect(r.working.hasPrefix("differentiation 3 + mitoses 2 + necrosis 1 = 6 -> grade 3"))
  }

  @Test("area normalisation to 10 HPF of 0.1734 mm²")
  func areaNormalisation() throws {
    // Exactly on a boundary after normalisation stays on it.
    #expect(FNCLCC.normalisedMitoses(count: 10, areaMm2: 1.734) == 10)
    #expect(FNCLCC.normalisedMitoses(count: 20, areaMm2: 3.468) == 10)
    // 10 mitoses in 20 HPF is 5 per 10 HPF: score 1, not 2.
    #expect(try FNCLCC.grade(differentiation: 2, mitoses: 10, areaMm2: 3.468, necrosisPercent: 0).mitoticScore == 1)
    // 7 mitoses in 0.867 mm² (5 HPF) is 14 per 10 HPF: score 2.
    #expect(try FNCLCC.grade(differentiation: 2, mitoses: 7, areaMm2: 0.867, necrosisPercent: 0).mitoticScore == 2)
    // A wide-field microscope (FN 22, 0.238 mm² per field) over 10 fields: 2.38 mm².
    // 14 mitoses -> 10.2 per 1.734 mm²: score 2; 13 -> 9.47: score 1.
    #expect(try FNCLCC.grade(differentiation: 2, mitoses: 14, areaMm2: 2.38, necrosisPercent: 0).mitoticScore == 2)
    #expect(try FNCLCC.grade(differentiation: 2, mitoses: 13, areaMm2: 2.38, necrosisPercent: 0).mitoticScore == 1)
    // Per-mm² thresholds: 11.534/mm² is the score-3 boundary.
    #expect(try FNCLCC.grade(differentiation: 1, mitoses: 20, areaMm2: 1.734, necrosisPercent: 0).mitoticScore == 3)
    #expect(try FNCLCC.grade(differentiation: 1, mitoses: 19, areaMm2: 1.734, necrosisPercent: 0).mitoticScore == 2)
    let r = try FNCLCC.grade(differentiation: 2, mitoses: 14, areaMm2: 2.38, necrosisPercent: 0)
    #expect(r.working.contains("14 in 2.38 mm²"))
  }

  @Test("bad inputs are errors, not grades")
  func badInputs() {
    #expect(throws: FNCLCC.InputError.differentiationOutOfRange(4)) {
      try FNCLCC.grade(differentiation: 4, mitoses: 1, necrosisPercent: 0)
    }
    #expect(throws: FNCLCC.InputError.negativeMitoses(-1)) {
      try FNCLCC.grade(differentiation: 1, mitoses: -1, necrosisPercent: 0)
    }
    #expect(throws: FNCLCC.InputError.nonPositiveArea(0)) {
      try FNCLCC.grade(differentiation: 1, mitoses: 1, areaMm2: 0, necrosisPercent: 0)
    }
    #expect(throws: FNCLCC.InputError.necrosisOutOfRange(101)) {
      try FNCLCC.grade(differentiation: 1, mitoses: 1, necrosisPercent: 101)
    }
  }

  @Test("differentiation table lookups, and types that must be asked")
  func histotypes() {
    #expect(Histotypes.lookup("Dedifferentiated liposarcoma") == .score(3, tableName: "dedifferentiated liposarcoma"))
    #expect(Histotypes.lookup("myxofibrosarcoma") == .score(2, tableName: "myxofibrosarcoma"))
    #expect(Histotypes.lookup("Well-differentiated liposarcoma") == .score(1, tableName: "well differentiated liposarcoma"))
    #expect(Histotypes.lookup("Synovial sarcoma") == .score(3, tableName: "synovial sarcoma"))
    if case .ambiguous(let options, _) = Histotypes.lookup("Leiomyosarcoma") {
      #expect(options == [1, 2, 3])
    } else {
      Issue.record("leiomyosarcoma must be ambiguous")
    }
    #expect(Histotypes.lookup("dedifferentiated leiomyosarcoma") == .notListed)
  }
}

@Suite("Grade assessment from case inputs")
struct GradeAssessmentTests {
  func assess(_ g: Grading, histotype: String? = nil) -> (GradeAssessment, [Diagnostic]) {
    var d: [Diagnostic] = []
    let a = GradeRules.assess(g, histotype: histotype, path: "tumor.grading", into: &d)
    return (a, d)
  }

  @Test("differentiation defaults from the table")
  func defaulted() {
    let (a, d) = assess(Grading(mitoses: .value(.init(count: 12)), necrosis: .value(Percent(10))), histotype: "myxofibrosarcoma")
    #expect(a.status == .graded(GradeRange(exactly: 2)))
    #expect(a.differentiationFromTable)
    #expect(d.isEmpty)
  }

  @Test("leiomyosarcoma asks for the differentiation score; meanwhile the other scores bound the grade")
  func ambiguousAsks() {
    let (a, d) = assess(Grading(mitoses: .value(.init(count: 12)), necrosis: .value(Percent(10))), histotype: "leiomyosarcoma")
    // 1-3 + 2 + 1 = 4 to 6: G2 or G3, never a single grade.
    #expect(a.status == .graded(GradeRange(2, 3)))
    #expect(a.source == .partial)
    #expect(d.map(\.rule) == ["fnclcc.differentiation-ambiguous"])
    #expect(d.first?.path == "tumor.grading.differentiation")
  }

  @Test("an override beats the table")
  func override() {
    let (a, _) = assess(
      Grading(differentiation: .value(1), mitoses: .value(.init(count: 0)), necrosis: .value(Percent(0))),
      histotype: "dedifferentiated liposarcoma")
    #expect(a.status == .graded(GradeRange(exactly: 1)))
    #expect(!a.differentiationFromTable)
  }

  @Test("not reported never becomes zero")
  func notReported() {
    let (a, _) = assess(Grading(differentiation: .value(2), mitoses: .notReported, necrosis: .value(Percent(0))))
    // 2 + 1-3 + 0 = 3 to 5: the unknown count allows every mitotic score.
    #expect(a.status == .graded(GradeRange(1, 2)))
    #expect(a.fnclcc == nil)
    #expect(a.working.contains("mitoses not reported"))
  }

  @Test("a stated grade that disagrees with the scores is a warning")
  func statedDiffers() {
    let (a, d) = assess(Grading(
      differentiation: .value(2), mitoses: .value(.init(count: 25)), necrosis: .value(Percent(60)),
      statedGrade: .value(StatedGrade(.g2))))
    #expect(a.status == .graded(GradeRange(exactly: 3)))
    #expect(d.map(\.rule) == ["grade.stated-differs"])
  }

  @Test("necrosis with a comparator allows the scores it spans")
  func necrosisRange() {
    #expect(GradeRules.necrosisScores(Percent(5, comparator: .lessThan)) == 0...1)
    #expect(GradeRules.necrosisScores(Percent(50, comparator: .greaterThanOrEqual)) == 2...2)
    #expect(GradeRules.necrosisScores(Percent(50, comparator: .lessThan)) == 0...1)
    #expect(GradeRules.necrosisScores(Percent(60, comparator: .greaterThan)) == 2...2)
    #expect(GradeRules.necrosisScores(Percent(0)) == 0...0)
  }

  @Test("not graded with a reason")
  func notGraded() {
    let (a, _) = assess(Grading(notGraded: NotGraded(reason: .presurgicalTherapy)))
    #expect(a.status == .notGraded(.presurgicalTherapy))
    #expect(a.ajccGrades == [.gx])
  }
}

@Suite("Histotype and marker names")
struct HistotypeNameTests {
  @Test("the ASCII shortcut normalises names as the Character path does")
  func asciiShortcut() {
    func reference(_ name: String) -> String {
      String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : " " }).split(separator: " ").joined(separator: " ")
    }
    #expect(Histotypes.normalise("  Dedifferentiated-Liposarcoma ") == "dedifferentiated liposarcoma")
    #expect(Histotypes.normalise("MDM2 (IHC)") == "mdm2 ihc")
    #expect(Histotypes.normalise("Tumour, NOS\r\n") == "tumour nos")
    #expect(Histotypes.normalise("Sarcome épithélioïde") == reference("Sarcome épithélioïde"))
    let ascii = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<3_000 {
      let s = (0..<Int.random(in: 0..<24, using: &rng)).map { _ in ascii[Int.random(in: 0..<128, using: &rng)] }.joined()
      #expect(Histotypes.normaliseASCII(s) == reference(s), "\(s.debugDescription)")
    }
  }
}
