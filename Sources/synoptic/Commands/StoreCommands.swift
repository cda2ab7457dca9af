import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

struct StoreOptions: ParsableArguments {
  @Option(help: "The report store: a SQLite file, or a postgres://USER@HOST:PORT/DATABASE URL (password from SYNOPTIC_STORE_PASSWORD_FILE or PGPASSWORD). Default: SYNOPTIC_STORE, else ~/.local/share/synoptic/store.sqlite.")
  var store: String?
  @Option(help: "The key that seals the store's ledger. Default: SYNOPTIC_STORE_KEY_FILE, else ~/.config/synoptic/store.key (made on first write).")
  var storeKey: String?
  @Option(help: "The anchor file recording the ledger's head. Default: SYNOPTIC_STORE_ANCHOR, else STORE.anchor (for PostgreSQL, in ~/.local/share/synoptic).")
  var storeAnchor: String?

  /// Opens the store for writing (creating it), or for reading only (a missing store is exit 2, and nothing is created).
  func open(readOnly: Bool = false) throws -> ReportStore {
    let path = store ?? ReportStore.defaultPath()
    do {
      if readOnly { return try ReportStore(readingOnly: path, keyPath: storeKey, anchorPath: storeAnchor) }
      return try ReportStore(path: path, keyPath: storeKey, anchorPath: storeAnchor)
    } catch {
      FileHandleOutput.stderr("error: \(error.description.terminalSafe)\n")
      throw ExitCode(2)
    }
  }
}

/// Who is asking, for the audit log: the command line as typed.
func cliRequester(_ pathologist: String) -> Requester {
  Requester(name: pathologist, command: (["synoptic"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
}

func announce(_ v: StoredVersion, workflow: Workflow) {
  let who = workflow.site.pathologist(v.pathologist).map { "\($0.name) (\(v.pathologist))" } ?? v.pathologist
  print("\(v.accession) version \(v.version) stored: \(v.status.rawValue), signed by \(who) at \(v.signedAt)".terminalSafe)
  print("version hash \(v.versionHash)")
}

/// A signing command: the workflow with a store, and the case file read once.
struct SigningOptions: ParsableArguments {
  @Option(help: "The signing pathologist's id in the site's directory.") var pathologist: String
  @Option(help: "Time, ISO 8601 with a zone (default now).") var at: String?
  @OptionGroup var templateOptions: TemplateOptions
  @OptionGroup var siteOptions: SiteOptions
  @OptionGroup var storeOptions: StoreOptions

  func workflow() throws -> Workflow { try makeWorkflow(site: siteOptions, templates: templateOptions, store: storeOptions) }
}

struct SignOut: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signout",
    abstract: "Sign out a case: store its final version (1, or the next after a retraction) with every format, hashed and chained.",
    discussion: "Refused (exit 1, nothing stored) when the case has errors, the pathologist is not in the site's directory, or the accession is already signed out.")

  @Argument(help: "The case file.") var file: String
  @Option(name: .customLong("template"), help: "Template id (default: by procedure).") var templateId: String?
  @OptionGroup var signing: SigningOptions

  func run() throws {
    let workflow = try signing.workflow()
    let source = try readCaseFile(file, limits: workflow.site.inputLimits)
    let v = try exitOnError { () throws(WorkflowError) in
      try workflow.signOut(
        caseSource: source, pathologist: signing.pathologist, at: signing.at, templateId: templateId, by: cliRequester(signing.pathologist))
    }
    announce(v, workflow: workflow)
  }
}

struct Amend: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Store an amended (corrected) version from a corrected case file, naming what changed and why.")

  @Argument(help: "The accession to amend.") var accession: String
  @Argument(help: "The corrected case file.") var file: String
  @Option(help: "Why the report is amended.") var reason: String
  @Option(name: .customLong("template"), help: "Template id (default: as signed).") var templateId: String?
  @OptionGroup var signing: SigningOptions

  func run() throws {
    if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why the report is amended") }
    let workflow = try signing.workflow()
    let source = try readCaseFile(file, limits: workflow.site.inputLimits)
    let (v, changes) = try exitOnError { () throws(WorkflowError) in
      try workflow.amend(
        accession: accession, caseSource: source, reason: reason, pathologist: signing.pathologist, at: signing.at, templateId: templateId,
        by: cliRequester(signing.pathologist))
    }
    announce(v, workflow: workflow)
    for c in changes { print("changed \(c.id): \(c.text)") }
  }
}

