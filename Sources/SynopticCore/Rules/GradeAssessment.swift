/// How one grade (of the tumour or of one component) was reached: the FNCLCC
/// grades it allows, the phrase a report prints, and the working.
public struct GradeAssessment: Sendable, Equatable {
  public enum Status: Sendable, Equatable {
    /// An FNCLCC grade, or the grades a statement or a partial score allows.
    case graded(GradeRange)
    /// A type FNCLCC does not grade (the reference's table 3.4), and no grade stated.
    case notApplicable(String)
    /// The case says why it is not graded (after presurgical therapy, ...).
    case notGraded(NotGradedReason)
    /// Nothing fixes a grade: GX.
    case cannotBeAssessed
  }

  public enum Source: String, Sendable, Codable {
    case computed, partial, stated, combined
    case notGraded = "not-graded"
    case notApplicable = "not-applicable"
    case unknown
  }

  /// Score ranges when some FNCLCC inputs are unknown.
  public struct PartialScore: Sendable, Equatable {
    public var differentiation: ClosedRange<Int>
    public var mitotic: ClosedRange<Int>
    public var necrosis: ClosedRange<Int>
    public var total: ClosedRange<Int> {
      (differentiation.lowerBound + mitotic.lowerBound + necrosis.lowerBound)...(differentiation.upperBound + mitotic.upperBound + necrosis.upperBound)
    }
    public var grades: GradeRange { GradeRange(FNCLCC.grade(total: total.lowerBound), FNCLCC.grade(total: total.upperBound)) }
  }

  public var status: Status
  public var source: Source
  /// What a report prints, in one grading system per phrase.
  public var phrase: String
  public var working: String
  /// The pathologist's statement, when there is one.
  public var stated: StatedGrade?
  /// The FNCLCC scores when all three inputs were known.
  public var fnclcc: FNCLCC.Result?
  /// The score ranges when some were not.
  public var partial: PartialScore?
  /// True when the differentiation score came from the histotype table.
  public var differentiationFromTable: Bool

  public var range: GradeRange? {
    if case .graded(let r) = status { return r }
    return nil
  }

  /// The AJCC G categories the grade allows, for grouping: one when it is
  /// known, two for "G2 or G3", GX when nothing fixes it.
  public var ajccGrades: [AJCC.Grade] {
    guard let r = range else { return [.gx] }
    return (r.lo...r.hi).map { $0 == 1 ? .g1 : $0 == 2 ? .g2 : .g3 }
  }

  /// "G2", "G2 or G3", "GX".
  public var ajccDisplay: String { range.map(\.description) ?? "GX" }

  /// The short word machine readers get: G1, G2, G3, G2-G3, not-applicable, ungraded, GX.
  public var value: String {
    switch status {
    case .graded(let r): return r.isExact ? "G\(r.lo)" : "G\(r.lo)-G\(r.hi)"
    case .notApplicable: return "not-applicable"
    case .notGraded: return "ungraded"
    case .cannotBeAssessed: return "GX"
    }
  }
}

enum GradeRules {
  /// Mitoses counted over less than this area are extrapolated so far that one
  /// mitosis more or less moves the per-10-HPF figure by 2 or more: 5 FNCLCC
  /// high-power fields, half the reference area.
  static let minimumCountedAreaMm2 = FNCLCC.tenHPFmm2 / 2

