/// Residual tumour classification.
public enum RClass: String, Sendable, Codable {
  case r0 = "R0", r1 = "R1", r2 = "R2", rx = "RX"
}

/// Whether the margins are close: a margin is known close when every distance
/// it may have is under the threshold, known not close when none is.
public enum CloseMargin: String, Sendable, Codable {
  case yes, no
  case cannotBeDetermined = "cannot-be-determined"
}

/// The distances a free margin may have, in mm: exact (`7 mm`), a lower bound
/// (`> 5 mm`), an upper bound (`< 1 mm`) or unknown. A free margin is never at ink.
public struct MarginDistanceBounds: Sendable, Equatable {
  public var lo: Double
  public var loInclusive: Bool
  public var hi: Double
  public var hiInclusive: Bool

  public init(_ distance: Qualified<Length>?) {
    guard let l = distance?.known else {
      self.init(lo: 0, loInclusive: false, hi: .infinity, hiInclusive: false)
      return
    }
    let v = l.millimetres
    switch l.comparator {
    case nil, .approximately?: self.init(lo: v, loInclusive: true, hi: v, hiInclusive: true)
    case .greaterThan?: self.init(lo: v, loInclusive: false, hi: .infinity, hiInclusive: false)
    case .greaterThanOrEqual?: self.init(lo: v, loInclusive: true, hi: .infinity, hiInclusive: false)
    case .lessThan?: self.init(lo: 0, loInclusive: false, hi: v, hiInclusive: false)
    case .lessThanOrEqual?: self.init(lo: 0, loInclusive: false, hi: v, hiInclusive: true)
    }
  }

  init(lo: Double, loInclusive: Bool, hi: Double, hiInclusive: Bool) {
    self.lo = lo
    self.loInclusive = loInclusive
    self.hi = hi
    self.hiInclusive = hiInclusive
  }

  public var isExact: Bool { lo == hi }
  public var isUnknown: Bool { lo == 0 && hi == .infinity }
  /// Every possible distance is under the threshold.
  public func knownClose(threshold t: Double) -> Bool { hi < t || (hi == t && !hiInclusive) }
  /// No possible distance is under the threshold.
  public func knownNotClose(threshold t: Double) -> Bool { lo >= t }
  /// Whether some distance it may have is under `upper`.
  func mayBeUnder(_ upper: Double) -> Bool { lo < upper }
}

/// Closest margin, involved margins, whether the margins are close and the R
/// class, each with the rule applied.
public struct MarginAssessment: Sendable, Equatable {
  public struct Closest: Sendable, Equatable {
    public var name: String
    /// As the case gives it (exact or a bound); nil when not reported.
    public var distance: Length?
  }
  /// The margin whose largest possible distance is the smallest; nil when no
  /// free margin has a distance, or a margin is involved.
  public var closest: Closest?
  /// Free margins that may be closer than `closest` (unknown or bounded distances).
  public var mayBeCloser: [Closest]
  /// Free margins at exactly the same distance as `closest`.
  public var equallyClose: [String]
  /// The distance to the closest margin: exact when known, an upper bound
  /// (`≤ 7 mm`) when another margin may be closer; nil when not known.
  public var closestDistance: Length?
  public var involved: [String]
  public var rClass: RClass
  /// The R class and the rule applied: "R1: tumour at ink (deep)".
  public var rWorking: String
  /// Nil when no margin is free of tumour.
  public var close: CloseMargin?
  public var closeThresholdMm: Double
  /// The close flag with its reason and the threshold.
  public var closeText: String?
  /// "skin 7 mm; deep > 5 mm may be closer".
  public var closestText: String?
  /// The R class with its rule (the closest margin and the close flag have their own lines).
  public var working: String
}

public enum MarginRules {
  /// Default close-margin threshold: 10 mm (NCCN "close" is under 1 cm); a site may set its own.
  public static let defaultCloseThresholdMm = 10.0

  static func named(_ c: MarginAssessment.Closest) -> String {
    c.distance.map { "\(c.name) \($0)" } ?? "\(c.name): distance not reported"
  }

