import SynopticTemplates

/// The identities a hospital owns, as every interop writer needs them: the
/// laboratory's name and CLIA number, the OID arc its identifiers live under,
/// and the HL7 v2 application and facility names. The workflow builds it from
/// the site configuration; writers have no defaults of their own.
public struct SiteIdentity: Sendable, Equatable {
  public struct HL7v2Names: Sendable, Equatable {
    public var sendingApplication: String
    public var sendingFacility: String
    public var receivingApplication: String
    public var receivingFacility: String

    public init(sendingApplication: String, sendingFacility: String, receivingApplication: String, receivingFacility: String) {
      self.sendingApplication = sendingApplication
      self.sendingFacility = sendingFacility
      self.receivingApplication = receivingApplication
      self.receivingFacility = receivingFacility
    }
  }

  /// The laboratory, as custodian and performing organisation.
  public var name: String
  /// The OID arc every identifier the exports mint is under.
  public var oidRoot: String {
    didSet { arcs = Arcs(oidRoot) }
  }
  /// CLIA number of the performing laboratory.
  public var clia: String?
  public var address: String?
  public var phone: String?
  public var hl7v2: HL7v2Names
  /// The laboratory's medical director (HL7 v2 OBX-25), when the site names one.
  public var director: ReportPerson?
  /// The OIDs below the root, worked out once.
  public private(set) var arcs: Arcs

  public init(name: String, oidRoot: String, clia: String? = nil, address: String? = nil, phone: String? = nil, hl7v2: HL7v2Names) {
    self.name = name
    self.oidRoot = oidRoot
    self.clia = clia
    self.address = address
    self.phone = phone
    self.hl7v2 = hl7v2
    arcs = Arcs(oidRoot)
  }

  /// Report documents .1, patients (MRN) .2, pathologists .3, the laboratory
  /// .4, orders .5, accessions and specimens .6, observations .8, ordering
  /// providers' hospital numbers .9, the sending application .10, the
  /// receiving application .11, local codes .99.
  public struct Arcs: Sendable, Equatable {
    public let documents, patients, pathologists, laboratory, orders, accessions, observations, providers: String
    public let sendingApplication, receivingApplication, localCodes: String
    init(_ root: String) {
      documents = root + ".1"
      patients = root + ".2"
      pathologists = root + ".3"
      laboratory = root + ".4"
      orders = root + ".5"
      accessions = root + ".6"
      observations = root + ".8"
      providers = root + ".9"
      sendingApplication = root + ".10"
      receivingApplication = root + ".11"
      localCodes = root + ".99"
    }
  }
}
