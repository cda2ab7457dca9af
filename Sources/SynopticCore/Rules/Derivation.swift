/// A stain result that differs from the same marker on a prior specimen.
public struct StainChange: Sendable, Equatable, Codable {
  public var marker: String
  public var priorAccession: String
  public var priorResult: StainResult
  public var currentResult: StainResult
  public var component: String?

  /// "Desmin: positive (S19-1234) -> negative".
  public var text: String {
    "\(marker): \(priorResult.label) (\(priorAccession)) -> \(currentResult.label)"
      + (component.map { " (\($0) component)" } ?? "")
  }
}

/// Everything the rules fix for a case, each value with its working.
public struct Derivation: Sendable {
  public struct ComponentGrade: Sendable, Equatable {
    public var name: String
    public var assessment: GradeAssessment
  }

  /// The tumour grade: the highest of the overall and component grades.
  public var grade: GradeAssessment
  /// The grade given or computed for the tumour as a whole, before components.
  public var overallGrade: GradeAssessment
  public var componentGrades: [ComponentGrade]
  public var t: AJCC.TAssessment
  /// TNM descriptors: `r` recurrent, `y` after presurgical therapy, `(m)` multiple.
  public var tnmPrefix: String
  public var tnmSuffix: String
  public var n: AJCC.N
  public var nDisplay: String
  public var m: AJCC.M
  public var mDisplay: String
  public var stage: AJCC.StageGroup
  public var margins: MarginAssessment?
  public var stainChanges: [StainChange]

  /// `pT2`, `rpT2`, `ypTX`, `pT2 (m)`.
  public var pT: String { "\(tnmPrefix)p\(t.category)\(tnmSuffix)" }
  public var tnm: String { "\(pT) \(nDisplay) \(mDisplay)" }
}

public struct RuleOptions: Sendable {
  public var closeMarginThresholdMm: Double
  /// Check required elements from the reference (CAP/ICCR) built into the
  /// validator. Off when a synoptic template decides what is required.
  public var checkReferenceRequirements: Bool
  public init(closeMarginThresholdMm: Double = MarginRules.defaultCloseThresholdMm, checkReferenceRequirements: Bool = true) {
    self.closeMarginThresholdMm = closeMarginThresholdMm
    self.checkReferenceRequirements = checkReferenceRequirements
  }
}

