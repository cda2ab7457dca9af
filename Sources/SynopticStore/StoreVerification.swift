import Foundation

/// What `verify` checks: each version's content hashes and its accession's
/// chain; the ledger's chain and seals, one entry for every version and
/// audit row; and the anchor outside the database. Any value of the wrong
/// type is reported as a problem with its row, never trusted or crashed on.
extension ReportStore {
  /// What `verify` found and how much it checked.
  public struct Verification: Sendable {
    public var problems: [VerificationProblem]
    public var versions: Int
    public var ledgerEntries: Int
    /// The anchored head, when there is an anchor.
    public var anchor: StoreAnchor?
    public var intact: Bool { problems.isEmpty }
  }

  /// Checks the whole store, or one accession's versions and the whole ledger.
  public func verify(_ accession: String? = nil) throws(StoreError) -> Verification {
    try read { db in
      var v = Verification(problems: [], versions: 0, ledgerEntries: 0, anchor: nil)
      func problem(_ subject: String, _ message: String) { v.problems.append(VerificationProblem(subject: subject, message: message)) }
      guard try db.tableExists("report_version"), try db.tableExists("audit_log") else {
        problem("store", "\(path) is not a Synoptic report store (its tables are missing)")
        return v
      }

      let accessions = try accession.map { [$0] } ?? db.values(as: String.self, "SELECT DISTINCT accession FROM report_version ORDER BY accession")
      let worklist = try db.tableExists("report_latest")
      for acc in accessions {
        let rows = try db.rows("SELECT * FROM report_version WHERE accession = ? ORDER BY version", [acc])
        var previous = ""
        for (i, row) in rows.enumerated() {
          v.versions += 1
          let subject = "\(acc) v\((try? row.decode(Int.self, forColumn: "version")).map(String.init) ?? "?")"
          do {
            try Self.verifyVersion(db, row, index: i, previous: &previous) { problem(subject, $0) }
          } catch {
            problem(subject, "a stored value has the wrong type (\(Self.describe(error))); the row was altered outside Synoptic")
          }
        }
        if worklist, let newest = rows.last {
          do {
            if let problem = try Self.worklistDisagreement(db, newest) { v.problems.append(VerificationProblem(subject: acc, message: problem)) }
          } catch {
            problem(acc, "its worklist row has a value of the wrong type (\(Self.describe(error)))")
          }
        }
      }
      try verifyLedger(db, into: &v)
      return v
    }
  }

  static func verifyVersion(_ db: any StoreConnection, _ row: StoreRow, index: Int, previous: inout String, _ problem: (String) -> Void) throws {
    let acc: String = try row.decode(forColumn: "accession")
    let version: Int = try row.decode(forColumn: "version")
    if version != index + 1 { problem("version numbers are not consecutive (expected \(index + 1))") }
    let caseData: Data = try row.decode(forColumn: "case_source")
    let documentData: Data = try row.decode(forColumn: "document_json")
    if sha256(caseData) != (try row.decode(String.self, forColumn: "case_sha256")) { problem("the stored case does not match its SHA-256") }
    if sha256(documentData) != (try row.decode(String.self, forColumn: "document_sha256")) {
      problem("the stored report document does not match its SHA-256")
    }
    var outputs: [String: String] = [:]
    for o in try db.rows("SELECT format, bytes, sha256 FROM report_output WHERE accession = ? AND version = ?", [acc, version]) {
      let format: String = try o.decode(forColumn: "format")
      let bytes: Data = try o.decode(forColumn: "bytes")
      let recorded: String = try o.decode(forColumn: "sha256")
      if sha256(bytes) != recorded { problem("the stored \(format) output does not match its SHA-256") }
      outputs[format] = recorded
    }
    let stored: String = try row.decode(forColumn: "previous_hash")
    if stored != previous { problem("the chain is broken: previous hash does not match version \(version - 1)") }
    let expected = versionHash(
      accession: acc, version: version, status: try row.decode(forColumn: "status"), signedAt: try row.decode(forColumn: "signed_at"),
      pathologist: try row.decode(forColumn: "pathologist"), reason: try row.decode(forColumn: "reason"),
      templateId: try row.decode(forColumn: "template_id"), templateVersion: try row.decode(forColumn: "template_version"),
      caseSHA: sha256(caseData), documentSHA: sha256(documentData), outputs: outputs, previous: stored)
    let recorded: String = try row.decode(forColumn: "version_hash")
    if expected != recorded { problem("the version hash does not match the stored content") }
    previous = recorded
  }

  /// The worklist row is derived from the newest version; one that differs
  /// would show a report as something it is not, or hide it from a search.
  static func worklistDisagreement(_ db: any StoreConnection, _ newest: StoreRow) throws -> String? {
    let acc: String = try newest.decode(forColumn: "accession")
    guard let row = try db.row("SELECT * FROM report_latest WHERE accession = ?", [acc]) else {
      return "missing from the worklist (it has no row for the newest version)"
    }
    let name = patientName(inDocument: try newest.decode(Data.self, forColumn: "document_json"))
    for column in ["version", "status", "signed_at", "pathologist", "template_id", "template_version"] where row[column] != newest[column] {
      return "the worklist's \(column) differs from the newest version's"
    }
    if try row.decode(String?.self, forColumn: "patient_name") != name || row.decode(String?.self, forColumn: "patient_folded") != name?.lowercased() {
      return "the worklist's patient name differs from the newest version's report"
    }
    return nil
  }

