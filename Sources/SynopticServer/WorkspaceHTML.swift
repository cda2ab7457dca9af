import Foundation
import SynopticCore
import SynopticExport
import SynopticLayout
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

/// The workspace's HTML, rendered by our layout engine from the Mustache
/// files in `Templates/workspace/` (so a site restyles its workspace as it
/// restyles its reports). This file builds what those layouts read: the form
/// a template makes, and the panels beside it. The page on load and every
/// live update use the same layouts. Every value is escaped by the engine.
struct WorkspaceLayouts: Sendable {
  let draft: Layout
  let report: Layout
  let newCase: Layout
  let rules: Layout
  let diagnostics: Layout
  let changes: Layout

  init(directory: URL) throws {
    let library = try LayoutLibrary(directory: directory, escape: .html)
    draft = try library.layout(named: "draft")
    report = try library.layout(named: "report")
    newCase = try library.layout(named: "new-case")
    rules = try library.layout(named: "rules")
    diagnostics = try library.layout(named: "diagnostics")
    changes = try library.layout(named: "changes")
  }
}

enum WorkspaceHTML {
  typealias Value = LayoutValue

  static func list(_ values: [Value]) -> Value { .list(values) }
  static func object(_ pairs: [(String, Value)]) -> Value { .object(LayoutObject(pairs)) }

  // MARK: the form

  static func form(_ form: CaseForm, values: [String: String], rows: [String: Int], invalid: Set<String>, derived: [String: String]) -> Value {
    let sections = form.sections.map { section in
      object([
        ("id", .string(section.id)), ("title", .string(section.title)),
        ("fields", list(section.fields.map { field($0, prefix: "", values: values, rows: rows, invalid: invalid, derived: derived) })),
      ])
    }
    return list(sections)
  }

  static func kindName(_ k: CaseForm.Kind) -> String {
    switch k {
    case .text: return "text"
    case .longText: return "long-text"
    case .lines: return "lines"
    case .date: return "date"
    case .count: return "count"
    case .number: return "number"
    case .yesNo: return "yes-no"
    case .choice: return "choice"
    case .choices: return "choices"
    case .qualified: return "qualified"
    case .group: return "group"
    case .derived: return "derived"
    case .kept: return "kept"
    }
  }

  static func option(_ value: String, _ text: String, selected: Bool) -> Value {
    object([("value", .string(value)), ("text", .string(text)), ("selected", .bool(selected))])
  }

