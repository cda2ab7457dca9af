/// The members of a ``LayoutValue/object(_:)``: names and values in the order
/// they were given.
///
/// Report trees are built for every case and have small objects (an item has
/// nine members), which are cheaper to make and to search as an array than to
/// hash. Objects of more than
/// ``indexThreshold`` members (JSON data, which may be large) also keep a hash
/// index, so lookups stay constant-time there. Equality ignores order, as a
/// dictionary's does. Setting a name that is there replaces its value.
public struct LayoutObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
  /// Unlabelled, so a literal's variadic array is the storage as it is.
  public typealias Member = (String, LayoutValue)
  public private(set) var members: [Member] = []
  private var index: [String: Int]?

  static let indexThreshold = 32

  public init() {}

  public init(_ pairs: some Sequence<(String, LayoutValue)>) {
    members.reserveCapacity(pairs.underestimatedCount)
    for (k, v) in pairs { self[k] = v }
  }

  /// As with a dictionary literal, a name must not be repeated (checked in
  /// debug builds): the literal's array is kept as it is, without searching.
  public init(dictionaryLiteral elements: (String, LayoutValue)...) {
    members = elements
    assert(Set(elements.map(\.0)).count == elements.count, "a layout object literal repeats a name: \(elements.map(\.0))")
    if members.count > Self.indexThreshold { rebuildIndex() }
  }

  public var count: Int { members.count }
  public var isEmpty: Bool { members.isEmpty }
  public var keys: [String] { members.map(\.0) }

  private func position(_ key: String) -> Int? {
    if let index { return index[key] }
    return members.firstIndex { $0.0 == key }
  }

  public subscript(key: String) -> LayoutValue? {
    get { position(key).map { members[$0].1 } }
    set {
      if let i = position(key) {
        if let newValue {
          members[i].1 = newValue
        } else {
          members.remove(at: i)
          if index != nil { rebuildIndex() }
        }
      } else if let newValue {
        members.append((key, newValue))
        if index != nil {
          index![key] = members.count - 1
        } else if members.count > Self.indexThreshold {
          rebuildIndex()
        }
      }
    }
  }

  private mutating func rebuildIndex() {
    guard members.count > Self.indexThreshold else {
      index = nil
      return
    }
    var i: [String: Int] = [:]
    i.reserveCapacity(members.count)
    for (n, m) in members.enumerated() { i[m.0] = n }
    index = i
  }

  public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }

  public func mapValues<T>(_ transform: (LayoutValue) throws -> T) rethrows -> [String: T] {
    var out: [String: T] = [:]
    for m in members { out[m.0] = try transform(m.1) }
    return out
  }

  public func compactMapValues<T>(_ transform: (LayoutValue) throws -> T?) rethrows -> [String: T] {
    var out: [String: T] = [:]
    for m in members { out[m.0] = try transform(m.1) }
    return out
  }

  public static func == (a: LayoutObject, b: LayoutObject) -> Bool {
    guard a.count == b.count else { return false }
    for m in a.members where b[m.0] != m.1 { return false }
    return true
  }
}
