import Foundation
import SynopticCore

/// Checks a template against the binding registry and itself.
public enum TemplateLint {
  /// Answer words of coded bindings, so conditions can be checked.
  static let answers: [String: [String]] = [
    "presurgicalTherapy": PresurgicalTherapy.allCases.map(\.rawValue),
    "tumor.siteGroup": SiteGroup.allCases.map(\.rawValue),
    "tumor.depth": TumorDepth.allCases.map(\.rawValue),
    "tumor.focality": Focality.allCases.map(\.rawValue),
    "tumor.lymphovascularInvasion": PresenceFinding.allCases.map(\.rawValue),
    "tumor.recurrent": ["yes", "no"],
    "regionalLymphNodes.status": NodeStatus.allCases.map(\.rawValue),
    "distantMetastasis.status": MetastasisStatus.allCases.map(\.rawValue),
    "derived.grade": ["G1", "G2", "G3", "low", "high", "ungraded", "GX"],
  ]

  /// The answers an item can take, for counting how many carry a standard
  /// code: a closed list's words, or a derived category's printed values.
  static let answerLists: [String: [String]] = answers.merging([
    "predisposingConditions": PredisposingCondition.allCases.map(\.rawValue),
    "clinicalNodalStatus": ClinicalNodalStatus.allCases.map(\.rawValue),
    "specimens.procedure": Procedure.allCases.map(\.rawValue),
    "specimens.laterality": Laterality.allCases.map(\.rawValue),
    "specimens.integrity": SpecimenIntegrity.allCases.map(\.rawValue),
    "tumor.margins.status": MarginStatus.allCases.map(\.rawValue),
    "tumor.components.kind": ComponentKind.allCases.map(\.rawValue),
    "stains.result": StainResult.allCases.map(\.rawValue),
    "stains.intensity": StainIntensity.allCases.map(\.rawValue),
    "stains.pattern": StainPattern.allCases.map(\.rawValue),
    "stains.localisation": StainLocalisation.allCases.map(\.rawValue),
    "stains.internalControl": InternalControl.allCases.map(\.rawValue),
    "molecular.method": MolecularMethod.allCases.map(\.rawValue),
    "molecular.result": MolecularResult.allCases.map(\.rawValue),
    "derived.pT": ["pTX", "pT1", "pT2", "pT3", "pT4", "rpTX", "rpT1", "rpT2", "rpT3", "rpT4", "ypTX", "ypT1", "ypT2", "ypT3", "ypT4"],
    "derived.pN": ["pNX", "pN0", "pN1"],
    "derived.pM": ["cM0", "cM1", "pM1"],
    "derived.stageGroup": ["IA", "IB", "II", "IIIA", "IIIB", "IV"],
    "derived.margins.rClass": ["R0", "R1", "R2", "RX"],
  ]) { a, _ in a }

  public static func answerWords(_ bind: String) -> [String]? { answerLists[bind] }

  static func error(_ path: String, _ rule: String, _ message: String) -> Diagnostic {
    Diagnostic(severity: .error, path: path, rule: rule, message: message)
  }

