import Foundation
import Testing
@testable import SynopticCore

@Suite("Margins given as bounds")
struct MarginBoundsTests {
  func free(_ name: String, _ text: String?) -> Margin {
    let distance: Qualified<Length>? = text.map { t in
      if t == "not reported" { return .notReported }
      guard let l = Length.parse(t) else { Issue.record("bad length \(t)"); return .notReported }
      return .value(l)
    }
    return Margin(name: name, status: .notInvolved, distance: distance)
  }

  @Test("one margin on each side of the 10 mm threshold, exact, bound and unknown", arguments: [
    ("9.9 mm", CloseMargin.yes), ("10 mm", .no), ("10.1 mm", .no), ("1 cm", .no), ("0.99 cm", .yes),
    ("< 10 mm", .yes), ("<= 10 mm", .cannotBeDetermined), ("< 10.1 mm", .cannotBeDetermined), ("<= 9.9 mm", .yes),
    ("> 9.9 mm", .cannotBeDetermined), ("> 10 mm", .no), (">= 10 mm", .no), (">= 9.99 mm", .cannotBeDetermined),
    ("> 5 mm", .cannotBeDetermined), ("< 1 mm", .yes), ("approximately 12 mm", .no), ("not reported", .cannotBeDetermined),
  ])
  func oneMargin(distance: String, expected: CloseMargin) {
    let a = MarginRules.assess([free("deep", distance)])
    #expect(a.close == expected, "\(distance): \(a.closeText ?? "")")
    #expect(a.closeText?.hasPrefix(expected.rawValue.replacingOccurrences(of: "-", with: " ")) == true)
    #expect(a.closeText?.contains("close means under 10 mm") == true, "the report states the threshold")
  }

  @Test("the close flag is yes when any margin is known close, no only when every one is known not close")
  func flagOverMargins() {
    #expect(MarginRules.assess([free("skin", "7 mm"), free("deep", "> 5 mm")]).close == .yes)
    #expect(MarginRules.assess([free("skin", "7 mm"), free("deep", "not reported")]).close == .yes)
    #expect(MarginRules.assess([free("skin", "12 mm"), free("deep", "> 5 mm")]).close == .cannotBeDetermined)
    #expect(MarginRules.assess([free("skin", "12 mm"), free("deep", "> 10 mm")]).close == .no)
    #expect(MarginRules.assess([free("skin", "12 mm"), free("deep", nil)]).close == .cannotBeDetermined)
    let unassessed = Margin(name: "bone", status: .cannotBeAssessed)
    #expect(MarginRules.assess([free("skin", "12 mm"), unassessed]).close == .cannotBeDetermined)
    #expect(MarginRules.assess([free("skin", "2 mm"), unassessed]).close == .yes)
  }

  @Test("the threshold is a setting, and the report states it")
  func threshold() {
    let margins = [free("skin", "7 mm")]
    #expect(MarginRules.assess(margins, closeThresholdMm: 5).close == .no)
    #expect(MarginRules.assess(margins, closeThresholdMm: 5).closeText == "no (every margin is 5 mm or more; close means under 5 mm)")
    #expect(MarginRules.assess(margins, closeThresholdMm: 7.5).close == .yes)
    #expect(MarginRules.assess(margins, closeThresholdMm: 7).close == .no, "7 mm is not under 7 mm")
  }

  @Test("the closest margin is the one that can be closest; when several can, it says so")
  func closestWithBounds() {
    let a = MarginRules.assess([free("skin", "7 mm"), free("deep", "> 5 mm")])
    #expect(a.closest?.name == "skin")
    #expect(a.mayBeCloser.map(\.name) == ["deep"])
    #expect(a.closestText == "skin 7 mm; deep > 5 mm may be closer")
    #expect(a.closestDistance == Length(7, .mm, comparator: .lessThanOrEqual), "the closest distance is at most 7 mm")
    // A lower bound at or beyond the exact distance cannot be closer.
    let b = MarginRules.assess([free("skin", "7 mm"), free("deep", ">= 7 mm")])
    #expect(b.mayBeCloser.isEmpty)
    #expect(b.closestDistance == Length(7, .mm))
    #expect(b.closestText == "skin 7 mm")
    // An upper bound is a distance that can be the closest.
    let c = MarginRules.assess([free("skin", "0.5 mm"), free("deep", "< 1 mm")])
    #expect(c.closest?.name == "skin")
    #expect(c.mayBeCloser.map(\.name) == ["deep"])
    let d = MarginRules.assess([free("skin", "3 mm"), free("deep", "< 1 mm")])
    #expect(d.closest?.name == "deep")
    #expect(d.mayBeCloser.isEmpty)
    #expect(d.closestDistance == Length(1, .mm, comparator: .lessThan))
  }

