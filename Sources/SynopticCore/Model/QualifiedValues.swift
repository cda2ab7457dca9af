import Foundation

/// A qualifier in front of a number: `> 5 cm`, `approximately 6 cm`.
public enum Comparator: String, Sendable, Codable, CaseIterable {
  case lessThan = "<"
  case lessThanOrEqual = "<="
  case greaterThan = ">"
  case greaterThanOrEqual = ">="
  case approximately = "~"

  /// Longest spellings first, so `>=` is not read as `>`.
  static let spellings: [(String, Comparator)] = [
    ("approximately", .approximately), ("about", .approximately), ("approx.", .approximately),
    ("approx", .approximately), ("≥", .greaterThanOrEqual), ("≤", .lessThanOrEqual),
    (">=", .greaterThanOrEqual), ("<=", .lessThanOrEqual), (">", .greaterThan),
    ("<", .lessThan), ("~", .approximately), ("ca.", .approximately),
  ]

  /// How a report prints it.
  public var display: String {
    switch self {
    case .lessThan: return "<"
    case .lessThanOrEqual: return "≤"
    case .greaterThan: return ">"
    case .greaterThanOrEqual: return "≥"
    case .approximately: return "approximately"
    }
  }

  /// Splits a leading comparator off a text.
  static func split(_ text: String) -> (Comparator?, String) {
    let t = text.trimmingBlanks
    // Most values start with a digit, and no spelling does.
    if let first = t.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") { return (nil, t) }
    let lower = t.lowercased()
    for (word, c) in spellings where lower.hasPrefix(word) {
      return (c, String(t.dropFirst(word.count)).trimmingBlanks)
    }
    return (nil, t)
  }
}

/// A value that may be absent for a stated reason. Unknown never becomes zero:
/// "not reported" and "cannot be determined" flow through to pTX, GX and
/// "stage not assigned".
public enum Qualified<Value: Sendable & Equatable>: Sendable, Equatable {
  case value(Value)
  /// The source says nothing about it.
  case notReported
  /// It was looked at and could not be determined (reason optional).
  case cannotBeDetermined(reason: String?)

  public var known: Value? {
    if case .value(let v) = self { return v }
    return nil
  }

  /// The phrase used when there is no value.
  public var absentText: String? {
    switch self {
    case .value: return nil
    case .notReported: return "not reported"
    case .cannotBeDetermined(let r): return r.map { "cannot be determined (\($0))" } ?? "cannot be determined"
    }
  }

  public func map<U>(_ f: (Value) -> U) -> Qualified<U> {
    switch self {
    case .value(let v): return .value(f(v))
    case .notReported: return .notReported
    case .cannotBeDetermined(let r): return .cannotBeDetermined(reason: r)
    }
  }

  static func special(_ text: String) -> Qualified? {
    let t = text.trimmingBlanks
    let lower = t.lowercased()
    if ["not reported", "not-reported", "not stated", "unknown", "not specified"].contains(lower) {
      return .notReported
    }
    for prefix in ["cannot be determined", "cannot be assessed", "cannot-be-determined", "cannot-be-assessed"]
    where lower.hasPrefix(prefix) {
      var rest = t.dropFirst(prefix.count).trimmingBlanks
      if rest.hasPrefix(":") || rest.hasPrefix("-") || rest.hasPrefix(",") {
        rest = rest.dropFirst().trimmingBlanks
      }
      return .cannotBeDetermined(reason: rest.isEmpty ? nil : rest)
    }
    return nil
  }
}

extension Qualified: Codable where Value: Codable {
  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let text = try? c.decode(String.self), let special = Self.special(text) {
      self = special
      return
    }
    self = .value(try c.decode(Value.self))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .value(let v): try c.encode(v)
    case .notReported: try c.encode("not reported")
    case .cannotBeDetermined(let r): try c.encode("cannot be determined" + (r.map { ": \($0)" } ?? ""))
    }
  }
}

extension Qualified: CustomStringConvertible where Value: CustomStringConvertible {
  public var description: String { known.map(\.description) ?? absentText ?? "" }
}

