import Foundation
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates

/// Which audit entries to show.
public struct AuditQuery: Sendable, Equatable {
  public var accession: String?
  /// Who acted: an account, a token's name, a pathologist's id.
  public var user: String?
  public var since: String?
  public var until: String?

  public init(accession: String? = nil, user: String? = nil, since: String? = nil, until: String? = nil) {
    self.accession = accession
    self.user = user
    self.since = since
    self.until = until
  }
}

/// Who asked for an operation: named in the audit log, and what they may do.
public struct Requester: Sendable, Equatable {
  /// What a requester may do.
  public enum Authority: Sendable, Equatable {
    /// Someone at this machine with the store and its key: signs as the pathologist they name.
    case local
    /// A system that reads and renders (an LIS, an EHR interface): never signs.
    case interface
    /// Signs as this pathologist of the site's directory, and as no one else.
    case pathologist(String)
    /// Prepares drafts and reads reports; never signs.
    case resident
    /// Accounts, tokens and templates; no case content.
    case admin
    /// The audit log, read only.
    case auditor
  }

  public var name: String
  /// How they asked (the command line as typed, or the request), when known.
  public var command: String?
  public var authority: Authority
  /// Set when they asked through a browser session.
  public var session: SessionProof?

  public init(name: String, command: String? = nil, authority: Authority = .local) {
    self.name = name
    self.command = command
    self.authority = authority
  }

  /// May this requester sign as this pathologist? The refusal names who may.
  /// Through a browser session, the password must have been re-entered lately.
  func mustSign(as pathologist: String, confirmationWithin: TimeInterval = SessionPolicy().confirmation, now: Date = Date()) throws(WorkflowError) {
    switch authority {
    case .local: return
    case .pathologist(let id) where id == pathologist:
      if let session, session.confirmedAt.map({ now.timeIntervalSince($0) <= confirmationWithin }) != true {
        throw WorkflowError(.forbidden, "signing needs your password again: confirm it, then sign within \(Int(confirmationWithin / 60)) minutes")
      }
      return
    case .pathologist(let id):
      throw WorkflowError(.forbidden, "'\(name)' signs as \(id) only, not as \(pathologist)")
    case .interface:
      throw WorkflowError(.forbidden, "'\(name)' is an interface credential: it reads and renders reports but signs nothing; sign with a pathologist's credential")
    case .resident, .admin, .auditor:
      throw WorkflowError(.forbidden, "'\(name)' is \(roleName) and cannot sign; a pathologist signs")
    }
  }

  /// May this requester read signed reports (history, versions, differences)?
  func mustReadReports() throws(WorkflowError) {
    switch authority {
    case .local, .interface, .pathologist, .resident: return
    case .admin, .auditor:
      throw WorkflowError(.forbidden, "'\(name)' is \(roleName) and reads no case content")
    }
  }

  /// May this requester read the audit log?
  func mustReadAudit() throws(WorkflowError) {
    switch authority {
    case .local, .auditor: return
    case .interface, .pathologist, .resident, .admin:
      throw WorkflowError(.forbidden, "'\(name)' is \(roleName); the audit log is for auditors")
    }
  }

  /// May this requester manage accounts and tokens?
  func mustAdminister() throws(WorkflowError) {
    switch authority {
    case .local, .admin: return
    default: throw WorkflowError(.forbidden, "'\(name)' is \(roleName); accounts and tokens are for administrators")
    }
  }

  /// The role as one word, for JSON: local, interface, pathologist, resident, admin, auditor.
  public var role: String {
    switch authority {
    case .local: return "local"
    case .interface: return "interface"
    case .pathologist: return "pathologist"
    case .resident: return "resident"
    case .admin: return "admin"
    case .auditor: return "auditor"
    }
  }

  public var roleName: String {
    switch authority {
    case .local: return "a local operator"
    case .interface: return "an interface"
    case .pathologist: return "a pathologist"
    case .resident: return "a resident"
    case .admin: return "an administrator"
    case .auditor: return "an auditor"
    }
  }
}

