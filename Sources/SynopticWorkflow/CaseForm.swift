import Foundation
import SynopticCore
import SynopticTemplates

/// The checklist as a form: built from a template's items (never written per
/// template), read from a case file and written back into it.
///
/// A control's name is the case-file path it edits (`tumor.size.greatest`,
/// `tumor.margins.0.distance`); a value with a qualifier is posted in parts
/// (`NAME~q`, `~n`, `~u`, `~r`) and put together here, so a browser without
/// script posts the same fields as one with it. Writing merges into the
/// case as it was: keys the form does not show are kept.
public struct CaseForm: Sendable {
  public var templateId: String
  public var sections: [FormSection]

  public struct FormSection: Sendable {
    public var id: String
    public var title: String
    public var fields: [FormField]
  }

  public struct Choice: Sendable, Equatable {
    public var value: String
    public var label: String
    public init(value: String, label: String) {
      self.value = value
      self.label = label
    }
  }

  public enum Kind: Sendable, Equatable {
    case text, longText, lines, date, count, number, yesNo
    case choice, choices
    /// A value that may be exact, a bound, not reported or not determinable.
    case qualified(QualifiedUnit)
    /// Rows of fields; `absent` is how the case says the whole list is not reported.
    case group
    /// A value the rules derive: shown, never entered.
    case derived
    /// Kept from the case file as it is; the form shows it and leaves it alone.
    case kept
  }

  public enum QualifiedUnit: String, Sendable {
    case length, percent, plain
  }

  public struct FormField: Sendable {
    /// The template item id (`CASE-…` for the case header, which every template shares).
    public var id: String
    public var label: String
    public var help: String?
    public var required: Requiredness
    /// The case-file path, relative to the group row for a group's fields.
    public var name: String
    public var kind: Kind
    public var choices: [Choice]
    /// What the case writes when it cannot give this element ("not reported").
    public var absent: String?
    public var showWhen: Condition?
    public var fields: [FormField]
  }

  // MARK: building

  /// The form for a template: the case header, then the template's sections.
  public init(template: SynopticTemplate) {
    templateId = template.id
    var sections = [FormSection(id: "case", title: "Case and patient", fields: Self.header)]
    for s in template.sections {
      let fields = s.items.flatMap { Self.fields(for: $0, inGroup: nil) }
      sections.append(FormSection(id: s.id, title: s.title, fields: fields))
    }
    self.sections = sections
  }

  static func field(
    _ id: String, _ label: String, _ name: String, _ kind: Kind, choices: [Choice] = [], required: Requiredness = .nonCore,
    help: String? = nil, absent: String? = nil, showWhen: Condition? = nil
  ) -> FormField {
    FormField(id: id, label: label, help: help, required: required, name: name, kind: kind, choices: choices, absent: absent, showWhen: showWhen, fields: [])
  }

  static let header: [FormField] = [
    field("CASE-001", "Accession", "accession", .text, required: .core),
    field("CASE-002", "Report date", "reportDate", .date, help: "YYYY-MM-DD"),
    field("CASE-003", "Patient name", "patient.name", .text, help: "Family, Given"),
    field("CASE-004", "Medical record number", "patient.mrn", .text),
    field("CASE-005", "Birth date", "patient.birthDate", .date, help: "YYYY-MM-DD"),
    field("CASE-006", "Age at diagnosis", "patient.ageAtDiagnosis", .count, help: "Years; when no birth date is given"),
    field("CASE-007", "Sex", "patient.sex", .choice, choices: choices(Sex.self)),
    field("CASE-008", "Ordering physician", "orderingPhysician", .text),
    field("CASE-012", "Ordering physician identifier", "orderingPhysicianId", .text, help: "NPI or local identifier"),
    field("CASE-009", "Order number", "orderNumber", .text),
    field("CASE-013", "Facility", "facility", .text),
    field("CASE-010", "Diagnosis", "diagnosis", .lines, required: .core, help: "One line per diagnosis statement, as the report's top line gives it"),
    field("CASE-011", "Comment", "comment", .longText),
  ]

