import SynopticCore

/// The status of a report version.
public enum ReportStatus: String, Sendable, Codable, CaseIterable {
  case draft, final, amended, appended
  /// Withdrawn: the report was issued in error (for the wrong patient) and must not be relied on.
  case retracted
}

/// One answered (or required and missing) checklist item.
///
/// Its fields live in a ``SharedFields`` box: a copy is one retain; changing a
/// field (rare: the filler sets a group's rows, an amendment edits a value)
/// makes a new box. The question's own fields (id, label, print text, type,
/// code, requiredness, help, binding) are read from the template item it
/// answers, kept whole (itself one shared box), so filling an item takes one
/// reference to its question instead of a copy of each field. It encodes,
/// decodes and compares as the plain fields.
public struct ReportItem: Sendable, Equatable, Codable {
  @usableFromInline struct Fields: Sendable, Equatable, Codable {
    /// The question; only the fields above are part of the report item.
    @usableFromInline var question: TemplateItem
    @usableFromInline var display: String
    @usableFromInline var value: ItemValue?
    @usableFromInline var answerCode: Code?
    @usableFromInline var provenance: Provenance?
    @usableFromInline var rows: [[ReportItem]]?

    init(question: TemplateItem, display: String, value: ItemValue?, answerCode: Code?, provenance: Provenance?, rows: [[ReportItem]]?) {
      self.question = question
      self.display = display
      self.value = value
      self.answerCode = answerCode
      self.provenance = provenance
      self.rows = rows
    }

    // The report format's keys, in its order: a document encodes the same whichever way an item keeps its fields.
    enum CodingKeys: String, CodingKey {
      case id, label, printText, display, value, type, code, answerCode, required, provenance, help, binding, rows
    }

    @usableFromInline static func == (a: Fields, b: Fields) -> Bool {
      let p = a.question, q = b.question
      return p.id == q.id && p.label == q.label && p.printText == q.printText && a.display == b.display && a.value == b.value
        && p.type == q.type && p.code == q.code && a.answerCode == b.answerCode && p.required == q.required
        && a.provenance == b.provenance && p.help == q.help && p.bind == q.bind && a.rows == b.rows
    }

    @usableFromInline init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      question = TemplateItem(
        id: try c.decode(String.self, forKey: .id), label: try c.decode(String.self, forKey: .label),
        printText: try c.decodeIfPresent(String.self, forKey: .printText), type: try c.decode(ItemType.self, forKey: .type),
        bind: try c.decode(String.self, forKey: .binding), required: try c.decode(Requiredness.self, forKey: .required),
        help: try c.decodeIfPresent(String.self, forKey: .help), code: try c.decodeIfPresent(Code.self, forKey: .code))
      display = try c.decode(String.self, forKey: .display)
      value = try c.decodeIfPresent(ItemValue.self, forKey: .value)
      answerCode = try c.decodeIfPresent(Code.self, forKey: .answerCode)
      provenance = try c.decodeIfPresent(Provenance.self, forKey: .provenance)
      rows = try c.decodeIfPresent([[ReportItem]].self, forKey: .rows)
    }

