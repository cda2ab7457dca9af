import SynopticCore
import SynopticLayout
import SynopticTemplates

/// The value tree report layouts render: built once from a ``ReportDocument``.
/// Layouts see only these names; `ReportTree.shape` is what layout lint checks against.
package enum ReportTree {
  package struct Options: Sendable {
    /// Text width for the plain-text layout.
    package var width: Int
    package init(width: Int = 80) { self.width = width }
  }

  static func cellValue(_ item: ReportItem) -> String {
    guard item.hasValue else { return "" }
    return item.display
  }

  /// Columns of a group that have a value in at least one row, in template
  /// order (where an id first appears in any row), labelled by the first cell
  /// with a value. Groups have a handful of fields: arrays, not hashing.
  static func columns(_ rows: [[ReportItem]]) -> [(id: String, label: String)] {
    var ids: [String] = []
    var labels: [String] = []
    var shown: [Bool] = []
    // Indexing, not `for cell in row`: that copies every item (a dozen fields).
    for r in rows.indices {
      for c in rows[r].indices {
        let id = rows[r][c].id
        let hasValue = rows[r][c].hasValue
        if let k = ids.firstIndex(of: id) {
          if !shown[k], hasValue {
            shown[k] = true
            labels[k] = rows[r][c].label
          }
        } else {
          ids.append(id)
          labels.append(rows[r][c].label)
          shown.append(hasValue)
        }
      }
    }
    return ids.indices.filter { shown[$0] }.map { (ids[$0], labels[$0]) }
  }

  /// One line of a repeating group for text: "deep: not involved; distance 4 mm;
  /// tissue periosteum". The first field names the row and the second is its
  /// answer; every other value carries its label, so no value stands unnamed.
  static func rowText(_ row: [ReportItem]) -> String {
    var out = ""
    var written = 0
    for i in row.indices where row[i].hasValue {
      if written > 0 {
        out += written == 1 ? ": " : "; "
        if i >= 2 || row[i].printText != nil {
          out += row[i].printText ?? lowercasedFirst(row[i].label)
          out += " "
        }
      }
      out += row[i].display
      written += 1
    }
    return out
  }

  /// "Percent of cells" as "percent of cells"; "HER2 score" and "SMA" stay.
  static func lowercasedFirst(_ label: String) -> String {
    guard let first = label.first, first.isUppercase, !(label.dropFirst().first?.isUppercase ?? false) else { return label }
    return first.lowercased() + label.dropFirst()
  }

  /// `reading`: the leading names of the layouts that will render the tree
  /// (``Layout/leadingNames``); the per-item `sections` and the pre-wrapped
  /// `text` are built only when one of them reads that member. Nil builds all.
  package static func build(_ doc: ReportDocument, options: Options = Options(), reading: Set<String>? = nil) -> LayoutValue {
    let wantsSections = reading?.contains("sections") ?? true
    let wantsText = reading?.contains("text") ?? true
    let warnings = doc.diagnostics.filter { $0.severity == .warning }
    let errors = doc.diagnostics.filter { $0.severity == .error }

    // Label column for text: the longest label that is shown, within limits.
    var longest: Int? = nil
    for section in doc.sections {
      for i in section.items.indices where section.items[i].hasValue || section.items[i].required == .core {
        let item = section.items[i]
        longest = max(longest ?? 0, TextFormatting.characterCount(item.label))
      }
    }
    let column = min(max((longest ?? 20) + 2, 16), max(20, options.width / 2))

    var sections: [LayoutValue] = []
    var textBlocks: [LayoutValue] = []
    for section in doc.sections where wantsSections || wantsText {
      var items: [LayoutValue] = []
      var lines: [LayoutValue] = []
      if wantsSections { items.reserveCapacity(section.items.count) }
      if wantsText { lines.reserveCapacity(section.items.count) }
      var shown = 0
      for i in section.items.indices {
        let item = section.items[i]
        let missing = !item.hasValue && item.required == .core
        guard item.hasValue || missing else { continue }
        shown += 1
        if wantsSections {
          var obj: LayoutObject = [
            "id": .string(item.id), "label": .string(item.label), "display": .string(item.display),
            "missing": .bool(missing), "derived": .bool(item.provenance == .derived),
            "defaulted": .bool(item.provenance == .default), "isGroup": .bool(item.rows.map { _ in true } ?? false),
            "help": item.help.map(LayoutValue.string) ?? .null,
          ]
          if let rows = item.rows {
            let cols = columns(rows)
            obj["columns"] = .list(cols.map { .string($0.label) })
            obj["hasRows"] = .bool(!rows.isEmpty)
            obj["rows"] = .list(rows.map { row in
              .object(["cells": .list(cols.map { col in
                .object(["display": .string(row.firstIndex { $0.id == col.id }.map { cellValue(row[$0]) } ?? "")])
              })])
            })
          }
          items.append(.object(obj))
        }
        guard wantsText else { continue }
        if let rows = item.rows {
          if rows.isEmpty {
            lines.append(.string(TextFormatting.labelled(item.label, "Required - not given", column: column, width: options.width)))
          } else {
            lines.append(.string(item.label + ":"))
            for row in rows {
              lines.append(.string(TextFormatting.wrap(rowText(row), width: options.width, firstPrefix: "  - ", indent: 4)))
            }
          }
        } else {
          let shown = missing ? "Required - not given" : item.display
          let suffix = item.provenance == .default ? " (from the FNCLCC table)" : ""
          lines.append(.string(TextFormatting.labelled(item.label, shown + suffix, column: column, width: options.width)))
        }
      }
      guard shown > 0 else { continue }
      if wantsSections { sections.append(.object(["id": .string(section.id), "title": .string(section.title), "items": .list(items)])) }
      if wantsText { textBlocks.append(.object(["title": .string(section.title.uppercased()), "lines": .list(lines)])) }
    }

    func wrapLines(_ lines: [String], prefix: String = "", indent: Int = 0) -> LayoutValue {
      .list(lines.map { .string(TextFormatting.wrap($0, width: options.width, firstPrefix: prefix, indent: indent)) })
    }
    let diagnostic: (Diagnostic) -> LayoutValue = { d in
      .object(["path": .string(d.path), "message": .string(d.message), "rule": .string(d.rule)])
    }
    var letterhead: LayoutValue = .null
    if let l = doc.letterhead {
      letterhead = .object([
        "institution": .string(l.institution), "department": l.department.map(LayoutValue.string) ?? .null,
        "address": l.address.map(LayoutValue.string) ?? .null, "phone": l.phone.map(LayoutValue.string) ?? .null,
        "accreditation": l.accreditation.map(LayoutValue.string) ?? .null,
      ])
    }
    let statusLabel: String
    switch doc.status {
    case .draft: statusLabel = "DRAFT - not signed out"
    case .final: statusLabel = "Final"
    case .amended: statusLabel = "Amended (corrected) report"
    case .appended: statusLabel = "Final, with addendum"
    case .retracted: statusLabel = "RETRACTED: issued in error, do not use"
    }
    let text: LayoutValue = !wantsText ? .null : .object([
      "diagnosis": wrapLines(doc.diagnosis.map { $0 }, prefix: "", indent: 0),
      "sections": .list(textBlocks),
      "warnings": wrapLines(warnings.map { "Warning: \($0.message) [\($0.path)]" }, prefix: "", indent: 9),
      "errors": wrapLines(errors.map { "Error: \($0.message) [\($0.path)]" }, prefix: "", indent: 7),
      "comment": doc.comment.map { .string(TextFormatting.wrap($0, width: options.width, firstPrefix: "", indent: 0)) } ?? .null,
      "amendmentReason": doc.amendmentReason.map { .string(TextFormatting.wrap($0, width: options.width, firstPrefix: "Reason: ", indent: 8)) } ?? .null,
      "changedItems": wrapLines(doc.changedItems, prefix: "Changed: ", indent: 9),
      "addenda": wrapLines(doc.addenda),
      "provenance": .string(TextFormatting.wrap(doc.templateProvenance, width: options.width, firstPrefix: "", indent: 0)),
    ])
    // Under a letterhead, the case's facility is printed when it names another laboratory.
    var performedAt: LayoutValue = .null
    if let l = doc.letterhead, let f = doc.facility, !f.hasPrefix(l.institution) { performedAt = .string(f) }
    // The header says what is missing instead of leaving an empty line.
    let notReported = "not reported"
    let age = doc.patient.ageAtDiagnosis.map { " (age \($0) at diagnosis)" } ?? ""
    let birthDate = (doc.patient.birthDate ?? notReported) + age
    return .object([
      "accession": .string(doc.accession), "reportDate": .string(doc.reportDate ?? notReported),
      "orderNumber": doc.orderNumber.map(LayoutValue.string) ?? .null,
      "status": .string(doc.status.rawValue), "statusLabel": .string(statusLabel), "isDraft": .bool(doc.status == .draft),
      "isAmended": .bool(doc.status == .amended), "isRetracted": .bool(doc.status == .retracted), "version": .int(doc.version),
      "templateId": .string(doc.templateId), "templateTitle": .string(doc.templateTitle),
      "templateVersion": .string(doc.templateVersion), "templateProvenance": .string(doc.templateProvenance),
      "baseTemplate": doc.baseTemplate.map(LayoutValue.string) ?? .null,
      "letterhead": letterhead, "facility": doc.facility.map(LayoutValue.string) ?? .null, "performedAt": performedAt,
      "patient": .object([
        "name": .string(doc.patient.name ?? notReported), "mrn": .string(doc.patient.mrn ?? notReported),
        "birthDate": .string(birthDate), "sex": .string(doc.patient.sex?.label ?? notReported),
      ]),
      "orderingPhysician": .string(doc.orderingPhysician.map { name in doc.orderingPhysicianId.map { "\(name) (\($0))" } ?? name } ?? notReported),
      "diagnosis": .list(doc.diagnosis.map(LayoutValue.string)),
      "comment": doc.comment.map(LayoutValue.string) ?? .null,
      "sections": .list(sections),
      "hasWarnings": .bool(!warnings.isEmpty), "warnings": .list(warnings.map(diagnostic)),
      "hasErrors": .bool(!errors.isEmpty), "errors": .list(errors.map(diagnostic)),
      "signOut": doc.signedOutBy.map { .object(["pathologist": .string($0), "time": .string(doc.signedOutAt ?? "")]) } ?? .null,
      "amendmentReason": doc.amendmentReason.map(LayoutValue.string) ?? .null,
      "changedItems": .list(doc.changedItems.map(LayoutValue.string)),
      "addenda": .list(doc.addenda.map(LayoutValue.string)),
      "text": text,
    ])
  }

  /// The fields layouts may use, for lint: inferred from a document with every part present.
  package static let shape: FieldShape = {
    let cell = ReportItem(
      id: "X-2", label: "Field", printText: nil, display: "v", value: .text("v"), type: .text, code: nil, answerCode: nil,
      required: .core, provenance: .entered, help: nil, binding: "f", rows: nil)
    let scalar = ReportItem(
      id: "X-1", label: "Item", printText: nil, display: "v", value: .text("v"), type: .text, code: nil, answerCode: nil,
      required: .core, provenance: .derived, help: "help", binding: "b", rows: nil)
    var group = scalar
    group.id = "X-3"
    group.rows = [[cell]]
    let diagnostic = Diagnostic(severity: .warning, path: "p", rule: "r", message: "m")
    let doc = ReportDocument(
      templateId: "t", templateTitle: "t", templateVersion: "1.0.0", templateProvenance: "p", baseTemplate: "b",
      letterhead: Letterhead(institution: "i", department: "d", address: "a", phone: "p", accreditation: "a"),
      accession: "a", reportDate: "d", status: .final, version: 1,
      patient: ReportPatient(name: "n", mrn: "m", birthDate: "b", sex: .female), orderingPhysician: "o", facility: "f",
      diagnosis: ["d"], comment: "c", sections: [ReportSection(id: "s", title: "t", items: [scalar, group])],
      comparison: ["c"], diagnostics: [diagnostic, Diagnostic(severity: .error, path: "p", rule: "r", message: "m")],
      signedOutBy: "p", signedOutAt: "t", amendmentReason: "r", addenda: ["a"])
    var full = doc
    full.changedItems = ["c"]
    return FieldShape.infer(build(full))
  }()
}
