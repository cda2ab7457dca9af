import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticTemplates

struct StoreOptions: ParsableArguments {
  @Option(help: "The report store (SQLite). Default: SYNOPTIC_STORE, else ~/.local/share/synoptic/store.sqlite.")
  var store: String?

  func open() throws -> ReportStore {
    do {
      return try ReportStore(path: store ?? ReportStore.defaultPath())
    } catch {
      FileHandleOutput.stderr("error: \(error.description)\n")
      throw ExitCode(2)
    }
  }
}

/// The command line as typed, for the audit log.
func commandLine() -> String {
  (["synoptic"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
}

/// A time for --at: ISO 8601 with a zone; default now (UTC, seconds).
func signingTime(_ at: String?) throws -> String {
  if let at {
    guard Timestamp(at) != nil else { throw ValidationError("--at must be ISO 8601 with a zone, e.g. 2021-03-16T09:30:00Z") }
    return at
  }
  let f = ISO8601DateFormatter()
  f.formatOptions = [.withInternetDateTime]
  return f.string(from: Date())
}

/// Reads, validates and fills a case for sign-out; refuses (exit 1) when errors remain.
func prepareForSigning(
  _ file: String, templateId: String?, templateOptions: TemplateOptions, store: ReportStore, action: String, pathologist: String,
  accession expected: String?
) throws -> (PreparedReport, Data, TemplateStore) {
  guard let templates = try templateOptions.store(required: true) else { throw ExitCode(2) }
  guard let bytes = FileManager.default.contents(atPath: file) else {
    store.recordAttempt(actor: pathologist, action: action, accession: expected, outcome: "failed", detail: "cannot read \(file)", command: commandLine())
    FileHandleOutput.stderr("\(file): error: cannot read the file\n")
    throw ExitCode(2)
  }
  let (outcome, filled) = try CaseFile.fill(file, store: templates, templateId: templateId)
  guard let filled, !filled.document.diagnostics.hasErrors else {
    let errors = outcome.exitCode == 2 ? "the file cannot be parsed" : "\((filled?.document.diagnostics ?? []).filter { $0.severity == .error }.count) error(s)"
    store.recordAttempt(actor: pathologist, action: action, accession: filled?.document.accession ?? expected, outcome: "refused",
                        detail: "case has errors: \(errors); nothing stored", command: commandLine())
    if let filled {
      for d in filled.document.diagnostics where d.severity == .error { FileHandleOutput.stderr(d.formatted(file: file) + "\n") }
    } else {
      FileHandleOutput.stderr(outcome.text(file: file))
    }
    FileHandleOutput.stderr("refused: \(file) has errors; nothing was stored\n")
    throw ExitCode(outcome.exitCode == 2 ? 2 : 1)
  }
  if let expected, filled.document.accession != expected {
    store.recordAttempt(actor: pathologist, action: action, accession: expected, outcome: "refused",
                        detail: "case file is accession \(filled.document.accession)", command: commandLine())
    FileHandleOutput.stderr("refused: \(file) is accession \(filled.document.accession), not \(expected); nothing was stored\n")
    throw ExitCode(1)
  }
  return (filled, bytes, templates)
}

func renderForStorage(_ doc: ReportDocument, templates: TemplateStore) throws -> [String: Data] {
  // A stored version keeps the template it was signed with; the layouts come from the templates directory.
  let template = templates.templates[doc.templateId]
    ?? SynopticTemplate(id: doc.templateId, title: doc.templateTitle, version: doc.templateVersion, provenance: doc.templateProvenance, sections: [])
  do {
    let layouts = try ReportLayouts(directory: templates.directory.appendingPathComponent("layouts"))
    return try ReportPublisher.render(doc, template: template, layouts: layouts).mapValues { Data($0.utf8) }
  } catch {
    FileHandleOutput.stderr("error: cannot render the report: \(error)\n")
    throw ExitCode(1)
  }
}

func store(_ new: ReportStore.NewVersion, expectedParent: Int, in store: ReportStore, action: String) throws -> StoredVersion {
  do {
    return try store.store(new, expectedParent: expectedParent)
  } catch {
    store.recordAttempt(actor: new.pathologist, action: action, accession: new.document.accession, outcome: "refused",
                        detail: error.description, command: new.command)
    FileHandleOutput.stderr("refused: \(error.description)\n")
    throw ExitCode(1)
  }
}

/// The latest signed version, or a refusal (audited) when there is none.
func requireSigned(_ accession: String, in db: ReportStore, pathologist: String, action: String) throws -> StoredVersion {
  guard let latest = try? db.latest(accession) else {
    let e = StoreError.notSigned(accession: accession)
    db.recordAttempt(actor: pathologist, action: action, accession: accession, outcome: "refused", detail: e.description, command: commandLine())
    FileHandleOutput.stderr("refused: \(e.description)\n")
    throw ExitCode(1)
  }
  return latest
}

func announce(_ v: StoredVersion) {
  print("\(v.accession) version \(v.version) stored: \(v.status.rawValue), signed by \(v.pathologist) at \(v.signedAt)")
  print("version hash \(v.versionHash)")
}

struct SignOut: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signout",
    abstract: "Sign out a case: store version 1 (final) with every format, hashed and chained.",
    discussion: "Refused (exit 1, nothing stored) when the case has errors or the accession is already signed out.")

  @Argument(help: "The case file.") var file: String
  @Option(help: "The signing pathologist.") var pathologist: String
  @Option(help: "Sign-out time, ISO 8601 (default now).") var at: String?
  @Option(name: .customLong("template"), help: "Template id (default: by procedure).") var templateId: String?
  @OptionGroup var templateOptions: TemplateOptions
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    let time = try signingTime(at)
    let db = try storeOptions.open()
    let (filled, bytes, templates) = try prepareForSigning(
      file, templateId: templateId, templateOptions: templateOptions, store: db, action: "signout", pathologist: pathologist, accession: nil)
    var doc = filled.document
    if let latest = try? db.latest(doc.accession) {
      let e = StoreError.alreadySigned(accession: doc.accession, version: latest.version)
      db.recordAttempt(actor: pathologist, action: "signout", accession: doc.accession, outcome: "refused", detail: e.description, command: commandLine())
      FileHandleOutput.stderr("refused: \(e.description)\n")
      throw ExitCode(1)
    }
    doc.status = .final
    doc.version = 1
    doc.signedOutBy = pathologist
    doc.signedOutAt = time
    let outputs = try renderForStorage(doc, templates: templates)
    let v = try store(.init(document: doc, caseSource: bytes, outputs: outputs, pathologist: pathologist, signedAt: time, reason: nil, command: commandLine()),
                      expectedParent: 0, in: db, action: "signout")
    announce(v)
  }
}

