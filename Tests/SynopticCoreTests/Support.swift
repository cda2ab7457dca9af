import Foundation
@testable import SynopticCore

/// The package root, found from this file's path (Tests/SynopticCoreTests/...).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

func sampleURL(_ name: String) -> URL { packageRoot.appendingPathComponent("Samples/\(name)") }

/// Decodes YAML text; fails the test's expectations through the returned value.
func decode(_ yaml: String) throws -> CaseLoader.Decoded { try CaseLoader.decode(yaml) }

/// Decodes and analyses a sample by file name.
func analyse(sample name: String) throws -> (CaseAnalysis?, [Diagnostic]) {
  let decoded = try CaseLoader.decode(contentsOf: sampleURL(name))
  guard let c = decoded.value else { return (nil, decoded.diagnostics) }
  let a = Validator.analyse(c)
  return (a, decoded.diagnostics + a.diagnostics)
}

/// A minimal valid resection case, for tests that change one field.
let minimalCase = """
  accession: T-1
  reportDate: 2024-01-02
  patient: {name: "Test, Pat", mrn: M1, birthDate: 1960-01-01, sex: female}
  presurgicalTherapy: none
  specimens:
    - {id: A, procedure: wide-resection, site: Thigh}
  tumor:
    site: Thigh
    siteGroup: trunk-extremity
    depth: [subfascial]
    size: 6 cm
    histologicType: {name: myxofibrosarcoma, icdO3: 8811/3}
    grading: {mitoses: 12, necrosis: 10 %}
    margins:
      - {name: deep, status: not-involved, distance: 4 mm}
  regionalLymphNodes: {status: not-submitted}
  """
