import Foundation
import SynopticCore
import SynopticStore
import SynopticTemplates

/// Drafts: a case saved while it is being prepared, by residents and
/// pathologists. A draft may have errors (that is what the form shows), but
/// it must decode far enough to name its accession, and an accession that is
/// signed out is amended, not drafted afresh.
extension Workflow {
  /// Saves a draft over `expectedRevision` (nil for a new one) and returns it
  /// with the case's diagnostics as they stand.
  public func saveDraft(
    accession: String, caseSource: Data, expectedRevision: Int?, by requester: Requester
  ) throws(WorkflowError) -> (draft: DraftRecord, outcome: CaseOutcome) {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "draft-save", accession, in: store) { r throws(WorkflowError) in try r.mustDraft() }
    return try audited(store, requester, action: "draft-save", accession: { accession }) { () throws(WorkflowError) -> (DraftRecord, CaseOutcome) in
      let outcome = try prepare(data: caseSource)
      switch outcome {
      case .unreadable(let e): throw WorkflowError(.unreadable, "the case cannot be read: \(e.message)")
      case .undecodable(let d): throw WorkflowError(.invalid, "the case does not decode far enough to be kept as a draft", diagnostics: d)
      case .analysed, .prepared: break
      }
      guard let named = outcome.analysis?.pathologyCase.accession, named == accession else {
        throw WorkflowError(.usage, "the case is accession \(outcome.analysis?.pathologyCase.accession ?? "(none)"), not \(accession)")
      }
      let latest: StoredVersion?
      do throws(StoreError) { latest = try store.latest(accession) } catch { throw .store(error) }
      if let latest, latest.status != .retracted {
        throw WorkflowError(.refused, "\(accession) is signed out (version \(latest.version)); correct it with an amendment, not a draft")
      }
      do throws(StoreError) {
        let saved = try store.saveDraft(
          accession: accession, caseSource: caseSource, expectedRevision: expectedRevision, by: requester.name, command: requester.command)
        return (saved, outcome)
      } catch {
        throw .store(error)
      }
    }
  }

  /// One draft, its read audited.
  public func draft(_ accession: String, by requester: Requester) throws(WorkflowError) -> DraftRecord {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "read-draft", accession, in: store) { r throws(WorkflowError) in try r.mustDraft() }
    let record: DraftRecord?
    do throws(StoreError) { record = try store.draft(accession) } catch { throw .store(error) }
    guard let record else { throw WorkflowError(.notFound, "there is no draft of \(accession)") }
    try recordRead(requester, "read-draft", accession, "revision \(record.revision)", in: store)
    return record
  }

  /// Every draft, most recently saved first; the list is audited.
  public func drafts(by requester: Requester) throws(WorkflowError) -> [DraftRecord] {
    let store = try requireStore()
    try permit(requester, "list-drafts", nil, in: store) { r throws(WorkflowError) in try r.mustDraft() }
    let records: [DraftRecord]
    do throws(StoreError) { records = try store.drafts() } catch { throw .store(error) }
    try recordRead(requester, "list-drafts", nil, "\(records.count) drafts", in: store)
    return records
  }
}

extension Workflow {
  /// Validating, deriving and rendering a case read its content: refused to
  /// administrators and auditors (who see no case content), and audited then.
  public func permitCaseWork(by requester: Requester, action: String) throws(WorkflowError) {
    let store = try requireStore()
    try permit(requester, action, nil, in: store) { r throws(WorkflowError) in try r.mustHandleCases() }
  }
}

extension Requester {
  func mustHandleCases() throws(WorkflowError) {
    switch authority {
    case .local, .interface, .resident, .pathologist: return
    case .admin, .auditor: throw WorkflowError(.forbidden, "'\(name)' is \(roleName) and handles no case content")
    }
  }

  /// Residents and pathologists prepare drafts; systems, administrators and auditors do not.
  func mustDraft() throws(WorkflowError) {
    switch authority {
    case .local, .resident, .pathologist: return
    case .interface, .admin, .auditor:
      throw WorkflowError(.forbidden, "'\(name)' is \(roleName); drafts are prepared by residents and pathologists")
    }
  }
}
