/// A name in a tag: `a.b.c`, or `.` (the implicit iterator).
struct Name: Sendable, Equatable {
  var parts: [String]
  var text: String
  var position: SourcePosition
  var isImplicit: Bool { parts.isEmpty }

  init(_ text: String, at position: SourcePosition) {
    self.text = text
    self.position = position
    parts = text == "." ? [] : text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
  }
}

/// Which partial a partial or parent tag names: fixed, or dynamic (`{{>*name}}`).
enum PartialTarget: Sendable, Equatable {
  case fixed(String)
  case dynamic(Name)
}

/// The compiled form a layout renders: static text pre-joined into bytes,
/// names pre-split.
indirect enum Node: Sendable {
  case text([UInt8])
  case variable(Name, escaped: Bool)
  case section(Name, [Node])
  case inverted(Name, [Node])
  case partial(PartialTarget, indent: [UInt8], position: SourcePosition)
  case parent(PartialTarget, indent: [UInt8], overrides: [String: [Node]], position: SourcePosition)
  /// A block in a template: its default content, and how an override is re-indented here.
  case block(String, defaults: [Node], indent: [UInt8], standalone: Bool)
}

/// Parses Mustache source into nodes, applying the standalone-line rules.
struct LayoutParser {
  enum TagKind: Equatable {
    case variable, unescaped, section, inverted, close, comment, partial, parent, block, delimiters
  }

  struct Tag {
    var kind: TagKind
    var name: String
    var start: Int
    var end: Int
    /// `$` directly inside a parent: an override rather than a block of this template.
    var isBlockDefinition = false
    /// Emits nothing where it stands (parent open/close, block definitions): it
    /// does not stop its line from being standalone.
    var isTransparent = false
    var standalone = false
    /// Whitespace before a standalone tag (partials, parents), or the re-indentation of a block.
    var indent: [UInt8] = []
  }

  enum Piece {
    case text(start: Int, end: Int, lineStart: Bool)
    case tag(Int)
  }

  let file: String
  let bytes: [UInt8]
  let lines: LineIndex
  var tags: [Tag] = []
  var pieces: [Piece] = []

  init(source: String, file: String) {
    self.file = file
    bytes = Array(source.utf8)
    lines = LineIndex(bytes)
  }

  func error(_ kind: LayoutError.Kind, _ message: String, at offset: Int) -> LayoutError {
    let p = lines.position(offset)
    return LayoutError(kind: kind, message: message, file: file, line: p.line, column: p.column, lineText: lines.lineText(p.line))
  }

  static func parse(_ source: String, file: String) throws(LayoutError) -> [Node] {
    var p = LayoutParser(source: source, file: file)
    try p.lex()
    try p.classify()
    p.markStandalone()
    var index = 0
    let nodes = try p.build(&index, closing: nil, dedent: [])
    return merge(nodes)
  }

  // MARK: lexing

  func find(_ needle: [UInt8], from: Int) -> Int? {
    guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
    var i = from
    let first = needle[0]
    while i <= bytes.count - needle.count {
      if bytes[i] == first {
        var j = 1
        while j < needle.count, bytes[i + j] == needle[j] { j += 1 }
        if j == needle.count { return i }
      }
      i += 1
    }
    return nil
  }

  mutating func addText(_ start: Int, _ end: Int) {
    var s = start
    var i = start
    while i < end {
      if bytes[i] == UInt8(ascii: "\n") {
        pieces.append(.text(start: s, end: i + 1, lineStart: s == 0 || bytes[s - 1] == UInt8(ascii: "\n")))
        s = i + 1
      }
      i += 1
    }
    if s < end { pieces.append(.text(start: s, end: end, lineStart: s == 0 || bytes[s - 1] == UInt8(ascii: "\n"))) }
  }

  static func trim(_ s: Substring) -> String { String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }

  mutating func lex() throws(LayoutError) {
    var open = Array("{{".utf8)
    var close = Array("}}".utf8)
    var pos = 0
    while pos < bytes.count {
      guard let tagStart = find(open, from: pos) else {
        addText(pos, bytes.count)
        break
      }
      addText(pos, tagStart)
      var contentStart = tagStart + open.count
      var closer = close
      var kind = TagKind.variable
      if contentStart < bytes.count {
        switch bytes[contentStart] {
        case UInt8(ascii: "{"): kind = .unescaped; closer = Array("}".utf8) + close; contentStart += 1
        case UInt8(ascii: "&"): kind = .unescaped; contentStart += 1
        case UInt8(ascii: "#"): kind = .section; contentStart += 1
        case UInt8(ascii: "^"): kind = .inverted; contentStart += 1
        case UInt8(ascii: "/"): kind = .close; contentStart += 1
        case UInt8(ascii: "!"): kind = .comment; contentStart += 1
        case UInt8(ascii: ">"): kind = .partial; contentStart += 1
        case UInt8(ascii: "<"): kind = .parent; contentStart += 1
        case UInt8(ascii: "$"): kind = .block; contentStart += 1
        case UInt8(ascii: "="): kind = .delimiters; contentStart += 1; closer = Array("=".utf8) + close
        default: break
        }
      }
      guard let contentEnd = find(closer, from: contentStart) else {
        throw error(.unclosedTag, "tag is not closed: expected '\(String(decoding: closer, as: UTF8.self))'", at: tagStart)
      }
      let raw = String(decoding: bytes[contentStart..<contentEnd], as: UTF8.self)
      let name = Self.trim(Substring(raw))
      let end = contentEnd + closer.count
      if kind == .delimiters {
        let parts = name.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, !parts[0].contains("="), !parts[1].contains("=") else {
          throw error(.badDelimiters, "set-delimiter tag needs two delimiters without '=', e.g. {{=<% %>=}}", at: tagStart)
        }
        open = Array(parts[0].utf8)
        close = Array(parts[1].utf8)
      } else if kind != .comment, name.isEmpty {
        throw error(.emptyName, "tag has no name", at: tagStart)
      }
      tags.append(Tag(kind: kind, name: name, start: tagStart, end: end))
      pieces.append(.tag(tags.count - 1))
      pos = end
    }
  }