  /// Assesses one set of grading inputs. `path` is the model path of the
  /// grading block, for diagnostics.
  static func assess(
    _ grading: Grading?, histotype: String?, path: String, into diagnostics: inout [Diagnostic]
  ) -> GradeAssessment {
    guard let grading else {
      return GradeAssessment(
        status: .cannotBeAssessed, source: .unknown, phrase: "GX (cannot be assessed)", working: "no grading inputs given",
        stated: nil, fnclcc: nil, partial: nil, differentiationFromTable: false)
    }
    let stated = grading.statedGrade?.known
    if let ng = grading.notGraded {
      let text = ng.text.map { "\(ng.reason.label) (\($0))" } ?? ng.reason.label
      return GradeAssessment(
        status: .notGraded(ng.reason), source: .notGraded, phrase: "not graded: \(text)", working: "not graded: \(text)",
        stated: stated, fnclcc: nil, partial: nil, differentiationFromTable: false)
    }
    if let stated, stated.fnclcc == nil {
      diagnostics.append(Diagnostic(
        severity: .error, path: path + ".statedGrade", rule: "grade.term-system",
        message: "'\(stated.term.rawValue)' is not a \(stated.system) grade; two-tier grades are low or high"))
    }

    // FNCLCC is not applied to every type (the reference's table 3.4).
    let policy = histotype.flatMap(GradingPolicy.entry)
    if let policy {
      let given = grading.mitoses != nil || grading.necrosis != nil || grading.differentiation != nil
      switch policy.advice {
      case .notApplicable:
        diagnostics.append(Diagnostic(
          severity: .warning, path: path, rule: "grade.fnclcc-not-applicable",
          message: "FNCLCC grading is not applied to \(policy.typeName): \(policy.reason) (\(policy.source)); "
            + (stated != nil ? "the stated grade is reported as given" : "the grade is reported as not applicable")
            + (given ? ", and the mitotic count and necrosis are reported without a score" : "")))
        guard let stated else {
          return GradeAssessment(
            status: .notApplicable(policy.typeName), source: .notApplicable, phrase: "not applicable (\(policy.typeName))",
            working: "FNCLCC is not applied to \(policy.typeName): \(policy.reason) (\(policy.source))",
            stated: nil, fnclcc: nil, partial: nil, differentiationFromTable: false)
        }
        return statedOnly(stated: stated, note: "FNCLCC is not applied to \(policy.typeName); stated grade reported as given")
      case .caveat:
        diagnostics.append(Diagnostic(
          severity: .warning, path: path, rule: "grade.fnclcc-caveat",
          message: "FNCLCC grade of \(policy.typeName): \(policy.reason) (\(policy.source))"))
      case .outOfScope:
        diagnostics.append(Diagnostic(
          severity: .warning, path: path, rule: "grade.out-of-scope",
          message: "\(policy.typeName): \(policy.reason)"))
      }
    }

    let score = scoreInputs(grading, histotype: histotype, path: path, into: &diagnostics)
    let statedRange = stated?.fnclcc?.range

    if let result = score.full {
      let computed = GradeRange(exactly: result.grade)
      var working = result.working
      if score.fromTable { working += "; differentiation from the FNCLCC table for '\(histotype ?? "")'" }
      if let stated, let sr = statedRange, sr.intersection(computed) == nil {
        diagnostics.append(Diagnostic(
          severity: .warning, path: path + ".statedGrade", rule: "grade.stated-differs",
          message: "stated grade \(stated) differs from the FNCLCC score (\(result.working)); check the inputs or the stated grade"))
      }
      return GradeAssessment(
        status: .graded(computed), source: .computed, phrase: computed.fnclccPhrase, working: working, stated: stated,
        fnclcc: result, partial: nil, differentiationFromTable: score.fromTable)
    }

    // A partial score narrows the grade when what is known rules grades out.
    let partial = score.partial
    let partialRange = partial.grades
    let informative = partialRange != GradeRange.unknown
    let partialWorking = "partial FNCLCC score: " + score.partialText + " = \(partial.total.lowerBound) to \(partial.total.upperBound) -> \(partialRange)"
      + (score.fromTable ? "; differentiation from the FNCLCC table for '\(histotype ?? "")'" : "")

    if let stated, let sr = statedRange {
      guard informative else { return statedOnly(stated: stated, note: score.missing.isEmpty ? nil : "no FNCLCC score: \(score.missing.joined(separator: ", "))") }
      if let both = sr.intersection(partialRange) {
        if both == sr {
          var a = statedOnly(stated: stated, note: nil)
          a.working += "; agrees with the \(partialWorking)"
          a.partial = partial
          a.differentiationFromTable = score.fromTable
          return a
        }
        return GradeAssessment(
          status: .graded(both), source: .combined, phrase: both.fnclccPhrase + "; stated: \(stated)",
          working: "stated grade \(stated) and \(partialWorking) -> \(both)", stated: stated, fnclcc: nil, partial: partial,
          differentiationFromTable: score.fromTable)
      }
      diagnostics.append(Diagnostic(
        severity: .warning, path: path + ".statedGrade", rule: "grade.stated-differs",
        message: "stated grade \(stated) cannot be reached by the FNCLCC score (\(partialWorking)); check the inputs or the stated grade"))
      return GradeAssessment(
        status: .graded(partialRange), source: .partial, phrase: partialRange.fnclccPhrase(note: "partial score"),
        working: partialWorking, stated: stated, fnclcc: nil, partial: partial, differentiationFromTable: score.fromTable)
    }
    if informative {
      return GradeAssessment(
        status: .graded(partialRange), source: .partial, phrase: partialRange.fnclccPhrase(note: "partial score"),
        working: partialWorking, stated: nil, fnclcc: nil, partial: partial, differentiationFromTable: score.fromTable)
    }
    let why: String
    if case .cannotBeDetermined(let r)? = grading.statedGrade {
      why = "grade cannot be assessed" + (r.map { ": \($0)" } ?? "")
    } else {
      why = "grade cannot be assessed: \(score.missing.joined(separator: ", "))"
    }
    return GradeAssessment(
      status: .cannotBeAssessed, source: .unknown, phrase: "GX (cannot be assessed)", working: why, stated: nil, fnclcc: nil,
      partial: nil, differentiationFromTable: score.fromTable)
  }