  static func choices<C: CodedChoice>(_ type: C.Type) -> [Choice] {
    C.allCases.map { Choice(value: $0.rawValue, label: $0.label) }
  }

  /// The form fields of one template item: its input (and the "other,
  /// specify" beside a coded answer that has one), or its derived value.
  static func fields(for item: TemplateItem, inGroup group: String?) -> [FormField] {
    let key = group.map { "\($0).\(item.bind)" } ?? item.bind
    var f = FormField(
      id: item.id, label: item.label, help: item.help, required: item.required, name: item.bind, kind: .text, choices: [],
      absent: Bindings.absentSpellings[key]?.first { !$0.contains("<") }, showWhen: item.showWhen, fields: [])
    if item.bind.hasPrefix("derived.") || Self.derivedInRow.contains(key) {
      f.kind = .derived
      f.fields = (item.items ?? []).flatMap { fields(for: $0, inGroup: item.bind) }
      return [f]
    }
    let input = Self.inputs[key] ?? Input(kind: item.type == .group ? .group : .text)
    f.kind = input.kind
    f.name = input.path ?? item.bind
    f.choices = input.choices
    if input.kind == .group {
      f.fields = (item.items ?? []).flatMap { fields(for: $0, inGroup: item.bind) }
    }
    var out = [f]
    if let other = input.other {
      out.append(field(item.id + "-other", "\(item.label), other (specify)", other, .text,
                       showWhen: Condition(item: item.id, in: ["other"], present: nil)))
    }
    if let area = input.area {
      out.append(field(item.id + "-area", "\(item.label), area counted (mm²)", area, .number,
                       help: "When fewer than 10 HPF (1.734 mm²) were counted; the count is then extrapolated"))
    }
    return out
  }

  struct Input {
    var kind: Kind
    var path: String? = nil
    var choices: [Choice] = []
    var other: String? = nil
    /// Where the area a mitotic count was made over goes.
    var area: String? = nil
  }

  static func coded<C: CodedChoice>(_ type: C.Type, other: String? = nil) -> Input {
    Input(kind: .choice, choices: choices(type), other: other)
  }

  static func codedList<C: CodedChoice>(_ type: C.Type, other: String? = nil) -> Input {
    Input(kind: .choices, choices: choices(type), other: other)
  }

  static let qualifiedPercent = Input(kind: .qualified(.percent))
  static let qualifiedLength = Input(kind: .qualified(.length))