  /// Sections, blocks and parents nested in one source: far beyond any real
  /// layout, and low enough that building, merging and rendering the tree
  /// (which recurse per level) stay within a thread's stack.
  static let maxNesting = 100

  /// Marks block definitions (blocks directly inside a parent) and the tags
  /// that emit nothing where they stand, and bounds the nesting.
  mutating func classify() throws(LayoutError) {
    var stack: [(kind: TagKind, definition: Bool)] = []
    for i in tags.indices {
      if stack.count >= Self.maxNesting, [.parent, .block, .section, .inverted].contains(tags[i].kind) {
        throw error(.nestingLimit, "sections nested deeper than \(Self.maxNesting) levels; flatten the layout", at: tags[i].start)
      }
      switch tags[i].kind {
      case .parent:
        tags[i].isTransparent = true
        stack.append((.parent, false))
      case .block:
        let definition = stack.last?.kind == .parent
        tags[i].isBlockDefinition = definition
        tags[i].isTransparent = definition
        stack.append((.block, definition))
      case .section, .inverted:
        stack.append((tags[i].kind, false))
      case .close:
        if let top = stack.popLast() { tags[i].isTransparent = top.kind == .parent || top.definition }
      default: break
      }
    }
  }

  func isWhitespace(_ start: Int, _ end: Int) -> Bool {
    var e = end
    if e > start, bytes[e - 1] == UInt8(ascii: "\n") {
      e -= 1
      if e > start, bytes[e - 1] == UInt8(ascii: "\r") { e -= 1 }
    }
    return bytes[start..<e].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
  }

  /// Leading spaces and tabs of the source line starting at `offset`.
  func leadingWhitespace(from offset: Int) -> [UInt8] {
    var i = offset
    while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
    return Array(bytes[offset..<i])
  }

  /// A line is standalone when it holds only whitespace and tags that print
  /// nothing, with at most one tag that is not transparent. Standalone lines
  /// are removed whole.
  mutating func markStandalone() {
    var lineStart = 0
    var removed = Set<Int>()
    while lineStart < pieces.count {
      var lineEnd = lineStart
      while lineEnd < pieces.count {
        if case .text(let s, let e, _) = pieces[lineEnd], e > s, bytes[e - 1] == UInt8(ascii: "\n") { break }
        lineEnd += 1
      }
      let last = min(lineEnd, pieces.count - 1)
      var tagIndexes: [Int] = []
      var ok = true
      var opaque = 0
      for k in lineStart...last {
        switch pieces[k] {
        case .text(let s, let e, _): if !isWhitespace(s, e) { ok = false }
        case .tag(let t):
          switch tags[t].kind {
          case .variable, .unescaped: ok = false
          default:
            tagIndexes.append(t)
            if !tags[t].isTransparent { opaque += 1 }
          }
        }
      }
      if ok, !tagIndexes.isEmpty, opaque <= 1 {
        var indent: [UInt8] = []
        if case .text(let s, let e, _) = pieces[lineStart], isWhitespace(s, e), bytes[e - 1] != UInt8(ascii: "\n") {
          indent = Array(bytes[s..<e])
        }
        let nextLine: Int
        if case .text(_, let e, _) = pieces[last], e > 0, bytes[e - 1] == UInt8(ascii: "\n") { nextLine = e } else { nextLine = bytes.count }
        for t in tagIndexes {
          tags[t].standalone = true
          switch tags[t].kind {
          case .partial, .parent: tags[t].indent = indent
          case .block: tags[t].indent = leadingWhitespace(from: nextLine)
          default: break
          }
        }
        for k in lineStart...last { if case .text = pieces[k] { removed.insert(k) } }
      } else {
        // A block that is not standalone re-indents an override by the whitespace before it.
        var before: [UInt8] = []
        var onlySpace = true
        for k in lineStart...last {
          switch pieces[k] {
          case .text(let s, let e, _):
            if isWhitespace(s, e) { before += bytes[s..<e] } else { onlySpace = false }
          case .tag(let t):
            if tags[t].kind == .block, !tags[t].isBlockDefinition, onlySpace { tags[t].indent = before }
            onlySpace = false
          }
        }
      }
      lineStart = lineEnd + 1
    }
    pieces = pieces.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
  }