/// Signing out, amending and adding addenda: the rules of a signed report's
/// life. A version is immutable once stored; each change is a new version
/// whose number follows the latest, signed by a pathologist of the site's
/// directory, and every refusal is audited.
extension Workflow {
  func requireStore() throws(WorkflowError) -> ReportStore {
    guard let store else { throw WorkflowError(.usage, "no report store is open") }
    return store
  }

  /// The signer: a pathologist of the site's directory, by id.
  public func signer(_ id: String) throws(WorkflowError) -> ReportPerson {
    guard let p = site.pathologist(id) else { throw .unknownPathologist(id, known: site.pathologists.map(\.id)) }
    return p.person
  }

  /// A time for a signature: ISO 8601 with a zone, or now (UTC, seconds).
  /// A signature is not dated before 1900, nor more than a few minutes
  /// ahead of this machine's clock, nor before the version it follows.
  public static func signingTime(_ at: String?, after previous: String? = nil, now: Date = Date()) throws(WorkflowError) -> String {
    let time: String
    if let at {
      guard let t = Timestamp(at) else {
        throw WorkflowError(.usage, "'\(at.terminalSafe)' is not a time; write ISO 8601 with a zone, e.g. 2021-03-16T09:30:00Z")
      }
      if t.date < Self.earliestSignature {
        throw WorkflowError(.usage, "'\(at)' is before 1900; a signature time is when the pathologist signs")
      }
      if t.date > now.addingTimeInterval(Self.clockSkew) {
        throw WorkflowError(.usage, "'\(at)' is in the future; a report cannot be signed ahead of time")
      }
      time = at
    } else {
      time = Self.iso(now)
    }
    if let previous, let p = Timestamp(previous), let t = Timestamp(time), t.date < p.date {
      throw WorkflowError(.usage, "\(time) is before \(previous), when the version it follows was signed; a new version is signed after it")
    }
    return time
  }

  static let earliestSignature = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01T00:00:00Z
  /// How far ahead of this machine's clock a given time may be (another machine's clock).
  static let clockSkew: TimeInterval = 600

  /// Runs a step, auditing a refusal before passing it on.
  /// `accession` is read when a refusal is recorded, so a step may name it once it knows it.
  func audited<T>(
    _ store: ReportStore, _ requester: Requester, action: String, accession: () -> String?, _ body: () throws(WorkflowError) -> T
  ) throws(WorkflowError) -> T {
    do {
      return try body()
    } catch {
      let outcome = error.kind == .unreadable || error.kind == .store ? "failed" : "refused"
      do throws(StoreError) {
        try store.recordAttempt(
          actor: requester.name, action: action, accession: accession(), outcome: outcome, detail: error.message, command: requester.command)
      } catch let auditError {
        var e = error
        e.message += " (and the audit log could not record this: \(auditError))"
        throw e
      }
      throw error
    }
  }

  /// A case ready to sign: it decodes, has no errors, and is the accession expected.
  func signable(_ outcome: CaseOutcome, accession expected: String?) throws(WorkflowError) -> PreparedReport {
    switch outcome {
    case .unreadable(let e): throw WorkflowError(.unreadable, "the case file cannot be read: \(e)")
    case .undecodable(let d): throw .caseHasErrors(d)
    case .analysed(_, let d): throw .caseHasErrors(d)
    case .prepared(let p):
      if p.document.diagnostics.hasErrors { throw .caseHasErrors(p.document.diagnostics) }
      if let expected, p.document.accession != expected {
        throw WorkflowError(.refused, "the case file is accession \(p.document.accession), not \(expected); nothing was stored")
      }
      return p
    }
  }

