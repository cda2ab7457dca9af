import Foundation

/// The outcome of checking one case: its derived values and every diagnostic.
public struct CaseAnalysis: Sendable {
  public var pathologyCase: PathologyCase
  public var derivation: Derivation
  public var diagnostics: [Diagnostic]
}

/// Checks a decoded case: required elements (per the CAP / ICCR reference for
/// now), value ranges, and clinical consistency; and runs the rules.
public enum Validator {
  /// The longest accession, MRN, order number or specimen id.
  public static let identifierLength = 64

  public static func analyse(_ c: PathologyCase, options: RuleOptions = RuleOptions()) -> CaseAnalysis {
    var d: [Diagnostic] = []
    func add(_ s: Severity, _ path: String, _ rule: String, _ message: String) {
      d.append(Diagnostic(severity: s, path: path, rule: rule, message: message))
    }

    if c.accession.trimmingBlanks.isEmpty {
      add(.error, "accession", "case.accession-empty", "accession is empty; give the case's accession number")
    }
    // Identifiers are carried whole or not at all: one cut short could name another record.
    func identifier(_ value: String?, _ path: String, _ what: String) {
      guard let value, value.count > Self.identifierLength else { return }
      add(.error, path, "case.identifier-too-long",
          "\(what) is \(value.count) characters; identifiers hold at most \(Self.identifierLength) (HL7 v2 message ids and specimen ids carry them with other parts)")
    }
    identifier(c.accession, "accession", "the accession")
    identifier(c.patient?.mrn, "patient.mrn", "the MRN")
    identifier(c.orderNumber, "orderNumber", "the order number")
    for (i, s) in (c.specimens ?? []).enumerated() { identifier(s.id, "specimens[\(i)].id", "the specimen id") }
    if c.patient == nil { add(.error, "patient", "required.patient", "patient is missing; give name, mrn, birthDate and sex") }
    if let p = c.patient {
      if p.name == nil { add(.warning, "patient.name", "required.patient-name", "patient name is missing") }
      if p.mrn == nil { add(.error, "patient.mrn", "required.patient-mrn", "patient MRN is missing; every report needs the patient's record number") }
      if let b = p.birthDate, let r = c.reportDate, b > r {
        add(.error, "patient.birthDate", "case.birth-after-report", "birth date \(b) is after the report date \(r)")
      }
      if let age = p.ageAtDiagnosis {
        if !(0...130).contains(age) {
          add(.error, "patient.ageAtDiagnosis", "range.age", "age at diagnosis must be between 0 and 130 years, not \(age)")
        } else if let b = p.birthDate, let r = c.reportDate {
          let years = r.year - b.year - ((r.month, r.day) < (b.month, b.day) ? 1 : 0)
          if abs(years - age) > 1 {
            add(.warning, "patient.ageAtDiagnosis", "consistency.age-birth-date",
                "age at diagnosis \(age) does not match the birth date \(b) and report date \(r) (age \(years)); give one or make them agree")
          }
        }
      }
    }
    if c.reportDate == nil { add(.warning, "reportDate", "required.report-date", "reportDate is missing; give YYYY-MM-DD") }
    if c.predisposingConditions?.contains(.other) == true, (c.predisposingConditionOther ?? "").trimmingBlanks.isEmpty {
      add(.error, "predisposingConditionOther", "case.predisposing-other", "predisposingConditions includes 'other'; say which in predisposingConditionOther")
    }

    // Specimens
    let specimens = c.specimens ?? []
    if specimens.isEmpty {
      add(.error, "specimens", "required.specimens", "no specimens; give at least one with id and procedure")
    }
    var seenIds: Set<String> = []
    for (i, s) in specimens.enumerated() {
      if !seenIds.insert(s.id).inserted {
        add(.error, "specimens[\(i)].id", "specimen.duplicate-id", "specimen id '\(s.id)' is used twice; ids must be unique")
      }
      if s.procedure == .other, (s.procedureOther ?? "").isEmpty {
        add(.error, "specimens[\(i)].procedureOther", "specimen.procedure-other", "procedure is 'other'; say which in procedureOther")
      }
    }
    let isResection = specimens.contains { $0.procedure.isResection }
    let isCore = specimens.contains { $0.procedure == .coreNeedleBiopsy }
    let needsMargins = specimens.contains { $0.procedure.hasMargins }

    // Presurgical therapy
    if c.presurgicalTherapy == nil {
      add(isResection ? .error : .warning, "presurgicalTherapy", "required.presurgical-therapy",
          "presurgicalTherapy is missing; give none, chemotherapy, radiotherapy, chemotherapy-and-radiotherapy or unknown")
    }
    if let te = c.treatmentEffect {
      if c.presurgicalTherapy?.given != true {
        add(.warning, "treatmentEffect", "consistency.treatment-effect-without-therapy",
            "treatment effect is given but no presurgical therapy is recorded; check presurgicalTherapy")
      }
      for (name, p) in [("viablePercent", te.viablePercent), ("necrosisPercent", te.necrosisPercent)] {
        if let v = p?.known?.value, v < 0 || v > 100 {
          add(.error, "treatmentEffect.\(name)", "range.percent", "\(name) must be between 0 and 100, not \(NumberText.format(v))")
        }
      }
    } else if c.presurgicalTherapy?.given == true, isResection {
      add(.warning, "treatmentEffect", "required.treatment-effect",
          "presurgical therapy was given; report the treatment effect (percent viable / necrotic tumour)")
    }

    // Tumour
    if let t = c.tumor {
      if t.site == nil { add(.error, "tumor.site", "required.tumor-site", "tumour site is missing; give the site or 'not specified'") }
      if t.siteGroup == nil {
        add(.error, "tumor.siteGroup", "required.site-group",
            "AJCC site group is missing; give trunk-extremity, retroperitoneum, head-neck, visceral or other")
      }
      if t.histologicType == nil {
        add(.error, "tumor.histologicType", "required.histologic-type", "histologic type is missing; give the WHO name (and ICD-O-3 code)")
      } else if let code = t.histologicType?.known?.icdO3, !Self.isICDO3Morphology(code) {
        add(.error, "tumor.histologicType.icdO3", "code.icd-o-3", "'\(code)' is not an ICD-O-3 morphology code; write e.g. 8890/3")
      }
      if t.size == nil {
        add(isResection ? .error : .warning, "tumor.size", "required.tumor-size",
            "tumour size is missing; give the greatest dimension (e.g. '6 cm') or 'not reported'")
      }
      if case .value(let size)? = t.size {
        for (j, l) in ([size.greatest] + (size.additional ?? [])).enumerated() {
          let path = j == 0 ? "tumor.size.greatest" : "tumor.size.additional[\(j - 1)]"
          if l.value <= 0 {
            add(.error, path, "range.size-positive", "size must be greater than 0, not \(l)")
          } else if l.centimetres > 100 {
            add(.warning, path, "range.size-implausible", "size \(l) is over 1 m; check the unit (mm or cm)")
          }
        }
        if let extra = size.additional, extra.contains(where: { $0.millimetres > size.greatest.millimetres }) {
          add(.warning, "tumor.size.additional", "consistency.size-greatest",
              "an additional dimension is larger than the greatest dimension; put the largest first")
        }
      }
      if t.depth == nil, isResection {
        add(.warning, "tumor.depth", "required.depth", "tumour depth is missing; list superficial/deep levels or 'cannot-be-determined'")
      }
      if t.depth?.known?.contains(.other) == true, (t.depthOther ?? "").trimmingBlanks.isEmpty {
        add(.error, "tumor.depthOther", "tumor.depth-other", "depth includes 'other'; say which in depthOther")
      }
      if isResection {
        // CAP Soft Tissue 4.1 core elements for resections: the report prints "not reported" when they are missing.
        let parts = [t.grading].compactMap { $0 } + (t.components ?? []).compactMap(\.grading)
        if t.grading?.notGraded == nil, !parts.contains(where: { $0.mitoses != nil }) {
          add(.warning, "tumor.grading.mitoses", "required.mitoses",
              "mitotic count is a CAP core element for resections; give it (e.g. 12, or {count: 7, areaMm2: 0.867}) or 'not reported'")
        }
        if t.grading?.notGraded == nil, !parts.contains(where: { $0.necrosis != nil }) {
          add(.warning, "tumor.grading.necrosis", "required.necrosis",
              "necrosis is a CAP core element for resections; give a percentage, 'none' or 'not reported'")
        }
        if let margins = t.margins?.known, !margins.isEmpty, !margins.contains(where: { $0.status == .involved }),
          margins.contains(where: { $0.status == .notInvolved && $0.distance == nil })
        {
          add(.warning, "tumor.margins", "required.closest-margin-distance",
              "the distance to the closest margin is a CAP core element for resections; give each free margin's distance or 'not reported'")
        }
      }
      if let n = t.multifocalSites, n < 1 {
        add(.error, "tumor.multifocalSites", "range.sites", "multifocalSites must be at least 1")
      }
      if t.grading == nil && (t.components ?? []).allSatisfy({ $0.grading == nil }) {
        add(.error, "tumor.grading", "required.grade",
            "no grade: give FNCLCC inputs (differentiation, mitoses, necrosis), a statedGrade, or notGraded with a reason")
      }
      if let g = t.grading {
        if g.notGraded != nil, g.mitoses?.known != nil || g.necrosis?.known != nil || g.statedGrade?.known != nil {
          add(.warning, "tumor.grading.notGraded", "consistency.not-graded-with-inputs",
              "notGraded is given together with grading inputs; the tumour is reported as ungraded")
        }
        if g.notGraded == nil, c.presurgicalTherapy?.given == true {
          add(.warning, "tumor.grading", "consistency.grade-after-therapy",
              "an FNCLCC grade is given after presurgical therapy, which alters mitoses and necrosis; grade the pre-treatment biopsy or use notGraded: presurgical-therapy")
        }
        if g.notGraded == nil, isCore, g.statedGrade != nil || g.mitoses != nil {
          add(.warning, "tumor.grading", "consistency.grade-on-core-biopsy",
              "FNCLCC grade on a core needle biopsy may under-grade the tumour (mitoses and necrosis are sampled incompletely)")
        }
      }
      validateComponents(t.components ?? [], into: &d)
      for (i, comp) in (t.components ?? []).enumerated() {
        if let l = comp.size?.known, l.value <= 0 {
          add(.error, "tumor.components[\(i)].size", "range.size-positive", "size must be greater than 0, not \(l)")
        }
      }
      if needsMargins, t.margins == nil {
        add(.error, "tumor.margins", "required.margins",
            "margins are missing for a resection or excisional biopsy; list each margin, or write 'margins: not reported'")
      }
      for (i, m) in t.marginList.enumerated() {
        let path = "tumor.margins[\(i)]"
        if let dist = m.distance?.known {
          if dist.value < 0 {
            add(.error, path + ".distance", "margin.negative-distance", "distance cannot be negative (\(dist))")
          } else if m.status == .notInvolved, dist.value == 0 {
            add(.error, path + ".distance", "margin.negative-zero-distance",
                "margin '\(m.name)' is not involved but its distance is 0; a tumour at ink is 'involved', otherwise give the distance")
          } else if m.status == .involved, dist.value > 0 {
            add(.warning, path + ".distance", "margin.involved-with-distance",
                "margin '\(m.name)' is involved but has a distance of \(dist); an involved margin has tumour at ink")
          }
        }
        if m.status == .notInvolved, m.distance == nil {
          add(.warning, path + ".distance", "margin.distance-missing",
              "margin '\(m.name)' is free; give the distance (e.g. '6 mm') or 'not reported'")
        }
        if m.macroscopic == true, m.status != .involved {
          add(.error, path + ".macroscopic", "margin.macroscopic-not-involved", "macroscopic is true but the status is not 'involved'")
        }
      }
      if let ext = t.extent, ext.contains(where: { $0.trimmingBlanks.isEmpty }) {
        add(.warning, "tumor.extent", "text.empty", "an extent line is empty")
      }
    } else {
      add(.error, "tumor", "required.tumor", "tumor is missing; give site, siteGroup, size, histologicType and grading")
    }

    // Nodes and metastasis
    if let n = c.regionalLymphNodes?.known {
      if n.status == .examined {
        if n.examined == nil {
          add(.error, "regionalLymphNodes.examined", "required.nodes-examined", "status is 'examined'; give the number examined")
        }
        if n.involved == nil {
          add(.error, "regionalLymphNodes.involved", "required.nodes-involved", "status is 'examined'; give the number involved (0 if none)")
        }
      }
      if let e = n.examined, e < 0 { add(.error, "regionalLymphNodes.examined", "range.nodes", "examined cannot be negative") }
      if let i = n.involved, i < 0 { add(.error, "regionalLymphNodes.involved", "range.nodes", "involved cannot be negative") }
      if let e = n.examined, let i = n.involved, i > e {
        add(.error, "regionalLymphNodes.involved", "nodes.involved-exceeds-examined", "\(i) nodes involved but only \(e) examined")
      }
      if n.status == .notSubmitted, (n.examined ?? 0) > 0 {
        add(.error, "regionalLymphNodes.status", "nodes.status-count", "status is not-submitted but \(n.examined ?? 0) nodes were examined; use 'examined'")
      }
    } else if isResection, c.regionalLymphNodes == nil {
      add(.warning, "regionalLymphNodes", "required.nodes", "regional lymph nodes not stated; give status not-submitted or examined with counts")
    }
    if let m = c.distantMetastasis?.known, m.status != .notIdentified, (m.sites ?? []).isEmpty {
      add(.warning, "distantMetastasis.sites", "required.metastasis-sites", "distant metastasis is \(m.status.label); give the site(s)")
    }

    // Stains and molecular tests
    let componentNames = Set((c.tumor?.components ?? []).map(\.name))
    for (i, s) in (c.stains ?? []).enumerated() {
      validateStain(s, path: "stains[\(i)]", components: componentNames, into: &d)
    }
    for (p, prior) in (c.priorSpecimens ?? []).enumerated() {
      if let pd = prior.date, let r = c.reportDate, pd > r {
        add(.warning, "priorSpecimens[\(p)].date", "consistency.prior-after-report", "prior specimen date \(pd) is after the report date \(r)")
      }
      for (i, s) in (prior.stains ?? []).enumerated() {
        validateStain(s, path: "priorSpecimens[\(p)].stains[\(i)]", components: nil, into: &d)
      }
    }
    for (p, prior) in (c.priorSpecimens ?? []).enumerated() {
      for (i, m) in (prior.molecular ?? []).enumerated() {
        validateMolecular(m, path: "priorSpecimens[\(p)].molecular[\(i)]", into: &d)
      }
    }
    for (i, m) in (c.molecular ?? []).enumerated() {
      validateMolecular(m, path: "molecular[\(i)]", into: &d)
    }
    if let so = c.signOut, so.pathologist.trimmingBlanks.isEmpty {
      add(.error, "signOut.pathologist", "signout.pathologist", "sign-out needs the pathologist's name")
    }

    let derivation = Derive.run(c, options: options, diagnostics: &d)
    checkDiagnosisAgainstMargins(c.diagnosis ?? [], derivation.margins, into: &d)
    for change in derivation.stainChanges {
      add(.info, "stains", "comparison.stain-changed", "changed from prior specimen: \(change.text)")
    }
    for change in derivation.molecularChanges {
      add(.info, "molecular", "comparison.molecular-changed", "changed from prior specimen: \(change.text)")
    }
    if !options.checkReferenceRequirements { d.removeAll { $0.rule.hasPrefix("required.") } }
    return CaseAnalysis(pathologyCase: c, derivation: derivation, diagnostics: d)
  }