/// Units of length a case file may use; stored values convert to millimetres.
public enum LengthUnit: String, Sendable, Codable, CaseIterable {
  case mm, cm
}

/// A length such as `6 cm`, `> 5 cm` or `0.3 mm`.
public struct Length: Sendable, Equatable, Codable, CustomStringConvertible {
  public var value: Double
  public var unit: LengthUnit
  public var comparator: Comparator?

  public init(_ value: Double, _ unit: LengthUnit, comparator: Comparator? = nil) {
    self.value = value
    self.unit = unit
    self.comparator = comparator
  }

  public var millimetres: Double { unit == .mm ? value : value * 10 }
  public var centimetres: Double { unit == .cm ? value : value / 10 }

  public var description: String {
    let number = NumberText.format(value) + " " + unit.rawValue
    return comparator.map { "\($0.display) \(number)" } ?? number
  }

  enum Keys: String, CodingKey { case value, unit, comparator }

  static func unreadable(_ text: String, at path: [String] = []) -> NodeDecodingError {
    NodeDecodingError(
      path: path, location: nil, message: "'\(text)' is not a length; write a number and a unit, e.g. '6 cm', '0.3 mm' or '> 5 cm'",
      rule: "decode.length")
  }

  public init(from decoder: any Decoder) throws {
    let single = try decoder.singleValueContainer()
    if let text = try? single.decode(String.self) {
      guard let parsed = Length.parse(text) else { throw Self.unreadable(text, at: decoder.codingPath.map(\.stringValue)) }
      self = parsed
      return
    }
    let c = try decoder.container(keyedBy: Keys.self)
    value = try c.decode(Double.self, forKey: .value)
    unit = try c.decode(LengthUnit.self, forKey: .unit)
    comparator = try c.decodeIfPresent(Comparator.self, forKey: .comparator)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(description)
  }

  public static func parse(_ text: String) -> Length? {
    let (comparator, rest) = Comparator.split(text)
    let lower = rest.lowercased()
    for unit in LengthUnit.allCases where lower.hasSuffix(unit.rawValue) {
      let number = rest.dropLast(unit.rawValue.count).trimmingBlanks
      guard let v = PlainDecimal.parse(number), abs(v) < 1e9 else { return nil }
      return Length(v, unit, comparator: comparator)
    }
    return nil
  }
}

/// A percentage such as `10 %`, `< 5 %`; `none` and `not identified` are 0 %.
public struct Percent: Sendable, Equatable, Codable, CustomStringConvertible {
  public var value: Double
  public var comparator: Comparator?

  public init(_ value: Double, comparator: Comparator? = nil) {
    self.value = value
    self.comparator = comparator
  }

  public var description: String {
    let number = NumberText.format(value) + " %"
    return comparator.map { "\($0.display) \(number)" } ?? number
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let number = try? c.decode(Double.self) {
      self.init(number)
      return
    }
    let text = try c.decode(String.self)
    guard let parsed = Percent.parse(text) else { throw Self.unreadable(text, at: decoder.codingPath.map(\.stringValue)) }
    self = parsed
  }

  static func unreadable(_ text: String, at path: [String] = []) -> NodeDecodingError {
    NodeDecodingError(
      path: path, location: nil, message: "'\(text)' is not a percentage; write e.g. '30', '30 %', '< 5 %' or 'none'",
      rule: "decode.percent")
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    if comparator == nil { try c.encode(value) } else { try c.encode(description) }
  }

  public static func parse(_ text: String) -> Percent? {
    let lower = text.trimmingBlanks.lowercased()
    if ["none", "not identified", "absent", "no necrosis"].contains(lower) { return Percent(0) }
    let (comparator, rest) = Comparator.split(text)
    var number = rest
    if number.hasSuffix("%") { number = String(number.dropLast()).trimmingBlanks }
    guard let v = PlainDecimal.parse(number), abs(v) < 1e9 else { return nil }
    return Percent(v, comparator: comparator)
  }
}