    @usableFromInline func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(question.id, forKey: .id)
      try c.encode(question.label, forKey: .label)
      try c.encodeIfPresent(question.printText, forKey: .printText)
      try c.encode(display, forKey: .display)
      try c.encodeIfPresent(value, forKey: .value)
      try c.encode(question.type, forKey: .type)
      try c.encodeIfPresent(question.code, forKey: .code)
      try c.encodeIfPresent(answerCode, forKey: .answerCode)
      try c.encode(question.required, forKey: .required)
      try c.encodeIfPresent(provenance, forKey: .provenance)
      try c.encodeIfPresent(question.help, forKey: .help)
      try c.encode(question.bind, forKey: .binding)
      try c.encodeIfPresent(rows, forKey: .rows)
    }
  }

  @usableFromInline var shared: SharedFields<Fields>

  public var id: String {
    @inlinable get { shared.box.fields.question.id }
    set { shared.change { $0.question.id = newValue } }
  }
  public var label: String {
    @inlinable get { shared.box.fields.question.label }
    set { shared.change { $0.question.label = newValue } }
  }
  public var printText: String? {
    @inlinable get { shared.box.fields.question.printText }
    set { shared.change { $0.question.printText = newValue } }
  }
  /// What the report prints; empty when the item has no value.
  public var display: String {
    @inlinable get { shared.box.fields.display }
    set { shared.change { $0.display = newValue } }
  }
  public var value: ItemValue? {
    @inlinable get { shared.box.fields.value }
    set { shared.change { $0.value = newValue } }
  }
  public var type: ItemType {
    @inlinable get { shared.box.fields.question.type }
    set { shared.change { $0.question.type = newValue } }
  }
  /// The question's code.
  public var code: Code? {
    @inlinable get { shared.box.fields.question.code }
    set { shared.change { $0.question.code = newValue } }
  }
  /// The answer's code where the template or the binding knows one.
  public var answerCode: Code? {
    @inlinable get { shared.box.fields.answerCode }
    set { shared.change { $0.answerCode = newValue } }
  }
  public var required: Requiredness {
    @inlinable get { shared.box.fields.question.required }
    set { shared.change { $0.question.required = newValue } }
  }
  public var provenance: Provenance? {
    @inlinable get { shared.box.fields.provenance }
    set { shared.change { $0.provenance = newValue } }
  }
  public var help: String? {
    @inlinable get { shared.box.fields.question.help }
    set { shared.change { $0.question.help = newValue } }
  }
  /// The binding the value came from (a model path or derived value).
  public var binding: String {
    @inlinable get { shared.box.fields.question.bind }
    set { shared.change { $0.question.bind = newValue } }
  }
  /// Rows of a repeating group.
  public var rows: [[ReportItem]]? {
    @inlinable get { shared.box.fields.rows }
    set { shared.change { $0.rows = newValue } }
  }

  @inlinable public var hasValue: Bool {
    // A pattern, not `value != nil`: that picks Equatable's == and copies the value.
    if case .some = shared.box.fields.value { return true }
    if let rows = shared.box.fields.rows { return !rows.isEmpty }
    return false
  }

  public init(id: String, label: String, printText: String? = nil, display: String, value: ItemValue? = nil, type: ItemType, code: Code? = nil, answerCode: Code? = nil, required: Requiredness, provenance: Provenance? = nil, help: String? = nil, binding: String, rows: [[ReportItem]]? = nil) {
    let question = TemplateItem(id: id, label: label, printText: printText, type: type, bind: binding, required: required, help: help, code: code)
    shared = SharedFields(Fields(question: question, display: display, value: value, answerCode: answerCode, provenance: provenance, rows: rows))
  }

  /// The answer to a template item.
  init(answering question: TemplateItem, display: String, value: ItemValue?, answerCode: Code?, provenance: Provenance?) {
    shared = SharedFields(Fields(question: question, display: display, value: value, answerCode: answerCode, provenance: provenance, rows: nil))
  }

  public init(from decoder: any Decoder) throws { shared = try SharedFields(from: decoder) }

  public func encode(to encoder: any Encoder) throws { try shared.encode(to: encoder) }
}

public struct ReportSection: Sendable, Equatable, Codable {
  public var id: String
  public var title: String
  public var items: [ReportItem]
  public var apsr: APSRSection = .microscopic

  public init(id: String, title: String, items: [ReportItem]) {
    self.id = id
    self.title = title
    self.items = items
  }
}

public struct ReportPatient: Sendable, Equatable, Codable {
  public var name: String?
  public var mrn: String?
  public var birthDate: String?
  public var sex: Sex?
  /// Age in years at diagnosis, when the case gives an age instead of a birth date.
  public var ageAtDiagnosis: Int?

  public init(name: String? = nil, mrn: String? = nil, birthDate: String? = nil, sex: Sex? = nil) {
    self.name = name
    self.mrn = mrn
    self.birthDate = birthDate
    self.sex = sex
  }

  /// The identity fields that differ from `older` (a value given where none was counts).
  public func identityChanges(from older: ReportPatient) -> [String] {
    var out: [String] = []
    if name != older.name { out.append("name") }
    if mrn != older.mrn { out.append("MRN") }
    if birthDate != older.birthDate { out.append("birth date") }
    if sex != older.sex { out.append("sex") }
    return out
  }
}

/// A person a report names with their identifiers: the signing pathologist.
public struct ReportPerson: Sendable, Equatable, Codable {
  /// The id in the site's directory.
  public var id: String
  /// As printed: "Imogen Vale".
  public var name: String
  public var family: String?
  public var given: String?
  /// US National Provider Identifier.
  public var npi: String?

  public init(id: String, name: String, family: String? = nil, given: String? = nil, npi: String? = nil) {
    self.id = id
    self.name = name
    self.family = family
    self.given = given
    self.npi = npi
  }
}

/// An addendum with its own signer and time.
public struct ReportAddendum: Sendable, Equatable, Codable {
  public var text: String
  public var signer: ReportPerson
  /// ISO 8601.
  public var time: String

  public init(text: String, signer: ReportPerson, time: String) {
    self.text = text
    self.signer = signer
    self.time = time
  }

