/// FNCLCC grading (French Federation of Cancer Centres Sarcoma Group).
///
/// Grade = differentiation (1-3) + mitotic score (1-3) + necrosis score (0-2):
/// total 2-3 -> G1, 4-5 -> G2, 6-8 -> G3. Mitoses are normalised to 10 HPF of
/// 0.1734 mm² (1.734 mm²) before scoring.
public enum FNCLCC {
  public static let hpfMm2 = 0.1734
  public static let tenHPFmm2 = 1.734

  /// Scores and grade for complete inputs, with the working as text.
  public struct Result: Sendable, Equatable, Codable {
    public var differentiationScore: Int
    public var mitoticScore: Int
    public var necrosisScore: Int
    public var totalScore: Int
    public var grade: Int
    public var working: String
  }

  public enum InputError: Error, Equatable, CustomStringConvertible {
    case differentiationOutOfRange(Int)
    case negativeMitoses(Int)
    case nonPositiveArea(Double)
    case necrosisOutOfRange(Double)

    public var description: String {
      switch self {
      case .differentiationOutOfRange(let d): return "differentiation score must be 1, 2 or 3, not \(d)"
      case .negativeMitoses(let m): return "mitotic count cannot be negative (\(m))"
      case .nonPositiveArea(let a): return "area counted must be greater than 0 mm² (\(NumberText.format(a)))"
      case .necrosisOutOfRange(let n): return "necrosis must be between 0 and 100 %, not \(NumberText.format(n))"
      }
    }
  }

  /// Mitoses per 10 HPF (1.734 mm²) for a count over `areaMm2`, rounded to
  /// 1e-6 so that exact boundary inputs (10 in 1.734 mm²) stay on the boundary.
  public static func normalisedMitoses(count: Int, areaMm2: Double) -> Double {
    let raw = Double(count) * tenHPFmm2 / areaMm2
    return (raw * 1e6).rounded() / 1e6
  }

  public static func mitoticScore(per10HPF n: Double) -> Int {
    n < 10 ? 1 : n < 20 ? 2 : 3
  }

  public static func necrosisScore(percent p: Double) -> Int {
    p <= 0 ? 0 : p < 50 ? 1 : 2
  }

  public static func grade(total: Int) -> Int {
    total <= 3 ? 1 : total <= 5 ? 2 : 3
  }

  public static func grade(
    differentiation: Int, mitoses: Int, areaMm2: Double = tenHPFmm2, necrosisPercent: Double
  ) throws(InputError) -> Result {
    guard (1...3).contains(differentiation) else { throw .differentiationOutOfRange(differentiation) }
    guard mitoses >= 0 else { throw .negativeMitoses(mitoses) }
    guard areaMm2 > 0, areaMm2.isFinite else { throw .nonPositiveArea(areaMm2) }
    guard necrosisPercent >= 0, necrosisPercent <= 100 else { throw .necrosisOutOfRange(necrosisPercent) }
    let per10 = normalisedMitoses(count: mitoses, areaMm2: areaMm2)
    let m = mitoticScore(per10HPF: per10)
    let n = necrosisScore(percent: necrosisPercent)
    return result(differentiation: differentiation, mitoticScore: m, necrosisScore: n,
                  mitosesText: mitosesText(count: mitoses, areaMm2: areaMm2, per10: per10),
                  necrosisText: NumberText.format(necrosisPercent) + " %")
  }

  /// The raw count and area, and the per-10-HPF figure the score uses; under
  /// 10 HPF that figure is an extrapolation and says so.
  static func mitosesText(count: Int, areaMm2: Double, per10: Double) -> String {
    if abs(areaMm2 - tenHPFmm2) < 1e-9 { return "\(count) per 10 HPF" }
    let figure = NumberText.format((per10 * 10).rounded() / 10)
    if areaMm2 < tenHPFmm2 {
      return "\(count) in \(NumberText.format(areaMm2)) mm², extrapolated to \(figure) per 10 HPF (1.734 mm²)"
    }
    return "\(count) in \(NumberText.format(areaMm2)) mm² = \(figure) per 10 HPF (1.734 mm²)"
  }

  static func result(
    differentiation d: Int, mitoticScore m: Int, necrosisScore n: Int, mitosesText: String, necrosisText: String
  ) -> Result {
    let total = d + m + n
    let g = grade(total: total)
    let working =
      "differentiation \(d) + mitoses \(m) + necrosis \(n) = \(total) -> grade \(g) (mitoses \(mitosesText); necrosis \(necrosisText))"
    return Result(differentiationScore: d, mitoticScore: m, necrosisScore: n, totalScore: total, grade: g, working: working)
  }
}
