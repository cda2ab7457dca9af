/// One pathology case as a case file states it: the single input of the
/// pipeline. Optional fields are absent when the file does not give them;
/// "not reported" and "cannot be determined" are values of their own.
public struct PathologyCase: Sendable, Codable, Equatable {
  public var accession: String
  public var reportDate: CalendarDate?
  public var patient: Patient?
  public var orderingPhysician: String?
  /// The ordering physician's identifier (an NPI, or the hospital's provider number).
  public var orderingPhysicianId: String?
  /// The placer order number from the ordering system (synthetic in samples).
  public var orderNumber: String?
  public var facility: String?
  public var clinicalHistory: String?
  /// Syndromes and exposures that predispose to sarcoma (NF1, Li-Fraumeni, prior radiation).
  public var predisposingConditions: [PredisposingCondition]?
  /// What a predisposing condition of `other` is.
  public var predisposingConditionOther: String?
  /// Lesions the sarcoma arose in (plexiform neurofibroma, atypical lipomatous tumour).
  public var precursorLesions: [String]?
  /// Free-text comment printed at the end of the report.
  public var comment: String?
  /// Final diagnosis lines, printed first.
  public var diagnosis: [String]?
  /// CAP "Additional pathologic findings" for the case as a whole.
  public var additionalFindings: String?
  public var presurgicalTherapy: PresurgicalTherapy?
  public var treatmentEffect: TreatmentEffect?
  public var priorSpecimens: [PriorSpecimen]?
  public var specimens: [Specimen]?
  public var tumor: Tumor?
  /// `not reported` when the source says nothing about regional nodes.
  public var regionalLymphNodes: Qualified<RegionalLymphNodes>?
  /// Clinical (imaging) nodal status, when the case states it.
  public var clinicalNodalStatus: ClinicalNodalStatus?
  /// Absent or `not reported` when no one reported on distant metastasis.
  public var distantMetastasis: Qualified<DistantMetastasis>?
  public var stains: [Stain]?
  public var molecular: [MolecularTest]?
  public var signOut: SignOut?
  /// Values for an institution's local template items (`bind: local.NAME`).
  public var local: [String: String]?

  public init(accession: String) { self.accession = accession }
}

public struct Patient: Sendable, Codable, Equatable {
  public var name: String?
  public var mrn: String?
  public var birthDate: CalendarDate?
  /// Age in years at diagnosis, when the source gives an age and no birth date.
  public var ageAtDiagnosis: Int?
  public var sex: Sex?
}

public struct TreatmentEffect: Sendable, Codable, Equatable {
  public var viablePercent: Qualified<Percent>?
  public var necrosisPercent: Qualified<Percent>?
}

public struct PriorSpecimen: Sendable, Codable, Equatable {
  public var accession: String
  public var date: CalendarDate?
  public var procedure: String?
  public var diagnosis: String?
  public var grade: StatedGrade?
  public var stains: [Stain]?
  public var molecular: [MolecularTest]?
}

public struct Specimen: Sendable, Codable, Equatable {
  public var id: String
  public var procedure: Procedure
  /// Required when procedure is `other`.
  public var procedureOther: String?
  public var site: String?
  public var laterality: Laterality?
  public var integrity: SpecimenIntegrity?
  public var description: String?
  /// CAP "Additional pathologic findings" for this specimen.
  public var additionalFindings: String?
  /// When the specimen was taken from the patient, when the source says.
  public var collectedAt: Timestamp?
}

public struct Tumor: Sendable, Codable, Equatable {
  public var site: String?
  public var siteGroup: SiteGroup?
  /// Levels involved, or `not reported`.
  public var depth: Qualified<[TumorDepth]>?
  /// Required when depth includes `other`.
  public var depthOther: String?
  public var size: Qualified<TumorSize>?
  public var focality: Focality?
  public var histologicType: Qualified<HistologicType>?
  public var lymphovascularInvasion: PresenceFinding?
  /// Microscopic description of the tumour as a whole.
  public var description: String?
  /// Pathological extent: structures the tumour is seen to involve, as free text lines.
  public var extent: [String]?
  /// Structures the operation describes as involved: operative findings, not
  /// pathological extent, and reported under their own label.
  public var operativeFindings: [String]?
  /// True for a local recurrence (AJCC "r" prefix).
  public var recurrent: Bool?
  /// Head and neck structures invaded (T4a / T4b).
  public var headNeckInvasion: [HeadNeckInvasion]?
  /// Visceral sarcomas: how far the tumour extends, and the number of sites when multifocal.
  public var visceralExtent: VisceralExtent?
  public var multifocalSites: Int?
  /// FNCLCC inputs for the tumour as a whole.
  public var grading: Grading?
  /// Components of a dedifferentiated or heterologous tumour, each gradable.
  public var components: [TumorComponent]?
  /// Each margin, or `not reported` when the source says nothing about margins.
  public var margins: Qualified<[Margin]>?

