import Foundation

/// A `Decoder` over ``SourceNode`` that knows the position of every value.
///
/// Compared with a stock decoder it: reports errors with model path and line;
/// records an error in an optional field and carries on, so one run lists
/// every problem; and reports keys no type asked for (a misspelt key is an
/// error, never silently dropped).
final class DecodeSession {
  var diagnostics: [Diagnostic] = []

  /// One decoded mapping and the keys types asked it for (duplicates allowed:
  /// an append per request, a set only when checking).
  final class Mapping {
    let node: SourceNode
    let link: PathLink?
    var requested: [String] = []
    /// For a mapping the case reader opened: its type's keys and how many of
    /// them it has asked for (it asks in order), instead of `requested`.
    var readerKeys: [String] = []
    var readerAsked = 0
    /// Keys of the mapping that its type knows, whether or not it got to them.
    var known: [String] = []
    init(node: SourceNode, link: PathLink?) {
      self.node = node
      self.link = link
    }
  }

  /// Mappings by location: a value decoded twice (a shorthand tried first) shares one record.
  private var byLocation: [SourceLocation: Mapping] = [:]
  private var opened: [Mapping] = []

  func open(_ node: SourceNode, link: PathLink?) -> Mapping {
    if let m = byLocation[node.location] { return m }
    let m = Mapping(node: node, link: link)
    byLocation[node.location] = m
    opened.append(m)
    return m
  }

  /// A mapping opened once only (the case reader opens each node once), kept
  /// without the look-up by location.
  func openOnce(_ node: SourceNode, link: PathLink?) -> Mapping {
    let m = Mapping(node: node, link: link)
    opened.append(m)
    return m
  }

  func error(_ path: [String], _ location: SourceLocation?, rule: String, _ message: String) {
    diagnostics.append(
      Diagnostic(
        severity: .error, path: ModelPath.render(path), rule: rule, message: message,
        location: location))
  }

  /// Adds an error for every key of a decoded mapping that no type asked for.
  func reportUnknownKeys() {
    for mapping in opened {
      guard case .mapping(let pairs, _) = mapping.node else { continue }
      // A mapping has a handful of keys and types ask for a few dozen: a
      // linear look is cheaper than hashing them all, and a set is built
      // only for the message when a key is unknown.
      var unknown = false
      for pair in pairs where !mapping.known.contains(pair.key) {
        unknown = true
        break
      }
      guard unknown else { continue }
      let path = PathLink.components(mapping.link)
      let known = Set(mapping.requested + mapping.readerKeys.prefix(mapping.readerAsked) + mapping.known)
      for pair in pairs where !known.contains(pair.key) {
        var message = "unknown key '\(pair.key)'"
        if let near = Spelling.nearest(pair.key, in: known) {
          message += "; did you mean '\(near)'?"
        } else {
          message += "; known keys here: \(known.sorted().joined(separator: ", "))"
        }
        error(path + [pair.key], pair.keyLocation, rule: "decode.unknown-key", message)
      }
    }
  }
}

/// Thrown for a value that cannot be decoded; carries where and why. A custom
/// `init(from:)` may throw it with just a message: the decoder adds path and line.
public struct NodeDecodingError: Error {
  var path: [String]
  var location: SourceLocation?
  var message: String
  var rule: String = "decode.type"

  init(path: [String], location: SourceLocation?, message: String, rule: String = "decode.type") {
    self.path = path
    self.location = location
    self.message = message
    self.rule = rule
  }

  public init(message: String, rule: String) {
    self.init(path: [], location: nil, message: message, rule: rule)
  }
}

/// Model paths as the diagnostics print them: `tumor.margins[1].distance`.
public enum ModelPath {
  static func render(_ parts: [String]) -> String {
    var out = ""
    for p in parts {
      if p.hasPrefix("[") { out += p } else { out += out.isEmpty ? p : "." + p }
    }
    return out.isEmpty ? "(case)" : out
  }
}

/// A model path as a chain of links back to the root: one small object per
/// decoded value, turned into strings only when a diagnostic needs them, so
/// decoding does not copy the path or write "[n]" for every value.
final class PathLink: Sendable {
  let parent: PathLink?
  let key: String?
  let index: Int

  init(parent: PathLink?, key: String) {
    self.parent = parent
    self.key = key
    index = 0
  }

  init(parent: PathLink?, index: Int) {
    self.parent = parent
    key = nil
    self.index = index
  }

  static func components(_ link: PathLink?) -> [String] {
    var out: [String] = []
    var l = link
    while let x = l {
      out.append(x.key ?? "[\(x.index)]")
      l = x.parent
    }
    return out.reversed()
  }
}

