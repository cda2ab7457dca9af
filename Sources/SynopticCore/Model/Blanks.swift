extension Unicode.Scalar {
  /// A space or tab as Foundation's `CharacterSet.whitespaces` has them: tab,
  /// the Unicode space separators (Zs) and, as CoreFoundation adds it, U+200B
  /// ZERO WIDTH SPACE. Line breaks are not blanks.
  @inline(__always)
  var isBlank: Bool {
    let v = value
    if v < 0x80 { return v == 0x20 || v == 0x09 }
    return v == 0xA0 || v == 0x1680 || (0x2000...0x200B).contains(v) || v == 0x202F || v == 0x205F || v == 0x3000
  }
}

extension StringProtocol {
  /// The text without leading and trailing spaces and tabs: what
  /// `trimmingCharacters(in: .whitespaces)` gives (scalar by scalar, as it
  /// works), in plain Swift (no NSString bridge), since every case file parses
  /// dozens of values through it.
  public var trimmingBlanks: String {
    let u = Substring(self).unicodeScalars
    var start = u.startIndex
    var end = u.endIndex
    while start < end, u[start].isBlank { u.formIndex(after: &start) }
    while end > start {
      let last = u.index(before: end)
      guard u[last].isBlank else { break }
      end = last
    }
    return String(u[start..<end])
  }
}