  @Test("equal distances are equally close; unknown ones may be closer; none known: cannot be determined")
  func tiesAndUnknowns() {
    let tie = MarginRules.assess([free("skin", "4 mm"), free("deep", "0.4 cm")])
    #expect(tie.equallyClose == ["deep"])
    #expect(tie.closestText == "skin 4 mm; equally close: deep")
    let unknown = MarginRules.assess([free("retroperitoneal", "6 mm"), free("inferior", "not reported")])
    #expect(unknown.closestText == "retroperitoneal 6 mm; inferior: distance not reported may be closer")
    #expect(unknown.closestDistance == Length(6, .mm, comparator: .lessThanOrEqual))
    let none = MarginRules.assess([free("all margins", "not reported")])
    #expect(none.closest == nil)
    #expect(none.closestDistance == nil)
    #expect(none.closestText == "cannot be determined (distances not reported)")
    #expect(none.close == .cannotBeDetermined)
    #expect(none.rClass == .r0)
  }

  @Test("the R working names the rule applied")
  func rWorking() {
    let r1 = MarginRules.assess([Margin(name: "deep", status: .involved), free("skin", "9 mm")])
    #expect(r1.rClass == .r1)
    #expect(r1.working == "R1: tumour at ink (deep); tumour at ink = R1")
    #expect(r1.closest == nil, "with a margin at ink there is no 'closest' free margin to report")
    #expect(r1.close == .yes)
    let r0 = MarginRules.assess([free("skin", "9 mm")])
    #expect(r0.working == "R0: no tumour at ink at any margin (tumour at ink = R1)")
    let r2 = MarginRules.assess([Margin(name: "deep", status: .involved, macroscopic: true)])
    #expect(r2.working.hasPrefix("R2: macroscopic tumour at the margin (deep)"))
  }

  /// The rule restated independently: a margin's possible distances, sampled
  /// on a fine grid, all under the threshold (known close) or none.
  @Test("the close flag agrees with sampling every distance each margin allows, on random cases")
  func againstSampling() {
    var rng = SystemRandomNumberGenerator()
    let comparators: [SynopticCore.Comparator?] = [nil, .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual]
    let grid = stride(from: 0.05, through: 40, by: 0.05).map { ($0 * 100).rounded() / 100 }
    for _ in 0..<500 {
      let count = Int.random(in: 1...3, using: &rng)
      var margins: [Margin] = []
      var possible: [[Double]] = []
      for i in 0..<count {
        if Int.random(in: 0..<6, using: &rng) == 0 {
          margins.append(Margin(name: "m\(i)", status: .notInvolved, distance: .notReported))
          possible.append(grid)
          continue
        }
        let v = Double(Int.random(in: 1...40, using: &rng)) / 2
        let c = comparators.randomElement(using: &rng)!
        margins.append(Margin(name: "m\(i)", status: .notInvolved, distance: .value(Length(v, .mm, comparator: c))))
        possible.append(grid.filter { d in
          switch c {
          case nil: return d == v
          case .lessThan?: return d < v
          case .lessThanOrEqual?: return d <= v
          case .greaterThan?: return d > v
          case .greaterThanOrEqual?: return d >= v
          case .approximately?: return d == v
          }
        })
      }
      let threshold = Double(Int.random(in: 2...30, using: &rng)) / 2
      let knownClose = possible.contains { !$0.isEmpty && $0.allSatisfy { $0 < threshold } }
      let knownNotClose = possible.allSatisfy { $0.allSatisfy { $0 >= threshold } }
      let expected: CloseMargin = knownClose ? .yes : knownNotClose ? .no : .cannotBeDetermined
      let a = MarginRules.assess(margins, closeThresholdMm: threshold)
      #expect(a.close == expected, "\(margins.map { $0.distance?.description ?? "-" }) at \(threshold): \(a.closeText ?? "")")
    }
  }
}
