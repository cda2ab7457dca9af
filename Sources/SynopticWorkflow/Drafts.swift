import Foundation
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates

/// Drafts: a case saved while it is being prepared, by residents and
/// pathologists. A draft may have errors (that is what the form shows), but
/// it must be a document that names its accession. The draft of a signed
/// accession is its amendment being prepared, and is signed as one.
extension Workflow {
  /// Saves a draft over `expectedRevision` (nil for a new one) and returns it
  /// with the case's diagnostics as they stand. The draft of a signed
  /// accession is its amendment in preparation; `templateId` (kept with the
  /// draft) is the template its form was made from.
  public func saveDraft(
    accession: String, caseSource: Data, templateId: String? = nil, expectedRevision: Int?, by requester: Requester
  ) throws(WorkflowError) -> (draft: DraftRecord, outcome: CaseOutcome) {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "draft-save", accession, in: store) { r throws(WorkflowError) in try r.mustDraft() }
    return try audited(store, requester, action: "draft-save", accession: { accession }) { () throws(WorkflowError) -> (DraftRecord, CaseOutcome) in
      if let templateId, templates.templates[templateId] == nil {
        throw WorkflowError(.usage, "there is no template '\(templateId)'; the templates are \(templates.templates.keys.sorted().joined(separator: ", "))")
      }
      let existing: DraftRecord?
      do throws(StoreError) { existing = try store.draft(accession) } catch { throw .store(error) }
      // Half-typed input is kept (that is what a draft is for): the case must
      // be a document that names this accession, and may have any error.
      let named: String?
      switch Self.text(of: caseSource, limits: site.inputLimits) {
      case .failure(let e): throw WorkflowError(.unreadable, "the case cannot be read: \(e.message)")
      case .success(let text):
        do throws(SourceParseError) {
          named = try CaseTree.parse(text, limits: site.inputLimits)["accession"]?.scalarText
        } catch {
          throw WorkflowError(.unreadable, "the case cannot be read: \(error.message)")
        }
      }
      guard named == accession else { throw WorkflowError(.usage, "the case is accession \(named ?? "(none)"), not \(accession)") }
      let outcome = try prepare(data: caseSource, templateId: templateId ?? existing?.templateId)
      do throws(StoreError) {
        let saved = try store.saveDraft(
          accession: accession, caseSource: caseSource, templateId: templateId, expectedRevision: expectedRevision, by: requester.name,
          command: requester.command)
        return (saved, outcome)
      } catch {
        throw .store(error)
      }
    }
  }

  /// Starts an amendment: a draft holding the latest signed version's case,
  /// with the template it was signed with. Refused when a draft exists (open
  /// it instead) or the report was retracted.
  public func startAmendment(_ accession: String, by requester: Requester) throws(WorkflowError) -> DraftRecord {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "draft-save", accession, in: store) { r throws(WorkflowError) in try r.mustDraft() }
    return try audited(store, requester, action: "draft-save", accession: { accession }) { () throws(WorkflowError) -> DraftRecord in
      let latest = try latestVersion(accession, in: store)
      try refuseIfRetracted(latest, "amended")
      do throws(StoreError) {
        let source = try store.caseSource(accession, version: latest.version)
        return try store.saveDraft(
          accession: accession, caseSource: source, templateId: latest.templateId, expectedRevision: nil, by: requester.name, command: requester.command)
      } catch {
        throw .store(error)
      }
    }
  }

  /// Signs a draft at the revision its signer reviewed: a sign-out, or the
  /// amendment of a signed report (which needs a reason). The draft goes in
  /// the version's transaction; a save after that revision is a conflict.
  public func signDraft(
    _ accession: String, revision: Int, reason: String?, pathologist: String, by requester: Requester
  ) throws(WorkflowError) -> (version: StoredVersion, changes: [ItemChange]) {
    let store = try requireStore()
    try checkAccession(accession)
    let record: DraftRecord?
    let latest: StoredVersion?
    do throws(StoreError) {
      record = try store.draft(accession)
      latest = try store.latest(accession)
    } catch { throw .store(error) }
    guard let record else { throw WorkflowError(.notFound, "there is no draft of \(accession)") }
    if let latest, latest.status != .retracted {
      return try amend(
        accession: accession, caseSource: record.caseSource, reason: reason ?? "", pathologist: pathologist, templateId: record.templateId,
        fromDraft: revision, by: requester)
    }
    let v = try signOut(caseSource: record.caseSource, pathologist: pathologist, templateId: record.templateId, fromDraft: revision, by: requester)
    return (v, [])
  }

  /// What signing an amendment draft would change, item by item (empty for
  /// a draft that is not an amendment, or while it has errors).
  /// `prepared` is the draft's case as the caller already prepared it with
  /// the draft's own template (a draft that has one), so it is not prepared twice.
  public func draftChanges(_ record: DraftRecord, prepared: CaseOutcome? = nil) throws(WorkflowError) -> [ItemChange] {
    let store = try requireStore()
    let latest: StoredVersion?
    do throws(StoreError) { latest = try store.latest(record.accession) } catch { throw .store(error) }
    guard let latest, latest.status != .retracted else { return [] }
    let outcome: CaseOutcome
    if let prepared, record.templateId != nil {
      outcome = prepared
    } else {
      outcome = try prepare(data: record.caseSource, templateId: record.templateId ?? latest.templateId)
    }
    guard case .prepared(let p) = outcome else { return [] }
    var doc = p.document
    let previous = try document(record.accession, version: latest.version, in: store)
    doc.addenda = previous.addenda
    doc.addendumEntries = previous.addendumEntries
    return doc.changes(from: previous)
  }

  /// Discards a draft at the revision the discarder saw.
  public func discardDraft(_ accession: String, revision: Int, by requester: Requester) throws(WorkflowError) {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "draft-discard", accession, in: store) { r throws(WorkflowError) in try r.mustDraft() }
    do throws(StoreError) {
      try store.discardDraft(accession: accession, revision: revision, by: requester.name, command: requester.command)
    } catch { throw .store(error) }
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
  /// Whether the role may handle case content: the role alone decides, so
  /// the server asks this on a request's own task and goes to the store (to
  /// audit a refusal) only when the answer is no.
  public var handlesCases: Bool { (try? mustHandleCases()) != nil }

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
