import Foundation
import SynopticCore
import SynopticStore
import SynopticTemplates

/// One line of the pathologist's worklist: a draft or a signed report.
public struct WorklistEntry: Sendable, Equatable {
  public var accession: String
  public var patient: String?
  /// draft, final, amended, appended or retracted.
  public var status: String
  public var template: String?
  public var changedAt: String
  public var changedBy: String
}

extension Workflow {
  /// Drafts and signed reports, most recent change first, optionally only
  /// those whose accession or patient name contains `search` (any case).
  /// For the people who prepare and sign reports; the read is audited.
  public func worklist(search: String? = nil, limit: Int = 200, by requester: Requester) throws(WorkflowError) -> [WorklistEntry] {
    let store = try requireStore()
    try permit(requester, "read-worklist", nil, in: store) { r throws(WorkflowError) in try r.mustDraft() }
    if let search { try bounded(search, "the search") }
    var entries: [WorklistEntry] = []
    do throws(StoreError) {
      for d in try store.drafts() {
        // The patient's name as the draft gives it: decoded only, not validated or
        // filled; a draft that no longer decodes still lists.
        let text = try? PositionedDecoder.text(d.caseSource, maxBytes: site.inputLimits.fileBytes)
        let patient = text.flatMap { try? CaseLoader.decode($0, limits: site.inputLimits).value?.patient?.name }
        let signed = try store.latest(d.accession).map { $0.status != .retracted } ?? false
        entries.append(WorklistEntry(
          accession: d.accession, patient: patient, status: signed ? "amendment draft" : "draft", template: d.templateId,
          changedAt: d.updatedAt, changedBy: d.updatedBy))
      }
      if let search, !search.isEmpty {
        let needle = search.lowercased()
        entries = entries.filter { $0.accession.lowercased().contains(needle) || ($0.patient?.lowercased().contains(needle) ?? false) }
      }
      // Signed reports come from the store's index, newest first and already
      // searched: enough of them to fill the page after those with a draft.
      let drafted = Set(entries.map(\.accession))
      for v in try store.latestReports(limit: limit + drafted.count, matching: search) where !drafted.contains(v.accession) {
        entries.append(WorklistEntry(
          accession: v.accession, patient: v.patientName, status: v.status.rawValue, template: "\(v.templateId) \(v.templateVersion)",
          changedAt: v.signedAt, changedBy: v.pathologist))
      }
    } catch {
      throw .store(error)
    }
    entries.sort { ($0.changedAt, $0.accession) > ($1.changedAt, $1.accession) }
    let shown = Array(entries.prefix(limit))
    try recordRead(requester, "read-worklist", nil, "\(shown.count) entries\(search.map { " matching '\($0)'" } ?? "")", in: store)
    return shown
  }
}
