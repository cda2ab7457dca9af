/// Renders nodes against a context stack into a byte buffer.
struct Renderer {
  let library: LayoutLibrary.Storage
  let file: String
  let escape: EscapeMode
  var out: [UInt8] = []
  var stack: [LayoutValue]
  /// Indentation of the partials being rendered, applied at line starts of static text.
  var indent: [UInt8] = []
  var pendingIndent = false
  /// Block overrides in force; the outermost definition of a name wins.
  var overrides: [String: [Node]] = [:]
  /// Partials being rendered, one inside another.
  var depth = 0
  /// Sections, blocks and partials being rendered, one inside another: each
  /// is a level of recursion here, so their sum is what the stack must hold.
  var nesting = 0
  static let maxNesting = 256

  init(library: LayoutLibrary.Storage, file: String, root: LayoutValue) {
    self.library = library
    self.file = file
    self.escape = library.escape
    stack = [root]
    stack.reserveCapacity(16)
    out.reserveCapacity(4096)
  }

  mutating func render(_ nodes: [Node]) throws(LayoutError) {
    guard nesting < Self.maxNesting else {
      throw LayoutError(
        kind: .recursionLimit, message: "sections and partials nested deeper than \(Self.maxNesting) levels while rendering",
        file: file, line: 1, column: 1, lineText: "")
    }
    nesting += 1
    defer { nesting -= 1 }
    for node in nodes {
      switch node {
      case .text(let bytes):
        if indent.isEmpty { out.append(contentsOf: bytes) } else { writeIndented(bytes) }
      case .variable(let name, let escaped):
        guard let v = lookup(name) else { continue }
        switch v {
        case .string(let s):
          if s.isEmpty { continue }
          flushIndent()
          Escaper.append(s, escaping: escaped ? escape : nil, to: &out)
        case .null, .object: continue
        default:
          flushIndent()
          Escaper.append(v.text, escaping: escaped ? escape : nil, to: &out)
        }
      case .section(let name, let children):
        guard let v = lookup(name) else { continue }
        switch v {
        case .list(let items):
          for item in items {
            stack.append(item)
            try render(children)
            stack.removeLast()
          }
        default:
          guard v.isTruthy else { continue }
          stack.append(v)
          try render(children)
          stack.removeLast()
        }
      case .inverted(let name, let children):
        if !(lookup(name)?.isTruthy ?? false) { try render(children) }
      case .partial(let target, let partialIndent, let position):
        try renderPartial(target, indent: partialIndent, position: position, overrides: nil)
      case .parent(let target, let partialIndent, let blockOverrides, let position):
        try renderPartial(target, indent: partialIndent, position: position, overrides: blockOverrides)
      case .block(let name, let defaults, let blockIndent, let standalone):
        guard let replacement = overrides[name] else {
          try render(defaults)
          continue
        }
        let saved = indent
        indent += blockIndent
        if standalone { pendingIndent = !indent.isEmpty } else if !blockIndent.isEmpty { pendingIndent = false }
        try render(replacement)
        indent = saved
      }
    }
  }

  mutating func renderPartial(
    _ target: PartialTarget, indent partialIndent: [UInt8], position: SourcePosition, overrides blockOverrides: [String: [Node]]?
  ) throws(LayoutError) {
    let name: String
    switch target {
    case .fixed(let n): name = n
    case .dynamic(let n):
      guard let v = lookup(n), case .string(let s) = v else { return }
      name = s
    }
    guard let nodes = library.partials[name] else {
      if library.missingPartial == .empty { return }
      throw LayoutError(
        kind: .missingPartial, message: "partial '\(name)' not found", file: file, line: position.line,
        column: position.column, lineText: "")
    }
    guard depth < library.maxDepth else {
      throw LayoutError(
        kind: .recursionLimit, message: "partials nested deeper than \(library.maxDepth) (recursive partial '\(name)'?)",
        file: file, line: position.line, column: position.column, lineText: "")
    }
    depth += 1
    let savedIndent = indent
    let savedOverrides = overrides
    if let blockOverrides {
      // The outermost definition wins: existing overrides are kept.
      overrides = blockOverrides.merging(savedOverrides) { _, outer in outer }
    }
    if !partialIndent.isEmpty {
      indent += partialIndent
      pendingIndent = true
    }
    try render(nodes)
    indent = savedIndent
    overrides = savedOverrides
    depth -= 1
  }

  @inline(__always)
  mutating func flushIndent() {
    if pendingIndent {
      out.append(contentsOf: indent)
      pendingIndent = false
    }
  }

  /// Static text inside an indented partial: indentation before each line's first output.
  mutating func writeIndented(_ bytes: [UInt8]) {
    var start = 0
    for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
      if i > start { flushIndent() }
      out.append(contentsOf: bytes[start...i])
      pendingIndent = true
      start = i + 1
    }
    if start < bytes.count {
      flushIndent()
      out.append(contentsOf: bytes[start...])
    }
  }

  /// Resolves a name: the first part through the context stack (top first),
  /// the rest inside what it found. A broken chain resolves to nothing.
  @inline(__always)
  func lookup(_ name: Name) -> LayoutValue? {
    guard let first = name.parts.first else { return stack.last }
    var found: LayoutValue?
    for ctx in stack.reversed() {
      if case .object(let o) = ctx, let v = o[first] {
        found = v
        break
      }
    }
    guard var value = found else { return nil }
    for part in name.parts.dropFirst() {
      guard case .object(let o) = value, let v = o[part] else { return nil }
      value = v
    }
    return value
  }
}