  /// Every format of a document, as stored: the template it was signed with
  /// and the site's identities.
  func renderForStorage(_ doc: ReportDocument) throws(WorkflowError) -> [String: Data] {
    let template = templates.templates[doc.templateId]
      ?? SynopticTemplate(id: doc.templateId, title: doc.templateTitle, version: doc.templateVersion, provenance: doc.templateProvenance, sections: [])
    do {
      return try ReportPublisher.outputs(doc, template: template, layouts: layouts, site: identity)
        .mapValues { output in output.withBytes { Data($0) } }
    } catch {
      throw WorkflowError(.invalid, "cannot render the report: \(error)")
    }
  }

  /// Every (destination, format) the site delivers a version to.
  var deliveries: [(destination: String, format: String)] {
    (site.delivery ?? []).flatMap { d in d.formats.map { (d.name, $0) } }
  }

  func store(_ new: ReportStore.NewVersion, expectedParent: Int, in store: ReportStore) throws(WorkflowError) -> StoredVersion {
    do throws(StoreError) {
      return try store.store(new, expectedParent: expectedParent)
    } catch {
      throw .store(error)
    }
  }

  /// Signs out a case: version 1, final, every format stored. Refused while
  /// the case has errors, for an unknown signer, or when the accession is
  /// already signed out (then amend it or add an addendum).
  public func signOut(
    caseSource: Data, pathologist: String, at: String? = nil, templateId: String? = nil, fromDraft: Int? = nil, by requester: Requester
  ) throws(WorkflowError) -> StoredVersion {
    let store = try requireStore()
    var accession: String?
    return try audited(store, requester, action: "signout", accession: { accession }) { () throws(WorkflowError) -> StoredVersion in
      let outcome = try prepare(data: caseSource, templateId: templateId)
      accession = outcome.analysis?.pathologyCase.accession
      try requester.mustSign(as: pathologist)
      let signer = try signer(pathologist)
      var doc = try signable(outcome, accession: nil).document
      let latest: StoredVersion?
      do throws(StoreError) { latest = try store.latest(doc.accession) } catch { throw .store(error) }
      // A retracted report is signed out afresh: a new final version in the same history.
      if let latest, latest.status != .retracted {
        throw WorkflowError(.refused, StoreError.alreadySigned(accession: doc.accession, version: latest.version).description)
      }
      let time = try Self.signingTime(at, after: latest?.signedAt)
      doc.status = .final
      doc.version = (latest?.version ?? 0) + 1
      doc.signer = signer
      doc.signedOutBy = signer.name
      doc.signedOutAt = time
      let outputs = try renderForStorage(doc)
      return try self.store(
        .init(
          document: doc, caseSource: caseSource, outputs: outputs, pathologist: signer.id, signedAt: time, reason: nil, command: requester.command,
          deliveries: deliveries, fromDraft: fromDraft),
        expectedParent: latest?.version ?? 0, in: store)
    }
  }

