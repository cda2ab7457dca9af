/// US National Provider Identifiers: ten digits whose last is a Luhn check
/// digit over "80840" and the first nine.
public enum NPI {
  public static func isValid(_ s: String) -> Bool {
    guard s.count == 10, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
    var sum = 0
    for (i, digit) in ("80840" + s).compactMap(\.wholeNumberValue).reversed().enumerated() {
      var v = digit
      if i % 2 == 1 {
        v *= 2
        if v > 9 { v -= 9 }
      }
      sum += v
    }
    return sum % 10 == 0
  }
}