  /// Every key a field's layout reads is set (empty or false when unused), so
  /// no lookup falls through to the group around it.
  static func field(
    _ f: CaseForm.FormField, prefix: String, values: [String: String], rows: [String: Int], invalid: Set<String>, derived: [String: String]
  ) -> Value {
    let name = prefix + f.name
    let value = values[name] ?? ""
    var show: Value = false
    if let c = f.showWhen {
      show = object([
        ("item", .string(c.item)), ("prefix", .string(prefix)), ("in", .string(c.in?.joined(separator: "|") ?? "")),
        ("present", .string(c.present.map { String($0) } ?? "")),
      ])
    }
    var pairs: [(String, Value)] = [
      ("id", .string(f.id)), ("name", .string(name)), ("htmlId", .string("f-" + name)), ("label", .string(f.label)),
      ("help", .string(f.help ?? "")), ("helpId", .string("h-" + name)), ("kind", .string(kindName(f.kind))),
      ("core", .bool(f.required == .core)), ("conditional", .bool(f.required == .conditional)),
      ("invalid", .bool(invalid.contains(name))), ("show", show), ("value", .string(value)),
      ("readOnly", .bool(prefix.isEmpty && f.name == "accession")),
    ]
    var kind = ["isGroup": false, "isDerived": false, "isKept": false, "isChoice": false, "isChoices": false, "isTextArea": false,
                "isLines": false, "isQualified": false, "isInput": false]
    switch f.kind {
    case .derived:
      kind["isDerived"] = true
      pairs.append(("derivedValue", .string(derived[f.id] ?? "")))
    case .kept:
      kind["isKept"] = true
      pairs.append(("keptValue", .string(value.isEmpty ? "none" : value)))
    case .group:
      kind["isGroup"] = true
      pairs += group(f, name: name, values: values, rows: rows, invalid: invalid, derived: derived)
    case .choice, .yesNo:
      kind["isChoice"] = true
      var choices = f.kind == .yesNo ? [CaseForm.Choice(value: "true", label: "yes"), CaseForm.Choice(value: "false", label: "no")] : f.choices
      if let absent = f.absent, !choices.contains(where: { CodedChoiceText.normalise($0.value) == CodedChoiceText.normalise(absent) }) {
        choices.append(.init(value: absent, label: absent))
      }
      var options = [option("", "(no answer)", selected: value.isEmpty)]
      options += choices.map { option($0.value, $0.label, selected: !value.isEmpty && CodedChoiceText.normalise($0.value) == CodedChoiceText.normalise(value)) }
      // An answer the list does not hold stays what it is (the case's diagnostics say why).
      if !value.isEmpty, !choices.contains(where: { CodedChoiceText.normalise($0.value) == CodedChoiceText.normalise(value) }) {
        options.append(option(value, "\(value) (not in the list)", selected: true))
      }
      pairs.append(("options", list(options)))
    case .choices:
      kind["isChoices"] = true
      var choices = f.choices
      if let absent = f.absent { choices.append(.init(value: absent, label: absent)) }
      let given = value.split(separator: "\n").map(String.init)
      let ticked = Set(given.map(CodedChoiceText.normalise))
      var boxes = choices.enumerated().map { k, c in
        object([("boxId", .string("f-\(name)-\(k)")), ("value", .string(c.value)), ("text", .string(c.label)),
                ("checked", .bool(ticked.contains(CodedChoiceText.normalise(c.value))))])
      }
      let known = Set(choices.map { CodedChoiceText.normalise($0.value) })
      for other in given where !known.contains(CodedChoiceText.normalise(other)) {
        boxes.append(object([("boxId", .string("")), ("value", .string(other)), ("text", .string("\(other) (not in the list)")), ("checked", true)]))
      }
      pairs.append(("boxes", list(boxes)))
    case .longText, .lines:
      kind["isTextArea"] = true
      kind["isLines"] = f.kind == .lines
      pairs.append(("rows", .int(f.kind == .lines ? max(2, value.split(separator: "\n").count + 1) : 3)))
    case .qualified(let unit):
      kind["isQualified"] = true
      let q = values[name + "~q"] ?? "exact"
      let qualifiers: [(String, String)] =
        unit == .plain
        ? [("exact", "as given"), ("nr", "not reported"), ("cbd", "cannot be determined")]
        : [("exact", "exactly"), ("gt", "more than"), ("lt", "less than"), ("nr", "not reported"), ("cbd", "cannot be determined")]
      pairs.append(("qualifiers", list(qualifiers.map { option($0.0, $0.1, selected: q == $0.0) })))
      pairs.append(("number", .string(values[name + "~n"] ?? "")))
      pairs.append(("reason", .string(values[name + "~r"] ?? "")))
      pairs.append(("percent", .bool(unit == .percent)))
      if unit == .length {
        let u = values[name + "~u"] ?? "mm"
        pairs.append(("units", object([("choices", list(["mm", "cm"].map { object([("value", .string($0)), ("selected", .bool(u == $0))]) }))])))
      } else {
        pairs.append(("units", false))
      }
    case .text, .date, .count, .number:
      kind["isInput"] = true
      pairs.append(("inputmode", .string(f.kind == .count ? "numeric" : f.kind == .number ? "decimal" : "")))
      pairs.append(("placeholder", .string(f.kind == .date ? "YYYY-MM-DD" : "")))
    }
    pairs += kind.sorted { $0.key < $1.key }.map { ($0.key, .bool($0.value)) }
    return object(pairs)
  }

  /// A repeating group: its rows, one empty row to fill without script, the
  /// row "Add" copies, and "not reported" where the case may say so of the whole list.
  static func group(
    _ f: CaseForm.FormField, name: String, values: [String: String], rows: [String: Int], invalid: Set<String>, derived: [String: String]
  ) -> [(String, Value)] {
    let count = rows[name] ?? 0
    let rowLabel = f.fields.first?.label.lowercased() ?? "row"
    func row(_ index: String, from: String?, blank: Bool, values: [String: String]) -> Value {
      let rowName = "\(name).\(index)"
      let fields = f.fields.filter { $0.kind != .derived }.map {
        field($0, prefix: rowName + ".", values: values, rows: rows, invalid: invalid, derived: derived)
      }
      return object([
        ("rowName", .string(rowName)), ("from", .string(from ?? "")), ("blank", .bool(blank)), ("rowLabel", .string(rowLabel)),
        ("fields", list(fields)),
      ])
    }
    var all = (0..<count).map { row(String($0), from: values["\(name).\($0)~row"], blank: false, values: values) }
    all.append(row(String(count), from: nil, blank: true, values: values))
    var absent: Value = false
    if let a = f.absent { absent = object([("value", .string(a)), ("checked", .bool(values[name + "~absent"] == a))]) }
    return [
      ("rows", .list(all)), ("newRow", row("__i__", from: nil, blank: false, values: [:])), ("rowLabel", .string(rowLabel)), ("absent", absent),
    ]
  }