struct Amend: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Store an amended (corrected) version from a corrected case file, naming what changed and why.")

  @Argument(help: "The accession to amend.") var accession: String
  @Argument(help: "The corrected case file.") var file: String
  @Option(help: "Why the report is amended.") var reason: String
  @Option(help: "The pathologist signing the amendment.") var pathologist: String
  @Option(help: "Amendment time, ISO 8601 (default now).") var at: String?
  @Option(name: .customLong("template"), help: "Template id (default: as signed).") var templateId: String?
  @OptionGroup var templateOptions: TemplateOptions
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    let time = try signingTime(at)
    if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why the report is amended") }
    let db = try storeOptions.open()
    let latest = try requireSigned(accession, in: db, pathologist: pathologist, action: "amend")
    let previous = try db.document(accession, version: latest.version)
    let (filled, bytes, templates) = try prepareForSigning(
      file, templateId: templateId ?? previous.templateId, templateOptions: templateOptions, store: db, action: "amend",
      pathologist: pathologist, accession: accession)
    var doc = filled.document
    doc.addenda = previous.addenda
    let changes = doc.changes(from: previous)
    guard !changes.isEmpty else {
      db.recordAttempt(actor: pathologist, action: "amend", accession: accession, outcome: "refused",
                       detail: "no item differs from version \(latest.version)", command: commandLine())
      FileHandleOutput.stderr("refused: nothing in \(file) differs from version \(latest.version); an amendment must change the report\n")
      throw ExitCode(1)
    }
    doc.status = .amended
    doc.version = latest.version + 1
    doc.parentVersion = latest.version
    doc.amendmentReason = reason
    doc.changedItems = changes.map(\.text)
    doc.signedOutBy = pathologist
    doc.signedOutAt = time
    let outputs = try renderForStorage(doc, templates: templates)
    let v = try store(.init(document: doc, caseSource: bytes, outputs: outputs, pathologist: pathologist, signedAt: time, reason: reason, command: commandLine()),
                      expectedParent: latest.version, in: db, action: "amend")
    announce(v)
    for c in changes { print("changed \(c.id): \(c.text)") }
  }
}

