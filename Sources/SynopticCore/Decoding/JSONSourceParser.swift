/// A fast path for JSON case files: parses a JSON object straight into
/// positioned ``SourceNode``s, the same tree (values, scalar styles, lines and
/// columns) the YAML parser builds from the same text, at a fraction of the
/// cost. Registries and interface engines send JSON by the hundred thousand.
///
/// It handles well-formed JSON only. Anything else (a syntax error, a
/// duplicate key, nesting deeper than ``SourceNode/maxDepth``, YAML flow style
/// such as `{a: b}`) returns nil, and the caller parses with the YAML parser,
/// whose diagnostics are the ones users see.
struct JSONSourceParser {
  /// The text's own bytes (the parse runs inside `withUTF8`): no copy, and
  /// no bounds check on each of the thousands of reads.
  private let bytes: UnsafeBufferPointer<UInt8>
  private var i = 0
  private var line = 1
  /// Index of the first byte of the current line.
  private var lineStart = 0
  /// The last column worked out on this line, so a long (minified) line is scanned once.
  private var columnMark = (index: 0, column: 1)
  /// The pairs and items of the objects and arrays being read, innermost
  /// last: each one's are copied out once, at its close, into an array of
  /// exactly their count (appending to a fresh array per object grows it a
  /// few times over).
  private var openPairs: [SourcePair] = []
  private var openItems: [SourceNode] = []

  private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  /// The tree for `text`, or nil when it is not plain, well-formed JSON with an object at the top.
  static func parse(_ text: String) -> SourceNode? {
    var text = text
    return text.withUTF8(parse(bytes:))
  }

  private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> SourceNode? {
    var p = JSONSourceParser(bytes)
    p.skipSpace()
    guard p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: "{") else { return nil }
    guard let root = p.value(depth: 0) else { return nil }
    p.skipSpace()
    return p.i == p.bytes.count ? root : nil
  }

  /// 1-based column in Unicode scalars, as the YAML parser counts.
  private var location: SourceLocation {
    mutating get {
      var (k, column) = columnMark.index >= lineStart && columnMark.index <= i ? columnMark : (lineStart, 1)
      while k < i {
        if bytes[k] & 0xC0 != 0x80 { column += 1 }
        k += 1
      }
      columnMark = (i, column)
      return SourceLocation(line: line, column: column)
    }
  }

  private mutating func skipSpace() {
    while i < bytes.count {
      switch bytes[i] {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): i += 1
      case UInt8(ascii: "\n"):
        i += 1
        line += 1
        lineStart = i
      default: return
      }
    }
  }

  private mutating func value(depth: Int) -> SourceNode? {
    guard depth <= SourceNode.maxDepth, i < bytes.count else { return nil }
    let here = location
    switch bytes[i] {
    case UInt8(ascii: "{"):
      i += 1
      let base = openPairs.count
      var keys: Set<String> = []
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
        i += 1
        return .mapping([], here)
      }
      while true {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        let keyLocation = location
        guard let key = string() else { return nil }
        // Duplicate keys: a linear look while the object is small, a set beyond.
        if openPairs.count - base < 16 {
          if openPairs[base...].contains(where: { $0.key == key }) { return nil }
        } else {
          if keys.isEmpty { keys = Set(openPairs[base...].lazy.map(\.key)) }
          guard keys.insert(key).inserted else { return nil }
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        skipSpace()
        guard let v = value(depth: depth + 1) else { return nil }
        openPairs.append(SourcePair(key: key, keyLocation: keyLocation, value: v))
        skipSpace()
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
        guard bytes[i] == UInt8(ascii: "}") else { return nil }
        i += 1
        let pairs = Array(openPairs[base...])
        openPairs.removeSubrange(base...)
        return .mapping(pairs, here)
      }
    case UInt8(ascii: "["):
      i += 1
      let base = openItems.count
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
        i += 1
        return .sequence([], here)
      }
      while true {
        skipSpace()
        guard let v = value(depth: depth + 1) else { return nil }
        openItems.append(v)
        skipSpace()
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
        guard bytes[i] == UInt8(ascii: "]") else { return nil }
        i += 1
        let items = Array(openItems[base...])
        openItems.removeSubrange(base...)
        return .sequence(items, here)
      }
    case UInt8(ascii: "\""):
      guard let s = string() else { return nil }
      return .scalar(s, plain: false, here)
    default:
      // true, false, null or a number: kept as written, a plain scalar.
      let start = i
      while i < bytes.count, Self.isLiteralByte(bytes[i]) { i += 1 }
      guard i > start else { return nil }
      let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
      guard literal == "true" || literal == "false" || literal == "null" || Self.isNumber(bytes[start..<i]) else { return nil }
      return .scalar(literal, plain: true, here)
    }
  }

  private static func isLiteralByte(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
      || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "E")
  }

  /// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  static func isNumber<C: RandomAccessCollection<UInt8>>(_ s: C) -> Bool where C.Index == Int {
    var k = s.startIndex
    func digits() -> Int {
      let from = k
      while k < s.endIndex, s[k] >= UInt8(ascii: "0"), s[k] <= UInt8(ascii: "9") { k += 1 }
      return k - from
    }
    if k < s.endIndex, s[k] == UInt8(ascii: "-") { k += 1 }
    guard k < s.endIndex else { return false }
    if s[k] == UInt8(ascii: "0") { k += 1 } else if digits() == 0 { return false }
    if k < s.endIndex, s[k] == UInt8(ascii: ".") {
      k += 1
      if digits() == 0 { return false }
    }
    if k < s.endIndex, s[k] == UInt8(ascii: "e") || s[k] == UInt8(ascii: "E") {
      k += 1
      if k < s.endIndex, s[k] == UInt8(ascii: "+") || s[k] == UInt8(ascii: "-") { k += 1 }
      if digits() == 0 { return false }
    }
    return k == s.endIndex
  }

  /// A JSON string at `i` (on its opening quote), unescaped.
  private mutating func string() -> String? {
    i += 1
    let start = i
    // Fast path: no escapes.
    while i < bytes.count {
      let b = bytes[i]
      if b == UInt8(ascii: "\"") {
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        i += 1
        return s
      }
      if b == UInt8(ascii: "\\") { break }
      if b < 0x20 { return nil }
      i += 1
    }
    var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<i]))
    while i < bytes.count {
      let b = bytes[i]
      if b == UInt8(ascii: "\"") {
        i += 1
        return String(decoding: out, as: UTF8.self)
      }
      if b < 0x20 { return nil }
      if b != UInt8(ascii: "\\") {
        out.append(b)
        i += 1
        continue
      }
      i += 1
      guard i < bytes.count else { return nil }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        guard var scalar = hex4() else { return nil }
        if (0xD800...0xDBFF).contains(scalar) {
          guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return nil }
          i += 2
          guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let u = Unicode.Scalar(scalar) else { return nil }
        out.append(contentsOf: Array(String(Character(u)).utf8))
      default: return nil
      }
    }
    return nil
  }

  private mutating func hex4() -> UInt32? {
    guard i + 4 <= bytes.count else { return nil }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[i]
      let d: UInt32
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
      default: return nil
      }
      v = v * 16 + d
      i += 1
    }
    return v
  }
}

