import SynopticCore

/// Where an item's value came from.
public enum Provenance: String, Sendable, Codable {
  /// Stated in the case file.
  case entered
  /// Computed by a rule (FNCLCC, AJCC, margins, comparisons).
  case derived
  /// Filled from a table or a default (e.g. differentiation from the histotype table).
  case `default`
  /// Not in the case: a core element the report prints as "not reported".
  case missing
}

/// A value and its provenance.
public struct BoundValue: Sendable, Equatable {
  public var value: ItemValue
  public var provenance: Provenance
}

/// One row of a repeating group: its fields that have a value, in field order.
/// A group has a handful of fields, so lookups scan instead of hashing.
public struct BoundRow: Sendable {
  /// A named value of a row. A struct, not a tuple: arrays of tuples are
  /// copied and destroyed through the runtime's generic tuple witness.
  public struct Field: Sendable {
    public var name: String
    public var value: BoundValue?
    @inline(__always) public static func f(_ name: String, _ value: BoundValue?) -> Field { Field(name: name, value: value) }
  }
  /// The fields that have a value, in field order.
  public var fields: [Field]

  public subscript(name: String) -> BoundValue? {
    for f in fields where f.name == name { return f.value }
    return nil
  }
}

/// What a binding reads from: the case and what the rules derived.
public struct BindingContext: Sendable {
  public var pathologyCase: PathologyCase
  public var derivation: Derivation
  public init(_ analysis: CaseAnalysis) {
    pathologyCase = analysis.pathologyCase
    derivation = analysis.derivation
  }
}

/// The fields a template item may bind to. Binding names are checked against
/// this registry when a template loads, so a typo fails with file and line.
public enum Bindings {
  public enum Kind: Sendable {
    case scalar(@Sendable (BindingContext) -> BoundValue?)
    /// A repeating group: rows of named fields, and the value that stands for
    /// the whole group when the case says it is not reported.
    case group(fields: [String], rows: @Sendable (BindingContext) -> [BoundRow], absent: (@Sendable (BindingContext) -> ItemValue?)? = nil)
  }

  /// What a case file may write for an element it cannot give, by binding
  /// (group fields as `GROUP.FIELD`): the spellings a missing-element
  /// diagnostic offers, each one the decoder accepts (a test writes each).
  public static let absentSpellings: [String: [String]] = {
    let qualified = ["not reported", "cannot be determined: <reason>"]
    return [
      "presurgicalTherapy": ["unknown"], "treatmentEffect.viablePercent": qualified, "treatmentEffect.necrosisPercent": qualified,
      "tumor.site": ["not specified"], "tumor.depth": ["not reported", "cannot-be-determined"], "tumor.size.greatest": qualified,
      "tumor.histologicType": ["cannot be determined: <reason>"], "tumor.grading.mitoses": qualified,
      "tumor.grading.necrosis": qualified, "tumor.grading.differentiation": qualified, "tumor.grading.statedGrade": qualified,
      "tumor.margins": ["not reported"], "tumor.margins.status": ["cannot-be-assessed", "not-reported"],
      "tumor.margins.distance": qualified, "tumor.components.percent": qualified, "tumor.components.size": qualified,
      "regionalLymphNodes.status": ["not reported"], "distantMetastasis.status": ["not reported"],
      "specimens.procedure": ["not-specified"], "stains.percent": qualified, "stains.index": qualified,
    ]
  }()

  public static func entered(_ v: ItemValue?) -> BoundValue? { v.map { BoundValue(value: $0, provenance: .entered) } }
  public static func derived(_ v: ItemValue?) -> BoundValue? { v.map { BoundValue(value: $0, provenance: .derived) } }

  static func scalar(_ f: @escaping @Sendable (BindingContext) -> BoundValue?) -> Kind { .scalar(f) }

  static func row(_ fields: consuming [BoundRow.Field]) -> BoundRow {
    // In place on the caller's literal: `filter` builds a second array, growing it as it goes.
    fields.removeAll { !$0.value.isSome }
    return BoundRow(fields: fields)
  }

  /// The binding for a name: a registered one, or `local.NAME` (an
  /// institution's local item, read from the case's `local` map).
  public static func resolve(_ name: String) -> Kind? {
    if let k = all[name] { return k }
    guard name.hasPrefix("local."), name.count > 6 else { return nil }
    let key = String(name.dropFirst(6))
    return .scalar { entered(.textIfAny($0.pathologyCase.local?[key])) }
  }

