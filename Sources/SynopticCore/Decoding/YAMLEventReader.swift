// libyaml itself, which Yams builds: its event API reads a document without
// composing it, where Yams' composer would expand aliases and recurse per level.
import CYaml

/// Reads YAML (and JSON, which is YAML) into positioned ``SourceNode``s from
/// libyaml's event stream, iteratively: no recursion however deep a document
/// nests, no expansion of aliases (anchors and aliases are refused), and the
/// depth, list and mapping limits enforced as the events arrive, so a hostile
/// file costs no more than its own size.
enum YAMLEventReader {
  /// A list or mapping still being read.
  private enum Open {
    case sequence([SourceNode], SourceLocation)
    case mapping([SourcePair], SourceLocation, key: (name: String, location: SourceLocation)?)
  }

  static func parse(_ text: String, limits: InputLimits) throws(SourceParseError) -> SourceNode {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { throw SourceParseError(message: "the YAML parser could not start", location: nil) }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    let bytes = Array(text.utf8)
    let result: Result<SourceNode, SourceParseError> = bytes.withUnsafeBufferPointer { buffer in
      yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
      do throws(SourceParseError) {
        return .success(try read(&parser, limits: limits))
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  private static func read(_ parser: inout yaml_parser_t, limits: InputLimits) throws(SourceParseError) -> SourceNode {
    var stack: [Open] = []
    var root: SourceNode?
    var documents = 0

    /// The model path of the value being read, for messages.
    func path() -> String {
      var parts: [String] = []
      for open in stack {
        switch open {
        case .sequence(let items, _): parts.append("[\(items.count)]")
        case .mapping(_, _, let key): if let key { parts.append(key.name) }
        }
      }
      return parts.isEmpty ? "the document" : ModelPath.render(parts)
    }

    func add(_ node: SourceNode) throws(SourceParseError) {
      guard let top = stack.popLast() else {
        root = node
        return
      }
      switch top {
      case .sequence(var items, let location):
        if items.count >= limits.listItems {
          throw SourceParseError(message: "\(path()) has more than \(limits.listItems) items (the listItems limit)", location: location)
        }
        items.append(node)
        stack.append(.sequence(items, location))
      case .mapping(var pairs, let location, let key):
        if let key {
          pairs.append(SourcePair(key: key.name, keyLocation: key.location, value: node))
          stack.append(.mapping(pairs, location, key: nil))
          return
        }
        guard case .scalar(let name, _, let keyLocation) = node else {
          throw SourceParseError(message: "a mapping key must be a plain name", location: node.location)
        }
        if pairs.count >= limits.mappingKeys {
          throw SourceParseError(message: "\(path()) has more than \(limits.mappingKeys) keys (the mappingKeys limit)", location: keyLocation)
        }
        if pairs.contains(where: { $0.key == name }) {
          throw SourceParseError(message: "duplicate key '\(name)' in one mapping; keep one", location: keyLocation)
        }
        stack.append(.mapping(pairs, location, key: (name, keyLocation)))
      }
    }

    func open(_ container: Open, at location: SourceLocation) throws(SourceParseError) {
      if stack.count >= limits.depth {
        throw SourceParseError(message: "\(path()) is nested deeper than \(limits.depth) levels (the depth limit)", location: location)
      }
      stack.append(container)
    }

    while true {
      var event = yaml_event_t()
      guard yaml_parser_parse(&parser, &event) == 1 else { throw describe(parser) }
      defer { yaml_event_delete(&event) }
      let location = SourceLocation(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
      switch event.type {
      case YAML_STREAM_END_EVENT:
        guard let root else { throw SourceParseError(message: "the file is empty", location: nil) }
        return root
      case YAML_DOCUMENT_START_EVENT:
        documents += 1
        if documents > 1 { throw SourceParseError(message: "the file holds more than one YAML document; give one case per file", location: location) }
      case YAML_ALIAS_EVENT:
        throw SourceParseError(message: "YAML aliases are not supported in case files; write the value out", location: location)
      case YAML_SCALAR_EVENT:
        if event.data.scalar.anchor != nil { throw anchor(location) }
        if event.data.scalar.tag != nil { throw tag(location) }
        let value = String(decoding: UnsafeBufferPointer(start: event.data.scalar.value, count: event.data.scalar.length), as: UTF8.self)
        let style = event.data.scalar.style
        try add(.scalar(value, plain: style == YAML_PLAIN_SCALAR_STYLE || style == YAML_ANY_SCALAR_STYLE, location))
      case YAML_SEQUENCE_START_EVENT:
        if event.data.sequence_start.anchor != nil { throw anchor(location) }
        if event.data.sequence_start.tag != nil { throw tag(location) }
        try open(.sequence([], location), at: location)
      case YAML_MAPPING_START_EVENT:
        if event.data.mapping_start.anchor != nil { throw anchor(location) }
        if event.data.mapping_start.tag != nil { throw tag(location) }
        try open(.mapping([], location, key: nil), at: location)
      case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
        switch stack.popLast() {
        case .sequence(let items, let l)?: try add(.sequence(items, l))
        case .mapping(let pairs, let l, _)?: try add(.mapping(pairs, l))
        case nil: throw SourceParseError(message: "not valid YAML or JSON", location: location)
        }
      default:
        continue
      }
    }
  }

  private static func anchor(_ location: SourceLocation) -> SourceParseError {
    SourceParseError(message: "YAML anchors and aliases are not supported in case files; write the value out", location: location)
  }

  /// Tags would change how a value reads (`!!str 5`, `!!binary`); a case file says what it means in plain values.
  private static func tag(_ location: SourceLocation) -> SourceParseError {
    SourceParseError(message: "YAML tags (!!str, !custom) are not supported in case files; write the plain value", location: location)
  }

  private static func describe(_ parser: yaml_parser_t) -> SourceParseError {
    let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
    let location = SourceLocation(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
    switch parser.error {
    case YAML_READER_ERROR: return SourceParseError(message: "not readable text: \(problem)", location: nil)
    case YAML_MEMORY_ERROR: return SourceParseError(message: "the file is too large to parse", location: nil)
    default: return SourceParseError(message: "not valid YAML or JSON: \(problem)", location: location)
    }
  }
}
