/// A small XML tree our writers build; libxml2 serialises it (escaping and
/// well-formedness guaranteed there) and parses XML back into it.
public struct XMLElement: Sendable, Equatable {
  public var name: String
  /// Attributes in the order they are written (stable output).
  public var attributes: [XMLAttribute]
  public var children: [XMLNode]

  public init(_ name: String, _ attributes: [(String, String?)] = [], _ children: [XMLNode] = []) {
    self.name = name
    self.attributes = attributes.compactMap { k, v in v.map { XMLAttribute(name: k, value: $0) } }
    self.children = children
  }

  public init(_ name: String, _ attributes: [(String, String?)] = [], text: String) {
    self.init(name, attributes, [.text(text)])
  }

  public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

  /// Child elements, optionally with one name.
  public func elements(_ name: String? = nil) -> [XMLElement] {
    children.compactMap { if case .element(let e) = $0, name == nil || e.name == name { return e } else { return nil } }
  }

  public func element(_ name: String) -> XMLElement? { elements(name).first }

  /// The concatenated text of this element and its descendants.
  public var text: String {
    children.map { node in
      switch node {
      case .text(let t): return t
      case .element(let e): return e.text
      case .comment: return ""
      }
    }.joined()
  }

  /// Every descendant element (depth first), this one included.
  public var descendants: [XMLElement] { [self] + elements().flatMap(\.descendants) }
}

public struct XMLAttribute: Sendable, Equatable {
  public var name: String
  public var value: String
}

public enum XMLNode: Sendable, Equatable {
  case element(XMLElement)
  case text(String)
  case comment(String)
}

extension XMLNode {
  public static func el(_ name: String, _ attributes: [(String, String?)] = [], _ children: [XMLNode] = []) -> XMLNode {
    .element(XMLElement(name, attributes, children))
  }
  public static func el(_ name: String, _ attributes: [(String, String?)] = [], text: String) -> XMLNode {
    .element(XMLElement(name, attributes, text: text))
  }
}

/// Characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE and
/// U+FFFF) become U+FFFD, so typed text never makes a document ill-formed.
public func xmlSafe(_ s: String) -> String {
  guard s.unicodeScalars.contains(where: isForbidden) else { return s }
  var out = String.UnicodeScalarView()
  for u in s.unicodeScalars { out.append(isForbidden(u) ? "\u{FFFD}" : u) }
  return String(out)
}

private func isForbidden(_ u: Unicode.Scalar) -> Bool {
  (u.value < 0x20 && u.value != 0x09 && u.value != 0x0A && u.value != 0x0D) || u.value == 0xFFFE || u.value == 0xFFFF
}