  /// Every binding name, with how to read it.
  public static let all: [String: Kind] = {
    var b: [String: Kind] = [:]
    // Case header and clinical information
    b["clinicalHistory"] = scalar { entered(.textIfAny($0.pathologyCase.clinicalHistory)) }
    b["predisposingConditions"] = scalar { c in
      guard let list = c.pathologyCase.predisposingConditions, !list.isEmpty else { return nil }
      let other = c.pathologyCase.predisposingConditionOther.flatMap { ItemValue.textIfAny($0)?.display }
      return entered(.codedList(list.map { CodedAnswer(value: $0.rawValue, display: $0 == .other ? other ?? $0.label : $0.label, code: nil) }))
    }
    b["precursorLesions"] = scalar { c in
      guard let l = c.pathologyCase.precursorLesions, !l.isEmpty else { return nil }
      return entered(.textList(l))
    }
    b["additionalFindings"] = scalar { entered(.textIfAny($0.pathologyCase.additionalFindings)) }
    b["presurgicalTherapy"] = scalar { entered($0.pathologyCase.presurgicalTherapy.map(ItemValue.choice)) }
    b["treatmentEffect.viablePercent"] = scalar { entered(.qualified($0.pathologyCase.treatmentEffect?.viablePercent, ItemValue.percent)) }
    b["treatmentEffect.necrosisPercent"] = scalar { entered(.qualified($0.pathologyCase.treatmentEffect?.necrosisPercent, ItemValue.percent)) }
    // Tumour
    b["tumor.site"] = scalar { entered(.textIfAny($0.pathologyCase.tumor?.site)) }
    b["tumor.siteGroup"] = scalar { entered($0.pathologyCase.tumor?.siteGroup.map(ItemValue.choice)) }
    b["tumor.depth"] = scalar { c in
      // "other" prints what it is.
      let other = c.pathologyCase.tumor?.depthOther.flatMap { ItemValue.textIfAny($0)?.display }
      return entered(.qualified(c.pathologyCase.tumor?.depth) { depth in
        .codedList(depth.map { CodedAnswer(value: $0.rawValue, display: $0 == .other ? other ?? $0.label : $0.label, code: nil) })
      })
    }
    b["tumor.size.greatest"] = scalar { entered(.qualified($0.pathologyCase.tumor?.size) { .length($0.greatest) }) }
    b["tumor.size.source"] = scalar { entered($0.pathologyCase.tumor?.size?.known?.source.map(ItemValue.choice)) }
    b["tumor.size.additional"] = scalar { c in
      guard let extra = c.pathologyCase.tumor?.size?.known?.additional, !extra.isEmpty else { return nil }
      return entered(.text(extra.map(\.description).joined(separator: " x ")))
    }
    b["tumor.focality"] = scalar { entered($0.pathologyCase.tumor?.focality.map(ItemValue.choice)) }
    b["tumor.histologicType"] = scalar { c in
      guard let type = c.pathologyCase.tumor?.histologicType else { return nil }
      return entered(.qualified(type) { ItemValue.textIfAny($0.name) ?? .notReported })
    }
    b["tumor.histologicType.icdO3"] = scalar { c in
      guard let type = c.pathologyCase.tumor?.histologicType?.known, let code = type.icdO3 else { return nil }
      return entered(.coded(CodedAnswer(value: code, display: code, code: Code(system: "ICD-O-3", code: code, display: type.name))))
    }
    b["tumor.headNeckInvasion"] = scalar { c in
      guard let l = c.pathologyCase.tumor?.headNeckInvasion, !l.isEmpty else { return nil }
      return entered(.choices(l))
    }
    b["tumor.visceralExtent"] = scalar { entered($0.pathologyCase.tumor?.visceralExtent.map(ItemValue.choice)) }
    b["tumor.multifocalSites"] = scalar { entered($0.pathologyCase.tumor?.multifocalSites.map(ItemValue.count)) }
    b["tumor.lymphovascularInvasion"] = scalar { entered($0.pathologyCase.tumor?.lymphovascularInvasion.map(ItemValue.choice)) }
    b["tumor.extent"] = scalar { c in
      guard let e = c.pathologyCase.tumor?.extent, !e.isEmpty else { return nil }
      return entered(.textList(e))
    }
    b["tumor.operativeFindings"] = scalar { c in
      guard let e = c.pathologyCase.tumor?.operativeFindings, !e.isEmpty else { return nil }
      return entered(.textList(e))
    }
    b["tumor.description"] = scalar { entered(.textIfAny($0.pathologyCase.tumor?.description)) }
    b["tumor.recurrent"] = scalar { entered($0.pathologyCase.tumor?.recurrent.map(ItemValue.yesNo)) }
    // Grading inputs and the derived grade
    b["tumor.grading.differentiation"] = scalar { c in
      let g = c.derivation.overallGrade
      if let v = c.pathologyCase.tumor?.grading?.differentiation {
        return entered(.qualified(v) { .count($0) })
      }
      if let f = g.fnclcc, g.differentiationFromTable {
        return BoundValue(value: .count(f.differentiationScore), provenance: .default)
      }
      return nil
    }
    b["tumor.grading.mitoses"] = scalar { c in
      entered(.qualified(c.pathologyCase.tumor?.grading?.mitoses) { .text($0.description) })
    }
    b["tumor.grading.necrosis"] = scalar { entered(.qualified($0.pathologyCase.tumor?.grading?.necrosis, ItemValue.percent)) }
    b["tumor.grading.statedGrade"] = scalar { c in
      entered(.qualified(c.pathologyCase.tumor?.grading?.statedGrade) { .text($0.description) })
    }
    b["derived.grade"] = scalar { c in derived(.coded(Self.gradeAnswer(c.derivation.grade))) }
    b["derived.grade.working"] = scalar { c in derived(.text(c.derivation.grade.working)) }
    b["derived.fnclcc.total"] = scalar { c in derived(c.derivation.grade.fnclcc.map { .count($0.totalScore) }) }
    // Nodes, metastasis, staging
    b["regionalLymphNodes.status"] = scalar { entered(.qualified($0.pathologyCase.regionalLymphNodes) { .choice($0.status) }) }
    b["regionalLymphNodes.examined"] = scalar { entered($0.pathologyCase.regionalLymphNodes?.known?.examined.map(ItemValue.count)) }
    b["regionalLymphNodes.involved"] = scalar { entered($0.pathologyCase.regionalLymphNodes?.known?.involved.map(ItemValue.count)) }
    b["clinicalNodalStatus"] = scalar { entered($0.pathologyCase.clinicalNodalStatus.map(ItemValue.choice)) }
    b["distantMetastasis.status"] = scalar { entered(.qualified($0.pathologyCase.distantMetastasis) { .choice($0.status) }) }
    b["distantMetastasis.sites"] = scalar { c in
      guard let s = c.pathologyCase.distantMetastasis?.known?.sites, !s.isEmpty else { return nil }
      return entered(.textList(s))
    }
    b["derived.siteGroupChapter"] = scalar { c in
      derived(c.pathologyCase.tumor?.siteGroup.map { .text("AJCC 8th edition, chapter \($0.chapter): \($0.label)") })
    }
    b["derived.pT"] = scalar { c in derived(.text(c.derivation.pT)) }
    b["derived.t.working"] = scalar { c in derived(.text(c.derivation.t.working)) }
    b["derived.pN"] = scalar { c in derived(.text(c.derivation.nDisplay)) }
    b["derived.pM"] = scalar { c in derived(.text(c.derivation.mDisplay)) }
    b["derived.stageGroup"] = scalar { c in
      let s = c.derivation.stage
      return derived(.text(s.group ?? (s.alternatives.isEmpty ? "not assigned" : "cannot be assigned: " + s.alternatives.joined(separator: " or "))))
    }
    b["derived.stageGroup.reason"] = scalar { c in derived(.text(c.derivation.stage.reason)) }
    // Margins
    b["derived.margins.rClass"] = scalar { c in derived(c.derivation.margins.map { .text($0.rClass.rawValue) }) }
    b["derived.margins.closest"] = scalar { c in
      guard let m = c.derivation.margins else { return nil }
      // The name alone when it is certain; with what may be closer when it is not.
      if let closest = m.closest, m.mayBeCloser.isEmpty, m.equallyClose.isEmpty { return derived(.text(closest.name)) }
      return derived(m.closestText.map(ItemValue.text))
    }
    b["derived.margins.closestDistance"] = scalar { c in
      if let d = c.derivation.margins?.closestDistance { return derived(.length(d)) }
      // No distance known: "not reported" when the case says so for every free margin, nothing when it is silent.
      let free = (c.pathologyCase.tumor?.marginList ?? []).filter { $0.status == .notInvolved }
      guard !free.isEmpty, free.allSatisfy({ $0.distance != nil }) else { return nil }
      if free.allSatisfy({ if case .cannotBeDetermined? = $0.distance { return true } else { return false } }) {
        return derived(.cannotBeDetermined(reason: nil))
      }
      return derived(.notReported)
    }
    b["derived.margins.close"] = scalar { c in derived(c.derivation.margins?.closeText.map(ItemValue.text)) }
    b["derived.margins.involved"] = scalar { c in
      guard let m = c.derivation.margins, !m.involved.isEmpty else { return nil }
      return derived(.textList(m.involved))
    }
    b["derived.margins.working"] = scalar { c in derived(c.derivation.margins.map { .text($0.working) }) }
    // Repeating groups
    b["specimens"] = .group(fields: ["id", "procedure", "procedureOther", "site", "laterality", "integrity", "collectedAt", "description", "additionalFindings"]) { c in
      (c.pathologyCase.specimens ?? []).map { s in
        // A coded "other" prints its specification.
        let other = s.procedure == .other ? ItemValue.textIfAny(s.procedureOther)?.display : nil
        return row([
          .f("id", entered(.text(s.id))),
          .f("procedure", entered(.coded(CodedAnswer(value: s.procedure.rawValue, display: other ?? s.procedure.label, code: nil)))),
          .f("procedureOther", entered(.textIfAny(s.procedureOther))), .f("site", entered(.textIfAny(s.site))),
          .f("laterality", entered(s.laterality.map(ItemValue.choice))), .f("integrity", entered(s.integrity.map(ItemValue.choice))),
          .f("collectedAt", entered(s.collectedAt.map { ItemValue.text($0.text) })),
          .f("description", entered(.textIfAny(s.description))), .f("additionalFindings", entered(.textIfAny(s.additionalFindings))),
        ])
      }
    }
    b["tumor.components"] = .group(fields: ["name", "kind", "differentiation", "histologicType", "histologicType.icdO3", "percent", "size", "description", "differentiationScore", "mitoses", "necrosis", "statedGrade", "grade", "grade.working"]) { c in
      (c.pathologyCase.tumor?.components ?? []).map { comp in
        let assessed = c.derivation.componentGrades.first { $0.name == comp.name }?.assessment
        return row([
          .f("name", entered(.text(comp.name))), .f("kind", entered(.choice(comp.kind))),
          .f("differentiation", entered(.textIfAny(comp.differentiation))),
          .f("histologicType", entered(.textIfAny(comp.histologicType?.name))),
          .f("histologicType.icdO3", entered(comp.histologicType?.icdO3.map { code in
            .coded(CodedAnswer(value: code, display: code, code: Code(system: "ICD-O-3", code: code, display: comp.histologicType?.name)))
          })),
          .f("percent", entered(.qualified(comp.percent, ItemValue.percent))), .f("size", entered(.qualified(comp.size, ItemValue.length))),
          .f("description", entered(.textIfAny(comp.description))),
          .f("differentiationScore", entered(.qualified(comp.grading?.differentiation) { .count($0) })),
          .f("mitoses", entered(.qualified(comp.grading?.mitoses) { .text($0.description) })),
          .f("necrosis", entered(.qualified(comp.grading?.necrosis, ItemValue.percent))),
          .f("statedGrade", entered(.qualified(comp.grading?.statedGrade) { .text($0.description) })),
          .f("grade", derived(assessed.map { .coded(Self.gradeAnswer($0)) })),
          .f("grade.working", derived(assessed.map { .text($0.working) })),
        ])
      }
    }
    b["tumor.margins"] = .group(fields: ["name", "status", "distance", "tissue", "plannedCloseOnCriticalStructure", "macroscopic"], rows: { c in
      (c.pathologyCase.tumor?.marginList ?? []).map { m in
        row([
          .f("name", entered(.text(m.name))), .f("status", entered(.choice(m.status))),
          .f("distance", entered(.qualified(m.distance, ItemValue.length))), .f("tissue", entered(.textIfAny(m.tissue))),
          .f("plannedCloseOnCriticalStructure", entered(m.plannedCloseOnCriticalStructure.map(ItemValue.yesNo))),
          .f("macroscopic", entered(m.macroscopic.map(ItemValue.yesNo))),
        ])
      }
    }, absent: { c in
      switch c.pathologyCase.tumor?.margins {
      case .notReported?: return .notReported
      case .cannotBeDetermined(let r)?: return .cannotBeDetermined(reason: r)
      default: return nil
      }
    })
    b["stains"] = .group(fields: ["marker", "clone", "result", "intensity", "percent", "proportion", "index", "pattern", "localisation", "population", "component", "internalControl", "comment"]) { c in
      (c.pathologyCase.stains ?? []).map(stainRow)
    }
    b["molecular"] = .group(fields: ["method", "target", "probe", "result", "ratio", "copyNumber", "nucleiScored", "fusionPartner", "variant", "comment"]) { c in
      (c.pathologyCase.molecular ?? []).map(molecularRow)
    }
    b["priorSpecimens"] = .group(fields: ["accession", "date", "procedure", "diagnosis", "grade", "stains", "molecular"]) { c in
      (c.pathologyCase.priorSpecimens ?? []).map { p in
        row([
          .f("accession", entered(.text(p.accession))), .f("date", entered(p.date.map { .date($0.description) })),
          .f("procedure", entered(.textIfAny(p.procedure))), .f("diagnosis", entered(.textIfAny(p.diagnosis))),
          .f("grade", entered(p.grade.map { .text($0.description) })),
          .f("stains", entered((p.stains ?? []).isEmpty ? nil : .textList((p.stains ?? []).map { rowSummary(stainRow($0)) }))),
          .f("molecular", entered((p.molecular ?? []).isEmpty ? nil : .textList((p.molecular ?? []).map { rowSummary(molecularRow($0)) }))),
        ])
      }
    }
    b["derived.molecularChanges"] = .group(fields: ["target", "prior", "current", "priorAccession", "text"]) { c in
      c.derivation.molecularChanges.map { m in
        row([
          .f("target", derived(.text(m.target))), .f("prior", derived(.choice(m.priorResult))), .f("current", derived(.choice(m.currentResult))),
          .f("priorAccession", derived(.text(m.priorAccession))), .f("text", derived(.text(m.text))),
        ])
      }
    }
    b["derived.stainChanges"] = .group(fields: ["marker", "prior", "current", "priorAccession", "component", "text"]) { c in
      c.derivation.stainChanges.map { s in
        row([
          .f("marker", derived(.text(s.marker))), .f("prior", derived(.choice(s.priorResult))),
          .f("current", derived(.choice(s.currentResult))), .f("priorAccession", derived(.text(s.priorAccession))),
          .f("component", derived(.textIfAny(s.component))), .f("text", derived(.text(s.text))),
        ])
      }
    }
    return b
  }()

