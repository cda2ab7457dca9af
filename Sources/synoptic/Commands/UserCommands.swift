import ArgumentParser
import Foundation
import SynopticCore
import SynopticStore
import SynopticWorkflow

struct UserCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "user", abstract: "Make, list and disable the accounts people sign in with, and set their passwords.",
    discussion: "There is no default account or password: make the first administrator with 'synoptic user add NAME --role admin --password-stdin'.",
    subcommands: [UserAdd.self, UserList.self, UserDisable.self, UserPasswd.self])
}

extension Account.Role: ExpressibleByArgument {}

/// A password from standard input: its first line, without the line end.
func passwordFromStandardInput() throws -> String {
  guard let line = readLine(strippingNewline: true), !line.isEmpty else {
    FileHandleOutput.stderr("error: no password on standard input (give it as one line, e.g. from a password manager)\n")
    throw ExitCode(64)
  }
  return line
}

struct UserAdd: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add", abstract: "Add an account; the password is read from standard input and only its bcrypt hash is stored.")
  @Argument(help: "The user name (lower-case letters, digits, dots, hyphens, underscores).") var username: String
  @Option(help: "resident, pathologist, admin or auditor.") var role: Account.Role
  @Option(help: "The directory pathologist a pathologist account signs as.") var pathologist: String?
  @Flag(help: "Read the password from standard input (required: no password is ever a command-line argument).") var passwordStdin = false
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    guard passwordStdin else { throw ValidationError("give --password-stdin and the password on standard input") }
    let password = try passwordFromStandardInput()
    let workflow = try makeWorkflow(site: reading.siteOptions, templates: reading.templateOptions, store: reading.storeOptions)
    try exitOnError { () throws(WorkflowError) in
      try workflow.addUser(username: username, role: role, pathologist: pathologist, password: password, by: Requester(name: operatorName()))
    }
    print("account \(username) (\(role.rawValue)\(pathologist.map { " as \($0)" } ?? "")) added".terminalSafe)
  }
}

struct UserList: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts (never their passwords).")
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    for a in try exitOnError({ () throws(WorkflowError) in try workflow.users(by: Requester(name: operatorName())) }) {
      var state = a.disabledAt.map { "disabled \($0)" } ?? "active"
      if let until = a.lockedUntil { state += ", locked until \(until)" }
      print([a.username, a.role.rawValue, a.pathologist ?? "-", "created \(a.createdAt)", state].map(\.terminalSafe).joined(separator: "\t"))
    }
  }
}

struct UserDisable: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an account; it is kept, so the audit log's names stay whole.")
  @Argument var username: String
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try makeWorkflow(site: reading.siteOptions, templates: reading.templateOptions, store: reading.storeOptions)
    try exitOnError { () throws(WorkflowError) in try workflow.disableUser(username, by: Requester(name: operatorName())) }
    print("account \(username) disabled".terminalSafe)
  }
}

struct UserPasswd: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Set an account's password (from standard input); lifts a lock.")
  @Argument var username: String
  @Flag(help: "Read the password from standard input (required).") var passwordStdin = false
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    guard passwordStdin else { throw ValidationError("give --password-stdin and the password on standard input") }
    let password = try passwordFromStandardInput()
    let workflow = try makeWorkflow(site: reading.siteOptions, templates: reading.templateOptions, store: reading.storeOptions)
    try exitOnError { () throws(WorkflowError) in try workflow.changePassword(username, to: password, by: Requester(name: operatorName())) }
    print("password for \(username) set".terminalSafe)
  }
}