  /// The final diagnosis lines and the derived margins must not contradict
  /// each other (free text, so only plain statements are compared).
  static func checkDiagnosisAgainstMargins(_ lines: [String], _ margins: MarginAssessment?, into d: inout [Diagnostic]) {
    guard let margins else { return }
    for (i, line) in lines.enumerated() {
      let text = " " + Histotypes.normalise(line) + " "
      guard text.containsBytes(" margin") else { continue }
      let saysClose = text.containsBytes(" close ")
      let saysFree = text.containsBytes(" free ") || text.containsBytes(" clear ") || text.containsBytes(" negative ") || text.containsBytes(" uninvolved ")
      let saysInvolved = (text.containsBytes(" involved ") && !text.containsBytes(" not involved ") && !text.containsBytes(" uninvolved "))
        || text.containsBytes(" positive ")
      var problem: String?
      if saysClose, margins.close == .no {
        problem = "says the margins are close, but every margin is \(NumberText.format(margins.closeThresholdMm)) mm or more"
      } else if saysInvolved, margins.involved.isEmpty {
        problem = "says a margin is involved, but no margin has status involved"
      } else if saysFree, !saysInvolved, !margins.involved.isEmpty {
        problem = "says the margins are free, but \(margins.involved.joined(separator: ", ")) is involved"
      }
      if let problem {
        d.append(Diagnostic(severity: .warning, path: "diagnosis[\(i)]", rule: "consistency.diagnosis-margins",
                            message: "diagnosis line \(i + 1) \(problem); make the diagnosis and the margins agree"))
      }
    }
  }

