import Foundation

/// What to do when a partial cannot be found.
public enum MissingPartialPolicy: Sendable {
  /// An error with the tag's position (the default: a typo should fail at load).
  case error
  /// Render nothing, as the Mustache specification says.
  case empty
}

/// A set of named partials, compiled once, shared by the layouts compiled against it.
public struct LayoutLibrary: Sendable {
  final class Storage: Sendable {
    let partials: [String: [Node]]
    let sources: [String: String]
    let escape: EscapeMode
    let missingPartial: MissingPartialPolicy
    let maxDepth: Int

    init(partials: [String: [Node]], sources: [String: String], escape: EscapeMode, missingPartial: MissingPartialPolicy, maxDepth: Int) {
      self.partials = partials
      self.sources = sources
      self.escape = escape
      self.missingPartial = missingPartial
      self.maxDepth = maxDepth
    }
  }

  let storage: Storage

  /// Compiles partials given as source text by name. Every partial is parsed
  /// now, so a broken partial fails at load rather than mid-report.
  public init(
    partials: [String: String] = [:], escape: EscapeMode = .html, missingPartial: MissingPartialPolicy = .error,
    maxDepth: Int = 64
  ) throws(LayoutError) {
    var compiled: [String: [Node]] = [:]
    for (name, source) in partials.sorted(by: { $0.key < $1.key }) {
      compiled[name] = try LayoutParser.parse(source, file: "\(name).mustache")
    }
    storage = Storage(partials: compiled, sources: partials, escape: escape, missingPartial: missingPartial, maxDepth: maxDepth)
  }

  /// Loads every `*.mustache` file in a directory as a partial named after the file.
  public init(
    directory: URL, escape: EscapeMode = .html, missingPartial: MissingPartialPolicy = .error, maxDepth: Int = 64
  ) throws {
    var sources: [String: String] = [:]
    let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
    for url in files where url.pathExtension == "mustache" {
      sources[url.deletingPathExtension().lastPathComponent] = try String(contentsOf: url, encoding: .utf8)
    }
    try self.init(partials: sources, escape: escape, missingPartial: missingPartial, maxDepth: maxDepth)
  }

  public var partialNames: [String] { storage.partials.keys.sorted() }
  public var escape: EscapeMode { storage.escape }

  /// Compiles a layout against this library. Fixed partial names are checked
  /// now (with `.error` policy), in the layout and in every partial it reaches.
  public func compile(_ source: String, file: String = "layout.mustache") throws(LayoutError) -> Layout {
    let nodes = try LayoutParser.parse(source, file: file)
    if storage.missingPartial == .error {
      let lines = LineIndex(Array(source.utf8))
      try checkPartials(nodes, file: file, lines: lines, seen: [])
    }
    return Layout(nodes: nodes, library: storage, file: file, lines: LineIndex(Array(source.utf8)))
  }

  /// Compiles one of the library's partials as a layout of its own.
  public func layout(named name: String) throws(LayoutError) -> Layout {
    guard let source = storage.sources[name] else {
      throw LayoutError(kind: .missingPartial, message: "no layout named '\(name)'", file: "\(name).mustache", line: 1, column: 1, lineText: "")
    }
    return try compile(source, file: "\(name).mustache")
  }

  func checkPartials(_ nodes: [Node], file: String, lines: LineIndex, seen: Set<String>) throws(LayoutError) {
    for node in nodes {
      switch node {
      case .section(_, let c), .inverted(_, let c): try checkPartials(c, file: file, lines: lines, seen: seen)
      case .block(_, let d, _, _): try checkPartials(d, file: file, lines: lines, seen: seen)
      case .partial(.fixed(let name), _, let pos), .parent(.fixed(let name), _, _, let pos):
        if case .parent(_, _, let overrides, _) = node {
          for (_, o) in overrides { try checkPartials(o, file: file, lines: lines, seen: seen) }
        }
        guard let target = storage.partials[name] else {
          throw LayoutError(
            kind: .missingPartial, message: "partial '\(name)' not found (known: \(partialNames.joined(separator: ", ")))",
            file: file, line: pos.line, column: pos.column, lineText: lines.lineText(pos.line))
        }
        if !seen.contains(name), let source = storage.sources[name] {
          try checkPartials(target, file: "\(name).mustache", lines: LineIndex(Array(source.utf8)), seen: seen.union([name]))
        }
      default: break
      }
    }
  }
}

/// A compiled layout: parse once, render many times, from many tasks at once.
public struct Layout: Sendable {
  let nodes: [Node]
  let library: LayoutLibrary.Storage
  public let file: String
  let lines: LineIndex
  /// The first part of every name this layout and the partials it can reach
  /// use (all of the library's, when a partial's name is itself a value).
  /// Only these can reach a member of the value rendered (`a.b` finds `a`
  /// through the context stack, then `b` inside it), so a member no name
  /// starts with is never read and need not be built.
  public let leadingNames: Set<String>

  /// The output type this layout escapes for.
  public var escape: EscapeMode { library.escape }

  /// Compiles a single layout with no partials.
  public init(_ source: String, escape: EscapeMode = .html, file: String = "layout.mustache") throws(LayoutError) {
    self = try LayoutLibrary(escape: escape).compile(source, file: file)
  }

  init(nodes: [Node], library: LayoutLibrary.Storage, file: String, lines: LineIndex) {
    self.nodes = nodes
    self.library = library
    self.file = file
    self.lines = lines
    var names: Set<String> = []
    var visited: Set<String> = []
    Self.collectLeadingNames(nodes, partials: library.partials, visited: &visited, into: &names)
    leadingNames = names
  }

  static func collectLeadingNames(
    _ nodes: [Node], partials: [String: [Node]], visited: inout Set<String>, into names: inout Set<String>
  ) {
    func add(_ name: Name) { if let first = name.parts.first { names.insert(first) } }
    func reach(_ target: PartialTarget) {
      switch target {
      case .fixed(let name):
        guard visited.insert(name).inserted, let inner = partials[name] else { return }
        collectLeadingNames(inner, partials: partials, visited: &visited, into: &names)
      case .dynamic(let name):
        add(name)
        for (other, inner) in partials where visited.insert(other).inserted {
          collectLeadingNames(inner, partials: partials, visited: &visited, into: &names)
        }
      }
    }
    for node in nodes {
      switch node {
      case .text: break
      case .variable(let name, _): add(name)
      case .section(let name, let inner), .inverted(let name, let inner):
        add(name)
        collectLeadingNames(inner, partials: partials, visited: &visited, into: &names)
      case .partial(let target, _, _): reach(target)
      case .parent(let target, _, let overrides, _):
        reach(target)
        for inner in overrides.values { collectLeadingNames(inner, partials: partials, visited: &visited, into: &names) }
      case .block(_, let defaults, _, _):
        collectLeadingNames(defaults, partials: partials, visited: &visited, into: &names)
      }
    }
  }

  /// Renders to UTF-8 bytes.
  public func renderBytes(_ value: LayoutValue) throws(LayoutError) -> [UInt8] {
    var r = Renderer(library: library, file: file, root: value)
    try r.render(nodes)
    return r.out
  }

  /// Renders to a string.
  public func render(_ value: LayoutValue) throws(LayoutError) -> String {
    String(decoding: try renderBytes(value), as: UTF8.self)
  }
}
