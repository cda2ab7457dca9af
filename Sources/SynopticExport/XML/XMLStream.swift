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
  /// A name and value; a nil value leaves the attribute out. A struct rather
  /// than a tuple: arrays of tuples are destroyed through the runtime's generic
  /// tuple witness, which was a tenth of the CDA writer's time.
  struct Attribute {
    var name: String
    var value: String?
    @inline(__always) static func a(_ name: String, _ value: String?) -> Attribute { Attribute(name: name, value: value) }
  }

  private let out: ByteSink
  private struct Frame {
    var name: String
    var level: Int
    var formatted: Bool
    var hasChildren = false
  }
  private var open: [Frame] = []

  init(capacity: Int = 16_384) {
    out = ByteSink(capacity: capacity)
    out.append(literal: #"<?xml version="1.0" encoding="UTF-8"?>"#)
    out.append(0x0A)
  }

  /// The document, once the root is closed.
  mutating func finished() -> String { finishedBytes().string }

  /// The document's bytes, once the root is closed (no copy into a String).
  mutating func finishedBytes() -> ByteSink {
    precondition(open.isEmpty, "XMLStream: \(open.count) element(s) left open")
    out.append(0x0A)
    return out
  }

  private mutating func startTag(_ name: String, _ attributes: [Attribute], namespaces: [XMLWriter.Namespace]) {
    out.append(UInt8(ascii: "<"))
    out.append(utf8: name)
    XMLWriter.writeNamespaces(namespaces, to: out)
    for attribute in attributes {
      if let value = attribute.value { XMLWriter.writeAttribute(attribute.name, value, to: out) }
    }
  }

  /// Before a child of the innermost open element: closes its start tag the
  /// first time, and indents when it is laid out by lines.
  private mutating func beginChild() -> (level: Int, formatted: Bool) {
    guard let last = open.indices.last else { return (0, true) }
    if !open[last].hasChildren {
      out.append(UInt8(ascii: ">"))
      if open[last].formatted { out.append(0x0A) }
      open[last].hasChildren = true
    }
    let level = open[last].level + 1
    if open[last].formatted { XMLWriter.indent(level, to: out) }
    return (level, open[last].formatted)
  }

  private mutating func endChild(formatted: Bool) {
    if formatted, !open.isEmpty { out.append(0x0A) }
  }

  /// Opens an element that will hold elements; the root also declares `namespaces`.
  mutating func open(_ name: String, _ attributes: [Attribute] = [], namespaces: [XMLWriter.Namespace] = []) {
    let (level, formatted) = beginChild()
    startTag(name, attributes, namespaces: namespaces)
    open.append(Frame(name: name, level: level, formatted: formatted))
  }

  mutating func close() {
    let frame = open.removeLast()
    if !frame.hasChildren {
      out.append(literal: "/>")
    } else {
      if frame.formatted { XMLWriter.indent(frame.level, to: out) }
      XMLWriter.writeEndTag(frame.name, to: out)
    }
    endChild(formatted: open.last?.formatted ?? true)
  }

  /// An element with the given children: `body` writes them.
  mutating func element(_ name: String, _ attributes: [Attribute] = [], _ body: (inout XMLStream) -> Void) {
    open(name, attributes)
    body(&self)
    close()
  }

  /// An element without children: `<name a="v"/>`.
  mutating func empty(_ name: String, _ attributes: [Attribute] = []) {
    open(name, attributes)
    close()
  }

  /// An element holding text: `<name a="v">text</name>` (empty text: `<name></name>`).
  mutating func leaf(_ name: String, _ attributes: [Attribute] = [], text: String) {
    let (_, formatted) = beginChild()
    startTag(name, attributes, namespaces: [])
    out.append(UInt8(ascii: ">"))
    XMLWriter.escape(text, attribute: false, to: out)
    XMLWriter.writeEndTag(name, to: out)
    endChild(formatted: formatted)
  }

  /// A leaf written only when there is text.
  mutating func leaf(_ name: String, ifAny text: String?) {
    if let text { leaf(name, text: text) }
  }

  /// A prepared element (for mixed content), written as the tree writer would.
  mutating func node(_ e: XMLElement) {
    let (level, formatted) = beginChild()
    XMLWriter.write(e, level: level, namespaces: [], formatted: formatted, to: out)
    endChild(formatted: formatted)
  }
}
