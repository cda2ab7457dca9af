extension String {
  /// Whether `needle` occurs in the text, compared byte for byte as UTF-8.
  /// Foundation's `contains` on Linux goes through NSString and costs more
  /// than the rest of a rule; callers compare normalised ASCII words.
  package func containsBytes(_ needle: String) -> Bool {
    let n = Array(needle.utf8)
    guard !n.isEmpty else { return true }
    let h = Array(utf8)
    guard h.count >= n.count else { return false }
    let first = n[0]
    var i = 0
    let last = h.count - n.count
    while i <= last {
      if h[i] == first {
        var j = 1
        while j < n.count, h[i + j] == n[j] { j += 1 }
        if j == n.count { return true }
      }
      i += 1
    }
    return false
  }
}
