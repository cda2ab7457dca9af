/// A growable byte buffer for the XML writers: appends without Array's
/// uniqueness checks and generic append path (a CDA document is tens of
/// thousands of small appends).
final class ByteSink {
  private var base: UnsafeMutablePointer<UInt8>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int) {
    self.capacity = max(capacity, 64)
    base = .allocate(capacity: self.capacity)
  }

  deinit { base.deallocate() }

  @inline(__always)
  private func reserve(_ n: Int) {
    if count + n > capacity { grow(to: count + n) }
  }

  @inline(never)
  private func grow(to needed: Int) {
    var c = capacity * 2
    while c < needed { c *= 2 }
    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
    bigger.update(from: base, count: count)
    base.deallocate()
    base = bigger
    capacity = c
  }

  @inline(__always)
  func append(_ byte: UInt8) {
    reserve(1)
    base[count] = byte
    count += 1
  }

  @inline(__always)
  func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let from = bytes.baseAddress, !bytes.isEmpty else { return }
    reserve(bytes.count)
    (base + count).update(from: from, count: bytes.count)
    count += bytes.count
  }

  @inline(__always)
  func append(literal s: StaticString) {
    if s.hasPointerRepresentation {
      append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    } else {
      s.withUTF8Buffer { append($0) }  // a one-scalar literal is stored as the scalar
    }
  }

  /// A string's UTF-8 as it is (no escaping).
  @inline(__always)
  func append(utf8 s: String) {
    if s.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
      for b in s.utf8 { append(b) }
    }
  }

  /// Drops what was written after `mark` (a `count` read earlier).
  func truncate(to mark: Int) {
    precondition(mark >= 0 && mark <= count)
    count = mark
  }

  /// The bytes written so far (valid until the next append).
  func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(start: base, count: count))
  }

  var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }
}
