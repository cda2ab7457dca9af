/// A layout problem with its position: file, line, column and the offending
/// line, printed like a compiler error.
public struct LayoutError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable {
    case unclosedTag = "unclosed-tag"
    case unclosedSection = "unclosed-section"
    case mismatchedSection = "mismatched-section"
    case unexpectedClose = "unexpected-close"
    case badDelimiters = "bad-delimiters"
    case emptyName = "empty-name"
    case missingPartial = "missing-partial"
    case recursionLimit = "recursion-limit"
    case nestingLimit = "nesting-limit"
    case unresolvedName = "unresolved-name"
  }

  public var kind: Kind
  public var message: String
  public var file: String
  public var line: Int
  public var column: Int
  /// The source line the error points at.
  public var lineText: String

  public var description: String {
    let caret = String(repeating: " ", count: max(0, column - 1)) + "^"
    return "\(file):\(line):\(column): error: \(message)\n  \(lineText)\n  \(caret)"
  }
}

/// A position in a layout source, kept on nodes for lint and render errors.
struct SourcePosition: Sendable, Equatable {
  var line: Int
  var column: Int
}

/// Maps byte offsets of a source to lines and columns.
struct LineIndex: Sendable {
  let bytes: [UInt8]
  let starts: [Int]

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
    var s = [0]
    for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { s.append(i + 1) }
    starts = s
  }

  func position(_ offset: Int) -> SourcePosition {
    var lo = 0
    var hi = starts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    let lineStart = starts[lo]
    let column = String(decoding: bytes[lineStart..<min(offset, bytes.count)], as: UTF8.self).count + 1
    return SourcePosition(line: lo + 1, column: column)
  }

  func lineText(_ line: Int) -> String {
    guard line >= 1, line <= starts.count else { return "" }
    let start = starts[line - 1]
    var end = line < starts.count ? starts[line] - 1 : bytes.count
    if end > start, bytes[end - 1] == 0x0D { end -= 1 }
    return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
  }
}
