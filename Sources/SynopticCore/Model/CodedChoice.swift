import Foundation

/// A closed list of answers spelt as kebab-case words in case files
/// (`wide-resection`). Parsing forgives case, spaces and underscores, and a
/// wrong word gets the list of allowed ones.
public protocol CodedChoice: CaseIterable, RawRepresentable, Codable, Sendable, Hashable
where RawValue == String {
  /// Words a pathologist may type for this answer besides its raw value.
  static var synonyms: [String: Self] { get }
  /// The phrase a report prints.
  var label: String { get }
}

extension CodedChoice {
  public static var synonyms: [String: Self] { [:] }
  public var label: String { Self.spaced(rawValue) }

  /// `-` as a space: the label of a raw value that has no label of its own.
  static func spaced(_ raw: String) -> String { CodedChoiceText.spaced(raw) }

  static var allRawValues: [String] { allCases.map(\.rawValue) }

  /// Trimmed, lower case, `_` and spaces as `-` (in plain Swift: every case
  /// file parses dozens of these).
  static func normalise(_ text: String) -> String { CodedChoiceText.normalise(text) }

  public static func parse(_ text: String) -> Self? {
    // Most files spell the word exactly; the forgiving match is the fallback.
    if let exact = Self(rawValue: text) { return exact }
    let key = normalise(text)
    for c in allCases where normalise(c.rawValue) == key { return c }
    for (word, value) in synonyms where normalise(word) == key { return value }
    return nil
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let value = Self.parse(text) else { throw Self.unreadable(text, at: decoder.codingPath.map(\.stringValue)) }
    self = value
  }

  static func unreadable(_ text: String, at path: [String] = []) -> NodeDecodingError {
    NodeDecodingError(
      path: path, location: nil, message: "'\(text)' is not one of: \(Self.allRawValues.joined(separator: ", "))",
      rule: "decode.choice")
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(rawValue)
  }
}
