import Foundation
import SynopticCore
import SynopticExport
import SynopticStore

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Sends what the outbox holds to the site's destinations: HL7 v2 over MLLP,
/// FHIR Bundles over HTTP, files into a directory. Each message is claimed
/// before it is sent, so two deliverers never send it twice at once; each
/// attempt's result is stored and audited; a refusal that will not change
/// (MLLP AE, HTTP 4xx) fails at once, anything else is retried with
/// exponential backoff and jitter until the destination's attempts are used up.
extension Workflow {
  /// What one attempt gave.
  enum Attempt {
    case delivered(ack: String?)
    case refused(String, ack: String?)
    case retry(String, ack: String?)
  }

  /// Sends every due message once; returns the messages as they now stand.
  @discardableResult
  public func deliverDue(now: Date = Date(), by name: String = "deliver") throws(WorkflowError) -> [OutboxMessage] {
    let store = try requireStore()
    let due: [OutboxMessage]
    do throws(StoreError) { due = try store.dueMessages(now: ReportStore.timestamp(now)) } catch { throw .store(error) }
    var done: [OutboxMessage] = []
    for var m in due {
      guard let destination = site.delivery?.first(where: { $0.name == m.destination }) else { continue }
      // Hold it for the time an attempt can take, so no other deliverer sends it meanwhile.
      let lease = ReportStore.timestamp(now.addingTimeInterval(destination.timeout + Self.leaseMargin))
      do throws(StoreError) {
        guard try store.claim(m.id, now: ReportStore.timestamp(now), until: lease) else { continue }
      } catch {
        throw .store(error)
      }
      m.attempts += 1
      let result = attempt(&m, to: destination, in: store)
      switch result {
      case .delivered(let ack):
        m.status = .delivered
        m.ack = ack
        m.lastError = nil
      case .refused(let why, let ack):
        m.status = .failed
        m.ack = ack
        m.lastError = why
      case .retry(let why, let ack):
        m.ack = ack
        m.lastError = why
        if m.attempts >= destination.attempts {
          m.status = .dead
        } else {
          m.status = .pending
          m.nextAttemptAt = ReportStore.timestamp(now.addingTimeInterval(Self.backoff(attempts: m.attempts, base: destination.retryBase)))
        }
      }
      do throws(StoreError) { try store.recordDelivery(m, actor: name) } catch { throw .store(error) }
      done.append(m)
    }
    return done
  }

  /// How much longer than its acknowledgement timeout a claim on a message
  /// lasts: a deliverer killed mid-send leaves it to another after this.
  static let leaseMargin: TimeInterval = 10

  /// The base wait (5 s by default), then twice it, four times ... up to an
  /// hour, each stretched or shrunk by up to half at random so that many
  /// senders do not retry in step.
  static func backoff(attempts: Int, base: Double) -> TimeInterval {
    min(3600, base * pow(2, Double(max(0, attempts - 1)))) * Double.random(in: 0.5...1.5)
  }


  func attempt(_ m: inout OutboxMessage, to destination: SiteConfiguration.Destination, in store: ReportStore) -> Attempt {
    let bytes: Data
    do throws(StoreError) {
      guard let b = try store.output(m.accession, version: m.version, format: m.format) else {
        return .refused("version \(m.version) of \(m.accession) has no \(m.format) output", ack: nil)
      }
      bytes = b
    } catch {
      return .retry("the store: \(error)", ack: nil)
    }
    switch destination.kind {
    case .mllp: return sendMLLP(&m, bytes, destination)
    case .fhir: return postFHIR(bytes, destination)
    case .directory: return drop(m, bytes, destination)
    }
  }

  func sendMLLP(_ m: inout OutboxMessage, _ bytes: Data, _ destination: SiteConfiguration.Destination) -> Attempt {
    var message = String(decoding: bytes, as: UTF8.self)
    // A resend is a new message: MSH-10 gains -Rn, and both ids are kept.
    if m.attempts > 1 { message = HL7v2Writer.resend(message, attempt: m.attempts - 1) }
    let controlId = message.split(separator: "\r").first.map { $0.split(separator: "|", omittingEmptySubsequences: false) }
      .flatMap { $0.count > 9 ? String($0[9]) : nil } ?? ""
    m.controlIds.append(controlId)
    let ack: String
    do {
      ack = try MLLP.exchange(host: destination.host ?? "", port: destination.port ?? 0, message: Array(message.utf8), timeout: destination.timeout)
    } catch {
      return .retry(error.description, ack: nil)
    }
    guard let (code, acked, text) = MLLP.acknowledgement(ack) else { return .retry("the acknowledgement has no MSA segment", ack: ack) }
    guard acked == controlId else { return .retry("the acknowledgement is for \(acked), not \(controlId)", ack: ack) }
    switch code {
    case "AA", "CA": return .delivered(ack: ack)
    case "AE", "CE": return .refused("the receiver answered \(code)\(text.isEmpty ? "" : ": \(text)")", ack: ack)
    default: return .retry("the receiver answered \(code)\(text.isEmpty ? "" : ": \(text)")", ack: ack)
    }
  }

