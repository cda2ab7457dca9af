/// Tests on eight bytes of text at once (a `UInt64` read from it), for the
/// loops that scan every byte of a report: a word that holds nothing to act
/// on is passed whole. The classic word tests; each answers exactly whether
/// some byte qualifies, not which.
package enum ByteWord {
  /// Whether any of the eight bytes is `b`: a zero byte in `w` XOR `b`.
  @inlinable @inline(__always)
  package static func contains(_ w: UInt64, _ b: UInt8) -> Bool {
    containsBelow(w ^ (0x0101_0101_0101_0101 &* UInt64(b)), 1)
  }

  /// Whether any of the eight bytes is below `n` (at most 128).
  @inlinable @inline(__always)
  package static func containsBelow(_ w: UInt64, _ n: UInt8) -> Bool {
    (w &- 0x0101_0101_0101_0101 &* UInt64(n)) & ~w & 0x8080_8080_8080_8080 != 0
  }
}
