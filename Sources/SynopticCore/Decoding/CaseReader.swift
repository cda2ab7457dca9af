/// Reads a parsed case file straight into the case model: the same values,
/// the same diagnostics and the same unknown-key checks as the model's
/// `Codable` conformance through ``NodeDecoder`` (the reference: the tests
/// decode every sample and thousands of mutations both ways and compare),
/// without Codable's containers. Those cost a quarter of a render: an
/// existential box, metadata look-ups and key conversions for every value.
///
/// Each type reads its fields in declaration order, as synthesized Codable
/// does, so a missing required field stops a type at the same point and the
/// same errors are recorded before it. Leaf types with their own
/// `init(from:)` (lengths, sizes, dates, grades) have a reader here that
/// follows it step for step; rare ones (units, comparators, grading systems,
/// local values) are read through `Codable` itself.
struct FieldReader {
  let decoder: NodeDecoder
  /// The mapping's link, made once for all its values.
  let link: PathLink?
  let keys: [String]
  /// The record the unknown-key check reads, kept only for a mapping with a
  /// key its type does not know: a mapping of known keys has nothing to report.
  let mapping: DecodeSession.Mapping?
  /// The value of each key, by the key's place in `keys` (the first pair
  /// wins, as in the keyed container).
  private var slots: [SourceNode?]
  /// The place of the next key asked for: types read their keys in the order
  /// `keys` lists them, so a look-up is one comparison.
  private var cursor = 0

  /// Opens the decoder's node as a mapping of a type with these keys.
  init(_ decoder: NodeDecoder, keys: [String]) throws {
    guard case .mapping(let pairs, _) = decoder.node else { throw decoder.notAMapping }
    link = decoder.link
    slots = Array(repeating: nil, count: keys.count)
    var unknown = false
    for pair in pairs {
      guard let k = keys.firstIndex(of: pair.key) else {
        unknown = true
        continue
      }
      if slots[k] == nil { slots[k] = pair.value }
    }
    if unknown {
      let m = decoder.session.openOnce(decoder.node, link: link)
      m.readerKeys = keys
      m.known = pairs.lazy.map(\.key).filter(keys.contains)
      mapping = m
    } else {
      mapping = nil
    }
    self.decoder = decoder
    self.keys = keys
  }

  /// The non-null value of a key; the key counts as asked for (with those
  /// before it in `keys`, which the type has read).
  private mutating func node(_ key: String) -> SourceNode? {
    let k = cursor < keys.count && keys[cursor] == key ? cursor : keys.firstIndex(of: key)
    guard let k else {
      mapping?.requested.append(key)
      return nil
    }
    cursor = k + 1
    if let mapping { mapping.readerAsked = max(mapping.readerAsked, cursor) }
    guard let value = slots[k], !value.isNull else { return nil }
    return value
  }

  /// An optional field: absent or null is nil; a value that does not read is
  /// an error recorded at its path, and nil, so one run lists every problem.
  mutating func optional<T>(_ key: String, _ read: (NodeDecoder) throws -> T) throws -> T? {
    guard let node = node(key) else { return nil }
    do {
      return try read(decoder.child(node, key, under: link))
    } catch let e as NodeDecodingError {
      decoder.session.error(e.path, e.location, rule: e.rule, e.message)
      return nil
    }
  }

  /// A required field: absent or null stops the type with an error at the mapping.
  mutating func required<T>(_ key: String, _ read: (NodeDecoder) throws -> T) throws -> T {
    guard let node = node(key) else {
      throw NodeDecodingError(
        path: decoder.path + [key], location: decoder.node.location,
        message: "missing required key '\(key)'", rule: "decode.missing")
    }
    return try read(decoder.child(node, key, under: link))
  }