  /// Where a binding is entered in a case file and with what control, by
  /// binding (a group's fields as `GROUP.FIELD`). Bindings not listed are
  /// free text at their own path; a template test walks every item.
  static let inputs: [String: Input] = [
    "clinicalHistory": Input(kind: .longText),
    "predisposingConditions": codedList(PredisposingCondition.self, other: "predisposingConditionOther"),
    "precursorLesions": Input(kind: .lines),
    "presurgicalTherapy": coded(PresurgicalTherapy.self),
    "treatmentEffect.viablePercent": qualifiedPercent, "treatmentEffect.necrosisPercent": qualifiedPercent,
    "additionalFindings": Input(kind: .longText),
    "specimens": Input(kind: .group),
    "specimens.procedure": coded(Procedure.self, other: "procedureOther"),
    "specimens.laterality": coded(Laterality.self), "specimens.integrity": coded(SpecimenIntegrity.self),
    "specimens.description": Input(kind: .longText), "specimens.additionalFindings": Input(kind: .longText),
    "tumor.siteGroup": coded(SiteGroup.self),
    "tumor.depth": codedList(TumorDepth.self, other: "tumor.depthOther"),
    "tumor.size.greatest": qualifiedLength, "tumor.size.additional": Input(kind: .lines),
    "tumor.size.source": coded(SizeSource.self), "tumor.focality": coded(Focality.self),
    "tumor.histologicType": Input(kind: .text, path: "tumor.histologicType.name"),
    "tumor.recurrent": Input(kind: .yesNo), "tumor.description": Input(kind: .longText),
    "tumor.extent": Input(kind: .lines), "tumor.operativeFindings": Input(kind: .lines),
    "tumor.lymphovascularInvasion": coded(PresenceFinding.self),
    "tumor.headNeckInvasion": codedList(HeadNeckInvasion.self), "tumor.visceralExtent": coded(VisceralExtent.self),
    "tumor.multifocalSites": Input(kind: .count),
    "tumor.grading.differentiation": Input(kind: .qualified(.plain)),
    "tumor.grading.mitoses": Input(kind: .qualified(.plain), path: "tumor.grading.mitoses.count", area: "tumor.grading.mitoses.areaMm2"),
    "tumor.grading.necrosis": qualifiedPercent,
    "tumor.grading.statedGrade": Input(kind: .qualified(.plain), path: "tumor.grading.statedGrade.grade"),
    "tumor.components": Input(kind: .group),
    "tumor.components.kind": coded(ComponentKind.self),
    "tumor.components.histologicType": Input(kind: .text, path: "histologicType.name"),
    "tumor.components.percent": qualifiedPercent, "tumor.components.size": qualifiedLength,
    "tumor.components.description": Input(kind: .longText),
    "tumor.components.differentiationScore": Input(kind: .qualified(.plain), path: "grading.differentiation"),
    "tumor.components.mitoses": Input(kind: .qualified(.plain), path: "grading.mitoses.count", area: "grading.mitoses.areaMm2"),
    "tumor.components.necrosis": Input(kind: .qualified(.percent), path: "grading.necrosis"),
    "tumor.components.statedGrade": Input(kind: .qualified(.plain), path: "grading.statedGrade.grade"),
    "tumor.margins": Input(kind: .group),
    "tumor.margins.status": coded(MarginStatus.self), "tumor.margins.distance": qualifiedLength,
    "tumor.margins.plannedCloseOnCriticalStructure": Input(kind: .yesNo), "tumor.margins.macroscopic": Input(kind: .yesNo),
    "regionalLymphNodes.status": coded(NodeStatus.self),
    "regionalLymphNodes.examined": Input(kind: .count), "regionalLymphNodes.involved": Input(kind: .count),
    "clinicalNodalStatus": coded(ClinicalNodalStatus.self),
    "distantMetastasis.status": coded(MetastasisStatus.self), "distantMetastasis.sites": Input(kind: .lines),
    "stains": Input(kind: .group),
    "stains.result": coded(StainResult.self), "stains.intensity": coded(StainIntensity.self),
    "stains.percent": qualifiedPercent, "stains.index": qualifiedPercent, "stains.pattern": coded(StainPattern.self),
    "stains.localisation": coded(StainLocalisation.self), "stains.internalControl": coded(InternalControl.self),
    "molecular": Input(kind: .group),
    "molecular.result": coded(MolecularResult.self), "molecular.method": coded(MolecularMethod.self, other: "methodOther"),
    "molecular.ratio": Input(kind: .number), "molecular.copyNumber": Input(kind: .number), "molecular.nucleiScored": Input(kind: .count),
    "priorSpecimens": Input(kind: .group),
    "priorSpecimens.date": Input(kind: .date), "priorSpecimens.grade": Input(kind: .qualified(.plain), path: "grade.grade"),
    "priorSpecimens.stains": Input(kind: .kept), "priorSpecimens.molecular": Input(kind: .kept),
  ]

  /// A group's fields the rules fill (a component's grade and its working).
  static let derivedInRow: Set<String> = ["tumor.components.grade", "tumor.components.grade.working"]