enum Derive {
  static func run(_ c: PathologyCase, options: RuleOptions, diagnostics: inout [Diagnostic]) -> Derivation {
    let tumor = c.tumor
    let histotype = tumor?.histologicType?.name
    let overall = GradeRules.assess(tumor?.grading, histotype: histotype, path: "tumor.grading", into: &diagnostics)
    var components: [Derivation.ComponentGrade] = []
    for (i, comp) in (tumor?.components ?? []).enumerated() where comp.grading != nil {
      let a = GradeRules.assess(
        comp.grading, histotype: comp.histologicType?.name ?? comp.differentiation, path: "tumor.components[\(i)].grading",
        into: &diagnostics)
      components.append(.init(name: comp.name, assessment: a))
    }
    let grade = highest(overall: overall, components: components, diagnostics: &diagnostics)

    let siteGroup = tumor?.siteGroup ?? .other
    let t: AJCC.TAssessment
    if tumor?.siteGroup == nil {
      t = AJCC.TAssessment(category: "TX", working: "AJCC site group not given")
    } else {
      t = AJCC.t(AJCC.TInput(
        siteGroup: siteGroup, size: tumor?.size?.map(\.greatest), headNeckInvasion: tumor?.headNeckInvasion ?? [],
        visceralExtent: tumor?.visceralExtent, multifocalSites: tumor?.multifocalSites))
    }
    var prefix = ""
    if tumor?.recurrent == true { prefix += "r" }
    if c.presurgicalTherapy?.given == true { prefix += "y" }
    let suffix = tumor?.focality == .multifocal ? " (m)" : ""

    let n: AJCC.N
    let nDisplay: String
    switch c.regionalLymphNodes?.known {
    case let nodes? where nodes.status == .examined && (nodes.involved ?? 0) > 0:
      n = .n1
      nDisplay = "\(prefix)pN1"
    case let nodes? where nodes.status == .examined && nodes.involved == 0:
      n = .n0
      nDisplay = "\(prefix)pN0"
    default:
      n = .n0
      nDisplay = "pN not assigned (no nodes submitted or found)"
    }
    let m: AJCC.M
    let mDisplay: String
    switch c.distantMetastasis?.status {
    case .pathological?: (m, mDisplay) = (.m1, "pM1")
    case .clinical?: (m, mDisplay) = (.m1, "cM1")
    default: (m, mDisplay) = (.m0, "cM0")
    }
    var stage = AJCC.stageGroup(siteGroup: siteGroup, t: t.category, n: n, m: m, grade: grade.grade.ajcc)
    if tumor?.siteGroup == nil { stage = .init(group: nil, reason: "stage not assigned: AJCC site group not given") }
    if stage.group == nil, t.isTX, stage.reason.hasPrefix("stage not assigned") {
      stage.reason = "stage not assigned: \(t.working)"
    }
    if n == .n0, c.regionalLymphNodes?.known?.status != .examined, stage.group != nil {
      stage.reason += "; no nodes examined, grouped as N0 (AJCC: unknown nodal status counts as N0)"
    }

    if case .notGraded(.presurgicalTherapy) = grade.grade, let g = stage.group, g == "IA" || g == "IB" {
      diagnostics.append(Diagnostic(
        severity: .warning, path: "tumor.grading.notGraded", rule: "stage.gx-after-therapy",
        message: "an ungraded (GX) tumour after presurgical therapy groups with G1 as stage \(g), which may under-stage a high-grade sarcoma; consider the pre-treatment biopsy grade"))
    }

    let hasMargins = c.specimens?.contains { $0.procedure.hasMargins } ?? false
    let margins = (hasMargins || tumor?.margins != nil)
      ? MarginRules.assess(tumor?.margins, closeThresholdMm: options.closeMarginThresholdMm) : nil

    return Derivation(
      grade: grade, overallGrade: overall, componentGrades: components, t: t, tnmPrefix: prefix, tnmSuffix: suffix,
      n: n, nDisplay: nDisplay, m: m, mDisplay: mDisplay, stage: stage, margins: margins,
      stainChanges: stainChanges(c))
  }

  /// The tumour grade is the highest component grade; a stated overall grade
  /// lower than a component's is a warning (FNCLCC grades the highest-grade area).
  static func highest(
    overall: GradeAssessment, components: [Derivation.ComponentGrade], diagnostics: inout [Diagnostic]
  ) -> GradeAssessment {
    if case .notGraded = overall.grade { return overall }
    guard let top = components.max(by: { ($0.assessment.grade.rank ?? 0) < ($1.assessment.grade.rank ?? 0) }),
      let topRank = top.assessment.grade.rank
    else { return overall }
    if let overallRank = overall.grade.rank {
      if topRank > overallRank {
        diagnostics.append(Diagnostic(
          severity: .warning, path: "tumor.grading", rule: "grade.component-exceeds-overall",
          message: "the overall grade (\(overall.grade.display)) is lower than the '\(top.name)' component (\(top.assessment.grade.display)); FNCLCC grades the highest-grade area, so the tumour is reported as \(top.assessment.grade.display)"))
      } else {
        return overall
      }
    }
    var g = top.assessment
    g.working = "highest component grade, '\(top.name)': \(top.assessment.working)"
    return g
  }

  static func stainChanges(_ c: PathologyCase) -> [StainChange] {
    var out: [StainChange] = []
    guard let priors = c.priorSpecimens, !priors.isEmpty else { return out }
    // Each current marker normalised once, not once per prior stain.
    let stains = c.stains ?? []
    let keys = stains.map { Histotypes.normalise($0.marker) }
    for prior in priors {
      for old in prior.stains ?? [] {
        let key = Histotypes.normalise(old.marker)
        let current = stains.indices.filter { keys[$0] == key }.map { stains[$0] }
        // A marker that differs in some component and matches in none has changed.
        guard !current.isEmpty, !current.contains(where: { $0.result == old.result }) else { continue }
        for now in current {
          out.append(StainChange(
            marker: now.marker, priorAccession: prior.accession, priorResult: old.result,
            currentResult: now.result, component: now.component))
        }
      }
    }
    return out
  }
}
