import Foundation
import Testing
@testable import SynopticCore

@Suite("Samples")
struct SampleTests {
  static let valid = [
    "retroperitoneal-lms-2019.yaml", "retroperitoneal-ddlms-recurrence-2020.yaml", "forearm-ddlms.yaml",
    "thigh-myxofibrosarcoma-core-biopsy.yaml", "thigh-ups-post-neoadjuvant.yaml", "arm-ups-involved-margin.yaml",
    "neck-synovial-sarcoma.yaml", "retroperitoneal-ddlps-node-positive.yaml", "retroperitoneal-ddlps-in-alt.yaml",
    "thigh-mpnst-nf1.yaml", "knee-synovial-sarcoma-prior-biopsy.yaml", "arm-myxofibrosarcoma-not-reported.yaml",
  ]

  @Test("every valid sample is listed here")
  func listed() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("Samples").path)
      .filter { $0.hasSuffix(".yaml") }
    #expect(Set(files) == Set(Self.valid))
  }

  @Test("valid samples have no errors", arguments: valid)
  func noErrors(name: String) throws {
    let (a, d) = try analyse(sample: name)
    #expect(a != nil)
    #expect(!d.hasErrors, "\(d.filter { $0.severity == .error })")
  }

  @Test("2019 retroperitoneal LMS: size not reported -> pTX, no stage; closest margin 6 mm; the grade keeps its hedge")
  func lms2019() throws {
    let a = try #require(try analyse(sample: "retroperitoneal-lms-2019.yaml").0)
    #expect(a.pathologyCase.tumor?.size == .notReported)
    #expect(a.derivation.pT == "pTX")
    #expect(a.derivation.stage.group == nil)
    #expect(a.derivation.grade.status == .graded(GradeRange(exactly: 2)))
    #expect(a.derivation.grade.source == .stated)
    #expect(a.derivation.grade.phrase == "favoured intermediate grade (FNCLCC G2)")
    #expect(a.derivation.margins?.closest?.name == "retroperitoneal")
    #expect(a.derivation.margins?.closest?.distance == Length(6, .mm))
    #expect(a.derivation.margins?.rClass == .r0)
  }

  @Test("2020 recurrence: rpTX, 0.3 mm close margin, desmin changed from 2019, operative findings kept apart")
  func recurrence() throws {
    let (a0, d) = try analyse(sample: "retroperitoneal-ddlms-recurrence-2020.yaml")
    let a = try #require(a0)
    #expect(a.derivation.pT == "rpTX")
    #expect(a.derivation.stage.group == nil)
    #expect(a.derivation.margins?.closest?.distance == Length(0.3, .mm))
    #expect(a.derivation.margins?.close == .yes)
    #expect(a.derivation.stainChanges.map(\.text).contains("Desmin: positive (S19-04711) -> negative"))
    #expect(a.derivation.stainChanges.map(\.text).contains("SMA: negative, vessels only (S19-04711) -> positive, patchy"))
    #expect(a.pathologyCase.tumor?.extent == nil)
    #expect(a.pathologyCase.tumor?.operativeFindings?.contains("Femoral nerve") == true)
    #expect(a.pathologyCase.tumor?.components?.first?.kind == .conventional)
    #expect(a.derivation.grade.phrase == "high grade (two-tier)")
    #expect(a.derivation.mDisplay == "cM0")
    #expect(a.derivation.cN == .cN0)
    #expect(d.contains { $0.rule == "comparison.stain-changed" })
    #expect(a.pathologyCase.molecular?.first?.result == .notAmplified)
    #expect(a.pathologyCase.stains?.contains { $0.marker == "H3K27me3" && $0.result == .retained } == true)
  }

  @Test("forearm: pT2, stage IIIA; G2 leiomyosarcoma and high-grade osteosarcoma agree: at least G2, no warning")
  func forearm() throws {
    let (a0, d) = try analyse(sample: "forearm-ddlms.yaml")
    let a = try #require(a0)
    #expect(a.derivation.t.category == "T2")
    #expect(a.derivation.stage.group == "IIIA")
    #expect(a.derivation.grade.status == .graded(GradeRange(2, 3)))
    #expect(a.derivation.grade.phrase == "at least G2 (FNCLCC); 'osteosarcoma' component high grade (two-tier)")
    #expect(!d.contains { $0.rule.hasPrefix("grade.") })
    #expect(a.pathologyCase.tumor?.grading?.statedGrade == nil)
    #expect(!(a.pathologyCase.stains ?? []).contains { $0.marker == "h-caldesmon" && $0.component == "osteosarcoma" })
    #expect(a.derivation.margins?.rClass == .r0)
    #expect(a.derivation.margins?.closest == nil)
  }

  @Test("synthetic cases derive what they were written to show")
  func synthetic() throws {
    let ddlps = try #require(try analyse(sample: "retroperitoneal-ddlps-node-positive.yaml").0)
    #expect(ddlps.derivation.pT == "pT4")
    #expect(ddlps.derivation.nDisplay == "pN1")
    #expect(ddlps.derivation.stage.group == "IIIB")
    let neck = try #require(try analyse(sample: "neck-synovial-sarcoma.yaml").0)
    #expect(neck.derivation.t.category == "T2")
    #expect(neck.derivation.stage.group == nil)
    let r1 = try #require(try analyse(sample: "arm-ups-involved-margin.yaml").0)
    #expect(r1.derivation.margins?.rClass == .r1)
    #expect(r1.derivation.grade.status == .graded(GradeRange(exactly: 3)))
    let post = try analyse(sample: "thigh-ups-post-neoadjuvant.yaml")
    let treated = try #require(post.0)
    #expect(treated.derivation.grade.status == .notGraded(.presurgicalTherapy))
    #expect(treated.derivation.pT == "ypT3")
    #expect(post.1.contains { $0.rule == "stage.gx-groups-with-g1" })
    let core = try analyse(sample: "thigh-myxofibrosarcoma-core-biopsy.yaml")
    #expect(core.1.contains { $0.rule == "consistency.grade-on-core-biopsy" })
    #expect(core.0?.derivation.margins == nil)
  }
}
