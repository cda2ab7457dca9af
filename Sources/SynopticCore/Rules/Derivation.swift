/// A stain result that differs from the same marker on a prior specimen.
public struct StainChange: Sendable, Equatable, Codable {
  public var marker: String
  public var priorAccession: String
  public var priorResult: StainResult
  public var currentResult: StainResult
  public var component: String?
  /// Qualifiers kept with each result ("vessels only", "patchy").
  public var priorPattern: StainPattern?
  public var currentPattern: StainPattern?

  /// "Desmin: positive (S19-1234) -> negative"; "SMA: negative, vessels only (S19-1234) -> positive, patchy".
  public var text: String {
    "\(marker): \(priorResult.label)\(priorPattern.map { ", \($0.label)" } ?? "") (\(priorAccession)) -> \(currentResult.label)"
      + (currentPattern.map { ", \($0.label)" } ?? "") + (component.map { " (\($0) component)" } ?? "")
  }
}

/// A molecular result that differs from the same target on a prior specimen.
public struct MolecularChange: Sendable, Equatable, Codable {
  public var target: String
  public var method: MolecularMethod
  public var priorAccession: String
  public var priorResult: MolecularResult
  public var currentResult: MolecularResult

  /// "MDM2 (FISH): amplified (S19-1234) -> not amplified".
  public var text: String {
    "\(target) (\(method.label)): \(priorResult.label) (\(priorAccession)) -> \(currentResult.label)"
  }
}

/// Everything the rules fix for a case, each value with its working.
public struct Derivation: Sendable {
  public struct ComponentGrade: Sendable, Equatable {
    public var name: String
    public var assessment: GradeAssessment
  }

  /// The tumour grade: the highest of the overall and component grades, by range.
  public var grade: GradeAssessment
  /// The grade given or computed for the tumour as a whole, before components.
  public var overallGrade: GradeAssessment
  public var componentGrades: [ComponentGrade]
  public var t: AJCC.TAssessment
  /// TNM descriptors: `r` recurrent, `y` after presurgical therapy, `(m)` multiple.
  public var tnmPrefix: String
  public var tnmSuffix: String
  /// The N used for grouping, what the report prints for pN, and why.
  public var n: AJCC.N
  public var nDisplay: String
  public var nWorking: String
  /// cN as the case states it.
  public var cN: ClinicalNodalStatus?
  /// The M used for grouping, what the report prints, and why.
  public var m: AJCC.M
  public var mDisplay: String
  public var mWorking: String
  public var stage: AJCC.StageGroup
  public var margins: MarginAssessment?
  public var stainChanges: [StainChange]
  public var molecularChanges: [MolecularChange]

  /// Every change since a prior specimen, stains first, as the report lists them.
  public var priorChanges: [String] { stainChanges.map(\.text) + molecularChanges.map(\.text) }

  /// `pT2`, `rpT2`, `ypTX`, `pT2 (m)`.
  public var pT: String { "\(tnmPrefix)p\(t.category)\(tnmSuffix)" }
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
    let histotype = tumor?.histotypeName
    let overall = GradeRules.assess(tumor?.grading, histotype: histotype, path: "tumor.grading", into: &diagnostics)
    var components: [Derivation.ComponentGrade] = []
    for (i, comp) in (tumor?.components ?? []).enumerated() where comp.grading != nil {
      let a = GradeRules.assess(
        comp.grading, histotype: comp.histologicType?.name ?? comp.differentiation, path: "tumor.components[\(i)].grading",
        into: &diagnostics)
      components.append(.init(name: comp.name, assessment: a))
    }
    let grade = GradeRules.tumour(
      overall: overall, overallGiven: tumor?.grading != nil, components: components.map { ($0.name, $0.assessment) },
      diagnostics: &diagnostics)
    // A type's grading advice is said once, however many parts share the type.
    var advised: Set<String> = []
    diagnostics.removeAll { d in
      guard d.rule == "grade.fnclcc-not-applicable" || d.rule == "grade.fnclcc-caveat" || d.rule == "grade.out-of-scope" else { return false }
      return !advised.insert(d.message).inserted
    }

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

    let nodes = Self.nodes(c, prefix: prefix)
    let metastasis = Self.metastasis(c)
    var stage = AJCC.stageGroup(siteGroup: siteGroup, t: t.category, n: nodes.n, m: metastasis.m, grades: grade.ajccGrades)
    if tumor?.siteGroup == nil { stage = .init(group: nil, reason: "stage not assigned: AJCC site group not given") }
    if stage.group == nil, t.isTX, stage.reason.hasPrefix("stage not assigned") {
      stage.reason = "stage not assigned: \(t.working)"
    }
    if stage.group != nil || !stage.alternatives.isEmpty {
      if let assumption = nodes.assumption { stage.reason += "; \(assumption)" }
      if let assumption = metastasis.assumption { stage.reason += "; \(assumption)" }
    }
    // GX groups with G1 as AJCC requires; say what that may hide.
    if grade.ajccGrades == [.gx], let g = stage.group, g == "IA" || g == "IB" {
      let why: String
      switch grade.status {
      case .notGraded(.presurgicalTherapy): why = "an ungraded tumour after presurgical therapy; consider the pre-treatment biopsy grade"
      case .notApplicable(let type): why = "\(type) is not graded by FNCLCC and is often high grade by type"
      default: why = "the grade cannot be assessed"
      }
      let note = "grade GX is grouped with G1 as AJCC 8th requires, giving stage \(g); this may under-stage a tumour that is high grade by type or by features (\(why))"
      stage.reason += "; " + note
      diagnostics.append(Diagnostic(severity: .warning, path: "tumor.grading", rule: "stage.gx-groups-with-g1", message: note))
    }