  func postFHIR(_ bytes: Data, _ destination: SiteConfiguration.Destination) -> Attempt {
    guard let base = destination.baseURL, let url = URL(string: base.hasSuffix("/") ? base + "Bundle" : base + "/Bundle") else {
      return .refused("the destination's baseURL is not a URL", ack: nil)
    }
    var request = URLRequest(url: url, timeoutInterval: destination.timeout)
    request.httpMethod = "POST"
    request.httpBody = bytes
    request.setValue("application/fhir+json", forHTTPHeaderField: "Content-Type")
    request.setValue("application/fhir+json", forHTTPHeaderField: "Accept")
    let answer = HTTPExchange.run(request)
    switch answer {
    case .failure(let why): return .retry(why.description, ack: nil)
    case .success(let (status, body)):
      let text = String(decoding: body.prefix(2000), as: UTF8.self)
      if (200..<300).contains(status) { return .delivered(ack: "HTTP \(status)") }
      if (400..<500).contains(status) { return .refused("HTTP \(status): \(text)", ack: "HTTP \(status)") }
      return .retry("HTTP \(status)", ack: "HTTP \(status)")
    }
  }

  func drop(_ m: OutboxMessage, _ bytes: Data, _ destination: SiteConfiguration.Destination) -> Attempt {
    let ext = ReportPublisher.formats.first { $0.name == m.format }?.fileExtension ?? m.format
    let stem = String(m.accession.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    let directory = URL(fileURLWithPath: destination.path ?? "", isDirectory: true)
    let target = directory.appendingPathComponent("\(stem)-v\(m.version).\(ext)")
    let temporary = directory.appendingPathComponent(".\(stem)-v\(m.version).\(ext).\(UUID().uuidString).tmp")
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try bytes.write(to: temporary, options: .withoutOverwriting)
      if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
      try FileManager.default.moveItem(at: temporary, to: target)
      return .delivered(ack: target.path)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      return .retry("cannot write \(target.path): \(error.localizedDescription)", ack: nil)
    }
  }

  /// The outbox, oldest first.
  public func outbox() throws(WorkflowError) -> [OutboxMessage] {
    let store = try requireStore()
    do throws(StoreError) { return try store.outbox() } catch { throw .store(error) }
  }

  /// Puts a failed or dead message back, due now.
  public func retryMessage(_ id: Int64, by requester: Requester) throws(WorkflowError) {
    let store = try requireStore()
    try permit(requester, "outbox-retry", nil, in: store) { r throws(WorkflowError) in try r.mustAdminister() }
    do throws(StoreError) { try store.retryMessage(id, by: requester.name) } catch { throw WorkflowError(.refused, error.description) }
  }
}

/// One HTTP request, waited for on the calling thread (the workflow's queue).
enum HTTPExchange {
  static func run(_ request: URLRequest) -> Result<(Int, Data), HTTPFailure> {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox()
    URLSession.shared.dataTask(with: request) { data, response, error in
      if let error {
        box.set(.failure(HTTPFailure(description: error.localizedDescription)))
      } else if let http = response as? HTTPURLResponse {
        box.set(.success((http.statusCode, data ?? Data())))
      } else {
        box.set(.failure(HTTPFailure(description: "no HTTP answer")))
      }
      done.signal()
    }.resume()
    done.wait()
    return box.get()
  }

  struct HTTPFailure: Error, CustomStringConvertible { var description: String }

  final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<(Int, Data), HTTPFailure> = .failure(HTTPFailure(description: "no answer"))
    func set(_ r: Result<(Int, Data), HTTPFailure>) { lock.lock(); result = r; lock.unlock() }
    func get() -> Result<(Int, Data), HTTPFailure> { lock.lock(); defer { lock.unlock() }; return result }
  }
}