/// Where a value sits under its parent.
enum PathStep {
  case root
  case key(String)
  case index(Int)
}

struct NodeDecoder: Decoder {
  let node: SourceNode
  /// The parent's link and this value's step from it. The value's own link is
  /// made only when something keeps it (a container it opens, an error's
  /// path): most values are scalars, which need neither.
  let parent: PathLink?
  let step: PathStep
  let session: DecodeSession

  init(node: SourceNode, parent: PathLink?, step: PathStep, session: DecodeSession) {
    self.node = node
    self.parent = parent
    self.step = step
    self.session = session
  }

  /// The decoder of a whole document.
  init(root: SourceNode, session: DecodeSession) {
    self.init(node: root, parent: nil, step: .root, session: session)
  }

  /// This value's link, made afresh: a container takes it once and makes its children under it.
  var link: PathLink? {
    switch step {
    case .root: return parent
    case .key(let k): return PathLink(parent: parent, key: k)
    case .index(let i): return PathLink(parent: parent, index: i)
    }
  }

  var path: [String] { PathLink.components(link) }
  var codingPath: [any CodingKey] { path.map { PathKey(stringValue: $0) } }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func fail(_ message: String, rule: String = "decode.type") -> NodeDecodingError {
    NodeDecodingError(path: path, location: node.location, message: message, rule: rule)
  }

  /// The value is not the container its type reads.
  var notAMapping: NodeDecodingError { fail("expected a mapping (key: value lines), found \(node.kindName)") }
  var notAList: NodeDecodingError { fail("expected a list (lines starting with '- '), found \(node.kindName)") }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .mapping(let pairs, _) = node else { throw notAMapping }
    let mapping = session.open(node, link: link)
    // Every key the type knows counts as asked for, so a value that fails to
    // decode does not make the keys after it look unknown.
    for pair in pairs where Key(stringValue: pair.key) != nil { mapping.known.append(pair.key) }
    return KeyedDecodingContainer(NodeKeyedContainer<Key>(decoder: self, link: mapping.link, pairs: pairs, mapping: mapping))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard case .sequence(let items, _) = node else { throw notAList }
    return NodeUnkeyedContainer(decoder: self, link: link, items: items)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    NodeSingleValue(decoder: self)
  }

  /// A value inside this one, under `link` (this value's link, which the caller made once).
  func child(_ node: SourceNode, _ component: String, under link: PathLink?) -> NodeDecoder {
    NodeDecoder(node: node, parent: link, step: .key(component), session: session)
  }

  func child(_ node: SourceNode, index: Int, under link: PathLink?) -> NodeDecoder {
    NodeDecoder(node: node, parent: link, step: .index(index), session: session)
  }

  // MARK: scalars

  func scalarText() throws -> (String, Bool) {
    guard case .scalar(let s, let plain, _) = node, !node.isNull else {
      throw fail("expected a value, found \(node.kindName)")
    }
    return (s, plain)
  }

  /// Returns `value` as `T`, which the callers have checked is `V`, without a
  /// dynamic cast through `Any` for every scalar.
  @inline(__always)
  func cast<V, T>(_ value: V, _ type: T.Type) -> T {
    precondition(V.self == T.self)
    return unsafeBitCast(value, to: T.self)
  }

  /// An error a type's own reading threw with just a message: it gets this
  /// value's path and line.
  func located(_ error: NodeDecodingError) -> NodeDecodingError {
    var e = error
    if e.location == nil { e.location = node.location }
    if e.path.isEmpty { e.path = path }
    return e
  }

  func decodeScalar<T: Decodable>(_ type: T.Type) throws -> T {
    if type == String.self {
      return try cast(scalarText().0, T.self)
    }
    if type == Bool.self {
      let (s, _) = try scalarText()
      switch s.lowercased() {
      case "true", "yes": return cast(true, T.self)
      case "false", "no": return cast(false, T.self)
      default: throw fail("expected true or false, found '\(s)'")
      }
    }
    if type == Int.self {
      let (s, plain) = try scalarText()
      guard plain, let v = Int(s) else { throw fail("expected a whole number, found '\(s)'") }
      return cast(v, T.self)
    }
    if type == Double.self {
      let (s, plain) = try scalarText()
      guard plain, let v = PlainDecimal.parse(s) else {
        throw fail("expected a plain decimal number (like 12 or 0.867), found '\(s)'", rule: "decode.number")
      }
      guard abs(v) < 1e12 else { throw fail("the number '\(s)' is out of range") }
      return cast(v, T.self)
    }
    // Everything else decodes itself, coded choices too (CodedChoice's
    // init(from:) gives their message and rule; the path and line come from here).
    do {
      return try T(from: self)
    } catch let e as NodeDecodingError {
      throw located(e)
    } catch let e as DecodingError {
      throw fail("\(e)")
    }
  }
}

