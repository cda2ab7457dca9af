import Foundation

/// The one-line progress display of a batch on a terminal:
/// `[#########-----------]  9120/20000  45%  1530 cases/s  ETA 0:07  2 failed`.
public enum ProgressLine {
  public static func format(_ s: BatchProgress.Snapshot, barWidth: Int = 24) -> String {
    let rate = s.elapsed > 0 ? Double(s.done) / s.elapsed : 0
    var line: String
    if let total = s.total, total > 0 {
      let fraction = min(1, Double(s.done) / Double(total))
      let filled = Int((fraction * Double(barWidth)).rounded(.down))
      line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "] "
      line += "\(s.done)/\(total) \(Int((fraction * 100).rounded(.down)))%"
      line += "  \(Int(rate.rounded())) cases/s"
      if rate > 0, s.done < total {
        line += "  ETA " + duration(Double(total - s.done) / rate)
      }
    } else {
      // Standard input (or a directory still being counted): no total, no ETA.
      line = "\(s.done) cases  \(Int(rate.rounded())) cases/s"
    }
    if s.failed > 0 { line += "  \(s.failed) failed" }
    return line
  }

  /// `0:07`, `12:30`, `1:02:03`.
  public static func duration(_ seconds: Double) -> String {
    let t = Int(seconds.rounded(.up))
    let (h, m, sec) = (t / 3600, (t % 3600) / 60, t % 60)
    return h > 0 ? String(format: "%d:%02d:%02d", h, m, sec) : String(format: "%d:%02d", m, sec)
  }
}
