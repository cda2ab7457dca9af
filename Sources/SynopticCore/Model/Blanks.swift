extension Character {
  /// A space or tab: Foundation's `CharacterSet.whitespaces` (tab and the Unicode
  /// space separators), which is White_Space without the line breaks.
  @inline(__always)
  var isBlank: Bool { self == " " || self == "\t" || (isWhitespace && !isNewline) }
}

extension StringProtocol {
  /// The text without leading and trailing spaces and tabs: what
  /// `trimmingCharacters(in: .whitespaces)` gives, in plain Swift (no NSString
  /// bridge), since every case file parses dozens of values through it.
  public var trimmingBlanks: String {
    var s = Substring(self)
    while let f = s.first, f.isBlank { s.removeFirst() }
    while let l = s.last, l.isBlank { s.removeLast() }
    return String(s)
  }
}
