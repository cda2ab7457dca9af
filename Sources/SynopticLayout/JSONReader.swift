/// A strict JSON reader straight into ``LayoutValue`` (integers stay integers,
/// so `85` prints as `85` and `1.210` as `1.21`).
public enum JSONReader {
  public struct Error: Swift.Error, CustomStringConvertible, Equatable {
    public var message: String
    public var line: Int
    public var column: Int
    public var description: String { "\(line):\(column): \(message)" }
  }

  public static func parse(_ text: String) throws(Error) -> LayoutValue {
    var p = Parser(bytes: Array(text.utf8))
    p.skipSpace()
    let v = try p.value(depth: 0)
    p.skipSpace()
    guard p.pos == p.bytes.count else { throw p.error("unexpected text after the JSON value") }
    return v
  }

  struct Parser {
    let bytes: [UInt8]
    var pos = 0

    func error(_ message: String) -> Error {
      var line = 1
      var column = 1
      for b in bytes[0..<min(pos, bytes.count)] {
        if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
      }
      return Error(message: message, line: line, column: column)
    }

    mutating func skipSpace() {
      while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func expect(_ word: String) throws(Error) {
      for b in word.utf8 {
        guard pos < bytes.count, bytes[pos] == b else { throw error("expected '\(word)'") }
        pos += 1
      }
    }

    mutating func value(depth: Int) throws(Error) -> LayoutValue {
      guard depth < 256 else { throw error("nesting deeper than 256 levels") }
      guard pos < bytes.count else { throw error("unexpected end of JSON") }
      switch bytes[pos] {
      case UInt8(ascii: "{"):
        pos += 1
        var object = LayoutObject()
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(object) }
        while true {
          skipSpace()
          guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
          let key = try string()
          skipSpace()
          try expect(":")
          skipSpace()
          object[key] = try value(depth: depth + 1)
          skipSpace()
          guard pos < bytes.count else { throw error("unexpected end of JSON in an object") }
          if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
          if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(object) }
          throw error("expected ',' or '}'")
        }
      case UInt8(ascii: "["):
        pos += 1
        var list: [LayoutValue] = []
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .list(list) }
        while true {
          skipSpace()
          list.append(try value(depth: depth + 1))
          skipSpace()
          guard pos < bytes.count else { throw error("unexpected end of JSON in a list") }
          if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
          if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .list(list) }
          throw error("expected ',' or ']'")
        }
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): try expect("true"); return .bool(true)
      case UInt8(ascii: "f"): try expect("false"); return .bool(false)
      case UInt8(ascii: "n"): try expect("null"); return .null
      default: return try number()
      }
    }

    mutating func number() throws(Error) -> LayoutValue {
      let start = pos
      var isInteger = true
      while pos < bytes.count {
        let b = bytes[pos]
        if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
          pos += 1
        } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
          isInteger = false
          pos += 1
        } else {
          break
        }
      }
      let text = String(decoding: bytes[start..<pos], as: UTF8.self)
      if isInteger, let i = Int(text) { return .int(i) }
      guard !text.isEmpty, let d = Double(text), d.isFinite else { throw error("not a JSON value: '\(text.isEmpty ? String(UnicodeScalar(bytes[start])) : text)'") }
      return .double(d)
    }

    mutating func string() throws(Error) -> String {
      pos += 1
      var out: [UInt8] = []
      while pos < bytes.count {
        let b = bytes[pos]
        if b == UInt8(ascii: "\"") { pos += 1; return String(decoding: out, as: UTF8.self) }
        if b < 0x20 { throw error("control character in a string") }
        if b == UInt8(ascii: "\\") {
          pos += 1
          guard pos < bytes.count else { break }
          let e = bytes[pos]
          pos += 1
          switch e {
          case UInt8(ascii: "\""): out.append(0x22)
          case UInt8(ascii: "\\"): out.append(0x5C)
          case UInt8(ascii: "/"): out.append(0x2F)
          case UInt8(ascii: "b"): out.append(0x08)
          case UInt8(ascii: "f"): out.append(0x0C)
          case UInt8(ascii: "n"): out.append(0x0A)
          case UInt8(ascii: "r"): out.append(0x0D)
          case UInt8(ascii: "t"): out.append(0x09)
          case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code), pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"),
              bytes[pos + 1] == UInt8(ascii: "u")
            {
              pos += 2
              let low = try hex4()
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
          default: throw error("bad escape in a string")
          }
        } else {
          out.append(b)
          pos += 1
        }
      }
      throw error("unterminated string")
    }

    mutating func hex4() throws(Error) -> UInt32 {
      guard pos + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[pos..<pos + 4], as: UTF8.self), radix: 16)
      else { throw error("bad \\u escape") }
      pos += 4
      return v
    }
  }
}
