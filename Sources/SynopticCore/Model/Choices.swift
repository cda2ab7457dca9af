// Closed answer lists used by the case model. Raw values are the words a case
// file uses; `label` is what a report prints.

public enum Sex: String, CodedChoice {
  case female, male, other, unknown
}

/// CAP resection procedures (Enneking margins), biopsy types, and other.
public enum Procedure: String, CodedChoice {
  case intralesionalResection = "intralesional-resection"
  case marginalResection = "marginal-resection"
  case wideResection = "wide-resection"
  case radicalResection = "radical-resection"
  case amputation, disarticulation
  case compartmentalResection = "compartmental-resection"
  case partialOrganResection = "partial-organ-resection"
  case organResection = "organ-resection"
  case coreNeedleBiopsy = "core-needle-biopsy"
  case incisionalBiopsy = "incisional-biopsy"
  case excisionalBiopsy = "excisional-biopsy"
  case other
  case notSpecified = "not-specified"

  public static var synonyms: [String: Procedure] {
    ["not-reported": .notSpecified, "compartmentectomy": .compartmentalResection, "partial-resection-of-organ": .partialOrganResection]
  }

  public var isBiopsy: Bool {
    self == .coreNeedleBiopsy || self == .incisionalBiopsy || self == .excisionalBiopsy
  }
  /// Anything that is not a biopsy is handled as a resection (an en bloc
  /// resection is CAP "other"; "not specified" gets the stricter checks).
  public var isResection: Bool { !isBiopsy }
  /// Margins are assessed on resections and excisional biopsies only.
  public var hasMargins: Bool { isResection || self == .excisionalBiopsy }
}

public enum Laterality: String, CodedChoice {
  case left, right, bilateral, midline
  case notApplicable = "not-applicable"
  case notSpecified = "not-specified"
}

public enum SpecimenIntegrity: String, CodedChoice {
  case intact, disrupted, fragmented
  case notSpecified = "not-specified"
}

/// AJCC 8th edition soft tissue sarcoma site groups (chapters 40-45).
public enum SiteGroup: String, CodedChoice {
  case trunkExtremity = "trunk-extremity"
  case retroperitoneum
  case headNeck = "head-neck"
  case visceral
  case other

  public static var synonyms: [String: SiteGroup] {
    ["trunk-and-extremities": .trunkExtremity, "trunk": .trunkExtremity, "extremity": .trunkExtremity,
     "head-and-neck": .headNeck]
  }

  public var label: String {
    switch self {
    case .trunkExtremity: return "trunk and extremities"
    case .retroperitoneum: return "retroperitoneum"
    case .headNeck: return "head and neck"
    case .visceral: return "abdomen and thoracic visceral organs"
    case .other: return "other (unusual histologies and sites)"
    }
  }

  /// AJCC 8th edition chapter.
  public var chapter: Int {
    switch self {
    case .headNeck: return 40
    case .trunkExtremity: return 41
    case .visceral: return 42
    case .retroperitoneum: return 44
    case .other: return 45
    }
  }
}

/// Depth / macroscopic extent (select all that apply).
public enum TumorDepth: String, CodedChoice {
  case dermal, subcutaneous, fascial, subfascial, intramuscular
  case intraAbdominal = "intra-abdominal"
  case retroperitoneal, mediastinal, intrathoracic
  case headAndNeck = "head-and-neck"
  case bone, other
  case cannotBeDetermined = "cannot-be-determined"

  public static var synonyms: [String: TumorDepth] {
    ["suprafascial": .subcutaneous, "skin": .dermal, "intraabdominal": .intraAbdominal]
  }

  public var isDeep: Bool {
    ![.dermal, .subcutaneous, .cannotBeDetermined, .other].contains(self)
  }
}

public enum Focality: String, CodedChoice {
  case unifocal, multifocal
  case cannotBeDetermined = "cannot-be-determined"
}