  /// Stores an amended version from a corrected case: refused when nothing
  /// differs from the latest version, and on a conflict with another writer.
  public func amend(
    accession: String, caseSource: Data, reason: String, pathologist: String, at: String? = nil, templateId: String? = nil,
    fromDraft: Int? = nil, by requester: Requester
  ) throws(WorkflowError) -> (version: StoredVersion, changes: [ItemChange]) {
    let store = try requireStore()
    try checkAccession(accession)
    return try audited(store, requester, action: "amend", accession: { accession }) { () throws(WorkflowError) -> (StoredVersion, [ItemChange]) in
      if reason.allSatisfy(\.isWhitespace) { throw WorkflowError(.usage, "an amendment needs a reason") }
      try bounded(reason, "the reason")
      try requester.mustSign(as: pathologist)
      let signer = try signer(pathologist)
      let latest = try latestVersion(accession, in: store)
      try refuseIfRetracted(latest, "amended")
      let time = try Self.signingTime(at, after: latest.signedAt)
      let previous = try document(accession, version: latest.version, in: store)
      var doc = try signable(prepare(data: caseSource, templateId: templateId ?? previous.templateId), accession: accession).document
      let identity = doc.patient.identityChanges(from: previous.patient)
      if !identity.isEmpty {
        throw WorkflowError(
          .refused,
          "the corrected case changes the patient's identity (\(identity.joined(separator: ", "))); an amendment corrects a report for the same patient. "
            + "If the report was issued for the wrong patient, retract it ('synoptic retract \(accession) --reason ...') and sign out the correct case afresh")
      }
      doc.addenda = previous.addenda
      doc.addendumEntries = previous.addendumEntries
      let changes = doc.changes(from: previous)
      guard !changes.isEmpty else {
        throw WorkflowError(.refused, "nothing in the case differs from version \(latest.version); an amendment must change the report")
      }
      doc.status = .amended
      doc.version = latest.version + 1
      doc.parentVersion = latest.version
      doc.amendmentReason = reason
      doc.changedItems = changes.map(\.text)
      doc.signer = signer
      doc.signedOutBy = signer.name
      doc.signedOutAt = time
      let outputs = try renderForStorage(doc)
      let v = try self.store(
        .init(
          document: doc, caseSource: caseSource, outputs: outputs, pathologist: signer.id, signedAt: time, reason: reason, command: requester.command,
          deliveries: deliveries, fromDraft: fromDraft),
        expectedParent: latest.version, in: store)
      return (v, changes)
    }
  }

  /// Stores a version with an addendum, signed by its own pathologist at its
  /// own time; the signed content is not touched.
  public func addendum(
    accession: String, text: String, pathologist: String, at: String? = nil, by requester: Requester
  ) throws(WorkflowError) -> StoredVersion {
    let store = try requireStore()
    try checkAccession(accession)
    return try audited(store, requester, action: "addendum", accession: { accession }) { () throws(WorkflowError) -> StoredVersion in
      if text.allSatisfy(\.isWhitespace) { throw WorkflowError(.usage, "the addendum is empty") }
      try bounded(text, "the addendum")
      try requester.mustSign(as: pathologist)
      let signer = try signer(pathologist)
      let latest = try latestVersion(accession, in: store)
      try refuseIfRetracted(latest, "given an addendum")
      let time = try Self.signingTime(at, after: latest.signedAt)
      var doc = try document(accession, version: latest.version, in: store)
      let entry = ReportAddendum(text: text, signer: signer, time: time)
      doc.status = .appended
      doc.version = latest.version + 1
      doc.parentVersion = latest.version
      doc.amendmentReason = nil
      doc.changedItems = []
      doc.addendumEntries = (doc.addendumEntries ?? []) + [entry]
      doc.addenda.append(entry.line)
      let outputs = try renderForStorage(doc)
      let source: Data
      do throws(StoreError) { source = try store.caseSource(accession, version: latest.version) } catch { throw .store(error) }
      return try self.store(
        .init(document: doc, caseSource: source, outputs: outputs, pathologist: signer.id, signedAt: time, reason: text, command: requester.command, deliveries: deliveries),
        expectedParent: latest.version, in: store)
    }
  }

