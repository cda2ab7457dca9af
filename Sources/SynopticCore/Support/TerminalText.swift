extension String {
  /// The text as one line that is safe to print on a terminal or in a log:
  /// line breaks, escape sequences, other control characters and bidirectional
  /// overrides are shown as `\n`, `\u{1B}` and so on, so a value or a file
  /// name can neither forge a line nor drive the terminal.
  public var terminalSafe: String {
    if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return self }
    var out = ""
    for u in unicodeScalars {
      switch u.value {
      case 0x0A: out += "\\n"
      case 0x0D: out += "\\r"
      case 0x09: out += "\\t"
      case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
        out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
      default: out.unicodeScalars.append(u)
      }
    }
    return out
  }
}