public enum PresenceFinding: String, CodedChoice {
  case notIdentified = "not-identified"
  case present
  case cannotBeDetermined = "cannot-be-determined"
  public static var synonyms: [String: PresenceFinding] { ["absent": .notIdentified, "none": .notIdentified] }
}

public enum PresurgicalTherapy: String, CodedChoice {
  case none, chemotherapy, radiotherapy
  case chemoradiotherapy = "chemotherapy-and-radiotherapy"
  case unknown

  public static var synonyms: [String: PresurgicalTherapy] {
    ["both": .chemoradiotherapy, "chemoradiotherapy": .chemoradiotherapy, "no": .none,
     "not-given": .none, "not-known": .unknown, "not-reported": .unknown]
  }
  /// True when the resection was treated before surgery.
  public var given: Bool { self == .chemotherapy || self == .radiotherapy || self == .chemoradiotherapy }
  public var label: String {
    switch self {
    case .none: return "none"
    case .chemoradiotherapy: return "chemotherapy and radiotherapy"
    default: return rawValue
    }
  }
}

public enum ComponentKind: String, CodedChoice {
  case conventional
  case wellDifferentiated = "well-differentiated"
  case dedifferentiated, heterologous
}

public enum NotGradedReason: String, CodedChoice {
  case presurgicalTherapy = "presurgical-therapy"
  case biopsyInsufficient = "biopsy-insufficient"
  case histotypeNotGraded = "histotype-not-graded"
  case other

  public var label: String {
    switch self {
    case .presurgicalTherapy: return "grading not applied after presurgical therapy"
    case .biopsyInsufficient: return "biopsy insufficient for grading"
    case .histotypeNotGraded: return "histologic type is not graded"
    case .other: return "other"
    }
  }
}

public enum MarginStatus: String, CodedChoice {
  case involved
  case notInvolved = "not-involved"
  case cannotBeAssessed = "cannot-be-assessed"
  /// The source names the margin but not its status.
  case notReported = "not-reported"

  public var label: String { self == .notReported ? "status not reported" : CodedChoiceText.spaced(rawValue) }
  public static var synonyms: [String: MarginStatus] {
    ["positive": .involved, "negative": .notInvolved, "free": .notInvolved, "clear": .notInvolved,
     "uninvolved": .notInvolved]
  }
}

public enum NodeStatus: String, CodedChoice {
  case notSubmitted = "not-submitted"
  case examined
  public static var synonyms: [String: NodeStatus] { ["none-submitted": .notSubmitted, "no-nodes-submitted": .notSubmitted] }
}

/// Clinical (imaging) regional nodal status: AJCC cN.
public enum ClinicalNodalStatus: String, CodedChoice {
  case cN0, cN1
  public static var synonyms: [String: ClinicalNodalStatus] { ["n0": .cN0, "n1": .cN1, "cn0": .cN0, "cn1": .cN1] }
}

public enum MetastasisStatus: String, CodedChoice {
  case notIdentified = "not-identified"
  case clinical
  case pathological
  public static var synonyms: [String: MetastasisStatus] { ["none": .notIdentified, "none-known": .notIdentified] }
}

public enum StainResult: String, CodedChoice {
  case positive, negative, equivocal
  case notInterpretable = "not-interpretable"
  /// Loss-type markers (H3K27me3, INI1, RB1 ...).
  case retained
  case completeLoss = "complete-loss"
  case mosaicLoss = "mosaic-loss"

  public static var synonyms: [String: StainResult] {
    ["intact": .retained, "lost": .completeLoss, "loss": .completeLoss, "partial-loss": .mosaicLoss,
     "uninterpretable": .notInterpretable]
  }
}

public enum StainIntensity: String, CodedChoice {
  case weak, moderate, strong
  public static var synonyms: [String: StainIntensity] { ["medium": .moderate] }
}

public enum StainPattern: String, CodedChoice {
  case focal, patchy, multifocal, diffuse, mosaic
  case vesselsOnly = "vessels-only"
  /// p53 patterns.
  case wildType = "wild-type"
  case aberrant
  case aberrantOverexpression = "aberrant-overexpression"
  case aberrantNull = "aberrant-null"
  public static var synonyms: [String: StainPattern] { ["wildtype": .wildType, "overexpression": .aberrantOverexpression, "null": .aberrantNull] }
}