  /// Withdraws a report issued in error (for the wrong patient): a new
  /// version, its content as signed, marked retracted in every format (HL7 v2
  /// result status W, FHIR entered-in-error, CDA nullified), with the reason.
  /// The correct case can then be signed out afresh under the accession.
  public func retract(
    accession: String, reason: String, pathologist: String, at: String? = nil, by requester: Requester
  ) throws(WorkflowError) -> StoredVersion {
    let store = try requireStore()
    try checkAccession(accession)
    return try audited(store, requester, action: "retract", accession: { accession }) { () throws(WorkflowError) -> StoredVersion in
      if reason.allSatisfy(\.isWhitespace) { throw WorkflowError(.usage, "a retraction needs a reason") }
      try bounded(reason, "the reason")
      try requester.mustSign(as: pathologist)
      let signer = try signer(pathologist)
      let latest = try latestVersion(accession, in: store)
      try refuseIfRetracted(latest, "retracted again")
      let time = try Self.signingTime(at, after: latest.signedAt)
      var doc = try document(accession, version: latest.version, in: store)
      doc.status = .retracted
      doc.version = latest.version + 1
      doc.parentVersion = latest.version
      doc.amendmentReason = reason
      doc.changedItems = []
      doc.signer = signer
      doc.signedOutBy = signer.name
      doc.signedOutAt = time
      let outputs = try renderForStorage(doc)
      let source: Data
      do throws(StoreError) { source = try store.caseSource(accession, version: latest.version) } catch { throw .store(error) }
      return try self.store(
        .init(document: doc, caseSource: source, outputs: outputs, pathologist: signer.id, signedAt: time, reason: reason, command: requester.command, deliveries: deliveries),
        expectedParent: latest.version, in: store)
    }
  }

  /// Free text a signer gives is held to the rules of the case's own text:
  /// the site's length limit, no control characters.
  func bounded(_ text: String, _ what: String) throws(WorkflowError) {
    do throws(SourceParseError) { try site.inputLimits.checkText(text, at: what) } catch { throw WorkflowError(.usage, error.message) }
  }

  /// An accession as a request names it: what a case file may give (one
  /// line, at most 64 bytes, no control characters).
  func checkAccession(_ accession: String) throws(WorkflowError) {
    if accession.isEmpty || accession.utf8.count > 64 || accession.contains(where: \.isNewline) {
      throw WorkflowError(.usage, "'\(accession.terminalSafe)' is not an accession: one line of 1 to 64 bytes")
    }
    try bounded(accession, "the accession")
  }

  func refuseIfRetracted(_ latest: StoredVersion, _ what: String) throws(WorkflowError) {
    if latest.status == .retracted {
      throw WorkflowError(
        .refused,
        "\(latest.accession) was retracted in version \(latest.version) and cannot be \(what); sign out the correct case afresh with 'synoptic signout CASE --pathologist ID'")
    }
  }

  func latestVersion(_ accession: String, in store: ReportStore) throws(WorkflowError) -> StoredVersion {
    let latest: StoredVersion?
    do throws(StoreError) { latest = try store.latest(accession) } catch { throw .store(error) }
    guard let latest else {
      throw WorkflowError(.refused, "\(accession) has not been signed out; sign it out first with 'synoptic signout CASE --pathologist ID'")
    }
    return latest
  }

  func document(_ accession: String, version: Int, in store: ReportStore) throws(WorkflowError) -> ReportDocument {
    do throws(StoreError) { return try store.document(accession, version: version) } catch { throw .store(error) }
  }

  // MARK: reading

