import CLibXML2
import Foundation

/// A problem libxml2 reported, with its position.
public struct XMLProblem: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var line: Int
  public var column: Int
  public var file: String?
  public var description: String {
    "\(file.map { $0 + ":" } ?? "")\(line > 0 ? "\(line):" : "")\(column > 0 ? "\(column):" : "") error: \(message)"
  }
}

/// libxml2 keeps global state (error handlers, output settings, the parser's
/// dictionaries); parsing and validation go through one lock, so several tasks
/// can parse and validate at once safely. Writing a document needs no lock:
/// libxml2 (built with threads, as every distribution's is) allows documents
/// to be built and serialised concurrently, one document per thread, once the
/// library is initialised; a batch's workers write XML and CDA in parallel.
enum LibXML2 {
  private static let lock = NSLock()
  private static let initialised: Bool = {
    xmlInitParser()
    return true
  }()

  /// Initialises libxml2 once (thread-safe) before a lock-free writer uses it.
  static func ready() { _ = initialised }

  static func locked<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    _ = initialised
    return try body()
  }

  /// Collects structured errors for the duration of one call.
  final class Collector {
    var problems: [XMLProblem] = []
    let file: String?
    init(file: String?) { self.file = file }
  }

  static let callback: @convention(c) (UnsafeMutableRawPointer?, xmlErrorPtr?) -> Void = { user, error in
    guard let user, let error else { return }
    let collector = Unmanaged<Collector>.fromOpaque(user).takeUnretainedValue()
    let e = error.pointee
    let message = e.message.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown libxml2 error"
    collector.problems.append(XMLProblem(message: message, line: Int(e.line), column: Int(e.int2), file: collector.file))
  }

  /// Runs `body` with libxml2's structured errors going to a collector.
  static func collecting<T>(file: String?, _ body: (Collector, UnsafeMutableRawPointer) throws -> T) rethrows -> (T, [XMLProblem]) {
    try locked {
      let collector = Collector(file: file)
      let raw = Unmanaged.passUnretained(collector).toOpaque()
      xmlSetStructuredErrorFunc(raw, callback)
      defer { xmlSetStructuredErrorFunc(nil, nil) }
      let result = try withExtendedLifetime(collector) { try body(collector, raw) }
      return (result, collector.problems)
    }
  }
}

/// Writes XML: UTF-8, pretty-printed, attributes in the given order, byte for
/// byte what libxml2's `xmlDocDumpFormatMemoryEnc(doc, ..., "UTF-8", 1)` writes
/// for the same tree. ``serialize(_:namespaces:)`` writes the bytes directly (a
/// batch writes thousands of documents; building and dumping a libxml2 tree
/// was most of the XML writers' time); ``serializeWithLibXML2(_:namespaces:)``
/// is libxml2 itself, kept as the reference the tests compare against.
public enum XMLWriter {
  /// A namespace declared on the root: `prefix` nil for the default namespace.
  public struct Namespace: Sendable {
    public var prefix: String?
    public var uri: String
    public init(prefix: String?, uri: String) {
      self.prefix = prefix
      self.uri = uri
    }
  }