  mutating func text(_ key: String) throws -> String? { try optional(key, Read.text) }
  mutating func int(_ key: String) throws -> Int? { try optional(key, Read.int) }
  mutating func double(_ key: String) throws -> Double? { try optional(key, Read.double) }
  mutating func bool(_ key: String) throws -> Bool? { try optional(key, Read.bool) }
  mutating func choice<C: CodedChoice>(_ key: String, _: C.Type = C.self) throws -> C? { try optional(key, Read.choice) }
  mutating func codable<T: Decodable & Sendable>(_ key: String, _: T.Type = T.self) throws -> T? { try optional(key, Read.codable) }
  mutating func list<T>(_ key: String, _ element: (NodeDecoder) throws -> T) throws -> [T]? {
    try optional(key) { try Read.list($0, element) }
  }
  mutating func qualified<V>(_ key: String, _ value: (NodeDecoder) throws -> V) throws -> Qualified<V>? {
    try optional(key) { try Read.qualified($0, value) }
  }
}

/// How one value is read, for ``FieldReader``.
enum Read {
  static func text(_ d: NodeDecoder) throws -> String { try d.decodeScalar(String.self) }
  static func int(_ d: NodeDecoder) throws -> Int { try d.decodeScalar(Int.self) }
  static func double(_ d: NodeDecoder) throws -> Double { try d.decodeScalar(Double.self) }
  static func bool(_ d: NodeDecoder) throws -> Bool { try d.decodeScalar(Bool.self) }
  static func codable<T: Decodable>(_ d: NodeDecoder) throws -> T { try d.decodeScalar(T.self) }

  /// As ``CodedChoice``'s `init(from:)`: the word, or the list of allowed ones.
  static func choice<C: CodedChoice>(_ d: NodeDecoder) throws -> C {
    let text = try d.decodeScalar(String.self)
    guard let value = C.parse(text) else {
      throw d.located(C.unreadable(text))
    }
    return value
  }

  /// As `Array`'s `init(from:)`: every element, or the first error.
  static func list<T>(_ d: NodeDecoder, _ element: (NodeDecoder) throws -> T) throws -> [T] {
    guard case .sequence(let items, _) = d.node else { throw d.notAList }
    var out: [T] = []
    out.reserveCapacity(items.count)
    let link = d.link
    for i in items.indices { out.append(try element(d.child(items[i], index: i, under: link))) }
    return out
  }

  /// The text of a non-null scalar, as `try? decode(String.self)` gives it.
  static func scalarText(_ d: NodeDecoder) -> String? {
    guard case .scalar(let s, _, _) = d.node, !d.node.isNull else { return nil }
    return s
  }

  /// As ``Qualified``'s `init(from:)`: "not reported" and "cannot be
  /// determined" first, else the value.
  static func qualified<V>(_ d: NodeDecoder, _ value: (NodeDecoder) throws -> V) throws -> Qualified<V> {
    if case .scalar(let text, _, _) = d.node, !d.node.isNull, let special = Qualified<V>.special(text) { return special }
    return .value(try value(d))
  }
}

extension PathologyCase {
  static let keys = [
    "accession", "reportDate", "patient", "orderingPhysician", "orderingPhysicianId", "orderNumber", "facility",
    "clinicalHistory", "predisposingConditions", "predisposingConditionOther", "precursorLesions", "comment", "diagnosis",
    "additionalFindings", "presurgicalTherapy", "treatmentEffect", "priorSpecimens", "specimens", "tumor",
    "regionalLymphNodes", "clinicalNodalStatus", "distantMetastasis", "stains", "molecular", "signOut", "local",
  ]

  static func read(_ d: NodeDecoder) throws -> PathologyCase {
    var r = try FieldReader(d, keys: keys)
    var c = PathologyCase(accession: try r.required("accession", Read.text))
    c.reportDate = try r.optional("reportDate", CalendarDate.read)
    c.patient = try r.optional("patient", Patient.read)
    c.orderingPhysician = try r.text("orderingPhysician")
    c.orderingPhysicianId = try r.text("orderingPhysicianId")
    c.orderNumber = try r.text("orderNumber")
    c.facility = try r.text("facility")
    c.clinicalHistory = try r.text("clinicalHistory")
    c.predisposingConditions = try r.list("predisposingConditions", Read.choice)
    c.predisposingConditionOther = try r.text("predisposingConditionOther")
    c.precursorLesions = try r.list("precursorLesions", Read.text)
    c.comment = try r.text("comment")
    c.diagnosis = try r.list("diagnosis", Read.text)
    c.additionalFindings = try r.text("additionalFindings")
    c.presurgicalTherapy = try r.choice("presurgicalTherapy")
    c.treatmentEffect = try r.optional("treatmentEffect", TreatmentEffect.read)
    c.priorSpecimens = try r.list("priorSpecimens", PriorSpecimen.read)
    c.specimens = try r.list("specimens", Specimen.read)
    c.tumor = try r.optional("tumor", Tumor.read)
    c.regionalLymphNodes = try r.qualified("regionalLymphNodes", RegionalLymphNodes.read)
    c.clinicalNodalStatus = try r.choice("clinicalNodalStatus")
    c.distantMetastasis = try r.qualified("distantMetastasis", DistantMetastasis.read)
    c.stains = try r.list("stains", Stain.read)
    c.molecular = try r.list("molecular", MolecularTest.read)
    c.signOut = try r.optional("signOut", SignOut.read)
    c.local = try r.codable("local")
    return c
  }
}

