/// The grading system a pathologist states a grade in.
public enum GradingSystem: Sendable, Hashable, Codable, CustomStringConvertible {
  /// FNCLCC, three grades (the default for numbers and for "intermediate").
  case fnclcc
  /// Two-tier low / high, as used on needle biopsies and for areas described
  /// only as "high grade" (the default for the bare words "low" and "high").
  case twoTier
  /// The source gives a grade without naming its system.
  case notStated
  /// Another named system (NCI, ...), three-tier words or numbers.
  case other(String)

  public init(text: String) {
    let t = text.trimmingBlanks
    switch CodedChoiceText.normalise(t) {
    case "fnclcc", "french", "ffccs": self = .fnclcc
    case "two-tier", "2-tier", "twotier": self = .twoTier
    case "not-stated", "not-specified", "unknown", "none": self = .notStated
    default: self = .other(t)
    }
  }

  /// How a report names it, inside a grade's parentheses.
  public var description: String {
    switch self {
    case .fnclcc: return "FNCLCC"
    case .twoTier: return "two-tier"
    case .notStated: return "grading system not stated"
    case .other(let name): return name
    }
  }

  /// The word a case file uses for it.
  public var word: String {
    switch self {
    case .fnclcc: return "FNCLCC"
    case .twoTier: return "two-tier"
    case .notStated: return "not-stated"
    case .other(let name): return name
    }
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard !text.trimmingBlanks.isEmpty else {
      throw NodeDecodingError(message: "the grading system is empty; write FNCLCC, two-tier, not-stated or the system's name", rule: "decode.grading-system")
    }
    self.init(text: text)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(word)
  }
}

/// A set of possible FNCLCC grades, `lo` to `hi` (1 to 3).
public struct GradeRange: Sendable, Hashable, Codable, CustomStringConvertible {
  public var lo: Int
  public var hi: Int

  public init(_ lo: Int, _ hi: Int) {
    self.lo = lo
    self.hi = hi
  }
  public init(exactly g: Int) { self.init(g, g) }

  public static let unknown = GradeRange(1, 3)

  public var isExact: Bool { lo == hi }
  public func intersection(_ other: GradeRange) -> GradeRange? {
    let l = max(lo, other.lo)
    let h = min(hi, other.hi)
    return l <= h ? GradeRange(l, h) : nil
  }
  public func contains(_ other: GradeRange) -> Bool { lo <= other.lo && other.hi <= hi }

  /// "G2", "G2 or G3", "G1 to G3".
  public var description: String {
    if isExact { return "G\(lo)" }
    if hi == lo + 1 { return "G\(lo) or G\(hi)" }
    return "G\(lo) to G\(hi)"
  }

  /// The range as one FNCLCC phrase: "G2 (FNCLCC)", "at least G2 (FNCLCC)".
  public var fnclccPhrase: String { fnclccPhrase(note: nil) }

  /// "at least G2 (FNCLCC, partial score)".
  public func fnclccPhrase(note: String?) -> String {
    let system = "(FNCLCC" + (note.map { ", \($0)" } ?? "") + ")"
    if isExact { return "G\(lo) \(system)" }
    if hi == 3 { return "at least G\(lo) \(system)" }
    return "\(self) \(system)"
  }
}

/// A grade as a pathologist states it, in the system they used, with any hedge
/// the source gives ("favoured"). Numbers and "intermediate" are FNCLCC unless a
/// system is named; the bare words "low" and "high" are two-tier.
public struct StatedGrade: Sendable, Equatable, Codable, CustomStringConvertible {
  public enum Term: String, CodedChoice {
    case g1 = "1", g2 = "2", g3 = "3", low, intermediate, high

    public static var synonyms: [String: Term] {
      ["g1": .g1, "g2": .g2, "g3": .g3, "grade-1": .g1, "grade-2": .g2, "grade-3": .g3, "i": .g1, "ii": .g2, "iii": .g3,
       "low-grade": .low, "intermediate-grade": .intermediate, "high-grade": .high, "moderate": .intermediate]
    }

    var number: Int? { self == .g1 ? 1 : self == .g2 ? 2 : self == .g3 ? 3 : nil }
    var word: String? { self == .low ? "low" : self == .intermediate ? "intermediate" : self == .high ? "high" : nil }
  }

  public var term: Term
  public var system: GradingSystem
  /// The source's hedge, printed before the grade: "favoured".
  public var hedge: String?

