import Foundation
import SynopticCore
import SynopticExport
import SynopticLayout
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

/// The workspace's HTML: the form a template makes, and the panels beside it
/// (rules, diagnostics, changes). The page on load and every live update use
/// these same functions, so a browser without script sees what one with it
/// sees. Every value is escaped; controls are named by case-file path.
enum WorkspaceHTML {
  static let h = EscapeMode.html

  static func e(_ s: String) -> String { h.escape(s) }

  // MARK: the form

  static func form(
    _ form: CaseForm, values: [String: String], rows: [String: Int], invalid: Set<String>, derived: [String: String], readOnlyAccession: Bool
  ) -> String {
    var out = "<nav class=\"sections\" aria-label=\"Sections of the form\"><ul>"
    for section in form.sections { out += "<li><a href=\"#s-\(e(section.id))\">\(e(section.title))</a></li>" }
    out += "</ul></nav>\n"
    for section in form.sections {
      out += "<section class=\"form-section\" id=\"s-\(e(section.id))\" aria-labelledby=\"sh-\(e(section.id))\">\n"
      out += "<h2 id=\"sh-\(e(section.id))\">\(e(section.title))</h2>\n"
      for f in section.fields {
        out += field(f, prefix: "", values: values, rows: rows, invalid: invalid, derived: derived, readOnly: readOnlyAccession && f.name == "accession")
      }
      out += "</section>\n"
    }
    return out
  }

  static func marker(_ r: Requiredness) -> String {
    switch r {
    case .core: return " <span class=\"req\" title=\"required: core element\">required</span>"
    case .conditional: return " <span class=\"req cond\" title=\"required when its condition holds\">conditional</span>"
    case .nonCore: return ""
    }
  }

  static func showAttributes(_ c: Condition?, prefix: String) -> String {
    guard let c else { return "" }
    var out = " data-show-item=\"\(e(c.item))\" data-show-prefix=\"\(e(prefix))\""
    if let values = c.in { out += " data-show-in=\"\(e(values.joined(separator: "|")))\"" }
    if let present = c.present { out += " data-show-present=\"\(present)\"" }
    return out
  }

