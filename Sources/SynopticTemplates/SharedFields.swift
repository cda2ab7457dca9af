/// A value type's fields kept in one shared, immutable box: a copy of the
/// value is one retain instead of one per string and enum inside it, and a
/// change makes a new box (copies keep the old one). For the items every
/// writer walks (``ReportItem``, ``TemplateItem``), which are copied often.
/// Encodes and decodes as the plain fields.
@usableFromInline struct SharedFields<Fields: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
  @usableFromInline final class Box: Sendable {
    @usableFromInline let fields: Fields
    init(_ fields: consuming Fields) { self.fields = fields }
  }

  @usableFromInline var box: Box

  // Consuming, so a new item's fields move into the box instead of being copied and the original destroyed.
  init(_ fields: consuming Fields) { box = Box(fields) }

  /// Changes the fields through a fresh box.
  mutating func change(_ edit: (inout Fields) -> Void) {
    var f = box.fields
    edit(&f)
    box = Box(f)
  }

  @usableFromInline static func == (a: Self, b: Self) -> Bool { a.box === b.box || a.box.fields == b.box.fields }

  @usableFromInline init(from decoder: any Decoder) throws { box = Box(try Fields(from: decoder)) }

  @usableFromInline func encode(to encoder: any Encoder) throws { try box.fields.encode(to: encoder) }
}
