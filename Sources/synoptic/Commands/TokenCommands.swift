import ArgumentParser
import Foundation
import SynopticCore
import SynopticStore
import SynopticWorkflow

struct TokenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "token", abstract: "Make, list and revoke API tokens for the HTTP service.",
    subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self])
}

extension APIToken.Role: ExpressibleByArgument {}

/// Who is at the keyboard, for the audit log.
func operatorName() -> String { ProcessInfo.processInfo.environment["USER"] ?? "operator" }

struct TokenCreate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create", abstract: "Make a token and print it once (its last line of output is the token); only its hash is stored.")
  @Option(help: "A name for the token (letters, digits, dots, hyphens, underscores).") var name: String
  @Option(help: "interface (reads, validates, renders; never signs), pathologist (also signs, as --pathologist) or auditor (reads the audit log only).") var role: APIToken.Role
  @Option(help: "The pathologist a pathologist token signs as (an id of the site's directory).") var pathologist: String?
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try makeWorkflow(site: reading.siteOptions, templates: reading.templateOptions, store: reading.storeOptions)
    let (record, token) = try exitOnError { () throws(WorkflowError) in
      try workflow.createToken(name: name, role: role, pathologist: pathologist, by: Requester(name: operatorName()))
    }
    print("token \(record.name) (\(record.role.rawValue)\(record.pathologist.map { " as \($0)" } ?? "")) made; it is shown once, keep it now:")
    print(token)
  }
}

struct TokenList: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their values).")
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    for t in try exitOnError({ () throws(WorkflowError) in try workflow.tokens() }) {
      let state = t.revokedAt.map { "revoked \($0)" } ?? "active"
      print([t.name, t.role.rawValue, t.pathologist ?? "-", "created \(t.createdAt)", state].map(\.terminalSafe).joined(separator: "\t"))
    }
  }
}

struct TokenRevoke: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by name; it stops working at once (within two seconds on a running server).")
  @Argument var name: String
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try makeWorkflow(site: reading.siteOptions, templates: reading.templateOptions, store: reading.storeOptions)
    try exitOnError { () throws(WorkflowError) in try workflow.revokeToken(name: name, by: Requester(name: operatorName())) }
    print("token \(name) revoked")
  }
}
