/// A case file as a plain document: mappings with their keys in file order,
/// lists and scalars, nothing interpreted. The workspace's form reads its
/// fields from it and writes them back into it, so that whatever the form
/// does not show (a key of a later template, a prior specimen's stains) is
/// kept as the file gave it.
public indirect enum CaseTree: Sendable, Equatable {
  /// A scalar's text; `plain` when the file wrote it unquoted (so `3`, `true`
  /// and `null` stay literals in JSON).
  case scalar(String, plain: Bool)
  case mapping([Entry])
  case sequence([CaseTree])

  public struct Entry: Sendable, Equatable {
    public var key: String
    public var value: CaseTree
    public init(_ key: String, _ value: CaseTree) {
      self.key = key
      self.value = value
    }
  }

  /// A quoted string: always text, whatever it spells.
  public static func text(_ s: String) -> CaseTree { .scalar(s, plain: false) }

  /// Parses YAML or JSON case text within the limits.
  public static func parse(_ text: String, limits: InputLimits = .standard) throws(SourceParseError) -> CaseTree {
    CaseTree(try SourceNode.parse(text, limits: limits))
  }

  init(_ node: SourceNode) {
    switch node {
    case .scalar(let s, let plain, _): self = .scalar(s, plain: plain)
    case .sequence(let items, _): self = .sequence(items.map(CaseTree.init))
    case .mapping(let pairs, _): self = .mapping(pairs.map { Entry($0.key, CaseTree($0.value)) })
    }
  }

  /// The document as pretty-printed JSON, keys in order (what a draft keeps).
  public var json: String {
    var out = ""
    CaseJSON.write(node, indent: 0, into: &out)
    return out + "\n"
  }

  var node: SourceNode {
    let here = SourceLocation(line: 0, column: 0)
    switch self {
    case .scalar(let s, let plain): return .scalar(s, plain: plain, here)
    case .sequence(let items): return .sequence(items.map(\.node), here)
    case .mapping(let entries): return .mapping(entries.map { SourcePair(key: $0.key, keyLocation: here, value: $0.value.node) }, here)
    }
  }

  /// The text of a scalar that is not null.
  public var scalarText: String? {
    if case .scalar(let s, let plain) = self {
      if plain, s.isEmpty || s == "~" || s.lowercased() == "null" { return nil }
      return s
    }
    return nil
  }

  public var entries: [Entry]? {
    if case .mapping(let e) = self { return e }
    return nil
  }

  public var items: [CaseTree]? {
    if case .sequence(let i) = self { return i }
    return nil
  }

  public subscript(key: String) -> CaseTree? {
    entries?.first { $0.key == key }?.value
  }

  /// Sets (or, with nil, removes) a key of a mapping; a scalar or list in
  /// its place becomes an empty mapping first. A new key goes last.
  public mutating func set(_ key: String, _ value: CaseTree?) {
    var list = entries ?? []
    if let i = list.firstIndex(where: { $0.key == key }) {
      if let value { list[i].value = value } else { list.remove(at: i) }
    } else if let value {
      list.append(Entry(key, value))
    }
    self = .mapping(list)
  }
}
