/// How interpolated values are escaped. The mode belongs to a compiled layout,
/// not to each tag: a layout author cannot forget it.
public enum EscapeMode: String, Sendable, CaseIterable {
  /// `& < > " '` become entities.
  case html
  /// As HTML, with `&apos;`, and characters XML 1.0 forbids replaced by U+FFFD.
  case xml
  /// HL7 v2 escape sequences for `| ^ ~ \ &`; line breaks become `\.br\`.
  case hl7
  /// Plain text: CR LF and CR become LF; other control characters become U+FFFD.
  case text
}

enum Escaper {
  static let replacement: [UInt8] = Array("\u{FFFD}".utf8)

  /// Appends `s` to `out`, escaped for `mode`. Scans UTF-8 bytes; all
  /// characters that need escaping are ASCII, so multi-byte sequences pass through.
  @inline(__always)
  static func append(_ s: String, escaping mode: EscapeMode?, to out: inout [UInt8]) {
    var s = s
    s.withUTF8 { buffer in
      guard let mode else {
        out.append(contentsOf: buffer)
        return
      }
      switch mode {
      case .html: html(buffer, apostrophe: "&#39;", to: &out)
      case .xml: xml(buffer, to: &out)
      case .hl7: hl7(buffer, to: &out)
      case .text: text(buffer, to: &out)
      }
    }
  }

  static func html(_ b: UnsafeBufferPointer<UInt8>, apostrophe: StaticString, to out: inout [UInt8]) {
    var start = 0
    for i in 0..<b.count {
      let entity: StaticString
      switch b[i] {
      case UInt8(ascii: "&"): entity = "&amp;"
      case UInt8(ascii: "<"): entity = "&lt;"
      case UInt8(ascii: ">"): entity = "&gt;"
      case UInt8(ascii: "\""): entity = "&quot;"
      case UInt8(ascii: "'"): entity = apostrophe
      default: continue
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
      out.append(contentsOf: UnsafeBufferPointer(start: entity.utf8Start, count: entity.utf8CodeUnitCount))
      start = i + 1
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<b.count]))
  }

  /// XML 1.0 allows tab, LF, CR and U+0020 upwards except U+FFFE/U+FFFF;
  /// C1 controls are allowed but discouraged and kept.
  static func xml(_ b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var start = 0
    var i = 0
    while i < b.count {
      let c = b[i]
      var entity: StaticString? = nil
      var skip = 1
      switch c {
      case UInt8(ascii: "&"): entity = "&amp;"
      case UInt8(ascii: "<"): entity = "&lt;"
      case UInt8(ascii: ">"): entity = "&gt;"
      case UInt8(ascii: "\""): entity = "&quot;"
      case UInt8(ascii: "'"): entity = "&apos;"
      case 0x09, 0x0A, 0x0D: i += 1; continue
      case 0x00..<0x20: break
      case 0xEF where i + 2 < b.count && b[i + 1] == 0xBF && (b[i + 2] == 0xBE || b[i + 2] == 0xBF):
        skip = 3  // U+FFFE, U+FFFF
      default: i += 1; continue
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
      if let entity {
        out.append(contentsOf: UnsafeBufferPointer(start: entity.utf8Start, count: entity.utf8CodeUnitCount))
      } else {
        out.append(contentsOf: replacement)
      }
      i += skip
      start = i
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<b.count]))
  }

  static func hl7(_ b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var start = 0
    var i = 0
    while i < b.count {
      let seq: StaticString?
      var skip = 1
      switch b[i] {
      case UInt8(ascii: "|"): seq = "\\F\\"
      case UInt8(ascii: "^"): seq = "\\S\\"
      case UInt8(ascii: "~"): seq = "\\R\\"
      case UInt8(ascii: "\\"): seq = "\\E\\"
      case UInt8(ascii: "&"): seq = "\\T\\"
      case 0x0D:
        seq = "\\.br\\"
        if i + 1 < b.count, b[i + 1] == 0x0A { skip = 2 }
      case 0x0A: seq = "\\.br\\"
      case 0x09: i += 1; continue
      case 0x00..<0x20, 0x7F: seq = nil
      default: i += 1; continue
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
      if let seq {
        out.append(contentsOf: UnsafeBufferPointer(start: seq.utf8Start, count: seq.utf8CodeUnitCount))
      } else {
        out.append(contentsOf: replacement)
      }
      i += skip
      start = i
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<b.count]))
  }

  static func text(_ b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var start = 0
    var i = 0
    let raw = UnsafeRawPointer(b.baseAddress)
    while i < b.count {
      // Eight bytes at a time past text with no control character (a whole
      // report goes through here); a chunk with one is looked at byte by byte.
      if let raw, i + 8 <= b.count {
        let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if !ByteWord.containsBelow(w, 0x20), !ByteWord.contains(w, 0x7F) {
          i += 8
          continue
        }
      }
      let c = b[i]
      guard c < 0x20 || c == 0x7F, c != 0x09, c != 0x0A else { i += 1; continue }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
      if c == 0x0D {
        out.append(0x0A)
        if i + 1 < b.count, b[i + 1] == 0x0A { i += 1 }
      } else {
        out.append(contentsOf: replacement)
      }
      i += 1
      start = i
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<b.count]))
  }

  /// Escapes a whole string (for writers that build output themselves).
  public static func escape(_ s: String, _ mode: EscapeMode) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count + 8)
    append(s, escaping: mode, to: &out)
    return String(decoding: out, as: UTF8.self)
  }
}

extension EscapeMode {
  /// Escapes one string for this output type.
  public func escape(_ s: String) -> String { Escaper.escape(s, self) }
}