  /// Every signed version of an accession, oldest first (empty when none).
  /// With a requester (a network face), the read is audited under their name.
  public func history(_ accession: String, by requester: Requester? = nil) throws(WorkflowError) -> [StoredVersion] {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "read-history", accession, in: store) { r throws(WorkflowError) in try r.mustReadReports() }
    let versions: [StoredVersion]
    do throws(StoreError) { versions = try store.history(accession) } catch { throw .store(error) }
    try recordRead(requester, "read-history", accession, "\(versions.count) version(s)", in: store)
    return versions
  }

  /// Exactly the stored bytes of one format of one version (the latest by default).
  public func output(_ accession: String, version: Int? = nil, format: String, by requester: Requester? = nil) throws(WorkflowError) -> Data {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "read-version", accession, in: store) { r throws(WorkflowError) in try r.mustReadReports() }
    let v: Int
    if let version { v = version } else { v = try latestVersion(accession, in: store).version }
    let bytes: Data?
    do throws(StoreError) { bytes = try store.output(accession, version: v, format: format) } catch { throw .store(error) }
    guard let bytes else {
      let formats = ReportPublisher.formats.map(\.name).joined(separator: ", ")
      throw WorkflowError(.notFound, "\(accession) has no version \(v) in format '\(format)' (formats: \(formats))")
    }
    try recordRead(requester, "read-version", accession, "v\(v) \(format)", in: store)
    return bytes
  }

  /// The items that differ between two versions.
  public func diff(_ accession: String, from: Int, to: Int, by requester: Requester? = nil) throws(WorkflowError) -> [ItemChange] {
    let store = try requireStore()
    try checkAccession(accession)
    try permit(requester, "read-diff", accession, in: store) { r throws(WorkflowError) in try r.mustReadReports() }
    let changes = try document(accession, version: to, in: store).changes(from: document(accession, version: from, in: store))
    try recordRead(requester, "read-diff", accession, "v\(from) to v\(to)", in: store)
    return changes
  }

  /// Whether the store answers a read, for a readiness probe.
  public func checkStore() throws(WorkflowError) {
    let store = try requireStore()
    do throws(StoreError) { _ = try store.latest("") } catch { throw .store(error) }
  }

  /// Checks what a requester may do; a refusal is audited before it is thrown.
  func permit(
    _ requester: Requester?, _ action: String, _ accession: String?, in store: ReportStore, _ check: (Requester) throws(WorkflowError) -> Void
  ) throws(WorkflowError) {
    guard let requester else { return }
    try audited(store, requester, action: action, accession: { accession }) { () throws(WorkflowError) in try check(requester) }
  }

  /// A read of report content by a network requester, in the audit log.
  func recordRead(_ requester: Requester?, _ action: String, _ accession: String?, _ detail: String, in store: ReportStore) throws(WorkflowError) {
    guard let requester else { return }
    do throws(StoreError) {
      try store.recordAttempt(actor: requester.name, action: action, accession: accession, outcome: "ok", detail: detail, command: requester.command)
    } catch {
      throw .store(error)
    }
  }

  /// Recomputes every hash, the chains and the ledger's seals, and checks the anchor.
  public func verify(_ accession: String? = nil) throws(WorkflowError) -> ReportStore.Verification {
    let store = try requireStore()
    do throws(StoreError) { return try store.verify(accession) } catch { throw .store(error) }
  }

  /// The audit log, for one accession or all.
  public func audit(_ accession: String? = nil, by requester: Requester? = nil) throws(WorkflowError) -> [AuditEntry] {
    try audit(AuditQuery(accession: accession), by: requester)
  }

  /// The audit log filtered by accession, by who acted and by time (ISO 8601 with a zone).
  public func audit(_ query: AuditQuery, by requester: Requester? = nil) throws(WorkflowError) -> [AuditEntry] {
    let store = try requireStore()
    if let accession = query.accession { try checkAccession(accession) }
    try permit(requester, "read-audit", query.accession, in: store) { r throws(WorkflowError) in try r.mustReadAudit() }
    var filter = AuditFilter(accession: query.accession, actor: query.user)
    filter.since = try query.since.map { t throws(WorkflowError) in try Self.auditTime(t, "since") }
    filter.until = try query.until.map { t throws(WorkflowError) in try Self.auditTime(t, "until") }
    if let user = query.user { try bounded(user, "the user") }
    let entries: [AuditEntry]
    do throws(StoreError) { entries = try store.audit(filter) } catch { throw .store(error) }
    try recordRead(requester, "read-audit", query.accession, "\(entries.count) entries", in: store)
    return entries
  }

  /// A time as the audit log writes it (UTC, milliseconds), so text order is time order.
  static func auditTime(_ text: String, _ name: String) throws(WorkflowError) -> String {
    guard let t = Timestamp(text) else {
      throw WorkflowError(.usage, "\(name) '\(text.terminalSafe)' is not a time; write ISO 8601 with a zone, e.g. 2026-11-29T09:00:00Z")
    }
    return ReportStore.timestamp(t.date)
  }
}
