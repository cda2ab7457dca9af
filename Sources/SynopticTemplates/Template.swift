import SynopticCore

/// Whether an element must be reported (CAP core / conditional, ICCR non-core).
public enum Requiredness: String, CodedChoice {
  case core
  case nonCore = "non-core"
  case conditional
}

/// An item's answer type.
public enum ItemType: String, CodedChoice {
  case coded
  case codedList = "coded-list"
  case measurement, count, text
  case textList = "text-list"
  case date, group
}

/// The procedures a template is chosen for.
public enum ProcedureClass: String, CodedChoice {
  case resection, biopsy
}

/// What a missing required element does: block sign-out (an error), or print
/// "not reported" and warn (CAP core elements a real report may lack, such as
/// the mitotic count on a resection whose source does not give it).
public enum MissingPolicy: String, CodedChoice {
  case error
  case notReported = "not-reported"
}

/// A condition on another item's answer.
public struct Condition: Sendable, Codable, Equatable {
  /// The item id it looks at.
  public var item: String
  /// True when that item's answer is one of these words.
  public var `in`: [String]?
  /// True when the item has (true) or has not (false) a value.
  public var present: Bool?

  public init(item: String, in values: [String]? = nil, present: Bool? = nil) {
    self.item = item
    self.in = values
    self.present = present
  }
}

public struct TemplateItem: Sendable, Codable, Equatable {
  // The fields live in a ``SharedFields`` box, as ``ReportItem``'s do: the
  // filler copies items of the template for every case.
  @usableFromInline struct Fields: Sendable, Equatable, Codable {
    @usableFromInline var id: String
    @usableFromInline var label: String
    @usableFromInline var printText: String?
    @usableFromInline var type: ItemType
    @usableFromInline var bind: String
    @usableFromInline var required: Requiredness
    @usableFromInline var requiredWhen: Condition?
    @usableFromInline var whenMissing: MissingPolicy?
    @usableFromInline var showWhen: Condition?
    @usableFromInline var help: String?
    @usableFromInline var code: Code?
    @usableFromInline var answerCodes: [String: Code]?
    @usableFromInline var items: [TemplateItem]?
    /// What `bind` names in the binding registry, looked up once when the
    /// item is made or its binding changes, not for every case filled.
    var binding = ResolvedBinding(nil)

    enum CodingKeys: String, CodingKey {
      case id, label, printText, type, bind, required, requiredWhen, whenMissing, showWhen, help, code, answerCodes, items
    }
  }

  /// A binding's reading, which follows from the binding's name: items
  /// compare by that name, so this compares equal.
  struct ResolvedBinding: Sendable, Equatable {
    let kind: Bindings.Kind?
    init(_ name: String?) { kind = name.flatMap(Bindings.resolve) }
    static func == (a: Self, b: Self) -> Bool { true }
  }

  /// How the filler reads this item's value from a case.
  var kind: Bindings.Kind? { shared.box.fields.binding.kind }

  @usableFromInline var shared: SharedFields<Fields>

  /// Stable id, never reused for another meaning.
  public var id: String {
    @inlinable get { shared.box.fields.id }
    set { shared.change { $0.id = newValue } }
  }
  public var label: String {
    @inlinable get { shared.box.fields.label }
    set { shared.change { $0.label = newValue } }
  }
  /// Text printed before the value inside a repeating group row (e.g. "clone").
  public var printText: String? {
    @inlinable get { shared.box.fields.printText }
    set { shared.change { $0.printText = newValue } }
  }
  public var type: ItemType {
    @inlinable get { shared.box.fields.type }
    set { shared.change { $0.type = newValue } }
  }
  /// A name from the binding registry; inside a group, a field of the group.
  public var bind: String {
    @inlinable get { shared.box.fields.bind }
    set {
      shared.change {
        $0.bind = newValue
        $0.binding = ResolvedBinding(newValue)
      }
    }
  }
  public var required: Requiredness {
    @inlinable get { shared.box.fields.required }
    set { shared.change { $0.required = newValue } }
  }
  public var requiredWhen: Condition? {
    @inlinable get { shared.box.fields.requiredWhen }
    set { shared.change { $0.requiredWhen = newValue } }
  }
  /// What a missing required element does (default: an error).
  public var whenMissing: MissingPolicy? {
    @inlinable get { shared.box.fields.whenMissing }
    set { shared.change { $0.whenMissing = newValue } }
  }
  public var showWhen: Condition? {
    @inlinable get { shared.box.fields.showWhen }
    set { shared.change { $0.showWhen = newValue } }
  }
  public var help: String? {
    @inlinable get { shared.box.fields.help }
    set { shared.change { $0.help = newValue } }
  }
  /// The question's code (LOINC, SNOMED CT or local).
  public var code: Code? {
    @inlinable get { shared.box.fields.code }
    set { shared.change { $0.code = newValue } }
  }
  /// Codes for answers, keyed by the answer word.
  public var answerCodes: [String: Code]? {
    @inlinable get { shared.box.fields.answerCodes }
    set { shared.change { $0.answerCodes = newValue } }
  }
  /// The fields of a repeating group.
  public var items: [TemplateItem]? {
    @inlinable get { shared.box.fields.items }
    set { shared.change { $0.items = newValue } }
  }