/// Case files as JSON: the same document, written out as JSON with its keys in
/// file order (for interface engines, and for the benchmark corpus).
public enum CaseJSON {
  /// Converts YAML (or JSON) case text to pretty-printed JSON. Plain scalars
  /// that are JSON literals (numbers, true, false, null) stay literals;
  /// everything else becomes a string, as the case schema reads it.
  public static func convert(_ text: String) throws(SourceParseError) -> String {
    var out = ""
    write(try SourceNode.parse(text), indent: 0, into: &out)
    return out + "\n"
  }

  static func write(_ node: SourceNode, indent: Int, into out: inout String) {
    let pad = String(repeating: "  ", count: indent + 1)
    switch node {
    case .scalar(let s, let plain, _):
      if node.isNull {
        out += "null"
      } else if plain, s == "true" || s == "false" || isJSONNumber(s) {
        out += s
      } else {
        out += quote(s)
      }
    case .sequence(let items, _):
      guard !items.isEmpty else { out += "[]"; return }
      out += "[\n"
      for (k, item) in items.enumerated() {
        out += pad
        write(item, indent: indent + 1, into: &out)
        out += k == items.count - 1 ? "\n" : ",\n"
      }
      out += String(repeating: "  ", count: indent) + "]"
    case .mapping(let pairs, _):
      guard !pairs.isEmpty else { out += "{}"; return }
      out += "{\n"
      for (k, pair) in pairs.enumerated() {
        out += pad + quote(pair.key) + ": "
        write(pair.value, indent: indent + 1, into: &out)
        out += k == pairs.count - 1 ? "\n" : ",\n"
      }
      out += String(repeating: "  ", count: indent) + "}"
    }
  }

  static func isJSONNumber(_ s: String) -> Bool {
    JSONSourceParser.isNumber(Array(s.utf8)[...])
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where u.value < 0x20:
        let hex = String(u.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(u)
      }
    }
    return out + "\""
  }
}
