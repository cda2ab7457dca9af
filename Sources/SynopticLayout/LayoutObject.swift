/// The members of a ``LayoutValue/object(_:)``: names and values in the order
/// they were given.
///
/// Report trees are built for every case and have small objects (an item has
/// nine members), which are cheaper to make and to search as two arrays than
/// to hash: a dictionary per object was 4% of a batch run. Objects of more than
/// ``indexThreshold`` members (JSON data, which may be large) also keep a hash
/// index, so lookups stay constant-time there. Equality ignores order, as a
/// dictionary's does; a name given twice keeps its last value.
public struct LayoutObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
  public private(set) var keys: [String] = []
  public private(set) var values: [LayoutValue] = []
  private var index: [String: Int]?

  static let indexThreshold = 16

  public init() {}

  public init(_ pairs: some Sequence<(String, LayoutValue)>) {
    keys.reserveCapacity(pairs.underestimatedCount)
    values.reserveCapacity(pairs.underestimatedCount)
    for (k, v) in pairs { self[k] = v }
  }

  public init(dictionaryLiteral elements: (String, LayoutValue)...) {
    self.init(elements)
  }

  public var count: Int { keys.count }
  public var isEmpty: Bool { keys.isEmpty }

  private func position(_ key: String) -> Int? {
    if let index { return index[key] }
    return keys.firstIndex(of: key)
  }

  public subscript(key: String) -> LayoutValue? {
    get { position(key).map { values[$0] } }
    set {
      if let i = position(key) {
        if let newValue {
          values[i] = newValue
        } else {
          keys.remove(at: i)
          values.remove(at: i)
          if index != nil { rebuildIndex() }
        }
      } else if let newValue {
        keys.append(key)
        values.append(newValue)
        if index != nil {
          index![key] = keys.count - 1
        } else if keys.count > Self.indexThreshold {
          rebuildIndex()
        }
      }
    }
  }

  private mutating func rebuildIndex() {
    guard keys.count > Self.indexThreshold else {
      index = nil
      return
    }
    var i: [String: Int] = [:]
    i.reserveCapacity(keys.count)
    for (n, k) in keys.enumerated() { i[k] = n }
    index = i
  }

  public func makeIterator() -> some IteratorProtocol<(key: String, value: LayoutValue)> {
    zip(keys, values).lazy.map { (key: $0, value: $1) }.makeIterator()
  }

  public func mapValues<T>(_ transform: (LayoutValue) throws -> T) rethrows -> [String: T] {
    var out: [String: T] = [:]
    for (k, v) in zip(keys, values) { out[k] = try transform(v) }
    return out
  }

  public func compactMapValues<T>(_ transform: (LayoutValue) throws -> T?) rethrows -> [String: T] {
    var out: [String: T] = [:]
    for (k, v) in zip(keys, values) { out[k] = try transform(v) }
    return out
  }

  public static func == (a: LayoutObject, b: LayoutObject) -> Bool {
    guard a.count == b.count else { return false }
    for (k, v) in zip(a.keys, a.values) where b[k] != v { return false }
    return true
  }
}
