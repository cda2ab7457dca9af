/// The typed value tree a layout renders. A report or plain JSON converts into
/// it once; rendering then needs no reflection and no casts.
public enum LayoutValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case list([LayoutValue])
  case object(LayoutObject)

  /// Mustache truthiness: null, false, an empty list and an empty string are
  /// falsy (so an empty comment hides its section); numbers, including 0, are truthy.
  public var isTruthy: Bool {
    switch self {
    case .null: return false
    case .bool(let b): return b
    case .list(let l): return !l.isEmpty
    case .string(let s): return !s.isEmpty
    case .int, .double, .object: return true
    }
  }

  /// The text an interpolation prints (before escaping).
  public var text: String {
    switch self {
    case .null: return ""
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let d): return LayoutValue.format(d)
    case .string(let s): return s
    case .list(let l): return l.map(\.text).joined(separator: ",")
    case .object: return ""
    }
  }

  static func format(_ d: Double) -> String {
    if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
    return "\(d)"
  }

  public subscript(key: String) -> LayoutValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }
}

extension LayoutValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: LayoutValue...) { self = .list(elements) }
  public init(dictionaryLiteral elements: (String, LayoutValue)...) {
    self = .object(LayoutObject(elements))
  }
  public init(nilLiteral: ()) { self = .null }
}