  public static func serialize(_ root: XMLElement, namespaces: [Namespace]) -> String {
    let out = ByteSink(capacity: 16_384)
    out.append(literal: #"<?xml version="1.0" encoding="UTF-8"?>"#)
    out.append(0x0A)
    write(root, level: 0, namespaces: namespaces, formatted: true, to: out)
    out.append(0x0A)
    return out.string
  }

  /// libxml2's format mode: an element whose children are all elements or
  /// comments puts each child on its own line, indented two spaces a level (at
  /// most 30 levels); an element with any text child is written on one line,
  /// its whole subtree unformatted. No children: `<a/>`; an empty text child: `<a></a>`.
  static func write(_ e: XMLElement, level: Int, namespaces: [Namespace], formatted: Bool, to out: ByteSink) {
    out.append(UInt8(ascii: "<"))
    out.append(utf8: e.name)
    writeNamespaces(namespaces, to: out)
    for a in e.attributes { writeAttribute(a.name, a.value, to: out) }
    if e.children.isEmpty {
      out.append(literal: "/>")
      return
    }
    out.append(UInt8(ascii: ">"))
    var format = formatted
    if format {
      for i in e.children.indices { if case .text = e.children[i] { format = false; break } }
    }
    if format { out.append(0x0A) }
    for child in e.children {
      if format { indent(level + 1, to: out) }
      switch child {
      case .element(let sub):
        write(sub, level: level + 1, namespaces: [], formatted: format, to: out)
      case .text(let t):
        escape(t, attribute: false, to: out)
      case .comment(let c):
        out.append(literal: "<!--")
        out.append(utf8: xmlSafe(c).replacingOccurrences(of: "--", with: "- -"))
        out.append(literal: "-->")
      }
      if format { out.append(0x0A) }
    }
    if format { indent(level, to: out) }
    writeEndTag(e.name, to: out)
  }

  /// ` name="value"`, the value escaped for an attribute.
  static func writeAttribute(_ name: String, _ value: String, to out: ByteSink) {
    out.append(UInt8(ascii: " "))
    out.append(utf8: name)
    out.append(UInt8(ascii: "=")); out.append(UInt8(ascii: "\""))
    escape(value, attribute: true, to: out)
    out.append(UInt8(ascii: "\""))
  }

  /// `</name>`.
  static func writeEndTag(_ name: String, to out: ByteSink) {
    out.append(UInt8(ascii: "<")); out.append(UInt8(ascii: "/"))
    out.append(utf8: name)
    out.append(UInt8(ascii: ">"))
  }

  static func writeNamespaces(_ namespaces: [Namespace], to out: ByteSink) {
    for ns in namespaces {
      out.append(literal: " xmlns")
      if let prefix = ns.prefix {
        out.append(UInt8(ascii: ":"))
        out.append(utf8: prefix)
      }
      out.append(literal: "=\"")
      out.append(utf8: ns.uri)
      out.append(UInt8(ascii: "\""))
    }
  }

  /// libxml2's indentation: two spaces a level, at most 30 levels.
  @inline(__always)
  static func indent(_ level: Int, to out: ByteSink) {
    let spaces: StaticString = "                                                            "
    out.append(UnsafeBufferPointer(start: spaces.utf8Start, count: 2 * min(level, 30)))
  }

  /// libxml2's escaping for UTF-8 output. Text: `& < >` and CR. Attributes also
  /// `"`, and tab, LF and CR as character references. Characters XML forbids
  /// become U+FFFD first (``xmlSafe(_:)``).
  static func escape(_ s: String, attribute: Bool, to out: ByteSink) {
    let mark = out.count
    let clean = s.utf8.withContiguousStorageIfAvailable { b in escapeBytes(b, attribute: attribute, to: out) }
      ?? Array(s.utf8).withUnsafeBufferPointer { b in escapeBytes(b, attribute: attribute, to: out) }
    if !clean {
      // A forbidden character: start again from the repaired text (rare).
      out.truncate(to: mark)
      _ = Array(xmlSafe(s).utf8).withUnsafeBufferPointer { b in escapeBytes(b, attribute: attribute, to: out) }
    }
  }

  /// Bytes below 0x40 that need a look, as bit masks: every C0 control (CR and
  /// the forbidden ones; in attributes also tab and LF), `& < >`, and `"` in
  /// attributes. Above 0x3F only 0xEF needs one (it may begin U+FFFE/U+FFFF).
  // C0 controls but tab and LF; `&` 0x26, `<` 0x3C, `>` 0x3E. Attributes add
  // tab, LF and `"` 0x22. (Plain expressions, so they are static constants.)
  private static let textMask: UInt64 = 0xFFFF_F9FF | 1 << 0x26 | 1 << 0x3C | 1 << 0x3E
  private static let attributeMask: UInt64 = textMask | 1 << 0x09 | 1 << 0x0A | 1 << 0x22

  /// Whether a constant attribute value would be written unchanged (no
  /// character to escape or repair), for ``XMLStream/Attribute/c(_:_:)``.
  static func needsNoEscaping(_ s: StaticString) -> Bool {
    s.withUTF8Buffer { b in
      let probe = ByteSink(capacity: b.count)
      return escapeBytes(b, attribute: true, to: probe) && probe.count == b.count
    }
  }

  /// Eight bytes at once: whether any may need a look (a C0 control, `"` `&`
  /// `<` `>`, or 0xEF). False positives only cost the byte loop; there are no
  /// false negatives (each test is the exact "has a zero byte" trick).
  @inline(__always)
  private static func wordNeedsLook(_ w: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    @inline(__always) func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
    let below20 = (w &- ones &* 0x20) & ~w & highs
    return (below20 | hasZero(w ^ (ones &* 0x22)) | hasZero(w ^ (ones &* 0x26)) | hasZero(w ^ (ones &* 0x3C))
      | hasZero(w ^ (ones &* 0x3E)) | hasZero(w ^ (ones &* 0xEF))) != 0
  }

  /// Escapes `b` onto `out` in one pass (runs of plain bytes copied whole,
  /// eight bytes tested at a time); false, with `out` partly written, when a
  /// forbidden character is found.
  @inline(__always)
  private static func escapeBytes(_ b: UnsafeBufferPointer<UInt8>, attribute: Bool, to out: ByteSink) -> Bool {
    let mask = attribute ? attributeMask : textMask
    var start = 0
    var i = 0
    let n = b.count
    guard let p = b.baseAddress else { return true }
    let raw = UnsafeRawPointer(p)
    while i < n {
      if i + 8 <= n, !wordNeedsLook(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian) {
        i += 8
        continue
      }
      // At most eight bytes one at a time, then back to words.
      let stop = min(i + 8, n)
      while i < stop {
        let c = p[i]
        if c >= 0x40 {
          if c == 0xEF, i + 2 < n, p[i + 1] == 0xBF, p[i + 2] == 0xBE || p[i + 2] == 0xBF {
            return false  // U+FFFE or U+FFFF
          }
          i += 1
          continue
        }
        if (mask >> UInt64(c)) & 1 == 0 {
          i += 1
          continue
        }
        let entity: StaticString
        switch c {
        case UInt8(ascii: "&"): entity = "&amp;"
        case UInt8(ascii: "<"): entity = "&lt;"
        case UInt8(ascii: ">"): entity = "&gt;"
        case 0x0D: entity = "&#13;"
        case UInt8(ascii: "\""): entity = "&quot;"
        case 0x0A: entity = "&#10;"
        case 0x09: entity = "&#9;"
        default: return false  // a C0 control XML forbids
        }
        out.append(UnsafeBufferPointer(rebasing: b[start..<i]))
        out.append(literal: entity)
        i += 1
        start = i
      }
    }
    out.append(UnsafeBufferPointer(rebasing: b[start..<n]))
    return true
  }

  /// The same document through libxml2 (tree, then `xmlDocDumpFormatMemoryEnc`).
  public static func serializeWithLibXML2(_ root: XMLElement, namespaces: [Namespace]) -> String {
    LibXML2.ready()
    do {
      let doc = xmlNewDoc("1.0")
      defer { xmlFreeDoc(doc) }
      let node = xmlNewDocNode(doc, nil, root.name, nil)
      xmlDocSetRootElement(doc, node)
      var byPrefix: [String: xmlNsPtr] = [:]
      var defaultNs: xmlNsPtr?
      for ns in namespaces {
        let p = xmlNewNs(node, ns.uri, ns.prefix)
        if let prefix = ns.prefix { byPrefix[prefix] = p } else { defaultNs = p }
      }
      xmlSetNs(node, defaultNs)
      build(root, into: node, doc: doc, defaultNs: defaultNs, prefixes: byPrefix)
      var buffer: UnsafeMutablePointer<xmlChar>?
      var size: Int32 = 0
      xmlDocDumpFormatMemoryEnc(doc, &buffer, &size, "UTF-8", 1)
      guard let buffer else { return "" }
      defer { synoptic_xml_free(buffer) }
      return String(decoding: UnsafeBufferPointer(start: buffer, count: Int(size)), as: UTF8.self)
    }
  }

  private static func build(
    _ e: XMLElement, into node: xmlNodePtr?, doc: xmlDocPtr?, defaultNs: xmlNsPtr?, prefixes: [String: xmlNsPtr]
  ) {
    for a in e.attributes {
      let parts = a.name.split(separator: ":", maxSplits: 1)
      if parts.count == 2, let ns = prefixes[String(parts[0])] {
        xmlNewNsProp(node, ns, String(parts[1]), xmlSafe(a.value))
      } else {
        xmlNewProp(node, a.name, xmlSafe(a.value))
      }
    }
    for child in e.children {
      switch child {
      case .text(let t):
        xmlAddChild(node, xmlNewDocText(doc, xmlSafe(t)))
      case .comment(let c):
        // "--" may not appear inside a comment.
        xmlAddChild(node, xmlNewDocComment(doc, xmlSafe(c).replacingOccurrences(of: "--", with: "- -")))
      case .element(let sub):
        let child = xmlNewDocNode(doc, defaultNs, sub.name, nil)
        xmlAddChild(node, child)
        build(sub, into: child, doc: doc, defaultNs: defaultNs, prefixes: prefixes)
      }
    }
  }
}

/// Parses XML with libxml2 (no network, no entity expansion) into an ``XMLElement`` tree.
public enum XMLReader {
  public static func parse(_ text: String, file: String? = nil) throws(XMLProblem) -> XMLElement {
    let (root, problems): (XMLElement?, [XMLProblem]) = LibXML2.collecting(file: file) { _, _ in
      let bytes = Array(text.utf8)
      let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue)
      guard let doc = bytes.withUnsafeBufferPointer({ b in
        b.baseAddress.map { base in
          base.withMemoryRebound(to: CChar.self, capacity: b.count) { xmlReadMemory($0, Int32(b.count), file ?? "input.xml", "UTF-8", options) }
        } ?? nil
      }) else { return nil }
      defer { xmlFreeDoc(doc) }
      return convert(xmlDocGetRootElement(doc))
    }
    guard let root else {
      throw problems.first ?? XMLProblem(message: "not well-formed XML", line: 0, column: 0, file: file)
    }
    return root
  }