  // MARK: the panels

  /// Grade, stage, margins: what the rules derive, each with its working.
  static func rules(_ outcome: CaseOutcome) -> Value {
    guard let a = outcome.analysis else { return object([("readable", false), ("rules", .list([]))]) }
    let d = a.derivation
    var rows: [(String, String, String)] = [("Grade", d.grade.phrase, d.grade.working)]
    for c in d.componentGrades { rows.append(("Grade, \(c.name)", c.assessment.phrase, c.assessment.working)) }
    rows += [
      ("pT", d.pT, d.t.working), ("pN", d.nDisplay, d.nWorking), ("M", d.mDisplay, d.mWorking),
      ("Stage group", d.stage.group ?? "not assigned",
       d.stage.reason + (d.stage.alternatives.isEmpty ? "" : " (alternatives: \(d.stage.alternatives.joined(separator: ", ")))")),
    ]
    if let m = d.margins {
      rows.append(("R class", m.rClass.rawValue, m.rWorking))
      rows.append(("Closest margin", m.closestText ?? "none given", m.working))
      if let close = m.closeText { rows.append(("Close margin", close, "threshold \(m.closeThresholdMm) mm")) }
    }
    return object([
      ("readable", true),
      ("rules", list(rows.map { object([("label", .string($0.0)), ("value", .string($0.1)), ("working", .string($0.2))]) })),
    ])
  }

  /// Every error and warning, each with the control it is about.
  static func diagnostics(_ all: [Diagnostic], form: CaseForm, values: [String: String]) -> (value: Value, invalid: [String]) {
    let errors = all.filter { $0.severity == .error }.count
    let warnings = all.count - errors
    var invalid: [String] = []
    let items = all.map { d -> Value in
      let control = form.control(for: d.path, values: values)
      if let control, d.severity == .error { invalid.append(control) }
      return object([
        ("severity", .string(d.severity.rawValue)), ("message", .string(d.message)), ("path", .string(d.path)),
        ("control", .string(control ?? "")),
      ])
    }
    return (object([
      ("hasDiagnostics", .bool(!all.isEmpty)), ("diagnostics", list(items)),
      ("errorCount", .string("\(errors) error\(errors == 1 ? "" : "s")")), ("warningCount", .string("\(warnings) warning\(warnings == 1 ? "" : "s")")),
    ]), invalid)
  }

  /// What an amendment would change, before it is signed.
  static func changes(_ all: [ItemChange], amends: StoredVersion?) -> Value {
    object([
      ("amends", amends.map { .int($0.version) } ?? false), ("hasChanges", .bool(!all.isEmpty)),
      ("changes", list(all.map { .string($0.text) })),
    ])
  }

  /// The value each derived item of the template shows, by item id.
  static func derived(_ outcome: CaseOutcome) -> [(String, String)] {
    guard case .prepared(let p) = outcome else { return [] }
    var out: [(String, String)] = []
    for section in p.document.sections {
      for item in section.items where item.binding.hasPrefix("derived.") {
        let rows = (item.rows ?? []).map { $0.map(\.display).filter { !$0.isEmpty }.joined(separator: ", ") }
        out.append((item.id, item.rows == nil ? item.display : rows.joined(separator: "; ")))
      }
    }
    return out
  }

  /// One line a screen reader announces after each save: grade, stage and
  /// how many errors and warnings (the panels themselves stay quiet).
  static func summary(_ outcome: CaseOutcome) -> String {
    let errors = outcome.diagnostics.filter { $0.severity == .error }.count
    let warnings = outcome.diagnostics.count - errors
    let counts = "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")."
    guard let a = outcome.analysis else { return "The case cannot be read yet: " + counts }
    return "Grade \(a.derivation.grade.phrase); stage group \(a.derivation.stage.group ?? "not assigned"); " + counts
  }
}