  static func validateMolecular(_ m: MolecularTest, path: String, into d: inout [Diagnostic]) {
    func add(_ s: Severity, _ p: String, _ rule: String, _ message: String) {
      d.append(Diagnostic(severity: s, path: p, rule: rule, message: message))
    }
    if m.method == .other, (m.methodOther ?? "").trimmingBlanks.isEmpty {
      add(.error, path + ".methodOther", "molecular.method-other", "method is 'other'; say which in methodOther")
    }
    if let r = m.ratio, r < 0 { add(.error, path + ".ratio", "range.ratio", "ratio cannot be negative") }
    if let n = m.nucleiScored, n < 0 { add(.error, path + ".nucleiScored", "range.nuclei", "nucleiScored cannot be negative") }
    if m.method == .fish, Histotypes.normalise(m.target).hasPrefix("mdm2"), let r = m.ratio {
      // MDM2/CEP12 >= 2.0 is amplified.
      if r >= 2.0, m.result == .notAmplified {
        add(.warning, path + ".result", "molecular.mdm2-ratio", "MDM2/CEP12 ratio \(NumberText.format(r)) is 2.0 or more, which is amplified, but the result says not amplified")
      } else if r < 2.0, m.result == .amplified {
        add(.warning, path + ".result", "molecular.mdm2-ratio", "MDM2/CEP12 ratio \(NumberText.format(r)) is under 2.0, which is not amplified, but the result says amplified")
      }
    }
  }

