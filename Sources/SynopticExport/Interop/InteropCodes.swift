import SynopticCore
import SynopticTemplates

/// The one mapping from the report document's typed values to the codes CDA,
/// HL7 v2 and FHIR use, so the three never parse display text back into codes
/// or disagree about a code.
enum InteropCodes {
  /// Well-known identifier systems.
  static let npiOID = "2.16.840.1.113883.4.6"
  static let npiURI = "http://hl7.org/fhir/sid/us-npi"
  static let cliaOID = "2.16.840.1.113883.4.7"

  /// HL7 v2 administrative sex (table 0001).
  static func hl7v2Sex(_ s: Sex?) -> String {
    switch s {
    case .male?: return "M"
    case .female?: return "F"
    case .other?: return "O"
    case .unknown?, nil: return "U"
    }
  }

  /// CDA AdministrativeGender (2.16.840.1.113883.5.1): a code, or nil for a null flavour.
  static func cdaGender(_ s: Sex?) -> String? {
    switch s {
    case .male?: return "M"
    case .female?: return "F"
    case .other?: return "UN"
    case .unknown?, nil: return nil
    }
  }

  /// FHIR administrative-gender.
  static func fhirGender(_ s: Sex?) -> String? { s?.rawValue }

  /// HL7 v2 result statuses for a report status: OBR-25 (table 0123) and
  /// OBX-11 (table 0085). Preliminary for a draft, final, corrected for an
  /// amendment; an addendum stays final (its text is its own OBX, LOINC
  /// 35265-8); a retraction corrects the order and marks every result W
  /// ("post original as wrong, e.g. transmitted for wrong patient").
  static func hl7v2Statuses(_ s: ReportStatus) -> (order: String, result: String) {
    switch s {
    case .draft: return ("P", "P")
    case .final, .appended: return ("F", "F")
    case .amended: return ("C", "C")
    case .retracted: return ("C", "W")
    }
  }

  /// FHIR DiagnosticReport.status and Observation.status.
  static func fhirReportStatus(_ s: ReportStatus) -> String {
    switch s {
    case .draft: return "preliminary"
    case .final: return "final"
    case .appended: return "appended"
    case .amended: return "amended"
    case .retracted: return "entered-in-error"
    }
  }

  /// A name as a case file writes it, in parts: "Family, Given"; anything
  /// else is kept whole as the family name (free text is not guessed at).
  static func nameParts(_ full: String) -> (family: String, given: String) {
    let parts = full.split(separator: ",", maxSplits: 1).map { $0.trimmingBlanks }
    return parts.count == 2 ? (parts[0], parts[1]) : (full.trimmingBlanks, "")
  }

  /// The parts of a report every structured format has, in order: the IHE
  /// APSR section template and LOINC code of each. A template section's
  /// `apsr` picks its part; `additional` goes with microscopic, because APSR's
  /// Additional Specified Observation section needs a content-specific code
  /// we have not verified, and a part's code is never used twice.
  static let reportParts: [(kind: APSRSection, templateId: StaticString, code: StaticString, display: StaticString, title: String)] = [
    (.clinical, "1.3.6.1.4.1.19376.1.8.1.2.1", "22636-5", "Pathology report relevant history", "CLINICAL INFORMATION"),
    (.macroscopic, "1.3.6.1.4.1.19376.1.8.1.2.3", "22634-0", "Pathology report gross observation", "MACROSCOPIC OBSERVATION"),
    (.microscopic, "1.3.6.1.4.1.19376.1.8.1.2.4", "22635-7", "Pathology report microscopic observation", "MICROSCOPIC OBSERVATION"),
    (.conclusion, "1.3.6.1.4.1.19376.1.8.1.2.5", "22637-3", "Pathology report final diagnosis", "DIAGNOSTIC CONCLUSION"),
  ]

  static func part(_ kind: APSRSection) -> APSRSection { kind == .additional ? .microscopic : kind }

  /// Who signed this version, and when: for an appended version, the last
  /// addendum's own signer and time, not the report's.
  static func signature(_ doc: ReportDocument) -> (person: ReportPerson?, name: String?, time: String?) {
    if doc.status == .appended, let last = doc.addendumEntries?.last { return (last.signer, last.signer.name, last.time) }
    return (doc.signer, doc.signedOutBy, doc.signedOutAt)
  }

  /// When the first specimen was collected, when the case says.
  static func collectionTime(_ doc: ReportDocument) -> String? { doc.specimens.compactMap(\.collectedAt).min() }

  /// A code system's FHIR URI, CDA OID and HL7 v2 name as the document
  /// records them; nil where the system has none (the output then uses the local code).
  static func uri(_ system: String, in doc: ReportDocument) -> String? { doc.system(system)?.uri }
  static func oid(_ system: String, in doc: ReportDocument) -> String? { doc.system(system)?.oid }
  static func hl7v2Name(_ system: String, in doc: ReportDocument) -> String? { doc.system(system)?.hl7v2 }

  /// A directory person's name parts, as the site configuration gives them.
  static func nameParts(_ person: ReportPerson) -> (family: String, given: String) {
    (person.family ?? person.name, person.given ?? "")
  }
}