/// Where a tumour size comes from.
public enum SizeSource: String, CodedChoice {
  case gross, imaging, microscopic
  public static var synonyms: [String: SizeSource] { ["macroscopic": .gross, "radiology": .imaging, "radiological": .imaging] }
  public var label: String { self == .gross ? "gross measurement" : self == .imaging ? "imaging" : "microscopic measurement" }
}

/// Conditions that predispose to sarcoma.
public enum PredisposingCondition: String, CodedChoice {
  case neurofibromatosisType1 = "neurofibromatosis-type-1"
  case liFraumeniSyndrome = "li-fraumeni-syndrome"
  case hereditaryRetinoblastoma = "hereditary-retinoblastoma"
  case priorRadiation = "prior-radiation"
  case chronicLymphoedema = "chronic-lymphoedema"
  case other
  public static var synonyms: [String: PredisposingCondition] {
    ["nf1": .neurofibromatosisType1, "neurofibromatosis-1": .neurofibromatosisType1, "li-fraumeni": .liFraumeniSyndrome,
     "radiation": .priorRadiation, "prior-radiotherapy": .priorRadiation, "chronic-lymphedema": .chronicLymphoedema,
     "retinoblastoma": .hereditaryRetinoblastoma]
  }
  public var label: String {
    switch self {
    case .neurofibromatosisType1: return "neurofibromatosis type 1"
    case .liFraumeniSyndrome: return "Li-Fraumeni syndrome"
    case .hereditaryRetinoblastoma: return "hereditary retinoblastoma"
    case .priorRadiation: return "prior radiation"
    case .chronicLymphoedema: return "chronic lymphoedema"
    case .other: return "other"
    }
  }
}

public enum StainLocalisation: String, CodedChoice {
  case nuclear, cytoplasmic, membranous, dotLike = "dot-like", granular
  public static var synonyms: [String: StainLocalisation] { ["membranes": .membranous, "nucleus": .nuclear] }
}

public enum InternalControl: String, CodedChoice {
  case adequate, inadequate
  case notPresent = "not-present"
  public static var synonyms: [String: InternalControl] { ["positive": .adequate, "present": .adequate] }
}

public enum MolecularMethod: String, CodedChoice {
  case fish = "FISH"
  case ngs = "NGS"
  case pcr = "PCR"
  case rtPCR = "RT-PCR"
  case cytogenetics
  case other

  public var label: String { rawValue }
}

public enum MolecularResult: String, CodedChoice {
  case amplified
  case notAmplified = "not-amplified"
  case rearranged
  case notRearranged = "not-rearranged"
  case mutationDetected = "mutation-detected"
  case noMutationDetected = "no-mutation-detected"
  case fusionDetected = "fusion-detected"
  case noFusionDetected = "no-fusion-detected"
  case indeterminate
}

/// Head and neck T4 structures (AJCC 8th ch. 40).
public enum HeadNeckInvasion: String, CodedChoice {
  // T4a
  case orbit
  case skullBase = "skull-base"
  case dura
  case centralCompartmentViscera = "central-compartment-viscera"
  case facialSkeleton = "facial-skeleton"
  case pterygoidMuscles = "pterygoid-muscles"
  // T4b
  case brain
  case carotidEncasement = "carotid-encasement"
  case prevertebralMuscle = "prevertebral-muscle"
  case perineuralCNS = "perineural-cns"

  public var isT4b: Bool { [.brain, .carotidEncasement, .prevertebralMuscle, .perineuralCNS].contains(self) }
}

/// Extent of a visceral sarcoma (AJCC 8th ch. 42).
public enum VisceralExtent: String, CodedChoice {
  case organConfined = "organ-confined"
  case serosa
  case beyondSerosa = "beyond-serosa"
  case anotherOrgan = "another-organ"
}
