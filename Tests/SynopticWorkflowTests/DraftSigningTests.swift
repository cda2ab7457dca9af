import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticStore
@testable import SynopticTemplates
@testable import SynopticWorkflow

@Suite("Drafts signed from the workspace")
struct DraftSigningTests {
  let pathologist = Requester(name: "ivale", authority: .pathologist("ivale"))

  @Test("a draft is signed at the revision reviewed: a later save is a conflict and nothing is stored; signing removes the draft with the version")
  func signAtRevision() throws {
    let scratch = Scratch()
    let w = try scratch.workflow()
    let source = try sample("forearm-ddlms.yaml")
    let (first, _) = try w.saveDraft(accession: "S21-03310", caseSource: source, expectedRevision: nil, by: pathologist)
    _ = try w.saveDraft(accession: "S21-03310", caseSource: try corrected(), expectedRevision: first.revision, by: pathologist)
    let stale = refusal { () throws(WorkflowError) in try w.signDraft("S21-03310", revision: first.revision, reason: nil, pathologist: "ivale", by: pathologist) }
    #expect(stale?.kind == .conflict)
    #expect(try w.history("S21-03310").isEmpty)
    let (v, _) = try w.signDraft("S21-03310", revision: 2, reason: nil, pathologist: "ivale", by: pathologist)
    #expect(v.version == 1)
    #expect(try w.store?.draft("S21-03310") == nil)
    #expect(try w.verify().intact)
  }

  @Test("half-typed input is kept in a draft; a draft must name its own accession; the draft of a signed report is its amendment and needs a reason")
  func amendmentDrafts() throws {
    let scratch = Scratch()
    let w = try scratch.workflow()
    let half = Data("accession: S1\ntumor: {size: 6,5 cmm}\npatient: {ageAtDiagnosis: sixty}\n".utf8)
    let (draft, outcome) = try w.saveDraft(accession: "S1", caseSource: half, expectedRevision: nil, by: pathologist)
    #expect(draft.caseSource == half)
    #expect(outcome.hasErrors)
    let elsewhere = refusal { () throws(WorkflowError) in try w.saveDraft(accession: "S2", caseSource: half, expectedRevision: nil, by: pathologist) }
    #expect(elsewhere?.kind == .usage)
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", by: requester)
    let amendment = try w.startAmendment("S21-03310", by: pathologist)
    #expect(amendment.caseSource == (try sample("forearm-ddlms.yaml")))
    #expect(try w.draftChanges(amendment).isEmpty)
    let again = refusal { () throws(WorkflowError) in try w.startAmendment("S21-03310", by: pathologist) }
    #expect(again?.kind == .conflict)
    let saved = try w.saveDraft(accession: "S21-03310", caseSource: try corrected(), expectedRevision: 1, by: pathologist).draft
    #expect(try w.draftChanges(saved).map(\.label).contains("Tumour size, greatest dimension"))
    let noReason = refusal { () throws(WorkflowError) in try w.signDraft("S21-03310", revision: 2, reason: nil, pathologist: "ivale", by: pathologist) }
    #expect(noReason?.kind == .usage)
    let (v, changes) = try w.signDraft("S21-03310", revision: 2, reason: "re-measured", pathologist: "ivale", by: pathologist)
    #expect(v.status == .amended && v.version == 2)
    #expect(!changes.isEmpty)
    let resident = Requester(name: "res1", authority: .resident)
    try w.discardDraft("S1", revision: 1, by: resident)
    #expect(try w.store?.draft("S1") == nil)
  }
}