  /// The margins listed (none when not reported).
  public var marginList: [Margin] { margins?.known ?? [] }
  /// The histologic type's name, when one is given.
  public var histotypeName: String? { histologicType?.known?.name }
}

public struct TumorSize: Sendable, Codable, Equatable, CustomStringConvertible {
  public var greatest: Length
  public var additional: [Length]?
  /// Where the size comes from: gross, imaging or microscopic measurement.
  public var source: SizeSource?

  public var description: String {
    ([greatest] + (additional ?? [])).map(\.description).joined(separator: " x ")
  }

  enum Keys: String, CodingKey { case greatest, additional, source }

  public init(greatest: Length, additional: [Length]? = nil, source: SizeSource? = nil) {
    self.greatest = greatest
    self.additional = additional
    self.source = source
  }

  static func unreadable(_ text: String, at path: [String] = []) -> NodeDecodingError {
    NodeDecodingError(
      path: path, location: nil,
      message: "'\(text)' is not a size; write the greatest dimension with a unit ('6 cm'), {greatest: 6 cm, additional: [4 cm]}, or 'not reported'",
      rule: "decode.length")
  }

  /// `size: 6 cm` is shorthand for `size: {greatest: 6 cm}`.
  public init(from decoder: any Decoder) throws {
    if let text = try? decoder.singleValueContainer().decode(String.self) {
      guard let l = Length.parse(text) else { throw Self.unreadable(text, at: decoder.codingPath.map(\.stringValue)) }
      self.init(greatest: l)
      return
    }
    let c = try decoder.container(keyedBy: Keys.self)
    self.init(
      greatest: try c.decode(Length.self, forKey: .greatest),
      additional: try c.decodeIfPresent([Length].self, forKey: .additional),
      source: try c.decodeIfPresent(SizeSource.self, forKey: .source))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Keys.self)
    try c.encode(greatest, forKey: .greatest)
    try c.encodeIfPresent(additional, forKey: .additional)
    try c.encodeIfPresent(source, forKey: .source)
  }
}

public struct HistologicType: Sendable, Codable, Equatable {
  /// WHO name, e.g. "dedifferentiated leiomyosarcoma".
  public var name: String
  /// ICD-O-3 morphology code, e.g. "8890/3".
  public var icdO3: String?

  public init(name: String, icdO3: String? = nil) {
    self.name = name
    self.icdO3 = icdO3
  }

  enum Keys: String, CodingKey { case name, icdO3 }

  /// `histologicType: synovial sarcoma` is shorthand for `{name: synovial sarcoma}`.
  public init(from decoder: any Decoder) throws {
    if let text = try? decoder.singleValueContainer().decode(String.self) {
      self.init(name: text)
      return
    }
    let c = try decoder.container(keyedBy: Keys.self)
    self.init(name: try c.decode(String.self, forKey: .name), icdO3: try c.decodeIfPresent(String.self, forKey: .icdO3))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Keys.self)
    try c.encode(name, forKey: .name)
    try c.encodeIfPresent(icdO3, forKey: .icdO3)
  }
}

/// FNCLCC grading inputs, or the reason the tumour is not graded.
public struct Grading: Sendable, Codable, Equatable {
  /// 1-3; defaulted from the histotype table where the type is listed.
  public var differentiation: Qualified<Int>?
  public var mitoses: Qualified<MitoticCount>?
  public var necrosis: Qualified<Percent>?
  /// The grade the pathologist states (may be all a source gives).
  public var statedGrade: Qualified<StatedGrade>?
  public var notGraded: NotGraded?
}

/// Mitoses counted over an area; normalised to 10 HPF of 0.1734 mm² (1.734 mm²).
public struct MitoticCount: Sendable, Codable, Equatable, CustomStringConvertible {
  public var count: Int
  /// Area counted in mm²; 1.734 (10 FNCLCC high-power fields) when not given.
  public var areaMm2: Double?

  public init(count: Int, areaMm2: Double? = nil) {
    self.count = count
    self.areaMm2 = areaMm2
  }

