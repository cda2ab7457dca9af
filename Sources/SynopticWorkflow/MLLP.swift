import Foundation

#if canImport(Glibc)
  import Glibc
  private let systemConnect = Glibc.connect
  private let systemSend = Glibc.send
  private let noSignal = Int32(MSG_NOSIGNAL)
#elseif canImport(Darwin)
  import Darwin
  private let systemConnect = Darwin.connect
  private let systemSend = Darwin.send
  private let noSignal: Int32 = 0
#endif

/// One HL7 v2 message over MLLP: connect, send `0x0B message 0x1C 0x0D`,
/// read the acknowledgement framed the same way, close. Blocking, with a
/// deadline on every step; run on the workflow's queue, never an event loop.
enum MLLP {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static let start: UInt8 = 0x0B
  static let end: [UInt8] = [0x1C, 0x0D]
  /// An acknowledgement longer than this is not one.
  static let maxAck = 64 * 1024

  static func exchange(host: String, port: Int, message: [UInt8], timeout: Double) throws(Failure) -> String {
    let deadline = Date().addingTimeInterval(timeout)
    let fd = try connect(host: host, port: port, deadline: deadline)
    defer { close(fd) }
    try send(fd, [start] + message + end, deadline: deadline)
    return try receive(fd, deadline: deadline)
  }

  static func connect(host: String, port: Int, deadline: Date) throws(Failure) -> Int32 {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw Failure(description: "cannot resolve \(host)") }
    defer { freeaddrinfo(list) }
    var cursor: UnsafeMutablePointer<addrinfo>? = first
    var lastError = "no address"
    while let ai = cursor {
      cursor = ai.pointee.ai_next
      let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
      if fd < 0 { continue }
      let flags = fcntl(fd, F_GETFL, 0)
      _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
      if systemConnect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return fd }
      if errno == EINPROGRESS, wait(fd, events: Int16(POLLOUT), deadline: deadline) {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if error == 0 { return fd }
        lastError = String(cString: strerror(error))
      } else {
        lastError = errno == EINPROGRESS ? "timed out" : String(cString: strerror(errno))
      }
      close(fd)
    }
    throw Failure(description: "cannot connect to \(host):\(port): \(lastError)")
  }

  static func wait(_ fd: Int32, events: Int16, deadline: Date) -> Bool {
    var p = pollfd(fd: fd, events: events, revents: 0)
    while true {
      let ms = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
      let n = poll(&p, 1, ms)
      if n > 0 { return true }
      if n == 0 || (n < 0 && errno != EINTR) { return false }
    }
  }

  static func send(_ fd: Int32, _ bytes: [UInt8], deadline: Date) throws(Failure) {
    var offset = 0
    while offset < bytes.count {
      guard wait(fd, events: Int16(POLLOUT), deadline: deadline) else { throw Failure(description: "timed out sending") }
      let n = bytes[offset...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count, noSignal) }
      if n < 0 {
        if errno == EAGAIN || errno == EINTR { continue }
        throw Failure(description: "the connection failed while sending: \(String(cString: strerror(errno)))")
      }
      offset += n
    }
  }

  static func receive(_ fd: Int32, deadline: Date) throws(Failure) -> String {
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      guard wait(fd, events: Int16(POLLIN), deadline: deadline) else { throw Failure(description: "no acknowledgement within the timeout") }
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n == 0 { throw Failure(description: "the receiver closed the connection without a complete acknowledgement") }
      if n < 0 {
        if errno == EAGAIN || errno == EINTR { continue }
        throw Failure(description: "the connection failed while reading: \(String(cString: strerror(errno)))")
      }
      buffer += chunk[0..<n]
      if buffer.count > maxAck { throw Failure(description: "the acknowledgement is longer than \(maxAck) bytes") }
      if buffer.count >= 3, Array(buffer.suffix(2)) == end {
        guard buffer.first == start else { throw Failure(description: "the acknowledgement is not MLLP-framed") }
        guard let text = String(validating: buffer.dropFirst().dropLast(2), as: UTF8.self) else {
          throw Failure(description: "the acknowledgement is not UTF-8")
        }
        return text
      }
    }
  }

  /// MSA-1 and MSA-2 (and MSA-3's text) of an acknowledgement, or nil when it has no MSA segment.
  static func acknowledgement(_ ack: String) -> (code: String, controlId: String, text: String)? {
    for segment in ack.split(whereSeparator: { $0 == "\r" || $0 == "\n" }) where segment.hasPrefix("MSA") {
      let fields = segment.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
      guard fields.count >= 3 else { return nil }
      return (fields[1], fields[2], fields.count > 3 ? fields[3] : "")
    }
    return nil
  }
}
