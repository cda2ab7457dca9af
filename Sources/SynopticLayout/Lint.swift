/// The names and shapes a value tree will have, so a layout can be checked
/// before any data exists: a misspelt tag fails at load, not in a signed report.
public indirect enum FieldShape: Sendable, Equatable {
  /// A string, number or boolean.
  case scalar
  case list(FieldShape)
  case object([String: FieldShape])
  /// Anything: lookups below it are not checked.
  case any

  /// The shape of a sample value; list element shapes are merged.
  public static func infer(_ value: LayoutValue) -> FieldShape {
    switch value {
    case .null, .bool, .int, .double, .string: return .scalar
    case .object(let o): return .object(o.mapValues(infer))
    case .list(let items):
      var element: FieldShape?
      for item in items { element = element.map { merge($0, infer(item)) } ?? infer(item) }
      return .list(element ?? .any)
    }
  }

  /// A shape that accepts what either accepts.
  public static func merge(_ a: FieldShape, _ b: FieldShape) -> FieldShape {
    switch (a, b) {
    case (.object(let x), .object(let y)): return .object(x.merging(y) { merge($0, $1) })
    case (.list(let x), .list(let y)): return .list(merge(x, y))
    case (.any, _), (_, .any): return .any
    case (.scalar, .scalar): return .scalar
    case (.scalar, let other), (let other, .scalar): return other
    default: return .any
    }
  }

  func member(_ key: String) -> FieldShape? {
    switch self {
    case .object(let o): return o[key]
    case .any: return .any
    case .list(let e): return e.member(key)
    case .scalar: return nil
    }
  }

  /// The context a section over this shape pushes.
  var sectionContext: FieldShape {
    if case .list(let e) = self { return e }
    return self
  }
}

/// A tag that cannot resolve against a field schema.
public struct LintIssue: Sendable, Equatable, CustomStringConvertible {
  public var name: String
  public var file: String
  public var line: Int
  public var column: Int
  public var lineText: String
  public var description: String {
    "\(file):\(line):\(column): error: '\(name)' does not resolve against the report's fields\n  \(lineText)"
  }
}

extension Layout {
  /// Every tag in the layout and the partials it reaches that cannot resolve
  /// against `schema`, with positions.
  public func lint(against schema: FieldShape) -> [LintIssue] {
    var linter = Linter(library: library)
    linter.lineIndexes[file] = lines
    linter.walk(nodes, stack: [schema], file: file, seen: [])
    var unique: [LintIssue] = []
    for issue in linter.issues where !unique.contains(issue) { unique.append(issue) }
    return unique
  }
}

struct Linter {
  let library: LayoutLibrary.Storage
  var issues: [LintIssue] = []
  var lineIndexes: [String: LineIndex] = [:]

  init(library: LayoutLibrary.Storage) { self.library = library }

  func resolve(_ name: Name, _ stack: [FieldShape]) -> FieldShape? {
    guard let first = name.parts.first else { return stack.last }
    for shape in stack.reversed() {
      if let found = shape.member(first) {
        var s = found
        for part in name.parts.dropFirst() {
          guard let next = s.member(part) else { return nil }
          s = next
        }
        return s
      }
    }
    return nil
  }

  mutating func report(_ name: Name, file: String) {
    let text: String
    if let idx = lineIndexes[file] {
      text = idx.lineText(name.position.line)
    } else {
      let source = library.sources[String(file.dropLast(".mustache".count))] ?? ""
      let idx = LineIndex(Array(source.utf8))
      lineIndexes[file] = idx
      text = idx.lineText(name.position.line)
    }
    issues.append(LintIssue(name: name.text, file: file, line: name.position.line, column: name.position.column, lineText: text))
  }

  mutating func walk(_ nodes: [Node], stack: [FieldShape], file: String, seen: Set<String>) {
    for node in nodes {
      switch node {
      case .text: break
      case .variable(let name, _):
        if resolve(name, stack) == nil { report(name, file: file) }
      case .section(let name, let children):
        if let s = resolve(name, stack) {
          walk(children, stack: stack + [s.sectionContext], file: file, seen: seen)
        } else {
          report(name, file: file)
          walk(children, stack: stack + [.any], file: file, seen: seen)
        }
      case .inverted(let name, let children):
        if resolve(name, stack) == nil { report(name, file: file) }
        walk(children, stack: stack, file: file, seen: seen)
      case .block(_, let defaults, _, _):
        walk(defaults, stack: stack, file: file, seen: seen)
      case .partial(let target, _, _), .parent(let target, _, _, _):
        if case .parent(_, _, let overrides, _) = node {
          for (_, o) in overrides { walk(o, stack: stack, file: file, seen: seen) }
        }
        switch target {
        case .dynamic(let name):
          if resolve(name, stack) == nil { report(name, file: file) }
        case .fixed(let name):
          // Each partial is checked once per walk; a recursive partial is checked once.
          guard !seen.contains(name), let partial = library.partials[name] else { continue }
          walk(partial, stack: stack, file: "\(name).mustache", seen: seen.union([name]))
        }
      }
    }
  }
}