struct Retract: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Withdraw a report issued in error (for the wrong patient): a new version marked retracted in every format.",
    discussion: """
      The version keeps the report's content, marked entered in error: HL7 v2 result status W, FHIR entered-in-error, \
      CDA observations nullified, our XML status "retracted", and a banner in text and HTML. Afterwards the correct \
      case can be signed out afresh under the same accession with 'synoptic signout'.
      """)

  @Argument(help: "The accession to retract.") var accession: String
  @Option(help: "Why the report is withdrawn.") var reason: String
  @OptionGroup var signing: SigningOptions

  func run() throws {
    if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason must say why the report is retracted") }
    let workflow = try signing.workflow()
    let v = try exitOnError { () throws(WorkflowError) in
      try workflow.retract(accession: accession, reason: reason, pathologist: signing.pathologist, at: signing.at, by: cliRequester(signing.pathologist))
    }
    announce(v, workflow: workflow)
  }
}

struct Addendum: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Store a version with an addendum, signed by its own pathologist at its own time; the signed content is not touched.")

  @Argument(help: "The accession.") var accession: String
  @Option(help: "The addendum text.") var text: String
  @OptionGroup var signing: SigningOptions

  func run() throws {
    if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--text is empty") }
    let workflow = try signing.workflow()
    let v = try exitOnError { () throws(WorkflowError) in
      try workflow.addendum(accession: accession, text: text, pathologist: signing.pathologist, at: signing.at, by: cliRequester(signing.pathologist))
    }
    announce(v, workflow: workflow)
  }
}

/// The read-only commands: a workflow on the store opened for reading only.
struct ReadingOptions: ParsableArguments {
  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var siteOptions: SiteOptions
  @OptionGroup var templateOptions: TemplateOptions

  func workflow() throws -> Workflow {
    try makeWorkflow(site: siteOptions, templates: templateOptions).with(store: storeOptions.open(readOnly: true))
  }
}

struct History: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the signed versions of an accession.")
  @Argument var accession: String
  @Option(help: "text or json.") var format: OutputFormat = .text
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    let versions = try exitOnError { () throws(WorkflowError) in try workflow.history(accession) }
    if versions.isEmpty {
      FileHandleOutput.stderr("\(accession): no signed versions\n")
      throw ExitCode(1)
    }
    switch format {
    case .json:
      print(Presentation.history(accession, versions).render())
    case .text:
      for v in versions {
        print("v\(v.version)  \(v.status.rawValue)  \(v.signedAt.terminalSafe)  \(v.pathologist.terminalSafe)\(v.reason.map { "  reason: \($0.terminalSafe)" } ?? "")")
        print("    hash \(v.versionHash)  previous \(v.previousHash.isEmpty ? "(none)" : v.previousHash)")
      }
    }
  }
}

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print exactly the stored bytes of one format of one version.")
  @Argument var accession: String
  @Option(help: "Version (default the latest).") var version: Int?
  @Option(help: "text, html, xml, cda, hl7 or fhir.") var format: String
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    let bytes = try exitOnError { () throws(WorkflowError) in try workflow.output(accession, version: version, format: format) }
    FileHandle.standardOutput.write(bytes)
  }
}

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the items that differ between two versions.")
  @Argument var accession: String
  @Argument var from: Int
  @Argument var to: Int
  @Option(help: "text or json.") var format: OutputFormat = .text
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    let changes = try exitOnError { () throws(WorkflowError) in try workflow.diff(accession, from: from, to: to) }
    switch format {
    case .json:
      print(Presentation.diff(accession, from: from, to: to, changes).render())
    case .text:
      if changes.isEmpty { print("no differences between v\(from) and v\(to)") }
      for c in changes {
        print("\(c.id)\t\(c.label.terminalSafe)\t\((c.old ?? "(none)").terminalSafe)\t->\t\((c.new ?? "(none)").terminalSafe)")
      }
    }
  }
}

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check the store: every content hash, each accession's chain, the sealed ledger and its anchor; exit 1 on any problem.",
    discussion: """
      Opens the store read-only (a read-only copy can be checked; a missing store is exit 2 and nothing is created). \
      Finds rows edited outside Synoptic, recomputed chains (the ledger's seals need the store key), deleted or edited \
      audit entries, deleted newest versions (the anchor records the newest ledger entry), and values of the wrong type.
      """)
  @Argument var accession: String?
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    let result = try exitOnError { () throws(WorkflowError) in try workflow.verify(accession) }
    if result.intact {
      let anchor = result.anchor.map { "; anchored at entry \($0.entry)" } ?? ""
      print("verified: \(result.versions) version(s)\(accession.map { " of \($0.terminalSafe)" } ?? ""), \(result.ledgerEntries) ledger entries, every hash, seal and chain intact\(anchor)")
      return
    }
    for p in result.problems { print("PROBLEM \(p.description.terminalSafe)") }
    print("not intact: \(result.problems.count) problem(s)")
    throw ExitCode(1)
  }
}