    let hasMargins = c.specimens?.contains { $0.procedure.hasMargins } ?? false
    let margins = (hasMargins || tumor?.margins != nil)
      ? MarginRules.assess(tumor?.marginList, closeThresholdMm: options.closeMarginThresholdMm) : nil

    return Derivation(
      grade: grade, overallGrade: overall, componentGrades: components, t: t, tnmPrefix: prefix, tnmSuffix: suffix,
      n: nodes.n, nDisplay: nodes.display, nWorking: nodes.working, cN: c.clinicalNodalStatus, m: metastasis.m,
      mDisplay: metastasis.display, mWorking: metastasis.working, stage: stage, margins: margins,
      stainChanges: stainChanges(c), molecularChanges: molecularChanges(c))
  }

  /// pN from examined nodes only; "not assigned" with its reason otherwise,
  /// grouped as N0 (or by cN when the case states it).
  static func nodes(_ c: PathologyCase, prefix: String) -> (n: AJCC.N, display: String, working: String, assumption: String?) {
    if let nodes = c.regionalLymphNodes?.known, nodes.status == .examined, let involved = nodes.involved {
      let n: AJCC.N = involved > 0 ? .n1 : .n0
      let display = "\(prefix)p\(n.rawValue)"
      return (n, display, "\(involved) of \(nodes.examined.map(String.init) ?? "?") regional lymph nodes involved -> \(display)", nil)
    }
    let display: String
    if c.regionalLymphNodes?.known?.status == .notSubmitted {
      display = "pN not assigned (no nodes submitted or found)"
    } else {
      display = "pN not assigned (cannot be determined based on available pathological information)"
    }
    switch c.clinicalNodalStatus {
    case .cN1?:
      return (.n1, display, "\(display); clinical cN1 -> grouped as N1", "N1 from the clinical nodal status (cN1)")
    case .cN0?:
      return (.n0, display, "\(display); clinical cN0 -> grouped as N0", "N0 from the clinical nodal status (cN0)")
    case nil:
      let reason = c.regionalLymphNodes?.known?.status == .notSubmitted ? "no nodes submitted or found" : "nodal status cannot be determined"
      return (.n0, display, "\(display); grouped as N0", "grouped as N0: \(reason) (AJCC groups unknown nodal status with N0)")
    }
  }

  /// M as the case states it: pM1 only from a pathologically confirmed
  /// metastasis, cM0 / cM1 from a clinical statement; otherwise M0 is assumed
  /// for grouping and the report says pM is not applicable.
  static func metastasis(_ c: PathologyCase) -> (m: AJCC.M, display: String, working: String, assumption: String?) {
    switch c.distantMetastasis?.known?.status {
    case .pathological?: return (.m1, "pM1", "distant metastasis confirmed pathologically -> pM1", nil)
    case .clinical?: return (.m1, "cM1", "distant metastasis identified clinically -> cM1", nil)
    case .notIdentified?: return (.m0, "cM0", "no distant metastasis identified clinically -> cM0", nil)
    case nil:
      let display = "pM not applicable (cannot be determined from the submitted specimens)"
      return (.m0, display, "\(display); M0 assumed for grouping", "M0 assumed for grouping: no distant metastasis was reported")
    }
  }

  /// Molecular results of the same target by the same method that differ from a prior specimen's.
  static func molecularChanges(_ c: PathologyCase) -> [MolecularChange] {
    let current = c.molecular ?? []
    var out: [MolecularChange] = []
    for prior in c.priorSpecimens ?? [] {
      for old in prior.molecular ?? [] {
        let key = Histotypes.normalise(old.target)
        let same = current.filter { Histotypes.normalise($0.target) == key && $0.method == old.method }
        guard !same.isEmpty, !same.contains(where: { $0.result == old.result }) else { continue }
        for now in same {
          out.append(MolecularChange(
            target: now.target, method: now.method, priorAccession: prior.accession, priorResult: old.result, currentResult: now.result))
        }
      }
    }
    return out
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
            currentResult: now.result, component: now.component, priorPattern: old.pattern, currentPattern: now.pattern))
        }
      }
    }
    return out
  }
}