struct PathKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { self.stringValue = "[\(intValue)]" }
}

struct NodeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let decoder: NodeDecoder
  let link: PathLink?
  let pairs: [SourcePair]
  let mapping: DecodeSession.Mapping
  var codingPath: [any CodingKey] { decoder.codingPath }
  var allKeys: [Key] { pairs.compactMap { Key(stringValue: $0.key) } }

  func value(_ key: Key) -> SourceNode? {
    let name = key.stringValue
    mapping.requested.append(name)
    for pair in pairs where pair.key == name { return pair.value }
    return nil
  }

  func contains(_ key: Key) -> Bool { value(key) != nil }

  func decodeNil(forKey key: Key) throws -> Bool { value(key)?.isNull ?? true }

  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    guard let node = value(key), !node.isNull else {
      throw NodeDecodingError(
        path: decoder.path + [key.stringValue], location: decoder.node.location,
        message: "missing required key '\(key.stringValue)'", rule: "decode.missing")
    }
    return try decoder.child(node, key.stringValue, under: link).decodeScalar(type)
  }

  /// Errors in an optional field are recorded and the field left empty, so
  /// decoding goes on and reports every problem in one run.
  func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try optional(type, forKey: key) }

  // The overloads synthesized Codable calls for `String?`, `Int?`, `Bool?` and
  // `Double?` fields: the standard library's defaults call `decode`, whose
  // error would end the whole type instead of being recorded for the field.
  func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, forKey: key) }
  func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, forKey: key) }
  func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, forKey: key) }
  func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, forKey: key) }

  private func optional<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
    guard let node = value(key), !node.isNull else { return nil }
    let child = decoder.child(node, key.stringValue, under: link)
    do {
      return try child.decodeScalar(type)
    } catch let e as NodeDecodingError {
      decoder.session.error(e.path, e.location, rule: e.rule, e.message)
      return nil
    }
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    guard let node = value(key) else {
      throw NodeDecodingError(
        path: decoder.path + [key.stringValue], location: decoder.node.location,
        message: "missing required key '\(key.stringValue)'", rule: "decode.missing")
    }
    return try decoder.child(node, key.stringValue, under: link).container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    guard let node = value(key) else {
      throw NodeDecodingError(
        path: decoder.path + [key.stringValue], location: decoder.node.location,
        message: "missing required key '\(key.stringValue)'", rule: "decode.missing")
    }
    return try decoder.child(node, key.stringValue, under: link).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder { decoder }
  func superDecoder(forKey key: Key) throws -> any Decoder {
    decoder.child(value(key) ?? decoder.node, key.stringValue, under: link)
  }
}

struct NodeUnkeyedContainer: UnkeyedDecodingContainer {
  let decoder: NodeDecoder
  let link: PathLink?
  let items: [SourceNode]
  var currentIndex = 0
  var codingPath: [any CodingKey] { decoder.codingPath }
  var count: Int? { items.count }
  var isAtEnd: Bool { currentIndex >= items.count }

  mutating func next() throws -> NodeDecoder {
    guard !isAtEnd else { throw decoder.fail("the list ended early") }
    defer { currentIndex += 1 }
    return decoder.child(items[currentIndex], index: currentIndex, under: link)
  }

  mutating func decodeNil() throws -> Bool {
    if !isAtEnd, items[currentIndex].isNull {
      currentIndex += 1
      return true
    }
    return false
  }

  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
    try next().decodeScalar(type)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  { try next().container(keyedBy: type) }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    try next().unkeyedContainer()
  }

  mutating func superDecoder() throws -> any Decoder { try next() }
}

struct NodeSingleValue: SingleValueDecodingContainer {
  let decoder: NodeDecoder
  var codingPath: [any CodingKey] { decoder.codingPath }
  func decodeNil() -> Bool { decoder.node.isNull }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeScalar(type) }
}

/// Nearest spelling, for "did you mean" hints.
public enum Spelling {
  /// The closest candidate; of equally close ones, the first in sorted order,
  /// so the hint does not depend on a set's order, which changes between runs.
  public static func nearest(_ word: String, in candidates: some Collection<String>) -> String? {
    let w = Array(word.lowercased())
    var best: (String, Int)?
    for c in candidates.sorted() {
      let d = distance(w, Array(c.lowercased()))
      if d <= max(2, w.count / 3), d < (best?.1 ?? .max) { best = (c, d) }
    }
    return best?.0
  }

  public static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
      var cur = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      prev = cur
    }
    return prev[b.count]
  }
}
