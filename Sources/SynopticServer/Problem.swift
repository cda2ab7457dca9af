import Foundation
import Hummingbird
import NIOCore
import SynopticCore
import SynopticExport
import SynopticWorkflow

/// An error answer as `application/problem+json` (RFC 9457), with the
/// case's diagnostics when there are any.
public struct Problem: Error, Sendable {
  public var status: HTTPResponse.Status
  public var detail: String
  public var diagnostics: [Diagnostic] = []
  /// Extra headers (WWW-Authenticate on a 401, Retry-After on a 503).
  public var headers: HTTPFields = [:]

  public init(_ status: HTTPResponse.Status, _ detail: String, diagnostics: [Diagnostic] = [], headers: HTTPFields = [:]) {
    self.status = status
    self.detail = detail
    self.diagnostics = diagnostics
    self.headers = headers
  }

  /// The HTTP status of a workflow refusal.
  public init(_ error: WorkflowError) {
    let status: HTTPResponse.Status
    switch error.kind {
    case .unreadable: status = .badRequest
    case .invalid: status = .unprocessableContent
    case .refused, .conflict: status = .conflict
    case .notFound: status = .notFound
    case .usage: status = .badRequest
    case .forbidden: status = .forbidden
    case .store: status = .serviceUnavailable
    }
    self.init(status, error.message, diagnostics: error.diagnostics)
  }

  var json: JSONOut {
    var pairs: [(String, JSONOut)] = [
      ("type", .string("about:blank")), ("title", .string(status.reasonPhrase)), ("status", .int(status.code)),
      ("detail", .string(detail)),
    ]
    if !diagnostics.isEmpty { pairs.append(("diagnostics", .array(diagnostics.map(Presentation.diagnostic)))) }
    return .object(pairs)
  }

  public func response(requestId: String?) -> Response {
    var fields = headers
    fields[.contentType] = "application/problem+json"
    var body = json
    if let requestId, case .object(var pairs) = body {
      pairs.append(("requestId", .string(requestId)))
      body = .object(pairs)
    }
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body.render() + "\n")))
  }
}