  /// A mapping whose only key is this one is written as that key's value
  /// alone (`size: 6 cm`, `histologicType: leiomyosarcoma`), as case files
  /// write it; read back either way.
  static let primaryKeys: [String: String] = ["size": "greatest", "histologicType": "name", "statedGrade": "grade", "mitoses": "count", "grade": "grade"]

  // MARK: reading

  /// Every control's value for a case: name (and part) to text. A value the
  /// form cannot show in its control (a list where a word belongs) is kept
  /// and reported in `kept`.
  public func values(of tree: CaseTree) -> (values: [String: String], rows: [String: Int]) {
    var values: [String: String] = [:]
    var rows: [String: Int] = [:]
    for section in sections {
      for f in section.fields { read(f, prefix: "", in: tree, into: &values, rows: &rows) }
    }
    return (values, rows)
  }

  func read(_ f: FormField, prefix: String, in tree: CaseTree, into values: inout [String: String], rows: inout [String: Int]) {
    let name = prefix + f.name
    switch f.kind {
    case .derived: return
    case .group:
      let node = Self.get(tree, f.name)
      if let absent = f.absent, node?.scalarText != nil {
        values[name + "~absent"] = absent
        return
      }
      let items = node?.items ?? []
      rows[name] = items.count
      for (i, row) in items.enumerated() {
        values["\(name).\(i)~row"] = String(i)
        for sub in f.fields { read(sub, prefix: "\(name).\(i).", in: row, into: &values, rows: &rows) }
      }
    case .kept:
      if let node = Self.get(tree, f.name) { values[name] = Self.summary(node) }
    default:
      guard let node = Self.get(tree, f.name) else { return }
      switch f.kind {
      case .lines, .choices:
        if let items = node.items {
          values[name] = items.compactMap(\.scalarText).joined(separator: "\n")
        } else if let s = node.scalarText {
          values[name] = s
        }
      case .qualified(let unit):
        guard let s = node.scalarText else { return }
        for (part, text) in Self.split(s, unit: unit) { values[name + part] = text }
      default:
        if let s = node.scalarText { values[name] = s }
      }
    }
  }

  static func summary(_ node: CaseTree) -> String {
    if let items = node.items { return items.count == 1 ? "1 entry" : "\(items.count) entries" }
    return node.scalarText ?? "(kept)"
  }

  /// Reads a dotted path; a scalar where a primary key's mapping would be
  /// reads as that key.
  static func get(_ tree: CaseTree, _ path: String) -> CaseTree? {
    var node: CaseTree? = tree
    var parentKey: String?
    for part in path.split(separator: ".").map(String.init) {
      guard let current = node else { return nil }
      if let items = current.items, let i = Int(part) {
        node = i < items.count ? items[i] : nil
      } else if current.entries != nil {
        node = current[part]
      } else if current.scalarText != nil, let parentKey, primaryKeys[parentKey] == part || part == "status" {
        node = current
      } else {
        return nil
      }
      parentKey = part
    }
    return node
  }

  /// A qualified value's parts: `~q` exact/gt/lt/nr/cbd, `~n` the number (or
  /// text), `~u` the unit, `~r` the reason.
  static func split(_ s: String, unit: QualifiedUnit) -> [(String, String)] {
    let t = s.trimmingCharacters(in: .whitespaces)
    let lower = t.lowercased()
    if ["not reported", "not-reported", "not stated", "not specified", "unknown"].contains(lower) { return [("~q", "nr")] }
    if lower.hasPrefix("cannot be determined") || lower.hasPrefix("cannot be assessed") || lower.hasPrefix("cannot-be-") {
      var reason = String(t.dropFirst(lower.hasPrefix("cannot be determined") ? 20 : lower.hasPrefix("cannot be assessed") ? 18 : 0))
      reason = reason.trimmingCharacters(in: CharacterSet(charactersIn: ":,- ").union(.whitespaces))
      return [("~q", "cbd"), ("~r", reason)]
    }
    var rest = Substring(t)
    var q = "exact"
    if rest.hasPrefix(">") { q = "gt"; rest = rest.dropFirst() } else if rest.hasPrefix("<") { q = "lt"; rest = rest.dropFirst() }
    rest = rest.drop { $0 == " " }
    var u = ""
    let units = unit == .length ? ["mm", "cm"] : unit == .percent ? ["%"] : []
    for candidate in units where rest.hasSuffix(candidate) {
      u = candidate
      rest = rest.dropLast(candidate.count)
      while rest.hasSuffix(" ") { rest = rest.dropLast() }
    }
    var parts = [("~q", q), ("~n", String(rest))]
    if unit == .length { parts.append(("~u", u.isEmpty ? "" : u)) }
    return parts
  }

