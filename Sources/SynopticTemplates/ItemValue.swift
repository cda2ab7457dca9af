import Foundation
import SynopticCore

/// A code from a code system the terminology names (SNOMED-CT, LOINC, ICD-O-3, AJCC), or our local one (LOCAL).
public struct Code: Sendable, Equatable, Codable, Hashable {
  public var system: String
  public var code: String
  public var display: String?

  public init(system: String, code: String, display: String? = nil) {
    self.system = system
    self.code = code
    self.display = display
  }
}

/// The unit of a measured value. The raw value is the word stored in report
/// documents; every writer takes its UCUM code and printed form from here.
public enum MeasurementUnit: String, Sendable, Codable, Equatable {
  case mm, cm
  case percent = "%"
  case squareMillimetre = "mm2"
  /// A dimensionless number (ratios, copy numbers).
  case ratio = "1"

  /// The UCUM code.
  public var ucum: String { rawValue }
  /// The UCUM print name, for receivers that show a unit's display.
  public var ucumDisplay: String {
    switch self {
    case .mm: return "millimeter"
    case .cm: return "centimeter"
    case .percent: return "percent"
    case .squareMillimetre: return "square millimeter"
    case .ratio: return "ratio"
    }
  }
  /// How a report prints a number in this unit: "6 cm", "30 %", "2.4 mm²", "12.4".
  public func printed(_ number: String) -> String {
    switch self {
    case .ratio: return number
    case .percent: return number + " %"
    case .squareMillimetre: return number + " mm²"
    case .mm, .cm: return number + " " + rawValue
    }
  }
}

/// One answer from a closed list: the case file's word and the report's phrase.
public struct CodedAnswer: Sendable, Equatable, Codable {
  public var value: String
  public var display: String
  public var code: Code?
}

/// A typed item value. "Not reported" and "cannot be determined" are values.
public enum ItemValue: Sendable, Equatable, Codable {
  case coded(CodedAnswer)
  case codedList([CodedAnswer])
  /// A number with a unit and an optional comparator.
  case measurement(value: Double, unit: MeasurementUnit, comparator: SynopticCore.Comparator?)
  case count(Int)
  case text(String)
  case textList([String])
  case date(String)
  case notReported
  case cannotBeDetermined(reason: String?)

  /// The text a report prints for this value.
  public var display: String {
    switch self {
    case .coded(let a): return a.display
    case .codedList(let l): return l.map(\.display).joined(separator: ", ")
    case .measurement(let v, let unit, let c):
      let number = unit.printed(NumberText.format(v))
      return c.map { "\($0.display) \(number)" } ?? number
    case .count(let n): return String(n)
    case .text(let t): return t
    case .textList(let l): return l.joined(separator: "; ")
    case .date(let d): return d
    case .notReported: return "not reported"
    case .cannotBeDetermined(let r): return r.map { "cannot be determined (\($0))" } ?? "cannot be determined"
    }
  }

  /// The value a condition compares: the coded word, or the display text.
  var conditionKeys: [String] {
    switch self {
    case .coded(let a): return [a.value]
    case .codedList(let l): return l.map(\.value)
    case .notReported: return ["not-reported"]
    case .cannotBeDetermined: return ["cannot-be-determined"]
    default: return [display]
    }
  }

  public var kind: String {
    switch self {
    case .coded: return "coded"
    case .codedList: return "coded-list"
    case .measurement: return "measurement"
    case .count: return "count"
    case .text: return "text"
    case .textList: return "text-list"
    case .date: return "date"
    case .notReported: return "not-reported"
    case .cannotBeDetermined: return "cannot-be-determined"
    }
  }
}

extension ItemValue {
  static func choice<C: CodedChoice>(_ c: C) -> ItemValue { .coded(CodedAnswer(value: c.rawValue, display: c.label, code: nil)) }
  static func choices<C: CodedChoice>(_ cs: [C]) -> ItemValue {
    .codedList(cs.map { CodedAnswer(value: $0.rawValue, display: $0.label, code: nil) })
  }
  static func length(_ l: Length) -> ItemValue { .measurement(value: l.value, unit: l.unit == .mm ? .mm : .cm, comparator: l.comparator) }
  static func percent(_ p: Percent) -> ItemValue { .measurement(value: p.value, unit: .percent, comparator: p.comparator) }
  static func ratio(_ v: Double) -> ItemValue { .measurement(value: v, unit: .ratio, comparator: nil) }
  static func qualified<V>(_ q: Qualified<V>?, _ f: (V) -> ItemValue) -> ItemValue? {
    switch q {
    case nil: return nil
    case .value(let v)?: return f(v)
    case .notReported?: return .notReported
    case .cannotBeDetermined(let r)?: return .cannotBeDetermined(reason: r)
    }
  }
  static func yesNo(_ b: Bool) -> ItemValue { .coded(CodedAnswer(value: b ? "yes" : "no", display: b ? "yes" : "no", code: nil)) }
  static func textIfAny(_ s: String?) -> ItemValue? {
    // What trimming `.whitespacesAndNewlines` down to nothing means, without
    // the NSString bridge (this runs for every free-text binding of every
    // case): Foundation's set is White_Space plus U+200B ZERO WIDTH SPACE.
    guard let s, !s.unicodeScalars.allSatisfy({ $0.properties.isWhitespace || $0.value == 0x200B }) else { return nil }
    return .text(s)
  }
}