  // MARK: tree building

  func position(_ tag: Tag) -> SourcePosition { lines.position(tag.start) }

  func target(_ tag: Tag) -> PartialTarget {
    tag.name.hasPrefix("*")
      ? .dynamic(Name(Self.trim(tag.name.dropFirst()), at: position(tag))) : .fixed(tag.name)
  }

  /// Builds nodes until the close tag for `closing` (or the end). `dedent` is
  /// the indentation removed at the start of lines inside a block definition.
  func build(_ index: inout Int, closing: Tag?, dedent: [UInt8]) throws(LayoutError) -> [Node] {
    var nodes: [Node] = []
    while index < pieces.count {
      let piece = pieces[index]
      index += 1
      switch piece {
      case .text(var s, let e, let lineStart):
        if lineStart, !dedent.isEmpty {
          var k = 0
          while k < dedent.count, s < e, bytes[s] == dedent[k] { s += 1; k += 1 }
        }
        if s < e { nodes.append(.text(Array(bytes[s..<e]))) }
      case .tag(let t):
        let tag = tags[t]
        let pos = position(tag)
        switch tag.kind {
        case .comment, .delimiters: break
        case .variable: nodes.append(.variable(Name(tag.name, at: pos), escaped: true))
        case .unescaped: nodes.append(.variable(Name(tag.name, at: pos), escaped: false))
        case .section:
          nodes.append(.section(Name(tag.name, at: pos), try build(&index, closing: tag, dedent: dedent)))
        case .inverted:
          nodes.append(.inverted(Name(tag.name, at: pos), try build(&index, closing: tag, dedent: dedent)))
        case .partial:
          nodes.append(.partial(target(tag), indent: tag.indent, position: pos))
        case .parent:
          let overrides = try buildOverrides(&index, closing: tag, dedent: dedent)
          nodes.append(.parent(target(tag), indent: tag.indent, overrides: overrides, position: pos))
        case .block:
          var indent = tag.indent
          if indent.starts(with: dedent) { indent.removeFirst(dedent.count) }
          let defaults = try build(&index, closing: tag, dedent: dedent)
          nodes.append(.block(tag.name, defaults: Self.merge(defaults), indent: indent, standalone: tag.standalone))
        case .close:
          guard let closing else {
            throw error(.unexpectedClose, "'{{/\(tag.name)}}' closes nothing", at: tag.start)
          }
          guard closing.name == tag.name else {
            let open = position(closing)
            throw error(
              .mismatchedSection,
              "'{{/\(tag.name)}}' does not match the open '\(closing.name)' (line \(open.line), column \(open.column))",
              at: tag.start)
          }
          return nodes
        }
      }
    }
    if let closing {
      throw error(.unclosedSection, "'\(closing.name)' is opened here and never closed", at: closing.start)
    }
    return nodes
  }

  /// Inside a parent only block definitions count; other text is ignored.
  func buildOverrides(_ index: inout Int, closing: Tag, dedent: [UInt8]) throws(LayoutError) -> [String: [Node]] {
    var overrides: [String: [Node]] = [:]
    while index < pieces.count {
      let piece = pieces[index]
      index += 1
      guard case .tag(let t) = piece else { continue }
      let tag = tags[t]
      switch tag.kind {
      case .block:
        let intrinsic = tag.standalone ? tag.indent : []
        let content = try build(&index, closing: tag, dedent: intrinsic)
        if overrides[tag.name] == nil { overrides[tag.name] = Self.merge(content) }
      case .close:
        guard tag.name == closing.name else {
          let open = position(closing)
          throw error(
            .mismatchedSection,
            "'{{/\(tag.name)}}' does not match the open parent '\(closing.name)' (line \(open.line), column \(open.column))",
            at: tag.start)
        }
        return overrides
      case .section, .inverted, .parent:
        // Skip nested structure that is not a block: it cannot take effect here.
        _ = try build(&index, closing: tag, dedent: dedent)
      default: continue
      }
    }
    throw error(.unclosedSection, "parent '\(closing.name)' is opened here and never closed", at: closing.start)
  }

  /// Joins adjacent static text so rendering appends it in one step.
  static func merge(_ nodes: [Node]) -> [Node] {
    var out: [Node] = []
    out.reserveCapacity(nodes.count)
    for n in nodes {
      if case .text(let b) = n, case .text(let a)? = out.last {
        out[out.count - 1] = .text(a + b)
      } else if case .section(let name, let children) = n {
        out.append(.section(name, merge(children)))
      } else if case .inverted(let name, let children) = n {
        out.append(.inverted(name, merge(children)))
      } else {
        out.append(n)
      }
    }
    return out
  }
}