extension Patient {
  static func read(_ d: NodeDecoder) throws -> Patient {
    var r = try FieldReader(d, keys: ["name", "mrn", "birthDate", "ageAtDiagnosis", "sex"])
    return Patient(
      name: try r.text("name"), mrn: try r.text("mrn"), birthDate: try r.optional("birthDate", CalendarDate.read),
      ageAtDiagnosis: try r.int("ageAtDiagnosis"), sex: try r.choice("sex"))
  }
}

extension TreatmentEffect {
  static func read(_ d: NodeDecoder) throws -> TreatmentEffect {
    var r = try FieldReader(d, keys: ["viablePercent", "necrosisPercent"])
    return TreatmentEffect(
      viablePercent: try r.qualified("viablePercent", Percent.read), necrosisPercent: try r.qualified("necrosisPercent", Percent.read))
  }
}

extension PriorSpecimen {
  static func read(_ d: NodeDecoder) throws -> PriorSpecimen {
    var r = try FieldReader(d, keys: ["accession", "date", "procedure", "diagnosis", "grade", "stains", "molecular"])
    return PriorSpecimen(
      accession: try r.required("accession", Read.text), date: try r.optional("date", CalendarDate.read), procedure: try r.text("procedure"),
      diagnosis: try r.text("diagnosis"), grade: try r.optional("grade", StatedGrade.read), stains: try r.list("stains", Stain.read),
      molecular: try r.list("molecular", MolecularTest.read))
  }
}

extension Specimen {
  static func read(_ d: NodeDecoder) throws -> Specimen {
    var r = try FieldReader(
      d, keys: ["id", "procedure", "procedureOther", "site", "laterality", "integrity", "description", "additionalFindings", "collectedAt"])
    return Specimen(
      id: try r.required("id", Read.text), procedure: try r.required("procedure", Read.choice),
      procedureOther: try r.text("procedureOther"), site: try r.text("site"), laterality: try r.choice("laterality"),
      integrity: try r.choice("integrity"), description: try r.text("description"),
      additionalFindings: try r.text("additionalFindings"), collectedAt: try r.optional("collectedAt", Timestamp.read))
  }
}

extension Tumor {
  static let keys = [
    "site", "siteGroup", "depth", "depthOther", "size", "focality", "histologicType", "lymphovascularInvasion", "description",
    "extent", "operativeFindings", "recurrent", "headNeckInvasion", "visceralExtent", "multifocalSites", "grading", "components",
    "margins",
  ]

  static func read(_ d: NodeDecoder) throws -> Tumor {
    var r = try FieldReader(d, keys: keys)
    return Tumor(
      site: try r.text("site"), siteGroup: try r.choice("siteGroup"),
      depth: try r.qualified("depth") { try Read.list($0, Read.choice) }, depthOther: try r.text("depthOther"),
      size: try r.qualified("size", TumorSize.read), focality: try r.choice("focality"),
      histologicType: try r.qualified("histologicType", HistologicType.read),
      lymphovascularInvasion: try r.choice("lymphovascularInvasion"), description: try r.text("description"),
      extent: try r.list("extent", Read.text), operativeFindings: try r.list("operativeFindings", Read.text),
      recurrent: try r.bool("recurrent"), headNeckInvasion: try r.list("headNeckInvasion", Read.choice),
      visceralExtent: try r.choice("visceralExtent"), multifocalSites: try r.int("multifocalSites"),
      grading: try r.optional("grading", Grading.read), components: try r.list("components", TumorComponent.read),
      margins: try r.qualified("margins") { try Read.list($0, Margin.read) })
  }
}

