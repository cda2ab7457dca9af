import ArgumentParser
import Foundation
import Logging
import SynopticServer
import SynopticStore
import SynopticWorkflow

struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Serve the HTTP API for the LIS and the EHR (OpenAPI at /openapi.json).",
    discussion: """
      Everything under /api/v1 needs 'Authorization: Bearer TOKEN' (make one with 'synoptic token create'). \
      Listens on 127.0.0.1 by default: put a TLS-terminating proxy in front of it for other machines. \
      SIGTERM or SIGINT stops it gracefully, finishing requests in flight. Logs are one line per request \
      with its id and route pattern, never a patient's name, MRN or accession.
      """)

  @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
  @Option(help: "Port to listen on.") var port: Int = 8080
  @Option(help: "Largest request body in bytes.") var maxBodyBytes: Int = 1 << 20
  @Option(help: "Seconds a request other than a signature may take before a 503.") var requestTimeout: Double = 30
  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
  @Option(help: "Minutes without a request before a browser session ends.") var sessionIdleMinutes: Double = 30
  @Option(help: "Hours after sign-in when a browser session ends, however busy.") var sessionHours: Double = 12
  @Option(help: "Seconds between deliveries of what the outbox holds (when the site file names destinations).") var deliveryInterval: Double = 5
  @Flag(help: "Mark the session cookie Secure: for a server behind a TLS-terminating proxy.") var secureCookies = false
  @OptionGroup var templateOptions: TemplateOptions
  @OptionGroup var siteOptions: SiteOptions
  @OptionGroup var storeOptions: StoreOptions

  func validate() throws {
    if !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
    if !(1024...(64 << 20)).contains(maxBodyBytes) { throw ValidationError("--max-body-bytes must be between 1024 and 67108864") }
    if !(1...3600).contains(requestTimeout) { throw ValidationError("--request-timeout must be between 1 and 3600 seconds") }
    if !(1...1440).contains(sessionIdleMinutes) { throw ValidationError("--session-idle-minutes must be between 1 and 1440") }
    if !(0.1...168).contains(sessionHours) { throw ValidationError("--session-hours must be between 0.1 and 168") }
    if !(0.1...3600).contains(deliveryInterval) { throw ValidationError("--delivery-interval must be between 0.1 and 3600 seconds") }
    if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
  }

  func run() async throws {
    MallocTuning.restartWithLargerCache()
    SynopticServer.fitEventLoopsToAllowedCPUs()
    let workflow = try makeWorkflow(site: siteOptions, templates: templateOptions, store: storeOptions)
    do {
      try SynopticServer.checkWorkspace(workflow: workflow)
    } catch {
      FileHandleOutput.stderr("error: the workspace layouts (Templates/workspace): \(error)\n")
      throw ExitCode(2)
    }
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
      return handler
    }
    var logger = Logger(label: "synoptic.serve")
    logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
    var settings = ServerSettings(
      host: host, port: port, maxBodyBytes: maxBodyBytes, requestTimeoutSeconds: requestTimeout,
      sessions: SessionPolicy(idle: sessionIdleMinutes * 60, absolute: sessionHours * 3600), secureCookies: secureCookies)
    settings.deliveryIntervalSeconds = deliveryInterval
    // There is no built-in account: say how to make the first one.
    let accounts = try exitOnError { () throws(WorkflowError) in try workflow.users(by: Requester(name: operatorName())) }
    if !accounts.contains(where: { $0.role == .admin && $0.active }) {
      FileHandleOutput.stderr("""
        No administrator account yet (there is no default one). Make the first with:
          synoptic user add NAME --role admin --password-stdin \(storeOptions.store.map { "--store \($0) " } ?? "")< password-file
        and people's accounts the same way (--role resident|pathologist --pathologist ID|auditor).

        """)
    }
    if !accounts.contains(where: { $0.role == .pathologist && $0.active }) {
      FileHandleOutput.stderr("""
        No pathologist can sign in yet. For the demo site's Dr. Imogen Vale:
          synoptic user add ivale --role pathologist --pathologist ivale --password-stdin \(storeOptions.store.map { "--store \($0) " } ?? "")< password-file

        """)
    }
    FileHandleOutput.stderr("The workspace: http://\(host):\(port)/ (sign in, then the worklist and 'New case').\n")
    logger.info("serving", metadata: ["address": .string("http://\(host):\(port)"), "site": .string(workflow.site.name)])
    // After the start-up's store work: from here on tasks run on the event loops.
    SynopticServer.runTasksOnEventLoops()
    try await SynopticServer.run(workflow: workflow, settings: settings, logger: logger)
  }
}
