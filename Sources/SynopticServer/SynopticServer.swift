import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

/// The HTTP face of the workflow: `synoptic serve` and the router tests build it here.
public enum SynopticServer {
  /// The routes and middleware, for the tests and for `application`.
  public static func router(workflow: Workflow, settings: ServerSettings) -> Router<APIContext> {
    let router = Router(context: APIContext.self)
    router.add(middleware: ProblemMiddleware(maxBodyBytes: settings.maxBodyBytes))
    Routes(workflow: workflow, settings: settings).register(on: router)
    return router
  }

  /// The server, ready to run; `runService()` stops gracefully on SIGTERM or
  /// SIGINT, finishing requests in flight (a sign-out that has begun completes).
  public static func application(workflow: Workflow, settings: ServerSettings, logger: Logger) -> some ApplicationProtocol {
    Application(
      router: router(workflow: workflow, settings: settings),
      server: .http1(configuration: .init(idleTimeout: .seconds(75))),
      configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "synoptic"),
      logger: logger)
  }
}

extension SynopticServer {
  /// The workspace's layouts compile: a broken site edit stops `serve` with
  /// the file and line, as a broken template stops every command.
  public static func checkWorkspace(workflow: Workflow) throws {
    _ = try WorkspaceLayouts(directory: workflow.templates.directory.appendingPathComponent("workspace"))
  }

  /// Runs Swift concurrency's tasks on the server's event loops, so a request's
  /// handler continues on the thread that read it instead of waking another;
  /// called once, by `serve`, after its start-up and before the server starts.
  /// Store work must then stay on the workflow's own threads (`perform`): the
  /// PostgreSQL engine waits for its answers, which NIO refuses on an event loop.
  @discardableResult
  public static func runTasksOnEventLoops() -> Bool {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
  }

  /// Serves until SIGTERM or SIGINT, delivering what the outbox holds every
  /// few seconds meanwhile (the same loop as `synoptic deliver --watch`).
  public static func run(workflow: Workflow, settings: ServerSettings, logger: Logger) async throws {
    let deliveries = Task {
      guard !(workflow.site.delivery ?? []).isEmpty else { return }
      while !Task.isCancelled {
        do {
          let sent = try await workflow.perform { w throws(WorkflowError) in try w.deliverDue(by: "serve") }
          for m in sent { logger.info("delivery", metadata: ["message": .stringConvertible(m.id), "destination": .string(m.destination), "status": .string(m.status.rawValue)]) }
        } catch {
          logger.error("delivery failed", metadata: ["error": .string(String(describing: error))])
        }
        try? await Task.sleep(for: .seconds(settings.deliveryIntervalSeconds))
      }
    }
    defer { deliveries.cancel() }
    try await application(workflow: workflow, settings: settings, logger: logger).runService()
  }
}