  /// An item with the fields a report item keeps of its question.
  init(id: String, label: String, printText: String?, type: ItemType, bind: String, required: Requiredness, help: String?, code: Code?) {
    self.init(resolving: Fields(
      id: id, label: label, printText: printText, type: type, bind: bind, required: required, requiredWhen: nil, whenMissing: nil,
      showWhen: nil, help: help, code: code, answerCodes: nil, items: nil))
  }

  public init(from decoder: any Decoder) throws { self.init(resolving: try Fields(from: decoder)) }

  /// Every item is made here, with its binding looked up for its `bind`.
  private init(resolving fields: consuming Fields) {
    fields.binding = ResolvedBinding(fields.bind)
    shared = SharedFields(fields)
  }

  public func encode(to encoder: any Encoder) throws { try shared.encode(to: encoder) }
}

/// The IHE APSR (CDA) section a template section's items are reported in.
public enum APSRSection: String, CodedChoice {
  case clinical, macroscopic, microscopic, additional, conclusion
}

public struct TemplateSection: Sendable, Codable, Equatable {
  public var id: String
  public var title: String
  /// Where the section's narrative goes in a CDA document (default microscopic).
  public var apsr: APSRSection?
  public var items: [TemplateItem]
}

/// Institution details printed at the head of every report.
public struct Letterhead: Sendable, Codable, Equatable {
  public var institution: String
  public var department: String?
  public var address: String?
  public var phone: String?
  public var accreditation: String?

  public init(institution: String, department: String? = nil, address: String? = nil, phone: String? = nil, accreditation: String? = nil) {
    self.institution = institution
    self.department = department
    self.address = address
    self.phone = phone
    self.accreditation = accreditation
  }
}

/// A synoptic template: a versioned checklist.
public struct SynopticTemplate: Sendable, Codable, Equatable {
  public var id: String
  public var title: String
  /// Semantic version, e.g. 1.2.0.
  public var version: String
  public var provenance: String
  public var appliesTo: [ProcedureClass]?
  /// Layout names (files `Templates/layouts/NAME.mustache`) by output: text, html.
  public var layouts: [String: String]?
  public var letterhead: Letterhead?
  public var sections: [TemplateSection]
  /// Set when this template came from an institution override: the base's id and version.
  public var base: String?
  public var baseVersion: String?
  /// The code systems of the terminology the store applied (not read from template files).
  public var codeSystems: [String: Terminology.System]? = nil

  enum CodingKeys: String, CodingKey {
    case id, title, version, provenance, appliesTo, layouts, letterhead, sections, base, baseVersion
  }

  public init(
    id: String, title: String, version: String, provenance: String, appliesTo: [ProcedureClass]? = nil,
    layouts: [String: String]? = nil, letterhead: Letterhead? = nil, sections: [TemplateSection]
  ) {
    self.id = id
    self.title = title
    self.version = version
    self.provenance = provenance
    self.appliesTo = appliesTo
    self.layouts = layouts
    self.letterhead = letterhead
    self.sections = sections
  }

  /// Every item, group fields included, with its model path in the template file.
  public func allItems() -> [(item: TemplateItem, path: String, inGroup: String?)] {
    var out: [(TemplateItem, String, String?)] = []
    for (s, section) in sections.enumerated() {
      for (i, item) in section.items.enumerated() {
        let path = "sections[\(s)].items[\(i)]"
        out.append((item, path, nil))
        for (j, child) in (item.items ?? []).enumerated() { out.append((child, path + ".items[\(j)]", item.id)) }
      }
    }
    return out
  }
}

/// An institution's changes to a shipped template, kept apart so the base is never forked.
public struct TemplateOverride: Sendable, Codable, Equatable {
  public struct AddedItem: Sendable, Codable, Equatable {
    /// The section to add to.
    public var section: String
    /// Insert after this item id (default: at the end of the section).
    public var after: String?
    public var item: TemplateItem
  }
  public var base: String
  public var id: String
  public var title: String?
  public var version: String
  public var provenance: String?
  public var letterhead: Letterhead?
  /// New labels by item id.
  public var labels: [String: String]?
  public var addItems: [AddedItem]?
  /// Layout names by output; a layout may inherit the shipped one and override blocks.
  public var layouts: [String: String]?
}

/// A template file holds either a template or an override (it has `base`).
enum TemplateFile: Decodable, Sendable {
  case template(SynopticTemplate)
  case override(TemplateOverride)

  enum Keys: String, CodingKey { case base }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: Keys.self)
    if c.contains(.base) {
      self = .override(try TemplateOverride(from: decoder))
    } else {
      self = .template(try SynopticTemplate(from: decoder))
    }
  }
}
