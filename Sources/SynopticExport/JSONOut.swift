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

  public func render(indent: Int = 0, pretty: Bool = true) -> String {
    let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
    let end = pretty ? String(repeating: "  ", count: indent) : ""
    let nl = pretty ? "\n" : ""
    switch self {
    case .string(let s): return JSONOut.quote(s)
    case .number(let d): return d.isFinite ? JSONOut.number(d) : "null"
    case .int(let i): return String(i)
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .array(let items):
      if items.isEmpty { return "[]" }
      return "[" + nl + items.map { pad + $0.render(indent: indent + 1, pretty: pretty) }.joined(separator: "," + nl) + nl + end + "]"
    case .object(let pairs):
      if pairs.isEmpty { return "{}" }
      let sep = pretty ? ": " : ":"
      return "{" + nl
        + pairs.map { pad + JSONOut.quote($0.0) + sep + $0.1.render(indent: indent + 1, pretty: pretty) }
        .joined(separator: "," + nl) + nl + end + "}"
    }
  }

  /// Whole numbers without a fraction, others in Swift's shortest round-trip form.
  static func number(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
    return String(d)
  }

  public static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029:
        out += String(format: "\\u%04x", u.value)
      default: out.unicodeScalars.append(u)
      }
    }
    return out + "\""
  }
}
