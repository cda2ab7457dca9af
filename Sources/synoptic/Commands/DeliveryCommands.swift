import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport
import SynopticStore
import SynopticWorkflow

struct Deliver: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Send what the outbox holds to the site's delivery destinations (MLLP, FHIR, directory), then exit; --watch keeps going.")
  @Flag(help: "Keep running, sending what falls due.") var watch = false
  @Option(help: "Seconds between rounds with --watch.") var interval: Double = 5
  @OptionGroup var reading: ReadingOptions

  func validate() throws {
    if !(0.1...3600).contains(interval) { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
  }

  func run() throws {
    let workflow = try makeWorkflow(site: reading.siteOptions, templates: reading.templateOptions, store: reading.storeOptions)
    if (workflow.site.delivery ?? []).isEmpty {
      FileHandleOutput.stderr("note: the site configuration names no delivery destination (delivery: in the site file)\n")
    }
    repeat {
      for m in try exitOnError({ () throws(WorkflowError) in try workflow.deliverDue() }) {
        print(Outbox.line(m).terminalSafe)
      }
      if watch { Thread.sleep(forTimeInterval: interval) }
    } while watch
  }
}

struct Outbox: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "outbox", abstract: "List the outbox: every message, its destination, status, attempts and acknowledgement.",
    subcommands: [OutboxList.self, OutboxRetry.self], defaultSubcommand: OutboxList.self)

  static func line(_ m: OutboxMessage) -> String {
    "#\(m.id)  \(m.accession) v\(m.version)  \(m.destination) \(m.format)  \(m.status.rawValue)  attempts \(m.attempts)"
      + (m.controlIds.isEmpty ? "" : "  \(m.controlIds.joined(separator: ","))") + (m.lastError.map { "  (\($0))" } ?? "")
  }
}

struct OutboxList: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List every message (the default).")
  @Option(help: "text or json.") var format: OutputFormat = .text
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try reading.workflow()
    let messages = try exitOnError { () throws(WorkflowError) in try workflow.outbox() }
    switch format {
    case .text: for m in messages { print(Outbox.line(m).terminalSafe) }
    case .json: print(Presentation.outbox(messages).render())
    }
  }
}

struct OutboxRetry: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "retry", abstract: "Put a failed or dead message back in the queue, due now.")
  @Argument var id: Int64
  @OptionGroup var reading: ReadingOptions

  func run() throws {
    let workflow = try makeWorkflow(site: reading.siteOptions, templates: reading.templateOptions, store: reading.storeOptions)
    try exitOnError { () throws(WorkflowError) in try workflow.retryMessage(id, by: Requester(name: operatorName())) }
    print("outbox message #\(id) is pending again")
  }
}
