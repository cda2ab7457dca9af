/// Residual tumour classification.
public enum RClass: String, Sendable, Codable {
  case r0 = "R0", r1 = "R1", r2 = "R2", rx = "RX"
}

/// Closest margin, involved margins and R class, with the working.
public struct MarginAssessment: Sendable, Equatable {
  public struct Closest: Sendable, Equatable {
    public var name: String
    public var distance: Length
  }
  public var closest: Closest?
  public var involved: [String]
  public var rClass: RClass
  /// True when the closest distance is under the close-margin threshold.
  public var isClose: Bool
  public var closeThresholdMm: Double
  public var working: String
}

public enum MarginRules {
  /// Default close-margin threshold: 10 mm (NCCN "close" is under 1 cm).
  public static let defaultCloseThresholdMm = 10.0

  public static func assess(_ margins: [Margin]?, closeThresholdMm: Double = defaultCloseThresholdMm) -> MarginAssessment {
    let margins = margins ?? []
    let involved = margins.filter { $0.status == .involved }
    let threshold = "close means under \(NumberText.format(closeThresholdMm)) mm"
    if margins.isEmpty {
      return MarginAssessment(
        closest: nil, involved: [], rClass: .rx, isClose: false, closeThresholdMm: closeThresholdMm,
        working: "no margins reported -> RX")
    }
    if !involved.isEmpty {
      let macro = involved.filter { $0.macroscopic == true }
      let r: RClass = macro.isEmpty ? .r1 : .r2
      let why = macro.isEmpty
        ? "tumour at the inked margin (\(involved.map(\.name).joined(separator: ", "))) -> R1"
        : "macroscopic tumour at the margin (\(macro.map(\.name).joined(separator: ", "))) -> R2"
      return MarginAssessment(
        closest: nil, involved: involved.map(\.name), rClass: r, isClose: true, closeThresholdMm: closeThresholdMm,
        working: why)
    }
    let unassessed = margins.filter { $0.status == .cannotBeAssessed }
    let measured = margins.compactMap { m -> MarginAssessment.Closest? in
      guard m.status == .notInvolved, let d = m.distance?.known else { return nil }
      return .init(name: m.name, distance: d)
    }
    // Ties keep the first listed margin.
    let closest = measured.reduce(nil as MarginAssessment.Closest?) { best, m in
      guard let best else { return m }
      return m.distance.millimetres < best.distance.millimetres ? m : best
    }
    let isClose = closest.map { c -> Bool in
      switch c.distance.comparator {
      case .greaterThan?, .greaterThanOrEqual?: return false  // "> 12 mm" is not close; "> 5 mm" cannot be called close either
      default: return c.distance.millimetres < closeThresholdMm
      }
    } ?? false
    if !unassessed.isEmpty {
      return MarginAssessment(
        closest: closest, involved: [], rClass: .rx, isClose: isClose, closeThresholdMm: closeThresholdMm,
        working: "margin(s) cannot be assessed (\(unassessed.map(\.name).joined(separator: ", "))) and none involved -> RX")
    }
    var working = "all margins free of tumour -> R0"
    if let c = closest {
      working += "; closest \(c.name) at \(c.distance)" + (isClose ? " (close: \(threshold))" : " (\(threshold))")
    } else {
      working += "; distances not reported"
    }
    return MarginAssessment(
      closest: closest, involved: [], rClass: .r0, isClose: isClose, closeThresholdMm: closeThresholdMm, working: working)
  }
}
