/// A tumour or component grade as derived from the case.
public enum TumorGrade: Sendable, Equatable, Hashable {
  case g1, g2, g3
  /// Two-tier grades, used where only "low grade" / "high grade" is stated.
  case low, high
  case notGraded(NotGradedReason)
  case cannotBeAssessed

  init(_ stated: StatedGrade) {
    switch stated {
    case .g1: self = .g1
    case .g2: self = .g2
    case .g3: self = .g3
    case .low: self = .low
    case .high: self = .high
    }
  }

  init(fnclcc grade: Int) { self = grade == 1 ? .g1 : grade == 2 ? .g2 : .g3 }

  /// Orders grades for "highest component": high grade means G2 or G3, so it
  /// ranks above G2 and below G3.
  var rank: Double? {
    switch self {
    case .g1, .low: return 1
    case .g2: return 2
    case .high: return 2.5
    case .g3: return 3
    case .notGraded, .cannotBeAssessed: return nil
    }
  }

  /// Whether a stated grade is compatible with a computed FNCLCC grade
  /// (low grade = G1, high grade = G2 or G3).
  func agrees(with computed: TumorGrade) -> Bool {
    switch self {
    case .low: return computed == .g1
    case .high: return computed == .g2 || computed == .g3
    default: return self == computed
    }
  }

  /// The AJCC G category.
  public var ajcc: AJCC.Grade {
    switch self {
    case .g1: return .g1
    case .g2: return .g2
    case .g3: return .g3
    case .low: return .low
    case .high: return .high
    case .notGraded, .cannotBeAssessed: return .gx
    }
  }

  public var display: String {
    switch self {
    case .g1: return "G1 (FNCLCC grade 1)"
    case .g2: return "G2 (FNCLCC grade 2)"
    case .g3: return "G3 (FNCLCC grade 3)"
    case .low: return "low grade (FNCLCC G1)"
    case .high: return "high grade (FNCLCC G2 or G3)"
    case .notGraded(let r): return "ungraded sarcoma (\(r.label))"
    case .cannotBeAssessed: return "cannot be assessed"
    }
  }
}

/// How one grade (of the tumour or of one component) was reached.
public struct GradeAssessment: Sendable, Equatable {
  public enum Source: String, Sendable, Codable { case computed, stated, notGraded = "not-graded", unknown }
  public var grade: TumorGrade
  public var source: Source
  /// The FNCLCC scores when all three inputs were known.
  public var fnclcc: FNCLCC.Result?
  /// True when the differentiation score came from the histotype table.
  public var differentiationFromTable: Bool
  public var working: String
}

