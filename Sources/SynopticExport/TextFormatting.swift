import Foundation
import SynopticLayout

/// Plain-text report formatting: "Label: value" lines with values aligned and
/// wrapped at a width with a hanging indent.
public enum TextFormatting {
  /// Wraps `text` to `width` columns. The first line starts after `firstPrefix`;
  /// continuation lines are indented by `indent` spaces. Words longer than a line are split.
  /// Columns count Characters.
  public static func wrap(_ text: String, width: Int, firstPrefix: String, indent: Int) -> String {
    if let line = singleLine(text, width: max(width, indent + 10), firstPrefix: firstPrefix) { return line }
    if let fast = wrapBytes(text, width: width, firstPrefix: firstPrefix, indent: indent) { return fast }
    return wrapCharacters(text, width: width, firstPrefix: firstPrefix, indent: indent)
  }

  /// `firstPrefix + text` when that is the whole wrapped result: most values
  /// fit on their line. Only for text that one scan shows needs no wrapping
  /// decision: no line break, no run of spaces, no leading space, ending in a
  /// visible ASCII character (so nothing to trim), every scalar below U+0300
  /// and the whole within the width. Nil means "wrap it properly".
  static func singleLine(_ text: String, width: Int, firstPrefix: String) -> String? {
    var text = text
    var prefix = firstPrefix
    guard let textColumns = text.withUTF8(plainColumns), let prefixColumns = prefix.withUTF8(lineColumns),
      prefixColumns + textColumns <= width
    else { return nil }
    return prefix + text
  }

  /// Columns of text that stays on one line as it is (no line break, nothing
  /// from U+0300 up, one column a scalar); nil otherwise.
  static func lineColumns(_ u: UnsafeBufferPointer<UInt8>) -> Int? {
    var columns = 0
    var i = 0
    // Eight bytes at a time while they are ASCII with no line break, each one
    // column (nearly all report text); byte by byte from the first that is not.
    if let base = u.baseAddress {
      let raw = UnsafeRawPointer(base)
      while i + 8 <= u.count {
        let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        guard w & 0x8080_8080_8080_8080 == 0, !ByteWord.contains(w, 0x0A), !ByteWord.contains(w, 0x0D) else { break }
        columns += 8
        i += 8
      }
    }
    while i < u.count {
      let b = u[i]
      if b == 0x0A || b == 0x0D || b >= 0xCC { return nil }
      if b & 0xC0 != 0x80 { columns += 1 }
      i += 1
    }
    return columns
  }

  /// ``lineColumns(_:)`` for a value that also needs no wrapping decision: not
  /// empty, no leading space, no run of spaces, ending in a visible ASCII
  /// character (nothing to trim).
  static func plainColumns(_ u: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let first = u.first, let last = u.last, first != 0x20, last > 0x20, last < 0x7F else { return nil }
    var previousSpace = false
    for b in u {
      if b == 0x20 {
        if previousSpace { return nil }
        previousSpace = true
      } else {
        previousSpace = false
      }
    }
    return lineColumns(u)
  }

  /// `s.count` (Characters), counted on the UTF-8 bytes when every scalar is
  /// its own Character (see ``isOneScalarPerCharacter(_:)``), without
  /// segmenting every label into Characters.
  static func characterCount(_ s: String) -> Int {
    let quick = s.utf8.withContiguousStorageIfAvailable { u -> Int? in
      var n = 0
      for b in u {
        if b == 0x0D || b >= 0xCC { return nil }
        if b & 0xC0 != 0x80 { n += 1 }
      }
      return n
    }
    return (quick ?? nil) ?? s.count
  }

  /// True when every Unicode scalar of `s` is its own Character. Quick when
  /// there is no CR (CR LF is one Character) and nothing from U+0300 up
  /// (combining marks, joiners, Hangul, emoji): in UTF-8, no byte 0x0D and no
  /// lead byte 0xCC or above. Otherwise the counts decide (`≥`, `≤` pass).
  static func isOneScalarPerCharacter(_ s: String) -> Bool {
    // On the contiguous bytes, not a closure per byte through the UTF8View.
    let quick = s.utf8.withContiguousStorageIfAvailable { u -> Bool in
      for b in u where b == 0x0D || b >= 0xCC { return false }
      return true
    }
    if quick ?? !s.utf8.contains(where: { $0 == 0x0D || $0 >= 0xCC }) { return true }
    return s.unicodeScalars.count == s.count
  }

