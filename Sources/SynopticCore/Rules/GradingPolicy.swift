/// Where FNCLCC grading applies. The reference's table of situations in which
/// FNCLCC is not recommended, adds nothing beyond the type, or needs a caveat
/// (`sarcoma-reporting.md` section 3.4), as a rule per histologic type.
public enum GradingPolicy {
  public enum Advice: Sendable, Equatable {
    /// No score is computed: the grade is "not applicable" unless the pathologist states one.
    case notApplicable
    /// The score is computed and reported, with a caveat.
    case caveat
    /// The type is reported with its own protocol and grading system.
    case outOfScope
  }

  public struct Entry: Sendable, Equatable {
    /// The type as the report names it.
    public var typeName: String
    public var advice: Advice
    /// Why, in the report's words.
    public var reason: String
    /// The published source the reference table cites.
    public var source: String
  }

  private static let deyrupWeiss = "Deyrup & Weiss, Histopathology 2006;48:42"
  private static let esmo = "ESMO Essentials for Clinicians, histological grading of soft tissue sarcomas"
  private static let coindre = "Coindre, Arch Pathol Lab Med 2006;130:1448"

  private static let entries: [(names: [String], entry: Entry)] = [
    (["extraskeletal ewing sarcoma", "ewing sarcoma"],
     Entry(typeName: "Ewing sarcoma", advice: .notApplicable,
           reason: "the grade adds nothing beyond the type; Ewing sarcoma is high grade by definition",
           source: "\(deyrupWeiss); \(esmo)")),
    (["alveolar soft part sarcoma"],
     Entry(typeName: "alveolar soft part sarcoma", advice: .notApplicable,
           reason: "grading is less informative; the type is high grade by definition", source: esmo)),
    (["clear cell sarcoma", "clear cell sarcoma of soft tissue"],
     Entry(typeName: "clear cell sarcoma", advice: .notApplicable,
           reason: "traditionally ungradable; high grade by definition", source: "\(deyrupWeiss); \(esmo)")),
    (["epithelioid sarcoma", "proximal type epithelioid sarcoma", "distal type epithelioid sarcoma"],
     Entry(typeName: "epithelioid sarcoma", advice: .notApplicable,
           reason: "traditionally ungradable; high grade by definition", source: "\(deyrupWeiss); \(esmo)")),
    (["angiosarcoma", "conventional angiosarcoma", "epithelioid angiosarcoma", "poorly differentiated angiosarcoma"],
     Entry(typeName: "angiosarcoma", advice: .notApplicable, reason: "traditionally ungradable", source: deyrupWeiss)),
    (["atypical lipomatous tumour", "atypical lipomatous tumor", "well differentiated liposarcoma"],
     Entry(typeName: "atypical lipomatous tumour / well-differentiated liposarcoma", advice: .notApplicable,
           reason: "the grade adds nothing beyond the type", source: deyrupWeiss)),
    (["mpnst", "malignant peripheral nerve sheath tumour", "malignant peripheral nerve sheath tumor",
      "conventional mpnst", "conventional malignant peripheral nerve sheath tumour",
      "conventional malignant peripheral nerve sheath tumor", "low grade mpnst", "well differentiated mpnst",
      "poorly differentiated mpnst", "epithelioid mpnst", "malignant triton tumour", "malignant triton tumor"],
     Entry(typeName: "MPNST", advice: .notApplicable,
           reason: "the FNCLCC grade correlates poorly with outcome in MPNST; state a grade explicitly if the report needs one",
           source: deyrupWeiss)),
    (["rhabdomyosarcoma", "pleomorphic rhabdomyosarcoma", "adult rhabdomyosarcoma", "alveolar rhabdomyosarcoma",
      "embryonal rhabdomyosarcoma", "spindle cell rhabdomyosarcoma", "sclerosing rhabdomyosarcoma"],
     Entry(typeName: "rhabdomyosarcoma", advice: .notApplicable,
           reason: "grading is less informative; the type is high grade by definition", source: esmo)),
    (["atypical fibroxanthoma"],
     Entry(typeName: "atypical fibroxanthoma", advice: .notApplicable,
           reason: "a tumour of intermediate malignancy, which is not graded", source: coindre)),
    (["dedifferentiated liposarcoma"],
     Entry(typeName: "dedifferentiated liposarcoma", advice: .caveat,
           reason: "Coindre (2006) lists it among sarcomas where grading should not be used, but later data show that the FNCLCC grade does stratify dedifferentiated liposarcoma; the grade is reported and should be read with that in mind",
           source: "\(coindre); Dry, Hum Pathol (dedifferentiation review)")),
    (["myxoid liposarcoma"],
     Entry(typeName: "myxoid liposarcoma", advice: .caveat,
           reason: "its grade is driven by the round-cell (hypercellular) component: more than 5 % round cells is high grade",
           source: esmo)),
    (["extraskeletal myxoid chondrosarcoma", "myxoid chondrosarcoma"],
     Entry(typeName: "extraskeletal myxoid chondrosarcoma", advice: .caveat,
           reason: "it is often listed as not graded (not verified against a primary source); the FNCLCC score is reported",
           source: "reference table 3.4")),
    (["gastrointestinal stromal tumour", "gastrointestinal stromal tumor", "gist", "kaposi sarcoma"],
     Entry(typeName: "GIST or Kaposi sarcoma", advice: .outOfScope,
           reason: "it has its own protocol and grading system (AJCC chapter 43 for GIST) and is out of scope of the soft tissue sarcoma protocols",
           source: "CAP Soft Tissue 4.1 scope")),
  ]

  /// The advice for a histologic type, or nil when FNCLCC applies as usual.
  public static func entry(for histotype: String) -> Entry? {
    let key = Histotypes.normalise(histotype)
    for row in entries where row.names.contains(key) { return row.entry }
    return nil
  }
}