  // MARK: writing

  /// What a save did besides writing the fields.
  public struct Applied: Sendable {
    public var tree: CaseTree
    /// Answers removed because their item is hidden by its condition: label and the answer.
    public var cleared: [(label: String, value: String)]
    /// Where each posted row now is in its list (`tumor.margins.3` -> 0), so
    /// a page that stays open knows which stored row each of its rows is.
    public var rowPositions: [String: Int]
  }

  /// Writes posted fields into the case: every field the form owns is set
  /// from the post (or removed when empty), group rows are rebuilt in the
  /// posted order from the rows they came from, and an answer to an item
  /// its condition hides is cleared and reported.
  public func apply(_ posted: [(String, String)], to base: CaseTree) -> Applied {
    var post: [String: String] = [:]
    var order: [String] = []
    for (k, v) in posted {
      let value = v.replacingOccurrences(of: "\r\n", with: "\n")
      // Checkboxes of one list post their name once per ticked answer.
      if let earlier = post[k] { post[k] = earlier + "\n" + value } else { order.append(k); post[k] = value }
    }
    var tree = base.entries == nil ? CaseTree.mapping([]) : base
    var cleared: [(String, String)] = []
    var positions: [String: Int] = [:]
    let answers = ItemAnswers(form: self, post: post)
    for section in sections {
      for f in section.fields {
        write(f, prefix: "", base: base, into: &tree, post: post, order: order, answers: answers, cleared: &cleared, positions: &positions)
      }
    }
    return Applied(tree: tree, cleared: cleared, rowPositions: positions)
  }

  /// The answers by item id, for `showWhen` (top-level items only, as templates use them).
  struct ItemAnswers {
    var byItem: [String: [String]] = [:]
    init(form: CaseForm, post: [String: String]) {
      for section in form.sections {
        for f in section.fields where f.kind != .group {
          let raw = f.kind == .choices
            ? (post[f.name] ?? "").split(separator: "\n").map(String.init)
            : [CaseForm.assemble(f, f.name, post) ?? ""].filter { !$0.isEmpty }
          byItem[f.id] = raw.map(CodedChoiceText.normalise)
        }
      }
    }
    /// Within a group row, a condition on a field of the same row looks at that row.
    func shows(_ c: Condition?, siblings: [FormField] = [], rowPrefix: String = "", post: [String: String] = [:]) -> Bool {
      guard let c else { return true }
      var answers = byItem[c.item] ?? []
      if let sibling = siblings.first(where: { $0.id == c.item }), !rowPrefix.isEmpty {
        answers = [CaseForm.assemble(sibling, rowPrefix + sibling.name, post) ?? ""].filter { !$0.isEmpty }.map(CodedChoiceText.normalise)
      }
      if let values = c.in { return answers.contains { values.map(CodedChoiceText.normalise).contains($0) } }
      if let present = c.present { return answers.isEmpty != present }
      return true
    }
  }