enum GradeRules {
  /// Assesses one set of grading inputs. `path` is the model path of the
  /// grading block, for diagnostics.
  static func assess(
    _ grading: Grading?, histotype: String?, path: String, into diagnostics: inout [Diagnostic]
  ) -> GradeAssessment {
    guard let grading else {
      return GradeAssessment(
        grade: .cannotBeAssessed, source: .unknown, fnclcc: nil, differentiationFromTable: false,
        working: "no grading inputs given")
    }
    if let ng = grading.notGraded {
      let text = ng.text.map { "not graded: \(ng.reason.label) (\($0))" } ?? "not graded: \(ng.reason.label)"
      return GradeAssessment(
        grade: .notGraded(ng.reason), source: .notGraded, fnclcc: nil, differentiationFromTable: false,
        working: text)
    }

    var missing: [String] = []
    var fromTable = false
    var d: Int?
    switch grading.differentiation {
    case .value(let v)?:
      if (1...3).contains(v) {
        d = v
      } else {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".differentiation", rule: "fnclcc.differentiation-range",
          message: "differentiation score must be 1, 2 or 3, not \(v)"))
      }
    case nil:
      switch histotype.map(Histotypes.lookup) {
      case .score(let s, _)?:
        d = s
        fromTable = true
      case .ambiguous(_, let hint)?:
        if grading.mitoses != nil || grading.necrosis != nil {
          diagnostics.append(Diagnostic(
            severity: .error, path: path + ".differentiation", rule: "fnclcc.differentiation-ambiguous",
            message: "\(hint); give differentiation: 1, 2 or 3"))
        }
        missing.append("differentiation not given")
      case .notListed?, nil:
        if grading.mitoses != nil || grading.necrosis != nil {
          diagnostics.append(Diagnostic(
            severity: .error, path: path + ".differentiation", rule: "fnclcc.differentiation-needed",
            message: "the histologic type \(histotype.map { "'\($0)' " } ?? "")is not in the FNCLCC differentiation table; give differentiation: 1, 2 or 3"))
        }
        missing.append("differentiation not given")
      }
    case let other?:
      missing.append("differentiation \(other.absentText ?? "")")
    }

    var mitotic: (score: Int, text: String)?
    switch grading.mitoses {
    case .value(let mc)?:
      let area = mc.areaMm2 ?? FNCLCC.tenHPFmm2
      if mc.count < 0 {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".mitoses.count", rule: "fnclcc.mitoses-negative",
          message: "mitotic count cannot be negative (\(mc.count))"))
      } else if !(area > 0) {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".mitoses.areaMm2", rule: "fnclcc.area-positive",
          message: "area counted must be greater than 0 mm²; 10 HPF of 0.1734 mm² is 1.734"))
      } else {
        let per10 = FNCLCC.normalisedMitoses(count: mc.count, areaMm2: area)
        mitotic = (FNCLCC.mitoticScore(per10HPF: per10), FNCLCC.mitosesText(count: mc.count, areaMm2: area, per10: per10))
      }
    case nil: missing.append("mitoses not given")
    case let other?: missing.append("mitoses \(other.absentText ?? "")")
    }

    var necrosis: (score: Int, text: String)?
    switch grading.necrosis {
    case .value(let p)?:
      if p.value < 0 || p.value > 100 {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".necrosis", rule: "fnclcc.necrosis-range",
          message: "necrosis must be between 0 and 100 %, not \(NumberText.format(p.value))"))
      } else if let s = necrosisScore(p) {
        necrosis = (s, p.description)
      } else {
        diagnostics.append(Diagnostic(
          severity: .warning, path: path + ".necrosis", rule: "fnclcc.necrosis-ambiguous",
          message: "necrosis '\(p)' does not fix the FNCLCC necrosis score; give a percentage or 'none'"))
        missing.append("necrosis (\(p))")
      }
    case nil: missing.append("necrosis not given")
    case let other?: missing.append("necrosis \(other.absentText ?? "")")
    }

    let stated = grading.statedGrade?.known.map(TumorGrade.init)
    if let d, let mitotic, let necrosis {
      let result = FNCLCC.result(
        differentiation: d, mitoticScore: mitotic.score, necrosisScore: necrosis.score,
        mitosesText: mitotic.text, necrosisText: necrosis.text)
      let computed = TumorGrade(fnclcc: result.grade)
      var working = result.working
      if fromTable { working += "; differentiation from the FNCLCC table for '\(histotype ?? "")'" }
      if let stated, !stated.agrees(with: computed) {
        diagnostics.append(Diagnostic(
          severity: .warning, path: path + ".statedGrade", rule: "grade.stated-differs",
          message: "stated grade \(stated.display) differs from the FNCLCC score (\(result.working)); check the inputs or the stated grade"))
      }
      return GradeAssessment(grade: computed, source: .computed, fnclcc: result, differentiationFromTable: fromTable, working: working)
    }
    if let stated {
      let scores = missing.isEmpty ? "" : "; no FNCLCC score: \(missing.joined(separator: ", "))"
      return GradeAssessment(
        grade: stated, source: .stated, fnclcc: nil, differentiationFromTable: fromTable,
        working: "stated grade: \(stated.display)\(scores)")
    }
    if case .cannotBeDetermined(let r)? = grading.statedGrade {
      return GradeAssessment(
        grade: .cannotBeAssessed, source: .unknown, fnclcc: nil, differentiationFromTable: fromTable,
        working: "grade cannot be assessed" + (r.map { ": \($0)" } ?? ""))
    }
    return GradeAssessment(
      grade: .cannotBeAssessed, source: .unknown, fnclcc: nil, differentiationFromTable: fromTable,
      working: "grade cannot be assessed: \(missing.joined(separator: ", "))")
  }

  /// The necrosis score, or nil when a comparator leaves it open (`< 5 %` may be 0 or 1).
  static func necrosisScore(_ p: Percent) -> Int? {
    let v = p.value
    let tiny = 1e-9
    let range: (Double, Double)
    switch p.comparator {
    case nil, .approximately?: range = (v, v)
    case .lessThan?: range = (0, v - tiny)
    case .lessThanOrEqual?: range = (0, v)
    case .greaterThan?: range = (v + tiny, 100)
    case .greaterThanOrEqual?: range = (v, 100)
    }
    let lo = FNCLCC.necrosisScore(percent: max(0, range.0))
    let hi = FNCLCC.necrosisScore(percent: max(0, range.1))
    return lo == hi ? lo : nil
  }
}