extension Grading {
  static func read(_ d: NodeDecoder) throws -> Grading {
    var r = try FieldReader(d, keys: ["differentiation", "mitoses", "necrosis", "statedGrade", "notGraded"])
    return Grading(
      differentiation: try r.qualified("differentiation", Read.int), mitoses: try r.qualified("mitoses", MitoticCount.read),
      necrosis: try r.qualified("necrosis", Percent.read), statedGrade: try r.qualified("statedGrade", StatedGrade.read),
      notGraded: try r.optional("notGraded", NotGraded.read))
  }
}

extension NotGraded {
  static func read(_ d: NodeDecoder) throws -> NotGraded {
    var r = try FieldReader(d, keys: ["reason", "text"])
    return NotGraded(reason: try r.required("reason", Read.choice), text: try r.text("text"))
  }
}

extension TumorComponent {
  static func read(_ d: NodeDecoder) throws -> TumorComponent {
    var r = try FieldReader(
      d, keys: ["name", "kind", "differentiation", "histologicType", "percent", "size", "description", "grading"])
    return TumorComponent(
      name: try r.required("name", Read.text), kind: try r.required("kind", Read.choice),
      differentiation: try r.text("differentiation"), histologicType: try r.optional("histologicType", HistologicType.read),
      percent: try r.qualified("percent", Percent.read), size: try r.qualified("size", Length.read),
      description: try r.text("description"), grading: try r.optional("grading", Grading.read))
  }
}

extension Margin {
  static func read(_ d: NodeDecoder) throws -> Margin {
    var r = try FieldReader(d, keys: ["name", "status", "distance", "tissue", "plannedCloseOnCriticalStructure", "macroscopic"])
    return Margin(
      name: try r.required("name", Read.text), status: try r.required("status", Read.choice),
      distance: try r.qualified("distance", Length.read), tissue: try r.text("tissue"),
      plannedCloseOnCriticalStructure: try r.bool("plannedCloseOnCriticalStructure"), macroscopic: try r.bool("macroscopic"))
  }
}

extension RegionalLymphNodes {
  static func read(_ d: NodeDecoder) throws -> RegionalLymphNodes {
    var r = try FieldReader(d, keys: ["status", "examined", "involved"])
    return RegionalLymphNodes(status: try r.required("status", Read.choice), examined: try r.int("examined"), involved: try r.int("involved"))
  }
}

extension DistantMetastasis {
  static func read(_ d: NodeDecoder) throws -> DistantMetastasis {
    var r = try FieldReader(d, keys: ["status", "sites"])
    return DistantMetastasis(status: try r.required("status", Read.choice), sites: try r.list("sites", Read.text))
  }
}

extension Stain {
  static let keys = [
    "marker", "clone", "result", "intensity", "percent", "proportion", "index", "population", "pattern", "localisation",
    "component", "internalControl", "comment",
  ]

  static func read(_ d: NodeDecoder) throws -> Stain {
    var r = try FieldReader(d, keys: keys)
    return Stain(
      marker: try r.required("marker", Read.text), clone: try r.text("clone"), result: try r.required("result", Read.choice),
      intensity: try r.choice("intensity"), percent: try r.qualified("percent", Percent.read),
      proportion: try r.text("proportion"), index: try r.qualified("index", Percent.read), population: try r.text("population"),
      pattern: try r.choice("pattern"), localisation: try r.choice("localisation"), component: try r.text("component"),
      internalControl: try r.choice("internalControl"), comment: try r.text("comment"))
  }
}

extension MolecularTest {
  static let keys = [
    "method", "methodOther", "target", "result", "probe", "ratio", "copyNumber", "nucleiScored", "fusionPartner", "variant",
    "comment",
  ]