  enum Keys: String, CodingKey { case count, areaMm2 }

  static func unreadable(_ text: String, at path: [String] = []) -> NodeDecodingError {
    NodeDecodingError(
      path: path, location: nil,
      message: "'\(text)' is not a mitotic count; write a whole number per 10 HPF (12) or {count: 12, areaMm2: 2.4}",
      rule: "decode.mitoses")
  }

  /// `mitoses: 12` means 12 per 10 HPF.
  public init(from decoder: any Decoder) throws {
    if let n = try? decoder.singleValueContainer().decode(Int.self) {
      self.init(count: n)
      return
    }
    if let text = try? decoder.singleValueContainer().decode(String.self) {
      throw Self.unreadable(text, at: decoder.codingPath.map(\.stringValue))
    }
    let c = try decoder.container(keyedBy: Keys.self)
    self.init(
      count: try c.decode(Int.self, forKey: .count), areaMm2: try c.decodeIfPresent(Double.self, forKey: .areaMm2))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Keys.self)
    try c.encode(count, forKey: .count)
    try c.encodeIfPresent(areaMm2, forKey: .areaMm2)
  }

  /// The raw count and area as counted, and the per-10-HPF figure the score
  /// uses when the area was not 10 HPF (an extrapolation under 10 HPF).
  public var description: String {
    guard let a = areaMm2, a != FNCLCC.tenHPFmm2, a > 0 else { return "\(count) per 10 HPF" }
    let figure = NumberText.format((FNCLCC.normalisedMitoses(count: count, areaMm2: a) * 10).rounded() / 10)
    if a < FNCLCC.tenHPFmm2 { return "\(count) in \(NumberText.format(a)) mm² (extrapolated to \(figure) per 10 HPF)" }
    return "\(count) in \(NumberText.format(a)) mm² (\(figure) per 10 HPF)"
  }
}

public struct NotGraded: Sendable, Codable, Equatable {
  public var reason: NotGradedReason
  public var text: String?
}

public struct TumorComponent: Sendable, Codable, Equatable {
  public var name: String
  public var kind: ComponentKind
  /// Line of differentiation, e.g. "osteosarcomatous".
  public var differentiation: String?
  public var histologicType: HistologicType?
  public var percent: Qualified<Percent>?
  /// Size of the component (its largest focus).
  public var size: Qualified<Length>?
  public var description: String?
  public var grading: Grading?
}

public struct Margin: Sendable, Codable, Equatable {
  public var name: String
  public var status: MarginStatus
  public var distance: Qualified<Length>?
  public var tissue: String?
  /// A planned close margin on a critical structure (Toronto margin context).
  public var plannedCloseOnCriticalStructure: Bool?
  /// Gross (macroscopic) tumour at this margin: R2.
  public var macroscopic: Bool?
}

public struct RegionalLymphNodes: Sendable, Codable, Equatable {
  public var status: NodeStatus
  public var examined: Int?
  public var involved: Int?
}

public struct DistantMetastasis: Sendable, Codable, Equatable {
  public var status: MetastasisStatus
  public var sites: [String]?
}

public struct Stain: Sendable, Codable, Equatable {
  public var marker: String
  public var clone: String?
  public var result: StainResult
  public var intensity: StainIntensity?
  /// Percentage of cells staining.
  public var percent: Qualified<Percent>?
  /// The proportion in words, where no percentage is given ("rare cells", "most cells").
  public var proportion: String?
  /// Proliferation index (Ki-67 and the like), as a percentage.
  public var index: Qualified<Percent>?
  /// The cells the result describes ("tumour cells", "endothelium").
  public var population: String?
  public var pattern: StainPattern?
  public var localisation: StainLocalisation?
  /// Name of the tumour component this result belongs to.
  public var component: String?
  public var internalControl: InternalControl?
  public var comment: String?
}

public struct MolecularTest: Sendable, Codable, Equatable {
  public var method: MolecularMethod
  /// What a method of `other` is.
  public var methodOther: String?
  public var target: String
  public var result: MolecularResult
  public var probe: String?
  public var ratio: Double?
  public var copyNumber: Double?
  public var nucleiScored: Int?
  /// The other gene of a fusion whose first is `target` (EWSR1 with FLI1).
  public var fusionPartner: String?
  /// A sequence variant, as reported (HGVS where given).
  public var variant: String?
  public var comment: String?
}

public struct SignOut: Sendable, Codable, Equatable {
  public var pathologist: String
  public var time: Timestamp?
}
