// The floor: the same report built by hand with string appends from typed
// structs, HTML-escaped with the same rules as the layouts.

struct HandwrittenReport: Decodable {
  struct Patient: Decodable { var name, mrn, birthDate, sex: String }
  struct Tumor: Decodable { var site, size, depth, histologicType, icdO3, lvi: String }
  struct Grade: Decodable { var mitoses, necrosis, grade, working: String }
  struct Margins: Decodable { var summary, closest: String }
  struct Staging: Decodable { var tnm, stageGroup: String }
  struct Component: Decodable { var name, kind, percent, grade, description: String }
  struct Stain: Decodable { var marker: String; var clone: String?; var result: String; var component: String? }
  struct SignOut: Decodable { var pathologist, time: String }

  var facility, accession, reportDate: String
  var patient: Patient
  var orderingPhysician: String
  var diagnosis: [String]
  var templateTitle, templateVersion, procedure, laterality: String
  var tumor: Tumor
  var grade: Grade
  var margins: Margins
  var nodes: String
  var staging: Staging
  var components: [Component]
  var stains: [Stain]
  var comment: String
  var signOut: SignOut

  @inline(__always)
  static func esc(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return s }
    var out = ""
    out.reserveCapacity(s.utf8.count + 16)
    for c in s.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  func render() -> String {
    let e = Self.esc
    var s = ""
    s.reserveCapacity(4096)
    s += "SURGICAL PATHOLOGY REPORT\n"
    s += e(facility) + "\n"
    s += "Accession: " + e(accession) + "    Report date: " + e(reportDate) + "\n"
    s += "Patient: " + e(patient.name) + "    MRN: " + e(patient.mrn) + "    DOB: " + e(patient.birthDate) + "    Sex: " + e(patient.sex) + "\n"
    s += "Ordering physician: " + e(orderingPhysician) + "\n\nFINAL DIAGNOSIS\n"
    for line in diagnosis { s += "  " + e(line) + "\n" }
    s += "\nSYNOPTIC REPORT (" + e(templateTitle) + ", version " + e(templateVersion) + ")\n"
    s += "Procedure:                " + e(procedure) + "\n"
    s += "Specimen laterality:      " + e(laterality) + "\n"
    s += "Tumor site:               " + e(tumor.site) + "\n"
    s += "Tumor size:               " + e(tumor.size) + "\n"
    s += "Tumor depth:              " + e(tumor.depth) + "\n"
    s += "Histologic type:          " + e(tumor.histologicType) + " (ICD-O-3 " + e(tumor.icdO3) + ")\n"
    s += "Mitotic count:            " + e(grade.mitoses) + "\n"
    s += "Necrosis:                 " + e(grade.necrosis) + "\n"
    s += "Histologic grade:         " + e(grade.grade) + "\n"
    s += "FNCLCC working:           " + e(grade.working) + "\n"
    s += "Lymphovascular invasion:  " + e(tumor.lvi) + "\n"
    s += "Margins:                  " + e(margins.summary) + "\n"
    s += "Closest margin:           " + e(margins.closest) + "\n"
    s += "Regional lymph nodes:     " + e(nodes) + "\n"
    s += "pTNM (AJCC 8th):          " + e(staging.tnm) + "\n"
    s += "Stage group:              " + e(staging.stageGroup) + "\n\nTUMOR COMPONENTS\n"
    for c in components {
      s += "  " + e(c.name) + " (" + e(c.kind) + "): " + e(c.percent) + "; grade " + e(c.grade) + "; " + e(c.description) + "\n"
    }
    s += "\nIMMUNOHISTOCHEMISTRY\n"
    for st in stains {
      s += "  " + e(st.marker)
      if let clone = st.clone, !clone.isEmpty { s += " (clone " + e(clone) + ")" }
      s += ": " + e(st.result)
      if let comp = st.component, !comp.isEmpty { s += " [" + e(comp) + " component]" }
      s += "\n"
    }
    s += "\nCOMMENT\n" + e(comment) + "\n\nElectronically signed out by " + e(signOut.pathologist) + " on " + e(signOut.time) + "\n"
    return s
  }
}
