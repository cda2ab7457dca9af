import Foundation
import SynopticCore

/// Standard codes for what templates report, kept as data beside them
/// (`Templates/terminology/*.yaml`): the code systems and how each output
/// names them, and for each binding the question's code and its answers'
/// codes. Templates take their codes from here unless an item gives its own,
/// so a hospital maps its codes without touching a template or the program.
public struct Terminology: Sendable, Equatable, Decodable {
  /// How a code system is named in each format. A system without an OID (or
  /// an HL7 v2 name) is not used where one is needed: that output falls back
  /// to the local code.
  public struct System: Sendable, Equatable, Codable {
    /// FHIR `system` URI.
    public var uri: String
    /// CDA `codeSystem` OID.
    public var oid: String?
    /// HL7 v2 name of coding system (table 0396).
    public var hl7v2: String?
    /// Where the identifiers come from.
    public var source: String?
  }

  /// The codes of one binding (`derived.pT`, or `tumor.margins.status` for a group field).
  public struct Concept: Sendable, Equatable, Codable {
    public var bind: String
    public var code: Code?
    /// Answer codes by the answer's word (`not-involved`) or printed value (`pT2`).
    public var answers: [String: Code]?
    /// Where the codes come from (a standard's table, an IG's value set).
    public var source: String?
  }

  public var systems: [String: System]
  public var concepts: [Concept]

  public init(systems: [String: System] = [:], concepts: [Concept] = []) {
    self.systems = systems
    self.concepts = concepts
  }

  /// The system names a local code uses; always present, whatever the files say.
  public static let local = "LOCAL"

  /// A concept by binding.
  public func concept(_ bind: String) -> Concept? { byBind[bind] }

  private var byBind: [String: Concept] {
    Dictionary(concepts.map { ($0.bind, $0) }, uniquingKeysWith: { a, _ in a })
  }

  /// Whether a code is from a standard system (anything but our local one).
  public func isStandard(_ code: Code?) -> Bool {
    guard let code else { return false }
    return code.system != Self.local && systems[code.system] != nil
  }

  enum Keys: String, CodingKey { case systems, concepts }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: Keys.self)
    systems = try c.decodeIfPresent([String: System].self, forKey: .systems) ?? [:]
    concepts = try c.decodeIfPresent([Concept].self, forKey: .concepts) ?? []
  }

  /// Merges another file's systems and concepts; a binding or system given twice is a problem.
  mutating func merge(_ other: Terminology, file: String) -> [String] {
    var problems: [String] = []
    for (name, system) in other.systems {
      if let existing = systems[name], existing != system { problems.append("code system '\(name)' is defined differently in \(file)") }
      systems[name] = system
    }
    let known = Set(concepts.map(\.bind))
    for concept in other.concepts {
      if known.contains(concept.bind) {
        problems.append("binding '\(concept.bind)' is mapped twice (again in \(file))")
        continue
      }
      concepts.append(concept)
    }
    return problems
  }

  /// The template with codes from here: an item's own code and answer codes
  /// win; otherwise its binding's (`GROUP.FIELD` for a group's field).
  public func apply(to template: SynopticTemplate) -> SynopticTemplate {
    var t = template
    t.codeSystems = systems
    let index = byBind
    func fill(_ item: inout TemplateItem, bind: String) {
      guard let concept = index[bind] else { return }
      if item.code == nil { item.code = concept.code }
      if let answers = concept.answers {
        item.answerCodes = (item.answerCodes ?? [:]).merging(answers) { own, _ in own }
      }
    }
    for s in t.sections.indices {
      for i in t.sections[s].items.indices {
        let groupBind = t.sections[s].items[i].bind
        fill(&t.sections[s].items[i], bind: groupBind)
        guard var fields = t.sections[s].items[i].items else { continue }
        for f in fields.indices { fill(&fields[f], bind: groupBind + "." + fields[f].bind) }
        t.sections[s].items[i].items = fields
      }
    }
    return t
  }

  /// How much of a template carries standard codes: items whose question has
  /// one, answers (of the closed lists the items use) that have one, and the
  /// items and answers that are local.
  public struct Coverage: Sendable, Equatable {
    public var items: Int
    public var standardItems: Int
    public var answers: Int
    public var standardAnswers: Int
    public var localItems: [String]
    public var localAnswers: [String]

    public var line: String {
      func pct(_ a: Int, _ b: Int) -> String { b == 0 ? "0 %" : "\(Int((Double(a) / Double(b) * 100).rounded())) %" }
      return "\(standardItems) of \(items) items (\(pct(standardItems, items))) and \(standardAnswers) of \(answers) coded answers (\(pct(standardAnswers, answers))) carry a standard code"
    }
  }

  public func coverage(_ template: SynopticTemplate, answerWords: (String) -> [String]?) -> Coverage {
    var c = Coverage(items: 0, standardItems: 0, answers: 0, standardAnswers: 0, localItems: [], localAnswers: [])
    for (item, _, group) in template.allItems() where item.type != .group {
      c.items += 1
      if isStandard(item.code) { c.standardItems += 1 } else { c.localItems.append("\(item.id) \(item.label)") }
      let bind = group.flatMap { g in template.allItems().first { $0.item.id == g }.map { $0.item.bind + "." + item.bind } } ?? item.bind
      for word in answerWords(bind) ?? [] {
        c.answers += 1
        if isStandard(item.answerCodes?[word]) { c.standardAnswers += 1 } else { c.localAnswers.append("\(item.id) \(word)") }
      }
    }
    return c
  }
}
