/// AJCC 8th edition staging of soft tissue sarcoma: T by site group, N, M,
/// and the prognostic stage groups of chapters 41 (trunk and extremities) and
/// 44 (retroperitoneum). Other site groups have no stage group.
public enum AJCC {
  /// The G used for grouping (FNCLCC grades; a grade known only as a range
  /// groups by each grade it allows).
  public enum Grade: String, Sendable, Codable, CaseIterable {
    case g1 = "G1", g2 = "G2", g3 = "G3", gx = "GX"

    /// The grouping column: G1 and GX share one, G2 and G3 the other.
    var column: Int { self == .g1 || self == .gx ? 1 : 2 }
  }

  public enum N: String, Sendable, Codable, CaseIterable { case n0 = "N0", n1 = "N1" }
  public enum M: String, Sendable, Codable, CaseIterable { case m0 = "M0", m1 = "M1" }

  /// A T category with the reason it was (or could not be) assigned.
  public struct TAssessment: Sendable, Equatable, Codable {
    /// `T1` ... `T4c`, or `TX`.
    public var category: String
    public var working: String
    public var isTX: Bool { category == "TX" }
  }

  public struct TInput: Sendable, Equatable {
    public var siteGroup: SiteGroup
    public var size: Qualified<Length>?
    public var headNeckInvasion: [HeadNeckInvasion]
    public var visceralExtent: VisceralExtent?
    public var multifocalSites: Int?

    public init(
      siteGroup: SiteGroup, size: Qualified<Length>?, headNeckInvasion: [HeadNeckInvasion] = [],
      visceralExtent: VisceralExtent? = nil, multifocalSites: Int? = nil
    ) {
      self.siteGroup = siteGroup
      self.size = size
      self.headNeckInvasion = headNeckInvasion
      self.visceralExtent = visceralExtent
      self.multifocalSites = multifocalSites
    }
  }

  /// Size cut-offs in cm (a size on a cut-off belongs to the lower category).
  static func cutoffs(_ group: SiteGroup) -> [Double]? {
    switch group {
    case .trunkExtremity, .retroperitoneum: return [5, 10, 15]
    case .headNeck: return [2, 4]
    case .visceral, .other: return nil
    }
  }

  public static func t(_ input: TInput) -> TAssessment {
    switch input.siteGroup {
    case .headNeck:
      if let s = input.headNeckInvasion.first(where: \.isT4b) {
        return TAssessment(category: "T4b", working: "invades \(s.label) (T4b, regardless of size)")
      }
      if let s = input.headNeckInvasion.first {
        return TAssessment(category: "T4a", working: "invades \(s.label) (T4a, regardless of size)")
      }
      return bySize(input)
    case .trunkExtremity, .retroperitoneum:
      return bySize(input)
    case .visceral:
      if let n = input.multifocalSites, n >= 2 {
        let c = n == 2 ? "T4a" : n <= 5 ? "T4b" : "T4c"
        return TAssessment(category: c, working: "multifocal, \(n) sites")
      }
      switch input.visceralExtent {
      case .anotherOrgan?: return TAssessment(category: "T3", working: "invades another organ")
      case .beyondSerosa?: return TAssessment(category: "T2b", working: "extends beyond the serosa (mesentery)")
      case .serosa?: return TAssessment(category: "T2a", working: "invades serosa or visceral peritoneum")
      case .organConfined?: return TAssessment(category: "T1", working: "organ-confined")
      case nil:
        return TAssessment(category: "TX", working: "visceral extent not given; T needs organ-confined, serosa, beyond-serosa or another-organ")
      }
    case .other:
      return TAssessment(category: "TX", working: "AJCC 8th chapter 45 (unusual histologies and sites) defines no T category")
    }
  }

