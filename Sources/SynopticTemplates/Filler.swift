import SynopticCore

/// Fills a template from an analysed case into a ``ReportDocument``.
package enum Filler {
  package static func fill(_ template: SynopticTemplate, with analysis: CaseAnalysis) -> ReportDocument {
    let context = BindingContext(analysis)
    let c = analysis.pathologyCase
    var diagnostics = analysis.diagnostics
    var answers: [String: ItemValue] = [:]
    answers.reserveCapacity(template.sections.reduce(0) { $0 + $1.items.count })

    // First pass: values of top-level items, so conditions can see every
    // answer. Kept by position, so the second pass does not bind them again.
    var scalars: [[BoundValue?]] = []
    scalars.reserveCapacity(template.sections.count)
    for section in template.sections {
      var values: [BoundValue?] = []
      values.reserveCapacity(section.items.count)
      for i in section.items.indices {
        var bound: BoundValue? = nil
        if case .scalar(let get)? = section.items[i].kind { bound = get(context) }
        if let bound { answers[section.items[i].id] = bound.value }
        values.append(bound)
      }
      scalars.append(values)
    }

    func holds(_ condition: Condition?, within row: [String: ItemValue] = [:]) -> Bool {
      guard let condition else { return true }
      let value = row[condition.item] ?? answers[condition.item]
      if let present = condition.present { return value.isSome == present }
      guard let value, let allowed = condition.in else { return false }
      return value.conditionKeys.contains(where: allowed.contains)
    }

    func make(_ item: TemplateItem, _ bound: BoundValue?) -> ReportItem {
      let answerCode: Code?
      switch bound?.value {
      case .coded(let a)?: answerCode = item.answerCodes?[a.value] ?? a.code
      // A derived category printed as text (pT2, IIIA) is coded when the terminology lists it.
      case .text(let t)?: answerCode = item.answerCodes?[t]
      default: answerCode = nil
      }
      return ReportItem(
        answering: item, display: bound?.value.display ?? "", value: bound?.value, answerCode: answerCode, provenance: bound?.provenance)
    }

    /// Reports a missing required element; returns the value to print for it
    /// ("not reported", for elements that may be missing from a real report).
    @discardableResult
    func requireIfNeeded(
      _ item: TemplateItem, binding: @autoclosure () -> String, present: Bool, path: @autoclosure () -> String, row: [String: ItemValue] = [:]
    ) -> BoundValue? {
      guard !present else { return nil }
      let needed = item.required == .core || (item.required == .conditional && holds(item.requiredWhen, within: row))
      guard needed else { return nil }
      if item.whenMissing == .notReported {
        diagnostics.append(Diagnostic(
          severity: .warning, path: path(), rule: "template.core-not-reported",
          message: "\(item.label) (\(item.id)) is a core element of \(template.id) \(template.version) and is not in the case; the report says 'not reported'. Give it, or write 'not reported' if the source does not give it\(item.help.map { ": \($0)" } ?? "")"))
        return BoundValue(value: .notReported, provenance: .missing)
      }
      // Offer only what the case file can say instead (the decoder accepts each).
      let instead = (Bindings.absentSpellings[binding()] ?? []).map { "'\($0)'" }
      diagnostics.append(Diagnostic(
        severity: .error, path: path(), rule: "template.required",
        message: "\(item.label) (\(item.id)) is a required element of \(template.id) \(template.version); give it"
          + (instead.isEmpty ? "" : ", or write " + instead.joined(separator: " or ")) + (item.help.map { ": \($0)" } ?? "")))
      return nil
    }

    // A local value no item of this template shows would vanish from every output: say so.
    if let local = c.local, !local.isEmpty {
      let localBindings = Set(template.allItems().map(\.item.bind).filter { $0.hasPrefix("local.") })
      for key in local.keys.sorted() where !localBindings.contains("local." + key) {
        diagnostics.append(Diagnostic(
          severity: .warning, path: "local.\(key)", rule: "template.local-unused",
          message: "local.\(key) is not an item of \(template.id) \(template.version), so no report shows it; use a template that binds local.\(key), or remove it"))
      }
    }

    var sections: [ReportSection] = []
    sections.reserveCapacity(template.sections.count)
    for (s, section) in template.sections.enumerated() {
      var items: [ReportItem] = []
      items.reserveCapacity(section.items.count)
      // By index: `for item in` copies every item (two dozen fields) out of the template.
      for i in section.items.indices where holds(section.items[i].showWhen) {
        let item = section.items[i]
        switch item.kind {
        case .scalar?:
          let bound = scalars[s][i]
          let missing = requireIfNeeded(item, binding: item.bind, present: bound.isSome, path: Self.modelPath(item.bind))
          items.append(make(item, bound ?? missing))
        case .group(_, let rowsOf, let absentOf)?:
          let rows = rowsOf(context)
          // "Not reported" for the whole group is an answer, printed as the group's value.
          let absent = rows.isEmpty ? absentOf?(context) : nil
          requireIfNeeded(item, binding: item.bind, present: !rows.isEmpty || absent != nil, path: Self.modelPath(item.bind))
          var filled: [[ReportItem]] = []
          filled.reserveCapacity(rows.count)
          let fields = item.items ?? []
          // A row's answers by field id, for conditions between fields (rare: built only then).
          let conditional = fields.contains { $0.showWhen.isSome || $0.requiredWhen.isSome }
          for (r, row) in rows.enumerated() {
            let rowAnswers = conditional
              ? Dictionary(uniqueKeysWithValues: fields.compactMap { f in row[f.bind].map { (f.id, $0.value) } }) : [:]
            var cells: [ReportItem] = []
            cells.reserveCapacity(fields.count)
            for f in fields.indices where holds(fields[f].showWhen, within: rowAnswers) {
              let field = fields[f]
              let bound = row[field.bind]
              let missing = requireIfNeeded(
                field, binding: "\(item.bind).\(field.bind)", present: bound.isSome, path: "\(Self.modelPath(item.bind))[\(r)].\(field.bind)",
                row: rowAnswers)
              cells.append(make(field, bound ?? missing))
            }
            filled.append(cells)
          }
          var group = make(item, absent.map { BoundValue(value: $0, provenance: .entered) })
          // A group the case reports as absent is one value, written like any other item.
          group.rows = absent == nil ? filled : nil
          items.append(group)
        case nil:
          continue  // lint reports unknown bindings when the template loads
        }
      }
      var filled = ReportSection(id: section.id, title: section.title, items: items)
      filled.apsr = section.apsr ?? .microscopic
      sections.append(filled)
    }

    let status: ReportStatus = c.signOut?.time != nil ? .final : .draft
    var doc = ReportDocument(
      templateId: template.id, templateTitle: template.title, templateVersion: template.version,
      templateProvenance: template.provenance, baseTemplate: template.base.map { "\($0) \(template.baseVersion ?? "")" },
      letterhead: template.letterhead, accession: c.accession, reportDate: c.reportDate?.description, status: status, version: 1,
      patient: {
        var p = ReportPatient(name: c.patient?.name, mrn: c.patient?.mrn, birthDate: c.patient?.birthDate?.description, sex: c.patient?.sex)
        p.ageAtDiagnosis = c.patient?.ageAtDiagnosis
        return p
      }(),
      orderingPhysician: c.orderingPhysician, facility: c.facility, diagnosis: c.diagnosis ?? [], comment: c.comment,
      sections: sections, comparison: analysis.derivation.priorChanges, diagnostics: diagnostics,
      signedOutBy: c.signOut?.time != nil ? c.signOut?.pathologist : nil, signedOutAt: c.signOut?.time?.text,
      amendmentReason: nil, addenda: [])
    doc.orderNumber = c.orderNumber
    doc.orderingPhysicianId = c.orderingPhysicianId
    doc.specimens = (c.specimens ?? []).map {
      var s = ReportSpecimen(id: $0.id, procedure: $0.procedure.rawValue, procedureLabel: $0.procedureOther ?? $0.procedure.label,
                             site: $0.site, laterality: $0.laterality?.label)
      s.collectedAt = $0.collectedAt?.text
      return s
    }
    doc.derived = derived(analysis)
    doc.codeSystems = template.codeSystems
    return doc
  }

  static func grade(_ g: GradeAssessment, name: String?) -> ReportDerived.Grade {
    var grade = ReportDerived.Grade(
      name: name, value: g.value, display: g.phrase, ajcc: g.ajccDisplay,
      source: g.source.rawValue, working: g.working,
      scores: g.fnclcc.map { .init(differentiation: $0.differentiationScore, mitotic: $0.mitoticScore, necrosis: $0.necrosisScore, total: $0.totalScore) },
      differentiationFromTable: g.differentiationFromTable)
    grade.range = g.range
    grade.stated = g.stated?.description
    return grade
  }

  static func derived(_ a: CaseAnalysis) -> ReportDerived {
    let d = a.derivation
    return ReportDerived(
      grade: grade(d.grade, name: nil), componentGrades: d.componentGrades.map { grade($0.assessment, name: $0.name) },
      siteGroup: a.pathologyCase.tumor?.siteGroup?.rawValue, ajccChapter: a.pathologyCase.tumor?.siteGroup?.chapter,
      t: d.t.category, tWorking: d.t.working, pT: d.pT, n: d.n.rawValue, pN: d.nDisplay, m: d.m.rawValue, pM: d.mDisplay,
      stageGroup: d.stage.group, stageRule: d.stage.reason, rClass: d.margins?.rClass.rawValue,
      closestMargin: d.margins?.closest?.name, closestDistance: d.margins?.closestDistance,
      closeMargin: d.margins?.close.flatMap { $0 == .cannotBeDetermined ? nil : $0 == .yes }, marginWorking: d.margins?.working,
      closeFlag: d.margins?.close?.rawValue, closeThresholdMm: d.margins?.closeThresholdMm,
      mayBeCloser: d.margins.map { $0.mayBeCloser.map(\.name) }, nWorking: d.nWorking, mWorking: d.mWorking,
      cN: d.cN?.rawValue, stageAlternatives: d.stage.alternatives.isEmpty ? nil : d.stage.alternatives)
  }

  /// The case-model path a binding reads, for diagnostics (`derived.*` are rule outputs).
  static func modelPath(_ binding: String) -> String {
    switch binding {
    case "tumor.size.greatest", "tumor.size.additional": return "tumor.size"
    case "tumor.histologicType.icdO3": return "tumor.histologicType.icdO3"
    default: return binding
    }
  }
}

extension Optional {
  /// Whether there is a value, without comparing: `x != nil` on an Equatable
  /// payload can copy it (the filler asks this of every item).
  @inline(__always) var isSome: Bool {
    if case .some = self { return true }
    return false
  }
}
