import Foundation
import SynopticTestSupport
import Testing
@testable import SynopticCore

@Suite("Byte search agrees with Foundation's contains")
struct TextSearchTests {
  @Test("worked examples, and random texts over a small alphabet")
  func agrees() {
    #expect(" close margin ".containsBytes(" margin"))
    #expect(!" marginal ".containsBytes(" margins "))
    #expect("abc".containsBytes(""))
    #expect(!"".containsBytes("a"))
    #expect(!"ab".containsBytes("abc"))
    #expect("aab".containsBytes("ab"))
    var rng = SplitMix(seed: 0x5345_4152)
    let alphabet: [Character] = ["a", "b", " ", "é", "≥"]
    func random(_ n: Int) -> String { String((0..<n).map { _ in alphabet.randomElement(using: &rng)! }) }
    for _ in 0..<2_000 {
      let hay = random(Int.random(in: 0...12, using: &rng))
      let needle = random(Int.random(in: 1...3, using: &rng))
      #expect(hay.containsBytes(needle) == hay.contains(needle), "\(hay) / \(needle)")
    }
  }
}
