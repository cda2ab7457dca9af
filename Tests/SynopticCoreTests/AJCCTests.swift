import Testing
@testable import SynopticCore

@Suite("AJCC 8th staging")
struct AJCCTests {
  func t(_ group: SiteGroup, _ cm: Double, _ c: Comparator? = nil) -> String {
    AJCC.t(.init(siteGroup: group, size: .value(Length(cm, .cm, comparator: c)))).category
  }

  @Test("trunk/extremity and retroperitoneum size cut-offs 5/10/15 cm, on a cut-off is the lower category",
        arguments: [SiteGroup.trunkExtremity, .retroperitoneum])
  func sizeCutoffs(group: SiteGroup) {
    let cases: [(Double, String)] = [
      (0.1, "T1"), (4.99, "T1"), (5.0, "T1"), (5.01, "T2"), (9.99, "T2"), (10.0, "T2"), (10.01, "T3"),
      (15.0, "T3"), (15.01, "T4"), (40, "T4"),
    ]
    for (cm, expected) in cases { #expect(t(group, cm) == expected, "\(cm) cm") }
    // Millimetres convert: 50 mm is on the 5 cm cut-off.
    #expect(AJCC.t(.init(siteGroup: group, size: .value(Length(50, .mm)))).category == "T1")
    #expect(AJCC.t(.init(siteGroup: group, size: .value(Length(51, .mm)))).category == "T2")
  }

  @Test("head and neck: 2/4 cm cut-offs, T4a/T4b by invasion regardless of size")
  func headNeck() {
    for (cm, expected) in [(1.0, "T1"), (2.0, "T1"), (2.01, "T2"), (4.0, "T2"), (4.01, "T3"), (12, "T3")] {
      #expect(t(.headNeck, cm) == expected, "\(cm) cm")
    }
    for s in HeadNeckInvasion.allCases {
      let r = AJCC.t(.init(siteGroup: .headNeck, size: .value(Length(1, .cm)), headNeckInvasion: [s]))
      #expect(r.category == (s.isT4b ? "T4b" : "T4a"), "\(s)")
    }
    #expect(AJCC.t(.init(siteGroup: .headNeck, size: .notReported, headNeckInvasion: [.orbit, .brain])).category == "T4b")
    let t4b: Set<HeadNeckInvasion> = [.brain, .carotidEncasement, .prevertebralMuscle, .perineuralCNS]
    #expect(Set(HeadNeckInvasion.allCases.filter(\.isT4b)) == t4b)
  }

  @Test("visceral: extent and multifocality")
  func visceral() {
    func v(_ e: VisceralExtent?, _ sites: Int? = nil) -> String {
      AJCC.t(.init(siteGroup: .visceral, size: .value(Length(30, .cm)), visceralExtent: e, multifocalSites: sites)).category
    }
    #expect(v(.organConfined) == "T1")
    #expect(v(.serosa) == "T2a")
    #expect(v(.beyondSerosa) == "T2b")
    #expect(v(.anotherOrgan) == "T3")
    #expect(v(.organConfined, 1) == "T1")
    #expect(v(.organConfined, 2) == "T4a")
    #expect(v(.organConfined, 3) == "T4b")
    #expect(v(.organConfined, 5) == "T4b")
    #expect(v(.organConfined, 6) == "T4c")
    #expect(v(nil) == "TX")
  }

  @Test("unknown size is TX, never a guess")
  func unknownSize() {
    #expect(AJCC.t(.init(siteGroup: .trunkExtremity, size: .notReported)).category == "TX")
    #expect(AJCC.t(.init(siteGroup: .trunkExtremity, size: .cannotBeDetermined(reason: "fragmented"))).category == "TX")
    #expect(AJCC.t(.init(siteGroup: .trunkExtremity, size: nil)).category == "TX")
    #expect(AJCC.t(.init(siteGroup: .other, size: .value(Length(3, .cm)))).category == "TX")
  }

  @Test("comparators assign T only when every possible size falls in one category")
  func comparators() {
    #expect(t(.trunkExtremity, 15, .greaterThan) == "T4")
    #expect(t(.trunkExtremity, 5, .greaterThan) == "TX")
    #expect(t(.trunkExtremity, 5, .lessThanOrEqual) == "T1")
    #expect(t(.trunkExtremity, 5, .lessThan) == "T1")
    #expect(t(.trunkExtremity, 6, .lessThan) == "TX")
    #expect(t(.trunkExtremity, 15, .greaterThanOrEqual) == "TX")
    #expect(t(.trunkExtremity, 16, .greaterThanOrEqual) == "T4")
    #expect(t(.trunkExtremity, 6, .approximately) == "T2")
    #expect(t(.headNeck, 4, .greaterThan) == "T3")
  }

  /// Stage tables restated from the reference (section 11.3) as literal rows:
  /// T, N, M, G -> group, for every cell. "-" means not assigned.
  static let trunkExtremity: [String: String] = table(n1: "IV")
  static let retroperitoneum: [String: String] = table(n1: "IIIB")

  static func table(n1: String) -> [String: String] {
    var rows: [String: String] = [:]
    for tc in ["T1", "T2", "T3", "T4", "TX"] {
      for g in ["G1", "G2", "G3", "GX"] {
        rows["\(tc) N1 M0 \(g)"] = n1
        rows["\(tc) N0 M1 \(g)"] = "IV"
        rows["\(tc) N1 M1 \(g)"] = "IV"
      }
    }
    rows["T1 N0 M0 G1"] = "IA"; rows["T1 N0 M0 GX"] = "IA"
    rows["T1 N0 M0 G2"] = "II"; rows["T1 N0 M0 G3"] = "II"
    for tc in ["T2", "T3", "T4"] { rows["\(tc) N0 M0 G1"] = "IB"; rows["\(tc) N0 M0 GX"] = "IB" }
    rows["T2 N0 M0 G2"] = "IIIA"; rows["T2 N0 M0 G3"] = "IIIA"
    for tc in ["T3", "T4"] { rows["\(tc) N0 M0 G2"] = "IIIB"; rows["\(tc) N0 M0 G3"] = "IIIB" }
    for g in ["G1", "G2", "G3", "GX"] { rows["TX N0 M0 \(g)"] = "-" }
    return rows
  }

  @Test("every cell of the trunk/extremity and retroperitoneum stage tables",
        arguments: [(SiteGroup.trunkExtremity, trunkExtremity), (.retroperitoneum, retroperitoneum)])
  func stageTables(group: SiteGroup, expected: [String: String]) {
    #expect(expected.count == 5 * 2 * 2 * 4)
    for tc in ["T1", "T2", "T3", "T4", "TX"] {
      for n in AJCC.N.allCases {
        for m in AJCC.M.allCases {
          for g in [AJCC.Grade.g1, .g2, .g3, .gx] {
            let key = "\(tc) \(n.rawValue) \(m.rawValue) \(g.rawValue)"
            let s = AJCC.stageGroup(siteGroup: group, t: tc, n: n, m: m, grade: g)
            #expect((s.group ?? "-") == expected[key], "\(group) \(key): \(s.reason)")
          }
        }
      }
    }
  }

  @Test("N1 M0 is IV on the trunk or extremities but IIIB in the retroperitoneum")
  func n1Differs() {
    #expect(AJCC.stageGroup(siteGroup: .trunkExtremity, t: "T1", n: .n1, m: .m0, grade: .g1).group == "IV")
    #expect(AJCC.stageGroup(siteGroup: .retroperitoneum, t: "T1", n: .n1, m: .m0, grade: .g1).group == "IIIB")
  }

  @Test("a grade range groups by every grade it allows: one group when they agree, none with the alternatives otherwise")
  func gradeRanges() {
    let high = AJCC.stageGroup(siteGroup: .trunkExtremity, t: "T2", n: .n0, m: .m0, grades: [.g2, .g3])
    #expect(high.group == "IIIA")
    #expect(high.alternatives.isEmpty)
    let open = AJCC.stageGroup(siteGroup: .trunkExtremity, t: "T2", n: .n0, m: .m0, grades: [.g1, .g2])
    #expect(open.group == nil)
    #expect(open.alternatives == ["IB (G1)", "IIIA (G2)"])
    #expect(open.reason.hasPrefix("stage cannot be assigned"))
    // Where N1 decides, every grade gives the same group.
    #expect(AJCC.stageGroup(siteGroup: .retroperitoneum, t: "T2", n: .n1, m: .m0, grades: [.g1, .g2, .g3]).group == "IIIB")
    #expect(AJCC.stageGroup(siteGroup: .trunkExtremity, t: "T1", n: .n0, m: .m1, grades: [.g1, .g2]).group == "IV")
  }

  @Test("no stage group for head and neck, visceral and other, said plainly",
        arguments: [SiteGroup.headNeck, .visceral, .other])
  func noGroup(group: SiteGroup) {
    let s = AJCC.stageGroup(siteGroup: group, t: "T2", n: .n0, m: .m0, grade: .g3)
    #expect(s.group == nil)
    #expect(s.reason.contains("defines no stage group"))
  }
}

@Suite("Margins")
struct MarginTests {
  func margin(_ name: String, _ status: MarginStatus, _ mm: Double? = nil, macroscopic: Bool? = nil) -> Margin {
    Margin(name: name, status: status, distance: mm.map { .value(Length($0, .mm)) }, macroscopic: macroscopic)
  }

