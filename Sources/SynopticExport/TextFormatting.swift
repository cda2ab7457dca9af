import Foundation

/// Plain-text report formatting: "Label: value" lines with values aligned and
/// wrapped at a width with a hanging indent.
public enum TextFormatting {
  /// Wraps `text` to `width` columns. The first line starts after `firstPrefix`;
  /// continuation lines are indented by `indent` spaces. Words longer than a line are split.
  public static func wrap(_ text: String, width: Int, firstPrefix: String, indent: Int) -> String {
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

  /// `Label:` padded to `column` characters, then the value wrapped under itself.
  public static func labelled(_ label: String, _ value: String, column: Int, width: Int) -> String {
    let head = label + ":"
    let prefix = head.count + 1 > column ? head + " " : head + String(repeating: " ", count: column - head.count)
    return wrap(value, width: width, firstPrefix: prefix, indent: column)
  }
}