  static func bySize(_ input: TInput) -> TAssessment {
    guard let cuts = cutoffs(input.siteGroup) else { return TAssessment(category: "TX", working: "no size categories") }
    let names = (1...(cuts.count + 1)).map { "T\($0)" }
    guard let size = input.size else { return TAssessment(category: "TX", working: "tumour size not given") }
    guard let l = size.known else {
      return TAssessment(category: "TX", working: "tumour size \(size.absentText ?? "not reported")")
    }
    let cm = l.centimetres
    guard cm > 0 else { return TAssessment(category: "TX", working: "tumour size \(l) is not a positive size") }
    let above = { (v: Double) in cuts.filter { $0 < v }.count }  // categories strictly exceeded
    let atOrBelow = { (v: Double) in cuts.filter { $0 <= v }.count }
    let (lo, hi): (Int, Int)
    switch l.comparator {
    case nil, .approximately?: (lo, hi) = (above(cm), above(cm))
    case .lessThan?, .lessThanOrEqual?: (lo, hi) = (0, above(cm))
    case .greaterThan?: (lo, hi) = (atOrBelow(cm), cuts.count)
    case .greaterThanOrEqual?: (lo, hi) = (above(cm), cuts.count)
    }
    let rule = "cut-offs " + cuts.map { NumberText.format($0) }.joined(separator: "/") + " cm, a size on a cut-off takes the lower category"
    if lo == hi {
      return TAssessment(category: names[lo], working: "greatest dimension \(l) -> \(names[lo]) (\(rule))")
    }
    return TAssessment(
      category: "TX", working: "greatest dimension \(l) could be \(names[lo]) to \(names[hi]); T not assigned (\(rule))")
  }

  /// A stage group, or nil with the reason none is assigned.
  public struct StageGroup: Sendable, Equatable, Codable {
    public var group: String?
    public var reason: String
    /// The groups a grade range allows when they differ ("IB (G1)", "IIIA (G2)").
    public var alternatives: [String] = []

    public init(group: String?, reason: String, alternatives: [String] = []) {
      self.group = group
      self.reason = reason
      self.alternatives = alternatives
    }
  }

  /// The stage group for every grade a grade range allows: one group when they
  /// agree, otherwise none, with the alternatives.
  public static func stageGroup(siteGroup: SiteGroup, t: String, n: N, m: M, grades: [Grade]) -> StageGroup {
    let each = (grades.isEmpty ? [.gx] : grades).map { (grade: $0, stage: stageGroup(siteGroup: siteGroup, t: t, n: n, m: m, grade: $0)) }
    let first = each[0].stage
    if each.allSatisfy({ $0.stage.group == first.group }) {
      guard each.count > 1, let g = first.group else { return first }
      let names = each.map(\.grade.rawValue).joined(separator: " or ")
      return StageGroup(group: g, reason: first.reason + "; the grade, \(names), gives \(g) either way")
    }
    let alternatives = each.map { "\($0.stage.group ?? "not assigned") (\($0.grade.rawValue))" }
    return StageGroup(
      group: nil,
      reason: "stage cannot be assigned: the grade is \(each.map(\.grade.rawValue).joined(separator: " or ")), which gives "
        + alternatives.joined(separator: " or ") + " (\(t) \(n.rawValue) \(m.rawValue))",
      alternatives: alternatives)
  }

  public static func stageGroup(siteGroup: SiteGroup, t: String, n: N, m: M, grade: Grade) -> StageGroup {
    let table: String
    switch siteGroup {
    case .trunkExtremity: table = "AJCC 8th trunk and extremities (ch. 41)"
    case .retroperitoneum: table = "AJCC 8th retroperitoneum (ch. 44)"
    case .headNeck, .visceral, .other:
      return StageGroup(group: nil, reason: "AJCC 8th defines no stage group for \(siteGroup.label) sarcoma (ch. \(siteGroup.chapter)); T, N, M and grade are reported")
    }
    if m == .m1 { return StageGroup(group: "IV", reason: "\(table): M1, any T, any N, any G -> IV") }
    if n == .n1 {
      let g = siteGroup == .retroperitoneum ? "IIIB" : "IV"
      return StageGroup(group: g, reason: "\(table): N1 M0, any T, any G -> \(g)")
    }
    let gcol = grade.column == 1 ? "G1/GX" : "G2/G3"
    switch t {
    case "T1":
      let g = grade.column == 1 ? "IA" : "II"
      return StageGroup(group: g, reason: "\(table): T1 N0 M0 \(gcol) -> \(g)")
    case "T2", "T3", "T4":
      let g = grade.column == 1 ? "IB" : (t == "T2" ? "IIIA" : "IIIB")
      return StageGroup(group: g, reason: "\(table): \(t) N0 M0 \(gcol) -> \(g)")
    default:
      return StageGroup(group: nil, reason: "stage not assigned: \(t) N0 M0 cannot be grouped (\(table))")
    }
  }
}