  func write(
    _ f: FormField, prefix: String, siblings: [FormField] = [], base: CaseTree, into tree: inout CaseTree, post: [String: String],
    order: [String], answers: ItemAnswers, cleared: inout [(String, String)], positions: inout [String: Int]
  ) {
    let name = prefix + f.name
    switch f.kind {
    case .derived, .kept: return
    case .group:
      if let absent = f.absent, post[name + "~absent"] == absent {
        Self.set(&tree, f.name, .text(absent))
        return
      }
      // Rows in the order their fields were posted; each from the row it came from.
      var indexes: [String] = []
      for key in order where key.hasPrefix(name + ".") {
        let rest = key.dropFirst(name.count + 1)
        if let dot = rest.firstIndex(where: { $0 == "." || $0 == "~" }) {
          let i = String(rest[..<dot])
          if Int(i) != nil, !indexes.contains(i) { indexes.append(i) }
        }
      }
      let old = Self.get(base, f.name)
      var rows: [CaseTree] = []
      for i in indexes where post["\(name).\(i)~remove"] == nil {
        let rowPrefix = "\(name).\(i)."
        var row: CaseTree = .mapping([])
        if let from = post["\(name).\(i)~row"].flatMap(Int.init), let items = old?.items, from < items.count, items[from].entries != nil {
          row = items[from]
        }
        let rowBase = row
        for sub in f.fields {
          write(
            sub, prefix: rowPrefix, siblings: f.fields, base: rowBase, into: &row, post: post, order: order, answers: answers, cleared: &cleared,
            positions: &positions)
        }
        if row.entries?.isEmpty == false {
          positions["\(name).\(i)"] = rows.count
          rows.append(row)
        }
      }
      Self.set(&tree, f.name, rows.isEmpty ? nil : .sequence(rows))
    default:
      // A value the form could not show in its control (a mapping, or a list where one answer goes) is left as it is.
      if let node = Self.get(base, f.name), node.entries != nil || (node.items != nil && f.kind != .lines && f.kind != .choices) { return }
      var value = Self.assemble(f, name, post)
      if !answers.shows(f.showWhen, siblings: siblings, rowPrefix: prefix, post: post), let v = value, !v.isEmpty {
        cleared.append((f.label, v))
        value = nil
      }
      // "Not reported" for a status is said of the whole element (`regionalLymphNodes: not reported`).
      if let absent = f.absent, value == absent, f.name.hasSuffix(".status") {
        Self.set(&tree, String(f.name.dropLast(7)), .text(absent))
        return
      }
      Self.set(&tree, f.name, Self.tree(for: f, value))
    }
  }

  /// A control's posted text as the case file writes it.
  static func assemble(_ f: FormField, _ name: String, _ post: [String: String]) -> String? {
    if case .qualified(let unit) = f.kind {
      let n = (post[name + "~n"] ?? "").trimmingCharacters(in: .whitespaces)
      switch post[name + "~q"] ?? "exact" {
      case "nr": return "not reported"
      case "cbd":
        let r = (post[name + "~r"] ?? "").trimmingCharacters(in: .whitespaces)
        return r.isEmpty ? "cannot be determined" : "cannot be determined: \(r)"
      case let q:
        guard !n.isEmpty else { return nil }
        let sign = q == "gt" ? "> " : q == "lt" ? "< " : ""
        let u: String
        switch unit {
        case .length: u = post[name + "~u"].map { $0.isEmpty ? "" : " " + $0 } ?? ""
        case .percent: u = n.hasSuffix("%") || Double(n) == nil ? "" : " %"
        case .plain: u = ""
        }
        return sign + n + u
      }
    }
    let v = post[name] ?? ""
    return v.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : v
  }

  static func tree(for f: FormField, _ value: String?) -> CaseTree? {
    guard let value else { return nil }
    switch f.kind {
    case .lines, .choices:
      let lines = value.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      if f.kind == .choices, lines.count == 1, let absent = f.absent, lines[0] == absent { return .text(absent) }
      return lines.isEmpty ? nil : .sequence(lines.map(CaseTree.text))
    case .count, .number, .qualified:
      // Numbers are written as numbers: the case model reads a quoted "8" as text.
      let t = value.trimmingCharacters(in: .whitespaces)
      return Double(t) != nil && !t.contains(where: { $0.isLetter }) ? .scalar(t, plain: true) : .text(t)
    case .yesNo:
      return value == "true" || value == "false" ? .scalar(value, plain: true) : .text(value)
    default:
      return .text(value)
    }
  }