  static func stainRow(_ s: Stain) -> BoundRow {
    row([
      .f("marker", entered(.text(s.marker))), .f("result", entered(.choice(s.result))), .f("clone", entered(.textIfAny(s.clone))),
      .f("intensity", entered(s.intensity.map(ItemValue.choice))), .f("percent", entered(.qualified(s.percent, ItemValue.percent))),
      .f("proportion", entered(.textIfAny(s.proportion))), .f("index", entered(.qualified(s.index, ItemValue.percent))),
      .f("pattern", entered(s.pattern.map(ItemValue.choice))), .f("localisation", entered(s.localisation.map(ItemValue.choice))),
      .f("population", entered(.textIfAny(s.population))),
      .f("component", entered(.textIfAny(s.component))), .f("internalControl", entered(s.internalControl.map(ItemValue.choice))),
      .f("comment", entered(.textIfAny(s.comment))),
    ])
  }

  static func molecularRow(_ m: MolecularTest) -> BoundRow {
    let other = m.method == .other ? ItemValue.textIfAny(m.methodOther)?.display : nil
    return row([
      .f("target", entered(.text(m.target))), .f("result", entered(.choice(m.result))),
      .f("method", entered(.coded(CodedAnswer(value: m.method.rawValue, display: other ?? m.method.label, code: nil)))),
      .f("probe", entered(.textIfAny(m.probe))), .f("ratio", entered(m.ratio.map(ItemValue.ratio))),
      .f("copyNumber", entered(m.copyNumber.map(ItemValue.ratio))),
      .f("nucleiScored", entered(m.nucleiScored.map(ItemValue.count))), .f("fusionPartner", entered(.textIfAny(m.fusionPartner))),
      .f("variant", entered(.textIfAny(m.variant))), .f("comment", entered(.textIfAny(m.comment))),
    ])
  }

  /// A nested row in one line, each value after the first two named by its
  /// field: "SMA: negative, pattern vessels only".
  static func rowSummary(_ r: BoundRow) -> String {
    var out = ""
    for (i, f) in r.fields.enumerated() {
      guard let v = f.value else { continue }
      out += i == 0 ? "" : i == 1 ? ": " : ", \(rowWords(f.name)) "
      out += v.value.display
    }
    return out
  }

  /// "internalControl" as "internal control".
  static func rowWords(_ field: String) -> String {
    var out = ""
    for ch in field {
      if ch.isUppercase { out += " " + ch.lowercased() } else { out.append(ch) }
    }
    return out
  }

  static func gradeAnswer(_ g: GradeAssessment) -> CodedAnswer {
    CodedAnswer(value: g.value, display: g.phrase, code: nil)
  }
}
