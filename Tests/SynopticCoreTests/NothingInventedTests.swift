import Foundation
import Testing
@testable import SynopticCore

/// Staging from what the case says, and nothing more.
@Suite("Staging with unknowns: nothing invented")
struct NothingInventedTests {
  func analyse(_ edits: [(String, String)]) throws -> CaseAnalysis {
    var yaml = minimalCase
    for (old, new) in edits {
      #expect(yaml.contains(old), "fixture text not found: \(old)")
      yaml = yaml.replacingOccurrences(of: old, with: new)
    }
    let decoded = try decode(yaml)
    let c = try #require(decoded.value, "\(decoded.diagnostics)")
    return Validator.analyse(c)
  }

  static let nodes = "regionalLymphNodes: {status: not-submitted}"

  @Test("each regional node status", arguments: [
    ("regionalLymphNodes: {status: not-submitted}", "pN not assigned (no nodes submitted or found)", AJCC.N.n0, true),
    ("regionalLymphNodes: not reported", "pN not assigned (cannot be determined based on available pathological information)", .n0, true),
    ("regionalLymphNodes: cannot be determined", "pN not assigned (cannot be determined based on available pathological information)", .n0, true),
    ("", "pN not assigned (cannot be determined based on available pathological information)", .n0, true),
    ("regionalLymphNodes: {status: examined, examined: 4, involved: 0}", "pN0", .n0, false),
    ("regionalLymphNodes: {status: examined, examined: 4, involved: 1}", "pN1", .n1, false),
  ])
  func nodeStatuses(line: String, display: String, n: AJCC.N, assumed: Bool) throws {
    let a = try analyse([(Self.nodes, line)])
    #expect(a.derivation.nDisplay == display)
    #expect(a.derivation.n == n)
    #expect(a.derivation.stage.reason.contains("grouped as N0") == assumed, "\(a.derivation.stage.reason)")
  }

  @Test("clinical nodal status groups when no node was examined")
  func clinicalN() throws {
    let cN1 = try analyse([(Self.nodes, "regionalLymphNodes: not reported\nclinicalNodalStatus: cN1")])
    #expect(cN1.derivation.n == .n1)
    #expect(cN1.derivation.nDisplay.hasPrefix("pN not assigned"))
    #expect(cN1.derivation.stage.group == "IV")
    #expect(cN1.derivation.stage.reason.contains("N1 from the clinical nodal status (cN1)"))
    let cN0 = try analyse([(Self.nodes, "regionalLymphNodes: not reported\nclinicalNodalStatus: cN0")])
    #expect(cN0.derivation.stage.reason.contains("N0 from the clinical nodal status (cN0)"))
    // Examined nodes decide pN whatever cN says.
    let both = try analyse([(Self.nodes, "regionalLymphNodes: {status: examined, examined: 3, involved: 0}\nclinicalNodalStatus: cN1")])
    #expect(both.derivation.n == .n0)
  }

  @Test("each metastasis status: pM1 only when confirmed, cM0/cM1 only when stated, otherwise not applicable and M0 assumed", arguments: [
    ("", "pM not applicable (cannot be determined from the submitted specimens)", AJCC.M.m0, "IIIA", true),
    ("distantMetastasis: not reported", "pM not applicable (cannot be determined from the submitted specimens)", .m0, "IIIA", true),
    ("distantMetastasis: {status: not-identified}", "cM0", .m0, "IIIA", false),
    ("distantMetastasis: {status: clinical, sites: [lung]}", "cM1", .m1, "IV", false),
    ("distantMetastasis: {status: pathological, sites: [lung]}", "pM1", .m1, "IV", false),
  ])
  func metastasis(line: String, display: String, m: AJCC.M, group: String, assumed: Bool) throws {
    let a = try analyse([(Self.nodes, Self.nodes + "\n" + line)])
    #expect(a.derivation.mDisplay == display)
    #expect(a.derivation.m == m)
    #expect(a.derivation.stage.group == group)
    #expect(a.derivation.stage.reason.contains("M0 assumed for grouping") == assumed)
  }