struct Addendum: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Store a version with an addendum; the signed content is not touched.")

  @Argument(help: "The accession.") var accession: String
  @Option(help: "The addendum text.") var text: String
  @Option(help: "The pathologist signing the addendum.") var pathologist: String
  @Option(help: "Addendum time, ISO 8601 (default now).") var at: String?
  @OptionGroup var templateOptions: TemplateOptions
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    let time = try signingTime(at)
    if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--text is empty") }
    let db = try storeOptions.open()
    let latest = try requireSigned(accession, in: db, pathologist: pathologist, action: "addendum")
    guard let templates = try templateOptions.store(required: true) else { throw ExitCode(2) }
    var doc = try db.document(accession, version: latest.version)
    doc.status = .appended
    doc.version = latest.version + 1
    doc.parentVersion = latest.version
    doc.amendmentReason = nil
    doc.changedItems = []
    doc.addenda.append("\(text) (addendum by \(pathologist), \(time))")
    let outputs = try renderForStorage(doc, templates: templates)
    let source = try db.caseSource(accession, version: latest.version)
    let v = try store(.init(document: doc, caseSource: source, outputs: outputs, pathologist: pathologist, signedAt: time, reason: text, command: commandLine()),
                      expectedParent: latest.version, in: db, action: "addendum")
    announce(v)
  }
}

struct History: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the signed versions of an accession.")
  @Argument var accession: String
  @Option(help: "text or json.") var format: OutputFormat = .text
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    let versions = try storeOptions.open().history(accession)
    if versions.isEmpty {
      FileHandleOutput.stderr("\(accession): no signed versions\n")
      throw ExitCode(1)
    }
    switch format {
    case .json:
      print(JSONOut.object([("accession", .string(accession)), ("versions", .array(versions.map { v in
        .object([
          ("version", .int(v.version)), ("status", .string(v.status.rawValue)), ("signedAt", .string(v.signedAt)),
          ("pathologist", .string(v.pathologist)), ("reason", JSONOut.optional(v.reason)),
          ("template", .string("\(v.templateId) \(v.templateVersion)")), ("caseSha256", .string(v.caseSHA256)),
          ("documentSha256", .string(v.documentSHA256)),
          ("outputs", .object(v.outputs.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
          ("previousHash", .string(v.previousHash)), ("versionHash", .string(v.versionHash)),
        ])
      }))]).render())
    case .text:
      for v in versions {
        print("v\(v.version)  \(v.status.rawValue)  \(v.signedAt)  \(v.pathologist)\(v.reason.map { "  reason: \($0)" } ?? "")")
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
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    let db = try storeOptions.open()
    guard let v = try version ?? db.latest(accession)?.version else {
      FileHandleOutput.stderr("\(accession): no signed versions\n")
      throw ExitCode(1)
    }
    guard let bytes = try db.output(accession, version: v, format: format) else {
      FileHandleOutput.stderr("\(accession): no version \(v) in format '\(format)' (formats: \(ReportPublisher.formats.map(\.name).joined(separator: ", ")))\n")
      throw ExitCode(1)
    }
    FileHandle.standardOutput.write(bytes)
  }
}

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the items that differ between two versions.")
  @Argument var accession: String
  @Argument var from: Int
  @Argument var to: Int
  @Option(help: "text or json.") var format: OutputFormat = .text
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    let db = try storeOptions.open()
    let changes: [ItemChange]
    do {
      changes = try db.document(accession, version: to).changes(from: db.document(accession, version: from))
    } catch {
      FileHandleOutput.stderr("error: \(error.description)\n")
      throw ExitCode(1)
    }
    switch format {
    case .json:
      print(JSONOut.object([("accession", .string(accession)), ("from", .int(from)), ("to", .int(to)), ("changes", .array(changes.map {
        .object([("id", .string($0.id)), ("label", .string($0.label)), ("old", JSONOut.optional($0.old)), ("new", JSONOut.optional($0.new))])
      }))]).render())
    case .text:
      if changes.isEmpty { print("no differences between v\(from) and v\(to)") }
      for c in changes { print("\(c.id)\t\(c.label)\t\(c.old ?? "(none)")\t->\t\(c.new ?? "(none)")") }
    }
  }
}

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Recompute every content hash and the version chain; exit 1 on any mismatch.")
  @Argument var accession: String?
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    let db = try storeOptions.open()
    let problems = try db.verify(accession)
    let count = try accession.map { try db.history($0).count } ?? db.accessions().reduce(0) { $0 + ((try? db.history($1).count) ?? 0) }
    if problems.isEmpty {
      print("verified: \(count) version(s)\(accession.map { " of \($0)" } ?? ""), every hash and the chain intact")
      return
    }
    for p in problems { print("MISMATCH \(p.description)") }
    throw ExitCode(1)
  }
}

struct Audit: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Show the audit log: every sign-out, amendment, addendum and failed attempt.")
  @Argument var accession: String?
  @OptionGroup var storeOptions: StoreOptions

  func run() throws {
    for e in try storeOptions.open().audit(accession) {
      let version = e.version.map { " v\($0)" } ?? ""
      print("\(e.at)  \(e.action)\(version)  \(e.outcome)  \(e.accession ?? "-")  by \(e.actor ?? "-")\(e.detail.map { "  (\($0))" } ?? "")  [\(e.command ?? "")]")
    }
  }
}
