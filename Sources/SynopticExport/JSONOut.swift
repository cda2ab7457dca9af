import Foundation

/// A small ordered JSON writer: keys stay in the documented order (CLI output,
/// FHIR resources with `resourceType` first), and output is deterministic.
public indirect enum JSONOut: Sendable {
  case string(String)
  case number(Double)
  case int(Int)
  case bool(Bool)
  case null
  case array([JSONOut])
  case object([(String, JSONOut)])

  public static func optional(_ s: String?) -> JSONOut { s.map(JSONOut.string) ?? .null }

  /// Written into one buffer, so each value is copied once rather than once
  /// per level above it, as joining each level's strings would.
  public func render(indent: Int = 0, pretty: Bool = true) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(1024)
    write(into: &out, indent: indent, pretty: pretty)
    return String(decoding: out, as: UTF8.self)
  }

  func write(into out: inout [UInt8], indent: Int, pretty: Bool) {
    func newline(_ level: Int) {
      out.append(0x0A)
      for _ in 0..<(2 * level) { out.append(0x20) }
    }
    switch self {
    case .string(let s): JSONOut.quote(s, into: &out)
    case .number(let d): out.append(contentsOf: (d.isFinite ? JSONOut.number(d) : "null").utf8)
    case .int(let i): out.append(contentsOf: String(i).utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .null: out.append(contentsOf: "null".utf8)
    case .array(let items):
      if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
      out.append(UInt8(ascii: "["))
      for i in items.indices {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        if pretty { newline(indent + 1) }
        items[i].write(into: &out, indent: indent + 1, pretty: pretty)
      }
      if pretty { newline(indent) }
      out.append(UInt8(ascii: "]"))
    case .object(let pairs):
      if pairs.isEmpty { out.append(contentsOf: "{}".utf8); return }
      out.append(UInt8(ascii: "{"))
      for i in pairs.indices {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        if pretty { newline(indent + 1) }
        JSONOut.quote(pairs[i].0, into: &out)
        out.append(UInt8(ascii: ":"))
        if pretty { out.append(0x20) }
        pairs[i].1.write(into: &out, indent: indent + 1, pretty: pretty)
      }
      if pretty { newline(indent) }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// Whole numbers without a fraction, others in Swift's shortest round-trip form.
  static func number(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
    return String(d)
  }

  public static func quote(_ s: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count + 2)
    quote(s, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// A JSON string literal: quote, backslash and control characters escaped,
  /// and U+2028 and U+2029 too (JavaScript reads them as line ends). On the
  /// UTF-8 bytes: every other byte is copied as it is.
  static func quote(_ s: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { u in
      var start = 0
      var i = 0
      while i < u.count {
        let b = u[i]
        let escape: StaticString?
        var code: UInt32? = nil
        var width = 1
        switch b {
        case UInt8(ascii: "\""): escape = "\\\""
        case UInt8(ascii: "\\"): escape = "\\\\"
        case 0x0A: escape = "\\n"
        case 0x0D: escape = "\\r"
        case 0x09: escape = "\\t"
        case 0x00..<0x20:
          escape = nil
          code = UInt32(b)
        case 0xE2 where i + 2 < u.count && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9):
          escape = nil
          code = u[i + 2] == 0xA8 ? 0x2028 : 0x2029
          width = 3
        default:
          i += 1
          continue
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: u[start..<i]))
        if let escape {
          out.append(contentsOf: UnsafeBufferPointer(start: escape.utf8Start, count: escape.utf8CodeUnitCount))
        } else if let code {
          out.append(contentsOf: "\\u".utf8)
          for shift in stride(from: 12, through: 0, by: -4) {
            let digit = UInt8((code >> UInt32(shift)) & 0xF)
            out.append(digit < 10 ? 0x30 + digit : 0x57 + digit)
          }
        }
        i += width
        start = i
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: u[start..<u.count]))
    }
    out.append(UInt8(ascii: "\""))
  }
}