  static func field(
    _ f: CaseForm.FormField, prefix: String, values: [String: String], rows: [String: Int], invalid: Set<String>, derived: [String: String] = [:],
    readOnly: Bool = false
  ) -> String {
    let name = prefix + f.name
    let id = "f-" + name
    let helpId = "h-" + name
    let help = f.help.map { "<p class=\"help\" id=\"\(e(helpId))\">\(e($0))</p>\n" } ?? ""
    let described = f.help == nil ? "" : " aria-describedby=\"\(e(helpId))\""
    let bad = invalid.contains(name) ? " aria-invalid=\"true\"" : ""
    let wrap = "<div class=\"field kind-\(kindName(f.kind))\" data-item=\"\(e(f.id))\" data-name=\"\(e(name))\"\(showAttributes(f.showWhen, prefix: prefix))>\n"
    let value = values[name] ?? ""
    switch f.kind {
    case .derived:
      return wrap + "<span class=\"label\">\(e(f.label))</span> <output id=\"d-\(e(f.id))\" data-derived=\"\(e(f.id))\">\(e(derived[f.id] ?? ""))</output>\n</div>\n"
    case .kept:
      let shown = value.isEmpty ? "none" : value
      return wrap + "<span class=\"label\">\(e(f.label))</span> <span class=\"kept\">\(e(shown)) (kept from the case file)</span>\n</div>\n"
    case .group:
      return group(f, prefix: prefix, values: values, rows: rows, invalid: invalid)
    case .choice:
      var options = "<option value=\"\">(no answer)</option>"
      var choices = f.choices
      if let absent = f.absent, !choices.contains(where: { CaseForm.normalise($0.value) == CaseForm.normalise(absent) }) {
        choices.append(.init(value: absent, label: absent))
      }
      var matched = value.isEmpty
      for c in choices {
        let selected = CaseForm.normalise(c.value) == CaseForm.normalise(value)
        if selected { matched = true }
        options += "<option value=\"\(e(c.value))\"\(selected ? " selected" : "")>\(e(c.label))</option>"
      }
      // An answer the list does not hold stays what it is (the case's diagnostics say why).
      if !matched { options += "<option value=\"\(e(value))\" selected>\(e(value)) (not in the list)</option>" }
      return wrap + "<label for=\"\(e(id))\">\(e(f.label))\(marker(f.required))</label>\n\(help)<select id=\"\(e(id))\" name=\"\(e(name))\"\(described)\(bad)>\(options)</select>\n</div>\n"
    case .choices:
      let ticked = Set(value.split(separator: "\n").map { CaseForm.normalise(String($0)) })
      var boxes = ""
      var choices = f.choices
      if let absent = f.absent { choices.append(.init(value: absent, label: absent)) }
      for (k, c) in choices.enumerated() {
        let boxId = "\(id)-\(k)"
        let on = ticked.contains(CaseForm.normalise(c.value))
        boxes += "<label class=\"check\" for=\"\(e(boxId))\"><input type=\"checkbox\" id=\"\(e(boxId))\" name=\"\(e(name))\" value=\"\(e(c.value))\"\(on ? " checked" : "")> \(e(c.label))</label>\n"
      }
      let known = Set(choices.map { CaseForm.normalise($0.value) })
      for other in value.split(separator: "\n").map(String.init) where !known.contains(CaseForm.normalise(other)) {
        boxes += "<label class=\"check\"><input type=\"checkbox\" name=\"\(e(name))\" value=\"\(e(other))\" checked> \(e(other)) (not in the list)</label>\n"
      }
      return wrap + "<fieldset id=\"\(e(id))\"\(described)\(bad)><legend>\(e(f.label))\(marker(f.required))</legend>\n\(help)\(boxes)</fieldset>\n</div>\n"
    case .yesNo:
      let options = [("", "(no answer)"), ("true", "yes"), ("false", "no")].map { v, l in
        "<option value=\"\(v)\"\(value == v ? " selected" : "")>\(l)</option>"
      }.joined()
      return wrap + "<label for=\"\(e(id))\">\(e(f.label))\(marker(f.required))</label>\n\(help)<select id=\"\(e(id))\" name=\"\(e(name))\"\(described)\(bad)>\(options)</select>\n</div>\n"
    case .longText, .lines:
      let rowsAttr = f.kind == .lines ? max(2, value.split(separator: "\n").count + 1) : 3
      let note = f.kind == .lines ? "<p class=\"help\">One per line.</p>" : ""
      return wrap + "<label for=\"\(e(id))\">\(e(f.label))\(marker(f.required))</label>\n\(help)\(note)<textarea id=\"\(e(id))\" name=\"\(e(name))\" rows=\"\(rowsAttr)\"\(described)\(bad)>\(e(value))</textarea>\n</div>\n"
    case .qualified(let unit):
      return wrap + qualified(f, name: name, unit: unit, values: values, help: help, described: described, bad: bad) + "</div>\n"
    case .text, .date, .count, .number:
      let mode = f.kind == .count ? " inputmode=\"numeric\"" : f.kind == .number ? " inputmode=\"decimal\"" : ""
      let placeholder = f.kind == .date ? " placeholder=\"YYYY-MM-DD\"" : ""
      let ro = readOnly ? " readonly" : ""
      return wrap + "<label for=\"\(e(id))\">\(e(f.label))\(marker(f.required))</label>\n\(help)<input id=\"\(e(id))\" name=\"\(e(name))\" value=\"\(e(value))\"\(mode)\(placeholder)\(described)\(bad)\(ro)>\n</div>\n"
    }
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

  /// A value with its qualifier: exact, a bound, not reported, or cannot be
  /// determined with a reason. The number's label is the item's label.
  static func qualified(_ f: CaseForm.FormField, name: String, unit: CaseForm.QualifiedUnit, values: [String: String], help: String, described: String, bad: String) -> String {
    let id = "f-" + name
    let q = values[name + "~q"] ?? "exact"
    let qualifiers: [(String, String)] =
      unit == .plain
      ? [("exact", "as given"), ("nr", "not reported"), ("cbd", "cannot be determined")]
      : [("exact", "exactly"), ("gt", "more than"), ("lt", "less than"), ("nr", "not reported"), ("cbd", "cannot be determined")]
    let qOptions = qualifiers.map { v, l in "<option value=\"\(v)\"\(q == v ? " selected" : "")>\(l)</option>" }.joined()
    var out = "<label for=\"\(e(id))\">\(e(f.label))\(marker(f.required))</label>\n\(help)<div class=\"q\" role=\"group\" aria-label=\"\(e(f.label))\">"
    out += "<select id=\"\(e(id))~q\" name=\"\(e(name))~q\" aria-label=\"\(e(f.label)), how it is known\" data-qualifier>\(qOptions)</select> "
    out += "<input id=\"\(e(id))\" name=\"\(e(name))~n\" value=\"\(e(values[name + "~n"] ?? ""))\" inputmode=\"decimal\" size=\"8\"\(described)\(bad)> "
    switch unit {
    case .length:
      let u = values[name + "~u"] ?? "mm"
      let opts = ["mm", "cm"].map { "<option value=\"\($0)\"\(u == $0 ? " selected" : "")>\($0)</option>" }.joined()
      out += "<select id=\"\(e(id))~u\" name=\"\(e(name))~u\" aria-label=\"\(e(f.label)), unit\">\(opts)</select> "
    case .percent: out += "<span aria-hidden=\"true\">%</span> "
    case .plain: break
    }
    out += "<input id=\"\(e(id))~r\" name=\"\(e(name))~r\" value=\"\(e(values[name + "~r"] ?? ""))\" placeholder=\"reason\" aria-label=\"\(e(f.label)), why it cannot be determined\" data-reason>"
    return out + "</div>\n"
  }

  /// A repeating group: its rows (each with remove and move controls), an
  /// empty row to fill, a template row for "add", and "not reported" where
  /// the case may say so of the whole list.
  static func group(_ f: CaseForm.FormField, prefix: String, values: [String: String], rows: [String: Int], invalid: Set<String>) -> String {
    let name = prefix + f.name
    let count = rows[name] ?? 0
    var out = "<fieldset class=\"group\" id=\"f-\(e(name))\" data-group=\"\(e(name))\" data-item=\"\(e(f.id))\"\(showAttributes(f.showWhen, prefix: prefix))>\n"
    out += "<legend>\(e(f.label))\(marker(f.required))</legend>\n"
    if let help = f.help { out += "<p class=\"help\">\(e(help))</p>\n" }
    if let absent = f.absent {
      let on = values[name + "~absent"] == absent
      out += "<label class=\"check\" for=\"f-\(e(name))~absent\"><input type=\"checkbox\" id=\"f-\(e(name))~absent\" name=\"\(e(name))~absent\" value=\"\(e(absent))\"\(on ? " checked" : "")> \(e(f.label)): \(e(absent))</label>\n"
    }
    out += "<ol class=\"rows\">\n"
    for i in 0..<count {
      out += row(f, name: name, index: String(i), values: values, rows: rows, invalid: invalid, from: values["\(name).\(i)~row"])
    }
    // One empty row to fill without script; an empty row is not kept.
    out += row(f, name: name, index: String(count), values: values, rows: rows, invalid: invalid, from: nil, blank: true)
    out += "</ol>\n"
    out += "<template data-row-template=\"\(e(name))\">\(row(f, name: name, index: "__i__", values: [:], rows: [:], invalid: [], from: nil))</template>\n"
    out += "<button type=\"button\" class=\"add\" data-add=\"\(e(name))\" hidden>Add \(e(f.fields.first?.label.lowercased() ?? "row"))</button>\n"
    return out + "</fieldset>\n"
  }

  static func row(
    _ f: CaseForm.FormField, name: String, index: String, values: [String: String], rows: [String: Int], invalid: Set<String>, from: String?,
    blank: Bool = false
  ) -> String {
    let rowName = "\(name).\(index)"
    let label = f.fields.first?.label ?? "Row"
    var out = "<li class=\"row\" data-row=\"\(e(rowName))\"\(blank ? " data-blank" : "")>\n<input type=\"hidden\" name=\"\(e(rowName))~row\" value=\"\(e(from ?? ""))\">\n"
    for sub in f.fields where sub.kind != .derived {
      out += field(sub, prefix: rowName + ".", values: values, rows: rows, invalid: invalid)
    }
    out += "<div class=\"row-actions\">"
    out += "<label class=\"check\" for=\"f-\(e(rowName))~remove\"><input type=\"checkbox\" id=\"f-\(e(rowName))~remove\" name=\"\(e(rowName))~remove\" value=\"1\"> Remove this \(e(label.lowercased()))</label>"
    out += "<button type=\"button\" data-move=\"up\" hidden>Move up</button><button type=\"button\" data-move=\"down\" hidden>Move down</button>"
    return out + "</div>\n</li>\n"
  }

  // MARK: the panels

  struct Live {
    var revision: Int
    var completion: (done: Int, of: Int)
    var rules: String
    var diagnostics: String
    var changes: String
    var derived: [(String, String)]
    var invalid: [String]
    var hasErrors: Bool
  }

  /// Grade, stage, margins: what the rules derive, each with its working.
  static func rules(_ outcome: CaseOutcome) -> String {
    guard let a = outcome.analysis else {
      return "<p>The rules run once the case can be read; see the diagnostics.</p>\n"
    }
    let d = a.derivation
    var rows: [(String, String, String?)] = [
      ("Grade", d.grade.phrase, d.grade.working),
      ("pT", d.pT, d.t.working),
      ("pN", d.nDisplay, d.nWorking),
      ("M", d.mDisplay, d.mWorking),
      ("Stage group", d.stage.group ?? "not assigned", d.stage.reason + (d.stage.alternatives.isEmpty ? "" : " (alternatives: \(d.stage.alternatives.joined(separator: ", ")))")),
    ]
    for (k, c) in d.componentGrades.enumerated() {
      rows.insert(("Grade, \(c.name)", c.assessment.phrase, c.assessment.working), at: 1 + k)
    }
    if let m = d.margins {
      rows.append(("R class", m.rClass.rawValue, m.rWorking))
      rows.append(("Closest margin", m.closestText ?? "none given", m.working))
      if let close = m.closeText { rows.append(("Close margin", close, "threshold \(m.closeThresholdMm) mm")) }
    }
    var out = "<dl class=\"rules\">\n"
    for (label, value, working) in rows {
      out += "<dt>\(e(label))</dt><dd><strong>\(e(value))</strong>"
      if let working, !working.isEmpty { out += "<br><span class=\"working\">\(e(working))</span>" }
      out += "</dd>\n"
    }
    return out + "</dl>\n"
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

  /// Every error and warning, each a link to its field.
  static func diagnostics(_ list: [Diagnostic], form: CaseForm, values: [String: String]) -> (html: String, invalid: [String]) {
    guard !list.isEmpty else { return ("<p class=\"ok\">No errors or warnings.</p>\n", []) }
    let errors = list.filter { $0.severity == .error }.count
    let warnings = list.count - errors
    var out = "<p><strong>\(errors) error\(errors == 1 ? "" : "s")</strong>, \(warnings) warning\(warnings == 1 ? "" : "s")</p>\n<ul class=\"diagnostics\">\n"
    var invalid: [String] = []
    for d in list {
      let control = form.control(for: d.path, values: values)
      if let control, d.severity == .error { invalid.append(control) }
      let text = "\(d.severity.rawValue): \(d.message)"
      if let control {
        out += "<li class=\"\(d.severity.rawValue)\"><a href=\"#f-\(e(control))\" data-focus=\"f-\(e(control))\">\(e(text))</a></li>\n"
      } else {
        out += "<li class=\"\(d.severity.rawValue)\">\(e(text)) <span class=\"path\">(\(e(d.path)))</span></li>\n"
      }
    }
    return (out + "</ul>\n", invalid)
  }

  /// What an amendment would change, before it is signed.
  static func changes(_ list: [ItemChange], amends: StoredVersion?) -> String {
    guard let amends else { return "" }
    guard !list.isEmpty else { return "<p>Nothing differs from version \(amends.version) yet.</p>\n" }
    var out = "<p>Changes from version \(amends.version):</p>\n<ul class=\"changes\">\n"
    for c in list { out += "<li>\(e(c.text))</li>\n" }
    return out + "</ul>\n"
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

  static func live(_ json: Live, cleared: [(label: String, value: String)]) -> JSONOut {
    .object([
      ("revision", .int(json.revision)),
      ("completion", .string("\(json.completion.done) of \(json.completion.of) required items answered")),
      ("rules", .string(json.rules)), ("diagnostics", .string(json.diagnostics)), ("changes", .string(json.changes)),
      ("derived", .object(json.derived.map { ($0.0, .string($0.1)) })),
      ("invalid", .array(json.invalid.map(JSONOut.string))),
      ("hasErrors", .bool(json.hasErrors)),
      ("cleared", .array(cleared.map { .object([("label", .string($0.label)), ("value", .string($0.value))]) })),
    ])
  }
}