  private static func string(_ p: UnsafePointer<xmlChar>?) -> String {
    p.map { String(cString: $0) } ?? ""
  }

  private static func convert(_ node: xmlNodePtr?) -> XMLElement? {
    guard let node, node.pointee.type == XML_ELEMENT_NODE else { return nil }
    var e = XMLElement(string(node.pointee.name))
    var attr = node.pointee.properties
    while let a = attr {
      var name = string(a.pointee.name)
      if let ns = a.pointee.ns, let prefix = ns.pointee.prefix { name = string(prefix) + ":" + name }
      let value = xmlNodeGetContent(UnsafeMutableRawPointer(a).assumingMemoryBound(to: xmlNode.self))
      e.attributes.append(XMLAttribute(name: name, value: string(value)))
      if let value { synoptic_xml_free(value) }
      attr = a.pointee.next
    }
    var child = node.pointee.children
    while let c = child {
      switch c.pointee.type {
      case XML_ELEMENT_NODE:
        if let sub = convert(c) { e.children.append(.element(sub)) }
      case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
        e.children.append(.text(string(c.pointee.content)))
      case XML_COMMENT_NODE:
        e.children.append(.comment(string(c.pointee.content)))
      default: break
      }
      child = c.pointee.next
    }
    return e
  }
}