  /// The line every format prints.
  public var line: String { "\(text) (addendum by \(signer.name), \(time))" }
}

public struct ReportSpecimen: Sendable, Equatable, Codable {
  public var id: String
  /// The procedure word (`wide-resection`) and its label.
  public var procedure: String
  public var procedureLabel: String
  public var site: String?
  public var laterality: String?
  /// When the specimen was collected (ISO 8601), when known.
  public var collectedAt: String?

  public init(id: String, procedure: String, procedureLabel: String, site: String? = nil, laterality: String? = nil) {
    self.id = id
    self.procedure = procedure
    self.procedureLabel = procedureLabel
    self.site = site
    self.laterality = laterality
  }
}

/// What the rules derived, with the inputs and the rule used, for machine readers.
public struct ReportDerived: Sendable, Equatable, Codable {
  public struct Scores: Sendable, Equatable, Codable {
    public var differentiation: Int
    public var mitotic: Int
    public var necrosis: Int
    public var total: Int
  }

  public struct Grade: Sendable, Equatable, Codable {
    public var name: String?
    public var value: String
    public var display: String
    public var ajcc: String
    public var source: String
    public var working: String
    /// Differentiation, mitotic, necrosis and total scores when computed.
    public var scores: Scores?
    public var differentiationFromTable: Bool
    /// The FNCLCC grades the grade allows (nil when not graded or GX).
    public var range: GradeRange?
    /// The pathologist's statement in their own system.
    public var stated: String?

    public init(name: String?, value: String, display: String, ajcc: String, source: String, working: String, scores: Scores?, differentiationFromTable: Bool) {
      self.name = name
      self.value = value
      self.display = display
      self.ajcc = ajcc
      self.source = source
      self.working = working
      self.scores = scores
      self.differentiationFromTable = differentiationFromTable
    }
  }
  public var grade: Grade
  public var componentGrades: [Grade]
  public var siteGroup: String?
  public var ajccChapter: Int?
  public var t: String
  public var tWorking: String
  public var pT: String
  public var n: String
  public var pN: String
  public var m: String
  public var pM: String
  public var stageGroup: String?
  public var stageRule: String
  public var rClass: String?
  public var closestMargin: String?
  /// Exact, or an upper bound (`≤ 7 mm`) when another margin may be closer.
  public var closestDistance: Length?
  /// True or false when the close flag is known (see `closeFlag`).
  public var closeMargin: Bool?
  public var marginWorking: String?
  /// yes, no or cannot-be-determined.
  public var closeFlag: String?
  public var closeThresholdMm: Double?
  /// Free margins that may be closer than `closestMargin`.
  public var mayBeCloser: [String]?
  public var nWorking: String?
  public var mWorking: String?
  /// Clinical nodal status as the case states it.
  public var cN: String?
  /// The stage groups a grade range allows when they differ.
  public var stageAlternatives: [String]?
}

/// The single model every writer reads: a template filled from a case.
public struct ReportDocument: Sendable, Equatable, Codable {
  public var templateId: String
  public var templateTitle: String
  public var templateVersion: String
  public var templateProvenance: String
  public var baseTemplate: String?
  public var letterhead: Letterhead?
  public var accession: String
  public var reportDate: String?
  public var status: ReportStatus
  public var version: Int
  public var patient: ReportPatient
  public var orderingPhysician: String?
  /// The ordering physician's identifier, when the case gives one.
  public var orderingPhysicianId: String?
  public var facility: String?
  public var diagnosis: [String]
  public var comment: String?
  public var sections: [ReportSection]
  /// "Desmin: positive (S19-1234) -> negative" lines, for the comparison block.
  public var comparison: [String]
  /// Validation and rule diagnostics (warnings are shown on the report).
  public var diagnostics: [Diagnostic]
  /// The signer's name as printed (see `signer` for the identifiers).
  public var signedOutBy: String?
  public var signedOutAt: String?
  /// The signing pathologist with identifiers from the site's directory.
  public var signer: ReportPerson?
  /// Why this version exists (amendments).
  public var amendmentReason: String?
  /// Addenda as printed, oldest first.
  public var addenda: [String]
  /// The addenda with their own signer and time (`addenda` holds their lines).
  public var addendumEntries: [ReportAddendum]?
  /// For an amendment: "Label: old -> new" for each changed item.
  public var changedItems: [String] = []
  /// The version this one replaces (amendments and addenda).
  public var parentVersion: Int?
  /// The placer order number, when the case gives one.
  public var orderNumber: String?
  public var specimens: [ReportSpecimen] = []
  public var derived: ReportDerived?
  /// The code systems the document's codes use, with their URIs, OIDs and
  /// HL7 v2 names as they were when it was filled: a signed document renders
  /// the same later, whatever the terminology files say by then.
  public var codeSystems: [String: Terminology.System]?