  public static func assess(_ margins: [Margin]?, closeThresholdMm: Double = defaultCloseThresholdMm) -> MarginAssessment {
    let margins = margins ?? []
    let threshold = NumberText.format(closeThresholdMm)
    let involved = margins.filter { $0.status == .involved }
    // A margin whose status cannot be assessed, or is not reported, leaves the R class open.
    let unassessed = margins.filter { $0.status == .cannotBeAssessed || $0.status == .notReported }
    let free = margins.filter { $0.status == .notInvolved }

    let rClass: RClass
    let rWorking: String
    if margins.isEmpty {
      (rClass, rWorking) = (.rx, "RX: no margins reported")
    } else if !involved.isEmpty {
      let macro = involved.filter { $0.macroscopic == true }
      if macro.isEmpty {
        (rClass, rWorking) = (.r1, "R1: tumour at ink (\(involved.map(\.name).joined(separator: ", "))); tumour at ink = R1")
      } else {
        (rClass, rWorking) = (.r2, "R2: macroscopic tumour at the margin (\(macro.map(\.name).joined(separator: ", "))); gross residual tumour = R2")
      }
    } else if !unassessed.isEmpty {
      (rClass, rWorking) = (.rx, "RX: " + unassessed.map { "\($0.name) \($0.status.label)" }.joined(separator: ", ") + ", and no margin is involved")
    } else {
      (rClass, rWorking) = (.r0, "R0: no tumour at ink at any margin (tumour at ink = R1)")
    }

    // Closest margin (with none involved): the free margin whose largest
    // possible distance is the smallest.
    let bounds = free.map { MarginDistanceBounds($0.distance) }
    var closest: MarginAssessment.Closest?
    var mayBeCloser: [MarginAssessment.Closest] = []
    var equallyClose: [String] = []
    var closestDistance: Length?
    if involved.isEmpty, let best = bounds.indices.filter({ bounds[$0].hi.isFinite }).min(by: { (bounds[$0].hi, bounds[$0].lo) < (bounds[$1].hi, bounds[$1].lo) }) {
      let b = bounds[best]
      closest = .init(name: free[best].name, distance: free[best].distance?.known)
      for i in bounds.indices where i != best {
        if b.isExact, bounds[i].isExact, bounds[i].lo == b.lo {
          equallyClose.append(free[i].name)
        } else if bounds[i].mayBeUnder(b.hi) {
          mayBeCloser.append(.init(name: free[i].name, distance: free[i].distance?.known))
        }
      }
      if let d = free[best].distance?.known {
        closestDistance = mayBeCloser.isEmpty ? d : Length(d.value, d.unit, comparator: b.hiInclusive ? .lessThanOrEqual : .lessThan)
      }
    }
    var closestText: String?
    if let c = closest {
      var t = named(c)
      if !equallyClose.isEmpty { t += "; equally close: " + equallyClose.joined(separator: ", ") }
      let unknown = mayBeCloser.map(named) + unassessed.map { "\($0.name): \($0.status.label)" }
      if !unknown.isEmpty { t += "; " + unknown.joined(separator: ", ") + " may be closer" }
      closestText = t
    } else if involved.isEmpty, !free.isEmpty {
      closestText = "cannot be determined (distances not reported)"
    }

    // Close: yes when any free margin is known close, no only when every margin is known not close.
    var close: CloseMargin?
    var closeText: String?
    let rule = "close means under \(threshold) mm"
    if !free.isEmpty {
      let closeOnes = free.indices.filter { bounds[$0].knownClose(threshold: closeThresholdMm) }
      let open = free.indices.filter { !bounds[$0].knownClose(threshold: closeThresholdMm) && !bounds[$0].knownNotClose(threshold: closeThresholdMm) }
      let describe = { (i: Int) in named(.init(name: free[i].name, distance: free[i].distance?.known)) }
      if !closeOnes.isEmpty {
        close = .yes
        closeText = "yes (\(closeOnes.map(describe).joined(separator: ", ")); \(rule))"
      } else if open.isEmpty && unassessed.isEmpty {
        close = .no
        closeText = "no (every margin is \(threshold) mm or more; \(rule))"
      } else {
        close = .cannotBeDetermined
        let unknown = open.map(describe) + unassessed.map { "\($0.name): \($0.status.label)" }
        closeText = "cannot be determined (\(unknown.joined(separator: ", ")); \(rule))"
      }
    }

    return MarginAssessment(
      closest: closest, mayBeCloser: mayBeCloser, equallyClose: equallyClose, closestDistance: closestDistance,
      involved: involved.map(\.name), rClass: rClass, rWorking: rWorking, close: close,
      closeThresholdMm: closeThresholdMm, closeText: closeText, closestText: closestText, working: rWorking)
  }
}