/// Numbers as case files write them: plain decimals only (`12`, `-3`, `0.867`).
/// Hexadecimal (`0x10`), exponents (`1e-320`), `inf` and `nan`, which Swift's
/// own parser accepts, are refused, so no value reads as something the
/// pathologist did not write.
public enum PlainDecimal {
  /// The longest number accepted, in characters: enough for any measurement,
  /// too short for a value to lose its precision or become denormal.
  public static let maxLength = 24

  public static func parse<S: StringProtocol>(_ text: S) -> Double? {
    let u = Array(text.utf8)
    guard !u.isEmpty, u.count <= maxLength else { return nil }
    var i = 0
    if u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
    var digits = 0
    var dot = false
    while i < u.count {
      let b = u[i]
      if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
        digits += 1
      } else if b == UInt8(ascii: "."), !dot {
        dot = true
      } else {
        return nil
      }
      i += 1
    }
    guard digits > 0, let v = Double(String(decoding: u, as: UTF8.self)), v.isFinite else { return nil }
    return v
  }
}

/// Prints numbers without a trailing `.0` and without exponent notation.
public enum NumberText {
  public static func format(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    // Where the shortest round-trip digits have at most four decimals they are
    // what %.4f prints, trimmed (below 1e9 the value is within 1e-7 of them, so
    // no other four-decimal number is nearer), without Foundation's formatter.
    if abs(v) < 1e9 {
      let d = v.description
      let u = d.utf8
      if !u.contains(UInt8(ascii: "e")), let dot = u.firstIndex(of: UInt8(ascii: ".")), u.distance(from: dot, to: u.endIndex) <= 5 {
        return d
      }
    }
    return formatted(v)
  }

  /// The %.4f route, for what the shortcut above does not take.
  static func formatted(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    var s = String(format: "%.4f", v)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }
}

/// A calendar date written `YYYY-MM-DD`.
public struct CalendarDate: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
  public var year: Int
  public var month: Int
  public var day: Int

  public init?(_ text: String) {
    let parts = text.trimmingBlanks.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
      let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
      (1...12).contains(m), d >= 1, d <= CalendarDate.days(inMonth: m, year: y)
    else { return nil }
    year = y
    month = m
    day = d
  }

  static func days(inMonth m: Int, year y: Int) -> Int {
    switch m {
    case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  public var description: String {
    func padded(_ n: Int, _ width: Int) -> String {
      if n < 0 { return String(format: "%0\(width)d", n) }
      let digits = String(n)
      return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
    return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
  }

  public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
    (a.year, a.month, a.day) < (b.year, b.month, b.day)
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let d = CalendarDate(text) else { throw Self.unreadable(text, at: decoder.codingPath.map(\.stringValue)) }
    self = d
  }

  static func unreadable(_ text: String, at path: [String] = []) -> NodeDecodingError {
    NodeDecodingError(path: path, location: nil, message: "'\(text)' is not a date; write YYYY-MM-DD, e.g. 2020-09-14", rule: "decode.date")
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(description)
  }
}

/// A point in time written in ISO 8601 (`2020-09-21T14:05:00Z` or with an offset).
public struct Timestamp: Sendable, Hashable, Codable, CustomStringConvertible {
  public var text: String
  public var date: Date

  public init?(_ text: String) {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    let trimmed = text.trimmingBlanks
    if let d = f.date(from: trimmed) {
      self.text = trimmed
      self.date = d
      return
    }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let d = f.date(from: trimmed) else { return nil }
    self.text = trimmed
    self.date = d
  }

  public var description: String { text }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let t = Timestamp(text) else { throw Self.unreadable(text, at: decoder.codingPath.map(\.stringValue)) }
    self = t
  }

  static func unreadable(_ text: String, at path: [String] = []) -> NodeDecodingError {
    NodeDecodingError(
      path: path, location: nil, message: "'\(text)' is not a time; write ISO 8601 with a zone, e.g. 2020-09-21T14:05:00Z",
      rule: "decode.time")
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(text)
  }
}