  /// Sets a dotted path, making mappings on the way; a mapping left with
  /// only its primary key becomes that value, and an emptied one goes.
  static func set(_ tree: inout CaseTree, _ path: String, _ value: CaseTree?) {
    let parts = path.split(separator: ".").map(String.init)
    setParts(&tree, parts[...], value)
  }

  static func setParts(_ tree: inout CaseTree, _ parts: ArraySlice<String>, _ value: CaseTree?) {
    guard let key = parts.first else { return }
    if parts.count == 1 {
      tree.set(key, value)
      return
    }
    var child = tree[key] ?? .mapping([])
    if child.entries == nil {
      // A shorthand scalar (`size: 6 cm`) stands for its primary key.
      if let primary = primaryKeys[key], child.scalarText != nil {
        child = .mapping([.init(primary, child)])
      } else if value == nil {
        return
      } else {
        child = .mapping([])
      }
    }
    setParts(&child, parts.dropFirst(), value)
    if let entries = child.entries, entries.isEmpty {
      tree.set(key, nil)
    } else if let entries = child.entries, entries.count == 1, let primary = primaryKeys[key], entries[0].key == primary, entries[0].value.scalarText != nil {
      tree.set(key, entries[0].value)
    } else {
      tree.set(key, child)
    }
  }

  // MARK: what the form shows beside the answers

  /// Every field of the form, groups' fields under their group's name.
  public var allFields: [FormField] {
    sections.flatMap { $0.fields }
  }

  /// Required items answered, of those required now (core, and conditional
  /// ones whose condition holds), counting the top level and each group.
  public func completion(_ values: [String: String]) -> (done: Int, of: Int) {
    let post = values
    let answers = ItemAnswers(form: self, post: post)
    var done = 0, of = 0
    for f in allFields where f.kind != .derived && f.kind != .kept && answers.shows(f.showWhen) {
      guard f.required == .core || (f.required == .conditional && f.showWhen != nil) else { continue }
      of += 1
      if f.kind == .group {
        if values[f.name + "~absent"] != nil || values.keys.contains(where: { $0.hasPrefix(f.name + ".") }) { done += 1 }
      } else if let v = Self.assemble(f, f.name, post), !v.isEmpty {
        done += 1
      }
    }
    return (done, of)
  }

  /// The control a diagnostic's model path (`tumor.margins[1].distance`)
  /// belongs to: the longest form name it starts with.
  public func control(for path: String, values: [String: String]) -> String? {
    let dotted = path.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: "")
    var names: [String] = []
    for f in allFields {
      switch f.kind {
      case .group:
        names.append(f.name)
        for key in values.keys where key.hasPrefix(f.name + ".") && key.hasSuffix("~row") {
          let row = String(key.dropLast(4))
          names.append(contentsOf: f.fields.filter { $0.kind != .derived }.map { "\(row).\($0.name)" })
        }
      case .derived: continue
      default: names.append(f.name)
      }
    }
    var best: String?
    for n in names {
      let shortened = Self.trimPrimary(n)
      guard dotted == n || dotted.hasPrefix(n + ".") || dotted == shortened || dotted.hasPrefix(shortened + ".") else { continue }
      if best.map({ n.count > $0.count }) ?? true { best = n }
    }
    return best
  }

  /// `tumor.size.greatest` answers for `tumor.size` too.
  static func trimPrimary(_ name: String) -> String {
    let parts = name.split(separator: ".").map(String.init)
    if parts.count >= 2, primaryKeys[parts[parts.count - 2]] == parts.last { return parts.dropLast().joined(separator: ".") }
    return name
  }
}