  /// A grade that rests on the pathologist's statement alone.
  static func statedOnly(stated: StatedGrade, note: String?) -> GradeAssessment {
    let range = stated.fnclcc?.range ?? .unknown
    return GradeAssessment(
      status: range == .unknown ? .cannotBeAssessed : .graded(range), source: .stated, phrase: stated.description,
      working: "stated grade: \(stated)" + (note.map { "; \($0)" } ?? ""), stated: stated, fnclcc: nil, partial: nil,
      differentiationFromTable: false)
  }

  struct ScoreInputs {
    var full: FNCLCC.Result?
    var partial: GradeAssessment.PartialScore
    var partialText: String
    var missing: [String]
    var fromTable: Bool
  }

  /// Each FNCLCC score as a range: known inputs fix theirs, unknown ones allow
  /// every score (a differentiation the histotype table leaves open allows its options).
  static func scoreInputs(_ grading: Grading, histotype: String?, path: String, into diagnostics: inout [Diagnostic]) -> ScoreInputs {
    var missing: [String] = []
    var fromTable = false
    // Differentiation is asked for only when there is something to score with it.
    let scored = grading.mitoses?.known != nil || grading.necrosis?.known != nil
    var d: ClosedRange<Int> = 1...3
    var dText = "differentiation not given (1-3)"
    switch grading.differentiation {
    case .value(let v)?:
      if (1...3).contains(v) {
        d = v...v
        dText = "differentiation \(v)"
      } else {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".differentiation", rule: "fnclcc.differentiation-range",
          message: "differentiation score must be 1, 2 or 3, not \(v)"))
        missing.append("differentiation out of range")
      }
    case nil:
      switch histotype.map(Histotypes.lookup) {
      case .score(let s, _)?:
        d = s...s
        dText = "differentiation \(s)"
        fromTable = true
      case .ambiguous(let options, let hint)?:
        if scored {
          diagnostics.append(Diagnostic(
            severity: .error, path: path + ".differentiation", rule: "fnclcc.differentiation-ambiguous",
            message: "\(hint); give differentiation: 1, 2 or 3"))
        }
        d = (options.min() ?? 1)...(options.max() ?? 3)
        dText = "differentiation not given (\(d.lowerBound)-\(d.upperBound))"
        missing.append("differentiation not given")
      case .notListed?, nil:
        if scored {
          diagnostics.append(Diagnostic(
            severity: .error, path: path + ".differentiation", rule: "fnclcc.differentiation-needed",
            message: "the histologic type \(histotype.map { "'\($0)' " } ?? "")is not in the FNCLCC differentiation table; give differentiation: 1, 2 or 3"))
        }
        missing.append("differentiation not given")
      }
    case let other?:
      dText = "differentiation \(other.absentText ?? "") (1-3)"
      missing.append("differentiation \(other.absentText ?? "")")
    }

    var m: ClosedRange<Int> = 1...3
    var mText = "mitoses not given (1-3)"
    var mitosesText: String?
    switch grading.mitoses {
    case .value(let mc)?:
      let area = mc.areaMm2 ?? FNCLCC.tenHPFmm2
      if mc.count < 0 {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".mitoses.count", rule: "fnclcc.mitoses-negative",
          message: "mitotic count cannot be negative (\(mc.count))"))
        missing.append("mitoses negative")
      } else if !(area > 0) {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".mitoses.areaMm2", rule: "fnclcc.area-positive",
          message: "area counted must be greater than 0 mm²; 10 HPF of 0.1734 mm² is 1.734"))
        missing.append("mitoses area invalid")
      } else {
        if area < minimumCountedAreaMm2 {
          diagnostics.append(Diagnostic(
            severity: .warning, path: path + ".mitoses.areaMm2", rule: "fnclcc.area-small",
            message: "\(mc.count) mitoses in \(NumberText.format(area)) mm² is extrapolated to 10 HPF (1.734 mm²) from under half that area (minimum \(NumberText.format(minimumCountedAreaMm2)) mm², 5 HPF): one mitosis more or less moves the score's count by \(NumberText.format((FNCLCC.tenHPFmm2 / area * 10).rounded() / 10)); count a larger area if the tissue allows"))
        }
        let per10 = FNCLCC.normalisedMitoses(count: mc.count, areaMm2: area)
        let s = FNCLCC.mitoticScore(per10HPF: per10)
        m = s...s
        mitosesText = FNCLCC.mitosesText(count: mc.count, areaMm2: area, per10: per10)
        mText = "mitoses \(s) (\(mitosesText ?? ""))"
      }
    case nil: missing.append("mitoses not given")
    case let other?:
      mText = "mitoses \(other.absentText ?? "") (1-3)"
      missing.append("mitoses \(other.absentText ?? "")")
    }

    var n: ClosedRange<Int> = 0...2
    var nText = "necrosis not given (0-2)"
    var necrosisText: String?
    switch grading.necrosis {
    case .value(let p)?:
      if p.value < 0 || p.value > 100 {
        diagnostics.append(Diagnostic(
          severity: .error, path: path + ".necrosis", rule: "fnclcc.necrosis-range",
          message: "necrosis must be between 0 and 100 %, not \(NumberText.format(p.value))"))
        missing.append("necrosis out of range")
      } else {
        let r = necrosisScores(p)
        n = r
        if r.count == 1 {
          necrosisText = p.description
          nText = "necrosis \(r.lowerBound) (\(p))"
        } else {
          diagnostics.append(Diagnostic(
            severity: .warning, path: path + ".necrosis", rule: "fnclcc.necrosis-ambiguous",
            message: "necrosis '\(p)' does not fix the FNCLCC necrosis score (it allows \(r.lowerBound) or \(r.upperBound)); give a percentage or 'none'"))
          nText = "necrosis \(p) (\(r.lowerBound)-\(r.upperBound))"
          missing.append("necrosis (\(p))")
        }
      }
    case nil: missing.append("necrosis not given")
    case let other?:
      nText = "necrosis \(other.absentText ?? "") (0-2)"
      missing.append("necrosis \(other.absentText ?? "")")
    }

    var full: FNCLCC.Result?
    if d.count == 1, m.count == 1, n.count == 1, let mitosesText, let necrosisText {
      full = FNCLCC.result(
        differentiation: d.lowerBound, mitoticScore: m.lowerBound, necrosisScore: n.lowerBound,
        mitosesText: mitosesText, necrosisText: necrosisText)
    }
    return ScoreInputs(
      full: full, partial: GradeAssessment.PartialScore(differentiation: d, mitotic: m, necrosis: n),
      partialText: [dText, mText, nText].joined(separator: " + "), missing: missing, fromTable: fromTable)
  }

  /// The necrosis scores a percentage allows (`< 5 %` may be 0 or 1).
  static func necrosisScores(_ p: Percent) -> ClosedRange<Int> {
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
    return min(lo, hi)...max(lo, hi)
  }

  /// The tumour grade: the highest of the overall and component grades by
  /// range. A definite contradiction (a component certainly above the overall
  /// grade) is a warning; agreement is not ("G2" and "high grade" agree: the
  /// tumour is at least G2, and the component's statement is shown beside it).
  static func tumour(
    overall: GradeAssessment, overallGiven: Bool, components: [(name: String, assessment: GradeAssessment)],
    diagnostics: inout [Diagnostic]
  ) -> GradeAssessment {
    if case .notGraded = overall.status { return overall }
    var graded: [(name: String?, a: GradeAssessment, r: GradeRange)] = []
    if overallGiven, let r = overall.range { graded.append((nil, overall, r)) }
    for c in components { if let r = c.assessment.range { graded.append((c.name, c.assessment, r)) } }
    guard !graded.isEmpty else {
      if overallGiven || components.isEmpty { return overall }
      // Components without a usable grade: say why each has none.
      var a = overall
      a.working = components.map { "'\($0.name)' component: \($0.assessment.working)" }.joined(separator: "; ")
      if let na = components.first(where: { if case .notApplicable = $0.assessment.status { return true } else { return false } }) {
        a.status = na.assessment.status
        a.source = .notApplicable
        a.phrase = na.assessment.phrase
      }
      return a
    }
    let top = GradeRange(graded.map(\.r.lo).max() ?? 1, graded.map(\.r.hi).max() ?? 3)

    if let o = graded.first(where: { $0.name == nil }) {
      for c in graded where c.name != nil && c.r.lo > o.r.hi {
        diagnostics.append(Diagnostic(
          severity: .warning, path: "tumor.grading", rule: "grade.component-exceeds-overall",
          message: "the overall grade (\(o.a.phrase)) is lower than the '\(c.name ?? "")' component (\(c.a.phrase)); FNCLCC grades the highest-grade area, so the tumour is reported as \(top.fnclccPhrase)"))
      }
    }
    if graded.count == 1, graded[0].name == nil { return overall }

    // The most specific statement that reaches the tumour's lower bound (the
    // overall grade first among equals).
    let lowSetter = graded.filter { $0.r.lo == top.lo }.min { ($0.r.hi - $0.r.lo) < ($1.r.hi - $1.r.lo) }
    let describe: ((name: String?, a: GradeAssessment, r: GradeRange)) -> String = { g in
      (g.name.map { "'\($0)' component " } ?? "overall grade ") + g.a.phrase
    }
    let working = "highest grade of the tumour's parts: " + graded.map(describe).joined(separator: "; ") + " -> \(top)"
    if let best = lowSetter, best.r == top {
      var a = best.a
      a.working = (best.name.map { "highest component grade, '\($0)': " } ?? "") + best.a.working
      if graded.count > 1 { a.working += "; " + working }
      return a
    }
    let beside = graded.filter { $0.r.hi == top.hi && $0.r != lowSetter?.r }.map(describe)
    return GradeAssessment(
      status: .graded(top), source: .combined, phrase: top.fnclccPhrase + (beside.isEmpty ? "" : "; " + beside.joined(separator: "; ")),
      working: working, stated: nil, fnclcc: nil, partial: nil, differentiationFromTable: false)
  }
}
