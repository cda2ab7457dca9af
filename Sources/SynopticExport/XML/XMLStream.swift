/// Writes an XML document straight to bytes as it is described, in exactly the
/// bytes ``XMLWriter/serialize(_:namespaces:)`` writes for the same tree (which
/// are libxml2's): for writers that run once per case in a batch, where
/// building a tree of elements and arrays only to walk it once and free it was
/// most of their time.
///
/// Elements opened with ``open(_:_:)`` hold elements only (so they are laid out
/// one child per line); ``leaf(_:_:text:)`` is an element holding text;
/// ``node(_:)`` writes a prepared tree (mixed content: text and elements).
struct XMLStream {
  /// A name and value; a nil value leaves the attribute out. Names are static
  /// (no String to retain, release or look into); a constant value
  /// (``c(_:_:)``) is written as it is, with no escaping pass.
  struct Attribute {
    enum Value {
      case none
      case text(String)
      case constant(StaticString)
    }
    var name: StaticString
    var value: Value

    /// A value to escape (nil: no attribute).
    @inline(__always) static func a(_ name: StaticString, _ value: String?) -> Attribute {
      Attribute(name: name, value: value.map(Value.text) ?? .none)
    }

    /// A constant value that needs no escaping (checked in debug builds).
    @inline(__always) static func c(_ name: StaticString, _ value: StaticString) -> Attribute {
      assert(XMLWriter.needsNoEscaping(value), "constant attribute value \(value) needs escaping: use .a")
      return Attribute(name: name, value: .constant(value))
    }
  }

  private let out: ByteSink
  /// An open element. `level` is its indentation level; `formatted`: its
  /// children go one per line.
  private struct Frame {
    var name: StaticString
    var level: Int
    var formatted: Bool
    var hasChildren: Bool
  }
  /// The innermost open element, kept out of the stack (most writes touch only
  /// it); at the document level a sentinel that already "has children".
  private var top = Frame(name: "", level: -1, formatted: true, hasChildren: true)
  /// The elements enclosing `top`.
  private var enclosing: [Frame] = []

  init(capacity: Int = 16_384) {
    out = ByteSink(capacity: capacity)
    out.append(literal: #"<?xml version="1.0" encoding="UTF-8"?>"#)
    out.append(0x0A)
    enclosing.reserveCapacity(16)
  }

  /// The document, once the root is closed.
  mutating func finished() -> String { finishedBytes().string }

  /// The document's bytes, once the root is closed (no copy into a String).
  mutating func finishedBytes() -> ByteSink {
    precondition(enclosing.isEmpty, "XMLStream: \(enclosing.count) element(s) left open")
    out.append(0x0A)
    return out
  }

  @inline(__always)
  private func startTag(_ name: StaticString, _ attributes: [Attribute], namespaces: [XMLWriter.Namespace] = []) {
    out.append(UInt8(ascii: "<"))
    out.append(literal: name)
    if !namespaces.isEmpty { XMLWriter.writeNamespaces(namespaces, to: out) }
    for i in attributes.indices {
      switch attributes[i].value {
      case .none: continue
      case .text(let value):
        Self.attributeStart(attributes[i].name, to: out)
        XMLWriter.escape(value, attribute: true, to: out)
      case .constant(let value):
        Self.attributeStart(attributes[i].name, to: out)
        out.append(literal: value)
      }
      out.append(UInt8(ascii: "\""))
    }
  }

  @inline(__always)
  private static func attributeStart(_ name: StaticString, to out: ByteSink) {
    out.append(UInt8(ascii: " "))
    out.append(literal: name)
    out.append(UInt8(ascii: "=")); out.append(UInt8(ascii: "\""))
  }

  @inline(__always)
  private func endTag(_ name: StaticString) {
    out.append(UInt8(ascii: "<")); out.append(UInt8(ascii: "/"))
    out.append(literal: name)
    out.append(UInt8(ascii: ">"))
  }

  /// Before a child of the innermost open element: closes its start tag the
  /// first time, and indents when it is laid out by lines.
  @inline(__always)
  private mutating func beginChild() -> (level: Int, formatted: Bool) {
    if !top.hasChildren {
      out.append(UInt8(ascii: ">"))
      if top.formatted { out.append(0x0A) }
      top.hasChildren = true
    }
    let level = top.level + 1
    if top.formatted { XMLWriter.indent(level, to: out) }
    return (level, top.formatted)
  }

  /// After a child: a line break when the parent is laid out by lines (none after the root).
  @inline(__always)
  private func endChild(formatted: Bool) {
    if formatted, !enclosing.isEmpty { out.append(0x0A) }
  }

  /// Opens an element that will hold elements; the root also declares `namespaces`.
  mutating func open(_ name: StaticString, _ attributes: [Attribute] = [], namespaces: [XMLWriter.Namespace] = []) {
    let (level, formatted) = beginChild()
    startTag(name, attributes, namespaces: namespaces)
    enclosing.append(top)
    top = Frame(name: name, level: level, formatted: formatted, hasChildren: false)
  }

  mutating func close() {
    let frame = top
    top = enclosing.removeLast()
    if !frame.hasChildren {
      out.append(literal: "/>")
    } else {
      if frame.formatted { XMLWriter.indent(frame.level, to: out) }
      endTag(frame.name)
    }
    endChild(formatted: top.formatted)
  }

  /// An element with the given children: `body` writes them.
  mutating func element(_ name: StaticString, _ attributes: [Attribute] = [], _ body: (inout XMLStream) -> Void) {
    open(name, attributes)
    body(&self)
    close()
  }

  /// An element without children: `<name a="v"/>`.
  mutating func empty(_ name: StaticString, _ attributes: [Attribute] = []) {
    _ = beginChild()
    startTag(name, attributes)
    out.append(literal: "/>")
    endChild(formatted: top.formatted)
  }

  /// An element holding text: `<name a="v">text</name>` (empty text: `<name></name>`).
  mutating func leaf(_ name: StaticString, _ attributes: [Attribute] = [], text: String) {
    let (_, formatted) = beginChild()
    startTag(name, attributes)
    out.append(UInt8(ascii: ">"))
    XMLWriter.escape(text, attribute: false, to: out)
    endTag(name)
    endChild(formatted: formatted)
  }

  /// A leaf written only when there is text.
  mutating func leaf(_ name: StaticString, ifAny text: String?) {
    if let text { leaf(name, text: text) }
  }

  /// A prepared element (for mixed content), written as the tree writer would.
  mutating func node(_ e: XMLElement) {
    let (level, formatted) = beginChild()
    XMLWriter.write(e, level: level, namespaces: [], formatted: formatted, to: out)
    endChild(formatted: formatted)
  }
}
