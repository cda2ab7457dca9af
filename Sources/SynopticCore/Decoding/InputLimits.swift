import Foundation

/// Bounds on what a case file may hold, so no input can take unbounded memory
/// or time: the file's size, the length of each text, of each list and of
/// each mapping, and the nesting depth. A site can set its own (`limits:` in
/// the site configuration); each refusal names the limit and where it was hit.
public struct InputLimits: Sendable, Equatable, Codable {
  /// Bytes in one case file.
  public var fileBytes: Int
  /// UTF-8 bytes in one text value or key.
  public var textBytes: Int
  /// Items in one list.
  public var listItems: Int
  /// Keys in one mapping.
  public var mappingKeys: Int
  /// Levels of nested lists and mappings.
  public var depth: Int

  public init(fileBytes: Int = 1 << 20, textBytes: Int = 32_768, listItems: Int = 1_000, mappingKeys: Int = 256, depth: Int = 32) {
    self.fileBytes = fileBytes
    self.textBytes = textBytes
    self.listItems = listItems
    self.mappingKeys = mappingKeys
    self.depth = depth
  }

  /// The defaults: a real case file is tens of kilobytes, a few hundred values,
  /// lists of dozens, and seven levels deep.
  public static let standard = InputLimits()

  /// Combining marks allowed in a row: Unicode's stream-safe text format
  /// (UAX #15) allows 30; no writing system needs more.
  public static let combiningMarksInARow = 30

  /// What a site may set each limit to: at least what a real case needs, at
  /// most what the decoder's memory and the checker's recursion are built for.
  public static func ranges(_ l: InputLimits) -> [(key: String, value: Int, range: ClosedRange<Int>)] {
    [
      ("fileBytes", l.fileBytes, 4_096...(64 << 20)),
      ("textBytes", l.textBytes, 256...(1 << 20)),
      ("listItems", l.listItems, 16...100_000),
      ("mappingKeys", l.mappingKeys, 64...4_096),
      ("depth", l.depth, 8...256),
    ]
  }

  enum Keys: String, CodingKey { case fileBytes, textBytes, listItems, mappingKeys, depth }

  /// Any limit the site leaves out keeps its default.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: Keys.self)
    let d = InputLimits.standard
    self.init(
      fileBytes: try c.decodeIfPresent(Int.self, forKey: .fileBytes) ?? d.fileBytes,
      textBytes: try c.decodeIfPresent(Int.self, forKey: .textBytes) ?? d.textBytes,
      listItems: try c.decodeIfPresent(Int.self, forKey: .listItems) ?? d.listItems,
      mappingKeys: try c.decodeIfPresent(Int.self, forKey: .mappingKeys) ?? d.mappingKeys,
      depth: try c.decodeIfPresent(Int.self, forKey: .depth) ?? d.depth)
  }

  /// Checks a parsed document against the limits and the text rules (no
  /// control characters, stream-safe combining marks).
  func check(_ root: SourceNode) throws(SourceParseError) {
    var path: [String] = []
    try check(root, path: &path, depth: 0)
  }

  /// `path` is one stack, pushed and popped, so a document of a few hundred
  /// values does not build a path array for each of them.
  private func check(_ node: SourceNode, path: inout [String], depth: Int) throws(SourceParseError) {
    func where_(_ p: [String]) -> String { p.isEmpty ? "the document" : ModelPath.render(p) }
    if depth > self.depth {
      throw SourceParseError(
        message: "\(where_(path)) is nested deeper than \(self.depth) levels (the depth limit)", location: node.location)
    }
    switch node {
    case .scalar(let s, _, let location):
      try checkText(s, at: where_(path), location: location)
    case .sequence(let items, let location):
      if items.count > listItems {
        throw SourceParseError(
          message: "\(where_(path)) has \(items.count) items; the limit is \(listItems) (listItems)", location: location)
      }
      for i in items.indices {
        path.append("[\(i)]")
        try check(items[i], path: &path, depth: depth + 1)
        path.removeLast()
      }
    case .mapping(let pairs, let location):
      if pairs.count > mappingKeys {
        throw SourceParseError(
          message: "\(where_(path)) has \(pairs.count) keys; the limit is \(mappingKeys) (mappingKeys)", location: location)
      }
      for i in pairs.indices {
        try checkText(pairs[i].key, at: "a key of \(where_(path))", location: pairs[i].keyLocation)
        path.append(pairs[i].key)
        try check(pairs[i].value, path: &path, depth: depth + 1)
        path.removeLast()
      }
    }
  }

  /// Text is bounded in length and holds no control characters other than
  /// tab, line feed and carriage return, no noncharacters, and no run of more
  /// combining marks than stream-safe text allows.
  public func checkText(_ s: String, at place: @autoclosure () -> String, location: SourceLocation = SourceLocation(line: 0, column: 0)) throws(SourceParseError) {
    let count = s.utf8.count
    if count > textBytes {
      throw SourceParseError(message: "\(place()) is \(count) bytes long; the limit is \(textBytes) (textBytes)", location: location)
    }
    // Plain printable ASCII needs no closer look (a loop over the contiguous
    // bytes, not a closure call per byte through the UTF-8 view).
    func isPlain(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7F || b == 0x09 || b == 0x0A || b == 0x0D }
    let plain = s.utf8.withContiguousStorageIfAvailable { u -> Bool in
      for b in u where !isPlain(b) { return false }
      return true
    }
    if plain ?? s.utf8.allSatisfy(isPlain) { return }
    var combining = 0
    for u in s.unicodeScalars {
      let v = u.value
      if (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || (0x7F...0x9F).contains(v) || (v & 0xFFFE) == 0xFFFE || (0xFDD0...0xFDEF).contains(v) {
        throw SourceParseError(
          message: "\(place()) contains the control character or noncharacter U+\(String(format: "%04X", v)); remove it",
          location: location)
      }
      if v >= 0x300, u.properties.canonicalCombiningClass != .notReordered {
        combining += 1
        if combining > Self.combiningMarksInARow {
          throw SourceParseError(
            message: "\(place()) has more than \(Self.combiningMarksInARow) combining marks in a row (Unicode stream-safe text); remove them",
            location: location)
        }
      } else {
        combining = 0
      }
    }
  }
}