/// An XSD compiled once with libxml2's schema validator.
public final class XMLSchemaValidator: @unchecked Sendable {
  private let schema: xmlSchemaPtr
  public let path: String

  /// Compiles the schema at `path`; its own errors are thrown with positions.
  public init(path: String) throws(XMLProblem) {
    self.path = path
    guard FileManager.default.fileExists(atPath: path) else {
      throw XMLProblem(message: "schema not found", line: 0, column: 0, file: path)
    }
    let (compiled, problems): (xmlSchemaPtr?, [XMLProblem]) = LibXML2.collecting(file: path) { _, raw in
      guard let ctxt = xmlSchemaNewParserCtxt(path) else { return nil }
      defer { xmlSchemaFreeParserCtxt(ctxt) }
      xmlSchemaSetParserStructuredErrors(ctxt, LibXML2.callback, raw)
      return xmlSchemaParse(ctxt)
    }
    guard let compiled else {
      throw problems.first ?? XMLProblem(message: "schema could not be compiled", line: 0, column: 0, file: path)
    }
    schema = compiled
  }

  deinit { LibXML2.locked { xmlSchemaFree(schema) } }

  /// Validates a document; an empty list means valid. Problems carry line numbers.
  public func validate(_ text: String, file: String? = nil) -> [XMLProblem] {
    let (result, problems): (Int32, [XMLProblem]) = LibXML2.collecting(file: file) { _, raw in
      let bytes = Array(text.utf8)
      let options = Int32(XML_PARSE_NONET.rawValue)
      guard let doc = bytes.withUnsafeBufferPointer({ b in
        b.baseAddress.map { base in
          base.withMemoryRebound(to: CChar.self, capacity: b.count) { xmlReadMemory($0, Int32(b.count), file ?? "input.xml", "UTF-8", options) }
        } ?? nil
      }) else { return -1 }
      defer { xmlFreeDoc(doc) }
      guard let ctxt = xmlSchemaNewValidCtxt(schema) else { return -1 }
      defer { xmlSchemaFreeValidCtxt(ctxt) }
      xmlSchemaSetValidStructuredErrors(ctxt, LibXML2.callback, raw)
      return xmlSchemaValidateDoc(ctxt, doc)
    }
    if result == 0 { return [] }
    return problems.isEmpty ? [XMLProblem(message: "document is not valid (\(result))", line: 0, column: 0, file: file)] : problems
  }
}