  public static func check(_ t: SynopticTemplate) -> [Diagnostic] {
    var d: [Diagnostic] = []
    let parts = t.version.split(separator: ".")
    if parts.count != 3 || !parts.allSatisfy({ Int($0) != nil }) {
      d.append(error("version", "template.version", "version '\(t.version)' is not semantic (MAJOR.MINOR.PATCH)"))
    }
    var seen: [String: String] = [:]
    var sectionIds: Set<String> = []
    for (s, section) in t.sections.enumerated() where !sectionIds.insert(section.id).inserted {
      d.append(error("sections[\(s)].id", "template.duplicate-section", "section id '\(section.id)' is used twice"))
    }
    let all = t.allItems()
    let byId = Dictionary(all.map { ($0.item.id, $0) }, uniquingKeysWith: { first, _ in first })
    for (item, p, group) in all {
      // Ids become XML IDs in CDA narrative: a letter first, then letters, digits, '-', '_' or '.'.
      if item.id.range(of: #"^[A-Za-z_][A-Za-z0-9._-]*$"#, options: .regularExpression) == nil {
        d.append(error(p + ".id", "template.id-form", "item id '\(item.id)' must start with a letter and use only letters, digits, '-', '_' or '.'"))
      }
      if let first = seen[item.id] {
        d.append(error(p + ".id", "template.duplicate-id", "item id '\(item.id)' is also used at \(first); ids are never reused"))
      } else {
        seen[item.id] = p
      }
      if let group {
        guard let parent = byId[group], case .group(let fields, _, _)? = Bindings.all[parent.item.bind] else { continue }
        if !fields.contains(item.bind) {
          var message = "'\(item.bind)' is not a field of group '\(parent.item.bind)'"
          if let near = nearest(item.bind, fields) { message += "; did you mean '\(near)'?" }
          message += " Fields: \(fields.joined(separator: ", "))"
          d.append(error(p + ".bind", "template.unknown-binding", message))
        }
        if item.type == .group { d.append(error(p + ".type", "template.nested-group", "groups cannot be nested")) }
      } else {
        switch Bindings.resolve(item.bind) {
        case nil:
          var message = "binding '\(item.bind)' does not resolve against the case model or derived values"
          if let near = nearest(item.bind, Array(Bindings.all.keys)) { message += "; did you mean '\(near)'?" }
          d.append(error(p + ".bind", "template.unknown-binding", message))
        case .group?:
          if item.type != .group {
            d.append(error(p + ".type", "template.type", "'\(item.bind)' is a repeating group; give type: group"))
          }
          if (item.items ?? []).isEmpty { d.append(error(p + ".items", "template.empty-group", "group has no items")) }
        case .scalar?:
          if item.type == .group { d.append(error(p + ".type", "template.type", "'\(item.bind)' is a single value, not a group")) }
        }
      }
      for (key, condition) in [("showWhen", item.showWhen), ("requiredWhen", item.requiredWhen)] {
        guard let condition else { continue }
        let cp = p + "." + key
        guard let target = byId[condition.item] else {
          d.append(error(cp + ".item", "template.unknown-condition-item", "condition names item '\(condition.item)', which this template does not have"))
          continue
        }
        if condition.in == nil && condition.present == nil {
          d.append(error(cp, "template.condition", "a condition needs 'in' or 'present'"))
        }
        if key == "showWhen" {
          if condition.item == item.id {
            d.append(error(cp + ".item", "template.never-shows", "item '\(item.id)' is shown only when it has a value itself, so it can never show"))
          } else if let values = condition.in {
            let known = target.inGroup == nil ? answers[target.item.bind] : nil
            if values.isEmpty {
              d.append(error(cp + ".in", "template.never-shows", "an empty 'in' list never matches, so the item never shows"))
            } else if let known, values.allSatisfy({ !known.contains($0) && $0 != "not-reported" && $0 != "cannot-be-determined" }) {
              d.append(error(cp + ".in", "template.never-shows",
                "no answer of '\(condition.item)' is one of \(values.joined(separator: ", ")), so the item never shows; answers: \(known.joined(separator: ", "))"))
            }
          }
          if target.inGroup != nil && group == nil {
            d.append(error(cp + ".item", "template.condition-scope", "condition names a field inside group '\(target.inGroup ?? "")'; an item outside it cannot see its rows"))
          }
        }
      }
      if item.required == .conditional && item.requiredWhen == nil {
        d.append(error(p + ".requiredWhen", "template.conditional", "required is 'conditional'; give requiredWhen"))
      }
    }
    return d
  }

  static func nearest(_ word: String, _ candidates: [String]) -> String? { Spelling.nearest(word, in: candidates) }
}