  /// A code system the document uses, by name.
  public func system(_ name: String) -> Terminology.System? { codeSystems?[name] }

  /// Items with values, group fields included (for cross-format checks).
  public var answeredItems: [ReportItem] {
    sections.flatMap(\.items).flatMap { item -> [ReportItem] in
      if let rows = item.rows { return rows.flatMap { $0.filter(\.hasValue) } }
      return item.hasValue ? [item] : []
    }
  }

  public init(templateId: String, templateTitle: String, templateVersion: String, templateProvenance: String, baseTemplate: String? = nil, letterhead: Letterhead? = nil, accession: String, reportDate: String? = nil, status: ReportStatus, version: Int, patient: ReportPatient, orderingPhysician: String? = nil, facility: String? = nil, diagnosis: [String], comment: String? = nil, sections: [ReportSection], comparison: [String], diagnostics: [Diagnostic], signedOutBy: String? = nil, signedOutAt: String? = nil, amendmentReason: String? = nil, addenda: [String]) {
    self.templateId = templateId
    self.templateTitle = templateTitle
    self.templateVersion = templateVersion
    self.templateProvenance = templateProvenance
    self.baseTemplate = baseTemplate
    self.letterhead = letterhead
    self.accession = accession
    self.reportDate = reportDate
    self.status = status
    self.version = version
    self.patient = patient
    self.orderingPhysician = orderingPhysician
    self.facility = facility
    self.diagnosis = diagnosis
    self.comment = comment
    self.sections = sections
    self.comparison = comparison
    self.diagnostics = diagnostics
    self.signedOutBy = signedOutBy
    self.signedOutAt = signedOutAt
    self.amendmentReason = amendmentReason
    self.addenda = addenda
  }
}

/// One item whose value differs between two versions.
public struct ItemChange: Sendable, Equatable {
  public var id: String
  public var label: String
  public var old: String?
  public var new: String?

  /// "Label: old -> new".
  public var text: String { "\(label): \(old ?? "(none)") -> \(new ?? "(none)")" }
}

extension ReportDocument {
  /// Display values by item id (group cells as `ID[row]`), with labels.
  func values() -> [(key: String, label: String, value: String)] {
    var out: [(String, String, String)] = []
    // The header: who the report is about and who asked for it.
    let header: [(String, String, String?)] = [
      ("patient.name", "Patient name", patient.name), ("patient.mrn", "MRN", patient.mrn),
      ("patient.birthDate", "Birth date", patient.birthDate), ("patient.sex", "Sex", patient.sex?.label),
      ("patient.ageAtDiagnosis", "Age at diagnosis", patient.ageAtDiagnosis.map(String.init)),
      ("orderingPhysician", "Ordering physician", orderingPhysician), ("orderingPhysicianId", "Ordering physician id", orderingPhysicianId),
      ("orderNumber", "Order number", orderNumber),
      ("facility", "Facility", facility), ("reportDate", "Report date", reportDate),
    ]
    for (key, label, value) in header { if let value { out.append((key, label, value)) } }
    for item in sections.flatMap(\.items) {
      if let rows = item.rows {
        for (r, row) in rows.enumerated() {
          for cell in row where cell.hasValue { out.append(("\(cell.id)[\(r + 1)]", "\(cell.label) (\(item.label) \(r + 1))", cell.display)) }
        }
      } else if item.hasValue {
        out.append((item.id, item.label, item.display))
      }
    }
    for (i, line) in diagnosis.enumerated() { out.append(("diagnosis[\(i + 1)]", "Final diagnosis line \(i + 1)", line)) }
    if let comment { out.append(("comment", "Comment", comment)) }
    for (i, a) in addenda.enumerated() { out.append(("addendum[\(i + 1)]", "Addendum \(i + 1)", a)) }
    return out
  }

  /// The items whose values differ from `older`, in this document's order
  /// (items only in `older` follow).
  public func changes(from older: ReportDocument) -> [ItemChange] {
    let mine = values()
    let theirs = older.values()
    let oldByKey = Dictionary(theirs.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    let newKeys = Set(mine.map(\.key))
    var out: [ItemChange] = []
    for v in mine where oldByKey[v.key]?.value != v.value {
      out.append(ItemChange(id: v.key, label: v.label, old: oldByKey[v.key]?.value, new: v.value))
    }
    for v in theirs where !newKeys.contains(v.key) {
      out.append(ItemChange(id: v.key, label: v.label, old: v.value, new: nil))
    }
    return out
  }
}