  /// The wrap over UTF-8 bytes, for text where scalars and Characters are the
  /// same (nearly every report value; `mm²` and `≥` included): the same lines as
  /// ``wrapCharacters(_:width:firstPrefix:indent:)`` without Character
  /// segmentation. Nil otherwise.
  static func wrapBytes(_ text: String, width: Int, firstPrefix: String, indent: Int) -> String? {
    guard isOneScalarPerCharacter(text), isOneScalarPerCharacter(firstPrefix) else { return nil }
    var text = text
    return text.withUTF8 { wrapBytes($0, width: max(width, indent + 10), firstPrefix: firstPrefix, indent: indent) }
  }

  /// ``wrapBytes(_:width:firstPrefix:indent:)`` on the text's own bytes:
  /// words are copied out of them whole, without a copy of the text first.
  private static func wrapBytes(_ bytes: UnsafeBufferPointer<UInt8>, width: Int, firstPrefix: String, indent: Int) -> String {
    let isContinuation = { (b: UInt8) in b & 0xC0 == 0x80 }
    func scalars(_ r: Range<Int>) -> Int {
      var n = 0
      for i in r where !isContinuation(bytes[i]) { n += 1 }
      return n
    }
    // Lines are written straight into `out`; a line's trailing blanks are cut
    // when the next one starts (no array per line).
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + bytes.count / max(1, width - indent) * (indent + 1) + firstPrefix.utf8.count + 8)
    out.append(contentsOf: firstPrefix.utf8)
    var lineStart = 0
    var currentCount = firstPrefix.unicodeScalars.count
    var lineHasWord = false
    func newLine() {
      out.removeLast(out.count - trimmedEnd(out, from: lineStart))
      out.append(0x0A)
      lineStart = out.count
      out.append(contentsOf: repeatElement(0x20, count: indent))
      currentCount = indent
      lineHasWord = false
    }
    var p = 0
    while p <= bytes.count {
      var paragraphEnd = p
      while paragraphEnd < bytes.count, bytes[paragraphEnd] != 0x0A { paragraphEnd += 1 }
      var w = p
      while w < paragraphEnd {
        if bytes[w] == 0x20 { w += 1; continue }
        var wordEnd = w
        while wordEnd < paragraphEnd, bytes[wordEnd] != 0x20 { wordEnd += 1 }
        var start = w
        var length = scalars(w..<wordEnd)
        while length > 0 {
          let room = width - currentCount - (lineHasWord ? 1 : 0)
          if length <= room {
            if lineHasWord { out.append(0x20); currentCount += 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<wordEnd]))
            currentCount += length
            lineHasWord = true
            length = 0
          } else if !lineHasWord || length > width - indent {
            // Split a word that cannot fit on any line.
            let take = max(1, room)
            if lineHasWord { out.append(0x20); currentCount += 1 }
            var cut = start
            var taken = 0
            while taken < take {
              cut += 1
              while cut < wordEnd, isContinuation(bytes[cut]) { cut += 1 }
              taken += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<cut]))
            currentCount += take
            start = cut
            length -= take
            newLine()
          } else {
            newLine()
          }
        }
        w = wordEnd
      }
      // An explicit line break in the value starts a new indented line.
      newLine()
      p = paragraphEnd + 1
    }
    // The line begun last holds nothing (drop it with its line break), and
    // blank lines at the end go (lines are already trimmed: blank is empty).
    out.removeLast(out.count - lineStart)
    while out.last == 0x0A { out.removeLast() }
    return String(decoding: out, as: UTF8.self)
  }

  /// Where the line `line[start...]` ends without its trailing whitespace: the
  /// scalars with Unicode's White_Space property, which Character.isWhitespace tests.
  static func trimmedEnd(_ line: [UInt8], from start: Int) -> Int {
    var end = line.count
    while end > start {
      let b = line[end - 1]
      if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
        end -= 1
      } else if end - start >= 2, line[end - 2] == 0xC2, b == 0x85 || b == 0xA0 {
        end -= 2  // U+0085, U+00A0
      } else if end - start >= 3, isWhitespace3(line[end - 3], line[end - 2], b) {
        end -= 3
      } else {
        break
      }
    }
    return end
  }

  /// U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 in UTF-8.
  static func isWhitespace3(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
    switch (a, b) {
    case (0xE1, 0x9A): return c == 0x80
    case (0xE2, 0x80): return (0x80...0x8A).contains(c) || c == 0xA8 || c == 0xA9 || c == 0xAF
    case (0xE2, 0x81): return c == 0x9F
    case (0xE3, 0x80): return c == 0x80
    default: return false
    }
  }

  /// The reference wrap, by Characters: used for text the byte path declines.
  static func wrapCharacters(_ text: String, width: Int, firstPrefix: String, indent: Int) -> String {
    let width = max(width, indent + 10)
    var lines: [String] = []
    var current = firstPrefix
    var currentCount = firstPrefix.count
    var lineHasWord = false
    let pad = String(repeating: " ", count: indent)
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
      for wordSub in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
        var word = String(wordSub)
        while !word.isEmpty {
          let room = width - currentCount - (lineHasWord ? 1 : 0)
          if word.count <= room {
            if lineHasWord { current += " "; currentCount += 1 }
            current += word
            currentCount += word.count
            lineHasWord = true
            word = ""
          } else if !lineHasWord || word.count > width - indent {
            // Split a word that cannot fit on any line.
            let take = max(1, room)
            if lineHasWord { current += " "; currentCount += 1 }
            current += word.prefix(take)
            currentCount += take
            word = String(word.dropFirst(take))
            lines.append(current)
            current = pad
            currentCount = indent
            lineHasWord = false
          } else {
            lines.append(current)
            current = pad
            currentCount = indent
            lineHasWord = false
          }
        }
      }
      // An explicit line break in the value starts a new indented line.
      lines.append(current)
      current = pad
      currentCount = indent
      lineHasWord = false
    }
    while let last = lines.last, last.allSatisfy(\.isWhitespace), lines.count > 1 { lines.removeLast() }
    return lines.map(trimmingTrailingWhitespace).joined(separator: "\n")
  }

  /// The line without the whitespace at its end (a hot path: no regular expression).
  static func trimmingTrailingWhitespace(_ line: String) -> String {
    guard let last = line.last, last.isWhitespace else { return line }
    var end = line.endIndex
    while end > line.startIndex, line[line.index(before: end)].isWhitespace { end = line.index(before: end) }
    return String(line[..<end])
  }

  private static let spaces = String(repeating: " ", count: 256)

  /// `Label:` padded to `column` characters, then the value wrapped under itself.
  public static func labelled(_ label: String, _ value: String, column: Int, width: Int) -> String {
    labelledLine(label, value, column: column, width: width) ?? labelledWrapped(label, value, column: column, width: width)
  }

  /// The common case of ``labelled(_:_:column:width:)`` in one allocation: the
  /// value fits after the padded label on one line and needs no wrapping
  /// decision (the same conditions as ``singleLine(_:width:firstPrefix:)``,
  /// and a label with no line break or character from U+0300 up). Nil
  /// otherwise. Every item of every text report comes through here.
  static func labelledLine(_ label: String, _ value: String, column: Int, width: Int) -> String? {
    var label = label
    var value = value
    guard let labelColumns = label.withUTF8(lineColumns) else { return nil }
    let pad = max(column - (labelColumns + 1), 1)
    return value.withUTF8 { v -> String? in
      guard let columns = plainColumns(v), labelColumns + 1 + pad + columns <= max(width, column + 10) else { return nil }
      return label.withUTF8 { l in
        let count = l.count + 1 + pad + v.count
        return String(unsafeUninitializedCapacity: count) { out in
          var i = out.initialize(fromContentsOf: l)
          out[i] = UInt8(ascii: ":")
          i += 1
          out[i..<(i + pad)].initialize(repeating: 0x20)
          i += pad
          i = out[i...].initialize(fromContentsOf: v)
          return i
        }
      }
    }
  }

  /// ``labelled(_:_:column:width:)`` through the general wrap.
  static func labelledWrapped(_ label: String, _ value: String, column: Int, width: Int) -> String {
    let head = label + ":"
    let pad = column - characterCount(head)
    // The padding sliced from a constant by UTF-8 offsets (String.count and
    // prefix(_:) would walk Characters on every line).
    let prefix = pad < 1 ? head + " " : pad <= spaces.utf8.count ? head + Substring(spaces.utf8.prefix(pad)) : head + String(repeating: " ", count: pad)
    return wrap(value, width: width, firstPrefix: prefix, indent: column)
  }
}

extension String {
  /// The string without `-` (an ISO date as HL7 writes it: `2025-01-22` ->
  /// `20250122`). On bytes: `replacingOccurrences` went through NSString for
  /// every date of every CDA document.
  var withoutHyphens: String {
    guard utf8.contains(UInt8(ascii: "-")) else { return self }
    return String(decoding: utf8.filter { $0 != UInt8(ascii: "-") }, as: UTF8.self)
  }
}