  public init(_ term: Term, system: GradingSystem? = nil, hedge: String? = nil) {
    self.term = term
    self.system = system ?? Self.defaultSystem(term)
    self.hedge = hedge
  }

  static func defaultSystem(_ t: Term) -> GradingSystem { t == .low || t == .high ? .twoTier : .fnclcc }

  /// The FNCLCC grades the statement allows, and whether the mapping is exact
  /// (the statement is an FNCLCC grade, or two-tier "low", which is G1).
  /// Nil when the statement does not belong to its system (two-tier "2").
  public var fnclcc: (range: GradeRange, exact: Bool)? {
    switch system {
    case .fnclcc:
      switch term {
      case .g1, .low: return (GradeRange(exactly: 1), true)
      case .g2, .intermediate: return (GradeRange(exactly: 2), true)
      case .g3, .high: return (GradeRange(exactly: 3), true)
      }
    case .twoTier:
      switch term {
      case .low: return (GradeRange(exactly: 1), true)
      case .high: return (GradeRange(2, 3), false)
      default: return nil
      }
    case .notStated, .other:
      switch term {
      case .g1, .low: return (GradeRange(exactly: 1), false)
      case .g2, .intermediate: return (GradeRange(exactly: 2), false)
      case .g3: return (GradeRange(exactly: 3), false)
      case .high: return (GradeRange(2, 3), false)
      }
    }
  }

  /// The grade in the pathologist's own system: "G2 (FNCLCC)", "high grade
  /// (two-tier)", "favoured intermediate grade (FNCLCC G2)"; the FNCLCC grade
  /// follows another system's phrase only when the mapping is exact.
  public var description: String {
    var core: String
    switch (system, term.number, term.word) {
    case (.fnclcc, let n?, _): core = "G\(n) (FNCLCC)"
    case (.fnclcc, _, let w?): core = "\(w) grade (FNCLCC G\(fnclcc?.range.lo ?? 0))"
    case (_, let n?, _): core = "grade \(n) (\(system))"
    case (_, _, let w?): core = "\(w) grade (\(system))"
    default: core = term.rawValue
    }
    if system != .fnclcc, let f = fnclcc, f.exact { core += "; FNCLCC \(f.range)" }
    if let hedge, !hedge.trimmingBlanks.isEmpty { core = hedge.trimmingBlanks + " " + core }
    return core
  }

  enum Keys: String, CodingKey { case grade, system, hedge }

  static func unreadable(_ text: String) -> NodeDecodingError {
    NodeDecodingError(
      message: "'\(text)' is not a grade; write 1, 2 or 3 (FNCLCC), low or high (two-tier), intermediate, or {grade: ..., system: ..., hedge: ...}",
      rule: "decode.grade")
  }

  /// `statedGrade: 2`, `statedGrade: high`, or
  /// `statedGrade: {grade: intermediate, system: FNCLCC, hedge: favoured}`.
  public init(from decoder: any Decoder) throws {
    if let text = try? decoder.singleValueContainer().decode(String.self) {
      guard let t = Term.parse(text) else { throw Self.unreadable(text) }
      self.init(t)
      return
    }
    let c = try decoder.container(keyedBy: Keys.self)
    let term = try c.decode(Term.self, forKey: .grade)
    self.init(term, system: try c.decodeIfPresent(GradingSystem.self, forKey: .system), hedge: try c.decodeIfPresent(String.self, forKey: .hedge))
  }

  public func encode(to encoder: any Encoder) throws {
    if system == Self.defaultSystem(term), hedge == nil {
      var c = encoder.singleValueContainer()
      try c.encode(term.rawValue)
      return
    }
    var c = encoder.container(keyedBy: Keys.self)
    try c.encode(term.rawValue, forKey: .grade)
    try c.encode(system, forKey: .system)
    try c.encodeIfPresent(hedge, forKey: .hedge)
  }
}

/// The forgiving spelling of coded words, for types that are not CodedChoice.
public enum CodedChoiceText {
  /// `-` as a space: the label of a raw value that has no label of its own.
  static func spaced(_ raw: String) -> String {
    guard raw.utf8.contains(UInt8(ascii: "-")) else { return raw }
    return String(decoding: raw.utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
  }

  /// A coded answer as the decoder compares it: trimmed, lower case, `_` and spaces as `-`.
  public static func normalise(_ text: String) -> String {
    String(text.trimmingBlanks.lowercased().map { $0 == "_" || $0 == " " ? "-" : $0 })
  }
}