  @Test("closest margin, close flag at the 10 mm default, R0")
  func closest() {
    let a = MarginRules.assess([margin("deep", .notInvolved, 12), margin("proximal", .notInvolved, 0.3)])
    #expect(a.rClass == .r0)
    #expect(a.closest?.name == "proximal")
    #expect(a.close == .yes)
    #expect(MarginRules.assess([margin("deep", .notInvolved, 10)]).close == .no)
    #expect(MarginRules.assess([margin("deep", .notInvolved, 9.9)]).close == .yes)
    #expect(MarginRules.assess([margin("deep", .notInvolved, 9.9)], closeThresholdMm: 5).close == .no)
  }

  @Test("centimetres compare with millimetres")
  func units() {
    let a = MarginRules.assess([
      Margin(name: "a", status: .notInvolved, distance: .value(Length(1, .cm))),
      Margin(name: "b", status: .notInvolved, distance: .value(Length(8, .mm))),
    ])
    #expect(a.closest?.name == "b")
  }

  @Test("R classes")
  func rClasses() {
    #expect(MarginRules.assess([margin("deep", .involved), margin("skin", .notInvolved, 5)]).rClass == .r1)
    #expect(MarginRules.assess([margin("deep", .involved, macroscopic: true)]).rClass == .r2)
    #expect(MarginRules.assess([margin("deep", .cannotBeAssessed), margin("skin", .notInvolved, 5)]).rClass == .rx)
    #expect(MarginRules.assess([]).rClass == .rx)
    #expect(MarginRules.assess(nil).rClass == .rx)
    #expect(MarginRules.assess([margin("deep", .involved), margin("x", .cannotBeAssessed)]).involved == ["deep"])
  }
}
