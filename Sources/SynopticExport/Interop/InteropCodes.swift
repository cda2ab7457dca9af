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

  /// HL7 v2 result status (OBR-25, OBX-11) for a report status.
  static func hl7v2ResultStatus(_ s: ReportStatus) -> String {
    switch s {
    case .draft: return "P"
    case .final, .appended: return "F"
    case .amended: return "C"
    case .retracted: return "W"
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

  /// A directory person's name parts, as the site configuration gives them.
  static func nameParts(_ person: ReportPerson) -> (family: String, given: String) {
    (person.family ?? person.name, person.given ?? "")
  }
}