  /// The ledger: consecutive entries, each chained to the one before and
  /// sealed with the key; each naming a version or audit row that exists and
  /// hashes to its entry; every version and audit row named once; and the
  /// newest entry at or beyond the anchored one.
  func verifyLedger(_ db: any StoreConnection, into v: inout Verification) throws {
    func problem(_ subject: String, _ message: String) { v.problems.append(VerificationProblem(subject: subject, message: message)) }
    guard try db.tableExists("ledger") else {
      problem("ledger", "the store has no ledger (made by an older Synoptic); open it once for writing to seal it")
      return
    }
    if key == nil { problem("store key", "no store key at \(keyPath): the ledger's seals and the anchor cannot be checked") }

    var previous = ""
    var expectedSeq: Int64 = 1
    var versionsSeen = Set<String>()
    var auditSeen = Set<Int64>()
    let rows = try db.rows("SELECT * FROM ledger ORDER BY seq")
    var head: StoreAnchor?
    for row in rows {
      v.ledgerEntries += 1
      let seqText = (try? row.decode(Int64.self, forColumn: "seq")).map(String.init) ?? "?"
      let subject = "ledger #\(seqText)"
      do {
        let seq: Int64 = try row.decode(forColumn: "seq")
        let kind: String = try row.decode(forColumn: "kind")
        let entry: String = try row.decode(forColumn: "entry_hash")
        let chain: String = try row.decode(forColumn: "chain_hash")
        let seal: String = try row.decode(forColumn: "seal")
        if seq != expectedSeq { problem(subject, "entries \(expectedSeq) to \(seq - 1) are missing") }
        expectedSeq = seq + 1
        if Ledger.chain(seq: seq, kind: kind, entry: entry, previous: previous) != chain {
          problem(subject, "the chain is broken: this entry does not follow the one before")
        }
        if let key, !key.verifies(seal, for: chain) {
          problem(subject, "the seal does not match: the ledger was rewritten without the store key")
        }
        previous = chain
        head = StoreAnchor(entry: seq, chain: chain)
        switch kind {
        case "version":
          let acc: String = try row.decode(forColumn: "accession")
          let version: Int = try row.decode(forColumn: "version")
          versionsSeen.insert("\(acc)\u{0}\(version)")
          guard let r = try db.row("SELECT version_hash, command FROM report_version WHERE accession = ? AND version = ?", [acc, version]) else {
            problem(subject, "\(acc) v\(version) was deleted")
            continue
          }
          if Ledger.versionEntry(versionHash: try r.decode(forColumn: "version_hash"), command: try r.decode(forColumn: "command")) != entry {
            problem(subject, "\(acc) v\(version) differs from what the ledger recorded")
          }
        case "audit":
          let id: Int64 = try row.decode(forColumn: "audit_id")
          auditSeen.insert(id)
          guard let r = try db.row("SELECT * FROM audit_log WHERE id = ?", [id]) else {
            problem(subject, "audit entry #\(id) was deleted")
            continue
          }
          if try Self.auditHash(r) != entry { problem(subject, "audit entry #\(id) was edited") }
        default:
          problem(subject, "unknown entry kind '\(kind)'")
        }
      } catch {
        problem(subject, "a stored value has the wrong type (\(Self.describe(error))); the row was altered outside Synoptic")
      }
    }

    for row in try db.rows("SELECT accession, version FROM report_version ORDER BY accession, version") {
      guard let acc = try? row.decode(String.self, forColumn: "accession"), let version = try? row.decode(Int.self, forColumn: "version") else {
        continue  // reported with the version's own checks
      }
      if !versionsSeen.contains("\(acc)\u{0}\(version)") { problem("\(acc) v\(version)", "not in the ledger: stored outside Synoptic") }
    }
    for id in try db.values(as: Int64.self, "SELECT id FROM audit_log ORDER BY id") where !auditSeen.contains(id) {
      problem("audit #\(id)", "not in the ledger: written outside Synoptic")
    }

    let anchor: StoreAnchor?
    do {
      anchor = try StoreAnchor.read(anchorPath, key: key)
    } catch {
      problem("anchor", error.description)
      return
    }
    v.anchor = anchor
    guard let anchor else {
      if head != nil { problem("anchor", "no anchor at \(anchorPath): the newest entries cannot be checked against it") }
      return
    }
    if anchor.entry == 0 { return }  // anchored while empty: any ledger reaches it
    guard let last = head, last.entry >= anchor.entry else {
      let have = head.map { "ends at entry \($0.entry)" } ?? "is empty"
      problem("anchor", "the ledger \(have), but the anchor records entry \(anchor.entry): the newest entries were deleted")
      return
    }
    let atAnchor = try db.value(as: String.self, "SELECT chain_hash FROM ledger WHERE seq = ?", [anchor.entry])
    if atAnchor != anchor.chain { problem("anchor", "ledger entry \(anchor.entry) is not the one the anchor records: the history was rewritten") }
  }

  /// The decoding error without the row it quotes (which may hold a whole report).
  static func describe(_ error: any Error) -> String {
    let text = "\(error)"
    let cut = text.range(of: ", column index:") ?? text.range(of: " - row:")
    return String((cut.map { text[..<$0.lowerBound] } ?? Substring(text)).prefix(160))
  }
}