  static func validateComponents(_ components: [TumorComponent], into d: inout [Diagnostic]) {
    var names: Set<String> = []
    var total = 0.0
    for (i, comp) in components.enumerated() {
      if !names.insert(comp.name).inserted {
        d.append(Diagnostic(severity: .error, path: "tumor.components[\(i)].name", rule: "component.duplicate-name",
                            message: "component name '\(comp.name)' is used twice; stains refer to components by name"))
      }
      if let p = comp.percent?.known {
        if p.value < 0 || p.value > 100 {
          d.append(Diagnostic(severity: .error, path: "tumor.components[\(i)].percent", rule: "range.percent",
                              message: "percent must be between 0 and 100, not \(NumberText.format(p.value))"))
        }
        total += p.value
      }
    }
    if total > 100 {
      d.append(Diagnostic(severity: .warning, path: "tumor.components", rule: "consistency.components-over-100",
                          message: "component percentages add up to \(NumberText.format(total)) %, over 100 %; check them"))
    }
  }

  static func validateStain(_ s: Stain, path: String, components: Set<String>?, into d: inout [Diagnostic]) {
    if s.marker.trimmingBlanks.isEmpty {
      d.append(Diagnostic(severity: .error, path: path + ".marker", rule: "stain.marker-empty", message: "marker is empty"))
    }
    for (key, value) in [("percent", s.percent), ("index", s.index)] {
      if let p = value?.known, p.value < 0 || p.value > 100 {
        d.append(Diagnostic(severity: .error, path: path + "." + key, rule: "range.percent",
                            message: "\(key) must be between 0 and 100, not \(NumberText.format(p.value))"))
      }
    }
    if let comp = s.component, let components, !components.contains(comp) {
      var message = "component '\(comp)' is not a tumour component of this case"
      if let near = Spelling.nearest(comp, in: components) { message += "; did you mean '\(near)'?" }
      else if !components.isEmpty { message += "; components: \(components.sorted().joined(separator: ", "))" }
      d.append(Diagnostic(severity: .error, path: path + ".component", rule: "stain.unknown-component", message: message))
    }
    if s.result == .negative, s.intensity != nil {
      d.append(Diagnostic(severity: .warning, path: path + ".intensity", rule: "stain.negative-intensity",
                          message: "a negative result has an intensity; remove it or correct the result"))
    }
    if s.result == .completeLoss, s.internalControl == .inadequate || s.internalControl == .notPresent {
      d.append(Diagnostic(severity: .warning, path: path + ".internalControl", rule: "stain.loss-without-control",
                          message: "complete loss cannot be called without adequate internal control staining; report not-interpretable"))
    }
  }

  /// ICD-O-3 morphology: four digits, a slash, a behaviour digit (e.g. 8890/3).
  static func isICDO3Morphology(_ code: String) -> Bool {
    let parts = code.split(separator: "/")
    return parts.count == 2 && parts[0].count == 4 && parts[0].allSatisfy(\.isNumber)
      && parts[1].count == 1 && parts[1].allSatisfy(\.isNumber)
  }
}