struct Reanchor: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a new anchor for a store whose anchor file was lost; refused while anything else is wrong. Audited.",
    discussion: "An existing anchor is never replaced: it is evidence. Move it away deliberately first if it is known to be wrong.")
  @Option(help: "Why the anchor is rewritten (recorded in the audit log).") var reason: String
  @Option(help: "Who rewrites it (default: the login name).") var by: String = ProcessInfo.processInfo.environment["USER"] ?? "administrator"
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason must say why the anchor is rewritten") }
    let store = try storeOptions.open()
    do {
      let head = try store.reanchor(actor: by, reason: reason)
      print("anchored at ledger entry \(head.entry): \(store.anchorPath)")
    } catch {
      FileHandleOutput.stderr("refused: \(error.description.terminalSafe)\n")
      throw ExitCode(1)
    }
  }
}

struct Audit: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the audit log: every sign-out, amendment, addendum, retraction, read, login and refusal.")
  @Argument var accession: String?
  @Option(help: "Only what this account, token or pathologist did.") var user: String?
  @Option(help: "Only entries at or after this time (ISO 8601 with a zone).") var since: String?
  @Option(help: "Only entries at or before this time (ISO 8601 with a zone).") var until: String?
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    let query = AuditQuery(accession: accession, user: user, since: since, until: until)
    for e in try exitOnError({ () throws(WorkflowError) in try workflow.audit(query) }) {
      let version = e.version.map { " v\($0)" } ?? ""
      // Every stored text is shown escaped: a newline in a reason or a name cannot forge a line.
      let line = "\(e.at)  \(e.action)\(version)  \(e.outcome)  \(e.accession ?? "-")  by \(e.actor ?? "-")\(e.detail.map { "  (\($0))" } ?? "")  [\(e.command ?? "")]"
      print(line.terminalSafe)
    }
  }
}

struct StoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "store", abstract: "Move a report store between engines.", subcommands: [StoreCopy.self])
}

struct StoreCopy: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "copy",
    abstract: "Copy every version, output, audit entry, account, token, session, draft and outbox message into a new, empty store.",
    discussion: """
      The source is verified first and the copy afterwards, hash by hash; the copy is one transaction, so a failure \
      leaves the target empty. Stop every instance writing to the source first. Both stores are sealed with the same \
      key (--store-key). For PostgreSQL the password comes from SYNOPTIC_STORE_PASSWORD_FILE or PGPASSWORD.
      Example: synoptic store copy --from ~/.local/share/synoptic/store.sqlite --to postgres://synoptic@db.example:5432/synoptic
      """)
  @Option(help: "The store to copy (a path, or a postgres:// URL).") var from: String
  @Option(help: "The new store (a postgres:// URL, or a path); refused unless it is empty.") var to: String
  @Option(help: "The key that seals both stores' ledgers. Default: SYNOPTIC_STORE_KEY_FILE, else ~/.config/synoptic/store.key.")
  var storeKey: String?
  @Option(help: "The target's anchor file. Default: SYNOPTIC_STORE_ANCHOR, else beside a file store or in ~/.local/share/synoptic for PostgreSQL.")
  var toAnchor: String?
  @Option(help: "Who copies (recorded in the target's audit log; default: the login name).")
  var by: String = ProcessInfo.processInfo.environment["USER"] ?? "administrator"

  func run() throws {
    do {
      let source = try ReportStore(readingOnly: from, keyPath: storeKey)
      let target = try ReportStore(path: to, keyPath: storeKey, anchorPath: toAnchor)
      let report = try source.copy(to: target, by: by)
      for (table, count) in report.rows { print("\(table): \(count) row(s)") }
      let v = report.verification
      print("copied and verified: \(v.versions) version(s), \(v.ledgerEntries) ledger entries; anchored at entry \(v.anchor?.entry ?? 0) (\(target.anchorPath))")
    } catch {
      FileHandleOutput.stderr("refused: \(error.description.terminalSafe)\n")
      throw ExitCode(1)
    }
  }
}