  @Test("GX groups with G1 as AJCC requires, with a warning in the diagnostics and the working")
  func gxWarning() throws {
    let gx = try analyse([("grading: {mitoses: 12, necrosis: 10 %}", "grading: {statedGrade: cannot be determined}")])
    #expect(gx.derivation.grade.ajccGrades == [.gx])
    #expect(gx.derivation.stage.group == "IB")
    #expect(gx.derivation.stage.reason.contains("grade GX is grouped with G1 as AJCC 8th requires"))
    #expect(gx.diagnostics.contains { $0.rule == "stage.gx-groups-with-g1" && $0.severity == .warning })
    // An ungraded type says why.
    let angio = try analyse([
      ("histologicType: {name: myxofibrosarcoma, icdO3: 8811/3}", "histologicType: {name: angiosarcoma, icdO3: 9120/3}"),
    ])
    #expect(angio.derivation.grade.status == .notApplicable("angiosarcoma"))
    #expect(angio.derivation.stage.group == "IB")
    #expect(angio.derivation.stage.reason.contains("angiosarcoma is not graded by FNCLCC"))
    // A known grade groups without the warning.
    let g2 = try analyse([])
    #expect(!g2.diagnostics.contains { $0.rule == "stage.gx-groups-with-g1" })
  }

  @Test("a grade range that spans the grouping columns assigns no stage, with the alternatives")
  func rangeAlternatives() throws {
    let a = try analyse([("grading: {mitoses: 12, necrosis: 10 %}", "grading: {differentiation: 1, mitoses: 3, necrosis: not reported}")])
    #expect(a.derivation.grade.status == .graded(GradeRange(1, 2)))
    #expect(a.derivation.stage.group == nil)
    #expect(a.derivation.stage.alternatives == ["IB (G1)", "IIIA (G2)"])
  }

  @Test("a dedifferentiated liposarcoma with size known and no mitoses or necrosis stages at the group its grade range allows")
  func ddlpsRange() throws {
    let a = try analyse([
      ("histologicType: {name: myxofibrosarcoma, icdO3: 8811/3}", "histologicType: {name: dedifferentiated liposarcoma, icdO3: 8858/3}"),
      ("grading: {mitoses: 12, necrosis: 10 %}", "grading: {mitoses: not reported, necrosis: not reported}"),
      ("siteGroup: trunk-extremity", "siteGroup: retroperitoneum"),
    ])
    #expect(a.derivation.grade.status == .graded(GradeRange(2, 3)))
    #expect(a.derivation.stage.group == "IIIA")
    #expect(a.derivation.stage.reason.contains("the grade, G2 or G3, gives IIIA either way"))
  }

  @Test("a diagnosis line that contradicts the margins is a warning")
  func diagnosisAgainstMargins() throws {
    let close = try analyse([("accession: T-1", "accession: T-1\ndiagnosis: [\"Margins free but close.\"]"), ("distance: 4 mm", "distance: 15 mm")])
    #expect(close.diagnostics.contains { $0.rule == "consistency.diagnosis-margins" && $0.path == "diagnosis[0]" })
    let agrees = try analyse([("accession: T-1", "accession: T-1\ndiagnosis: [\"Margins free but close (deep 4 mm).\"]")])
    #expect(!agrees.diagnostics.contains { $0.rule == "consistency.diagnosis-margins" })
    let involved = try analyse([("accession: T-1", "accession: T-1\ndiagnosis: [\"Deep margin involved.\"]")])
    #expect(involved.diagnostics.contains { $0.rule == "consistency.diagnosis-margins" })
    let free = try analyse([("accession: T-1", "accession: T-1\ndiagnosis: [\"Margins free of tumour.\"]"),
                            ("status: not-involved, distance: 4 mm", "status: involved")])
    #expect(free.diagnostics.contains { $0.rule == "consistency.diagnosis-margins" })
  }

  @Test("CAP core elements missing from a resection are named in warnings")
  func capCore() throws {
    let a = try analyse([
      ("grading: {mitoses: 12, necrosis: 10 %}", "grading: {statedGrade: 2}"),
      ("{name: deep, status: not-involved, distance: 4 mm}", "{name: deep, status: not-involved}"),
    ])
    let rules = Set(a.diagnostics.map(\.rule))
    #expect(rules.isSuperset(of: ["required.mitoses", "required.necrosis", "required.closest-margin-distance"]))
    let stated = try analyse([
      ("grading: {mitoses: 12, necrosis: 10 %}", "grading: {statedGrade: 2, mitoses: not reported, necrosis: not reported}"),
      ("{name: deep, status: not-involved, distance: 4 mm}", "{name: deep, status: not-involved, distance: not reported}"),
    ])
    #expect(!stated.diagnostics.contains { $0.rule.hasPrefix("required.") }, "'not reported' is an answer")
  }
}