  static func read(_ d: NodeDecoder) throws -> MolecularTest {
    var r = try FieldReader(d, keys: keys)
    return MolecularTest(
      method: try r.required("method", Read.choice), methodOther: try r.text("methodOther"),
      target: try r.required("target", Read.text), result: try r.required("result", Read.choice), probe: try r.text("probe"),
      ratio: try r.double("ratio"), copyNumber: try r.double("copyNumber"), nucleiScored: try r.int("nucleiScored"),
      fusionPartner: try r.text("fusionPartner"), variant: try r.text("variant"), comment: try r.text("comment"))
  }
}

extension SignOut {
  static func read(_ d: NodeDecoder) throws -> SignOut {
    var r = try FieldReader(d, keys: ["pathologist", "time"])
    return SignOut(pathologist: try r.required("pathologist", Read.text), time: try r.optional("time", Timestamp.read))
  }
}

// Leaf types, each as its own `init(from:)` reads it.

extension Length {
  static func read(_ d: NodeDecoder) throws -> Length {
    if let text = Read.scalarText(d) {
      guard let parsed = Length.parse(text) else {
        throw d.located(Length.unreadable(text))
      }
      return parsed
    }
    var r = try FieldReader(d, keys: ["value", "unit", "comparator"])
    let value = try r.required("value", Read.double)
    let unit: LengthUnit = try r.required("unit", Read.codable)
    return Length(value, unit, comparator: try r.codable("comparator"))
  }
}

extension TumorSize {
  static func read(_ d: NodeDecoder) throws -> TumorSize {
    if let text = Read.scalarText(d) {
      guard let l = Length.parse(text) else {
        throw d.located(TumorSize.unreadable(text))
      }
      return TumorSize(greatest: l)
    }
    var r = try FieldReader(d, keys: ["greatest", "additional", "source"])
    return TumorSize(
      greatest: try r.required("greatest", Length.read), additional: try r.list("additional", Length.read),
      source: try r.choice("source"))
  }
}

extension HistologicType {
  static func read(_ d: NodeDecoder) throws -> HistologicType {
    if let text = Read.scalarText(d) { return HistologicType(name: text) }
    var r = try FieldReader(d, keys: ["name", "icdO3"])
    return HistologicType(name: try r.required("name", Read.text), icdO3: try r.text("icdO3"))
  }
}

extension MitoticCount {
  static func read(_ d: NodeDecoder) throws -> MitoticCount {
    if let n = try? d.decodeScalar(Int.self) { return MitoticCount(count: n) }
    if let text = Read.scalarText(d) {
      throw d.located(MitoticCount.unreadable(text))
    }
    var r = try FieldReader(d, keys: ["count", "areaMm2"])
    return MitoticCount(count: try r.required("count", Read.int), areaMm2: try r.double("areaMm2"))
  }
}

extension Percent {
  static func read(_ d: NodeDecoder) throws -> Percent {
    if let number = try? d.decodeScalar(Double.self) { return Percent(number) }
    let text = try d.decodeScalar(String.self)
    guard let parsed = Percent.parse(text) else {
      throw d.located(Percent.unreadable(text))
    }
    return parsed
  }
}

extension CalendarDate {
  static func read(_ d: NodeDecoder) throws -> CalendarDate {
    let text = try d.decodeScalar(String.self)
    guard let date = CalendarDate(text) else { throw d.located(CalendarDate.unreadable(text)) }
    return date
  }
}

extension Timestamp {
  static func read(_ d: NodeDecoder) throws -> Timestamp {
    let text = try d.decodeScalar(String.self)
    guard let t = Timestamp(text) else {
      throw d.located(Timestamp.unreadable(text))
    }
    return t
  }
}

extension StatedGrade {
  static func read(_ d: NodeDecoder) throws -> StatedGrade {
    if let text = Read.scalarText(d) {
      guard let t = Term.parse(text) else {
        throw d.located(StatedGrade.unreadable(text))
      }
      return StatedGrade(t)
    }
    var r = try FieldReader(d, keys: ["grade", "system", "hedge"])
    let term: Term = try r.required("grade", Read.choice)
    return StatedGrade(term, system: try r.codable("system"), hedge: try r.text("hedge"))
  }
}
