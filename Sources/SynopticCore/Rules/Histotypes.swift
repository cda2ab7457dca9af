import Foundation

/// FNCLCC differentiation scores by histologic type (updated FNCLCC table as
/// reproduced by CAP), and the types whose score depends on the tumour and so
/// must be given by the pathologist.
public enum Histotypes {
  public enum Lookup: Sendable, Equatable {
    /// The table fixes the score.
    case score(Int, tableName: String)
    /// The type can score differently (e.g. leiomyosarcoma 1, 2 or 3): ask.
    case ambiguous(options: [Int], hint: String)
    /// Not in the table: the pathologist judges by the generic definitions.
    case notListed
  }

  private static let table: [(names: [String], score: Int)] = [
    (["well differentiated liposarcoma", "atypical lipomatous tumour", "atypical lipomatous tumor"], 1),
    (["well differentiated leiomyosarcoma"], 1),
    (["malignant neurofibroma", "low grade mpnst", "low grade malignant peripheral nerve sheath tumour",
      "low grade malignant peripheral nerve sheath tumor", "well differentiated mpnst"], 1),
    (["well differentiated fibrosarcoma"], 1),
    (["myxoid liposarcoma"], 2),
    (["conventional leiomyosarcoma"], 2),
    (["conventional mpnst", "conventional malignant peripheral nerve sheath tumour",
      "conventional malignant peripheral nerve sheath tumor"], 2),
    (["conventional fibrosarcoma"], 2),
    (["myxofibrosarcoma"], 2),
    (["myxoid chondrosarcoma", "extraskeletal myxoid chondrosarcoma"], 2),
    (["conventional angiosarcoma"], 2),
    (["high grade myxoid liposarcoma", "round cell liposarcoma", "myxoid round cell liposarcoma",
      "high grade myxoid round cell liposarcoma"], 3),
    (["pleomorphic liposarcoma"], 3),
    (["dedifferentiated liposarcoma"], 3),
    (["rhabdomyosarcoma", "pleomorphic rhabdomyosarcoma", "adult rhabdomyosarcoma"], 3),
    (["poorly differentiated leiomyosarcoma", "pleomorphic leiomyosarcoma"], 3),
    (["poorly differentiated angiosarcoma", "epithelioid angiosarcoma"], 3),
    (["poorly differentiated mpnst", "poorly differentiated malignant peripheral nerve sheath tumour",
      "poorly differentiated malignant peripheral nerve sheath tumor", "epithelioid mpnst"], 3),
    (["malignant triton tumour", "malignant triton tumor"], 3),
    (["synovial sarcoma", "monophasic synovial sarcoma", "biphasic synovial sarcoma",
      "poorly differentiated synovial sarcoma"], 3),
    (["extraskeletal osteosarcoma", "osteosarcoma"], 3),
    (["extraskeletal ewing sarcoma", "ewing sarcoma"], 3),
    (["mesenchymal chondrosarcoma"], 3),
    (["clear cell sarcoma"], 3),
    (["epithelioid sarcoma"], 3),
    (["alveolar soft part sarcoma"], 3),
    (["malignant rhabdoid tumour", "malignant rhabdoid tumor"], 3),
    (["undifferentiated pleomorphic sarcoma", "ups", "undifferentiated spindle cell sarcoma",
      "undifferentiated sarcoma", "pleomorphic sarcoma nos"], 3),
  ]

  private static let ambiguous: [(names: [String], options: [Int], hint: String)] = [
    (["leiomyosarcoma"], [1, 2, 3],
     "leiomyosarcoma scores 1 (well differentiated), 2 (conventional) or 3 (poorly differentiated / pleomorphic)"),
    (["liposarcoma"], [1, 2, 3], "liposarcoma scores by subtype: well differentiated 1, myxoid 2, round cell / pleomorphic / dedifferentiated 3"),
    (["angiosarcoma"], [2, 3], "angiosarcoma scores 2 (conventional) or 3 (poorly differentiated / epithelioid)"),
    (["mpnst", "malignant peripheral nerve sheath tumour", "malignant peripheral nerve sheath tumor"], [1, 2, 3],
     "MPNST scores 1 (low grade), 2 (conventional) or 3 (poorly differentiated / epithelioid)"),
    (["fibrosarcoma"], [1, 2, 3], "fibrosarcoma scores 1 (well differentiated), 2 (conventional) or 3 (poorly differentiated)"),
  ]

  /// Lower case, hyphens and punctuation as spaces, single spaces, British/American
  /// spellings of "tumour" both accepted by the table.
  static func normalise(_ name: String) -> String {
    if let ascii = normaliseASCII(name) { return ascii }
    let cleaned = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : " " }
    return String(cleaned).split(separator: " ").joined(separator: " ")
  }

  /// The same for ASCII text, on bytes rather than Character properties (every
  /// stain marker is normalised); nil for anything else.
  static func normaliseASCII(_ name: String) -> String? {
    var out: [UInt8] = []
    out.reserveCapacity(name.utf8.count)
    var pendingSpace = false
    for b in name.utf8 {
      guard b < 0x80 else { return nil }
      let lower = b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 32 : b
      let isAlnum = (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || (lower >= UInt8(ascii: "0") && lower <= UInt8(ascii: "9"))
      if isAlnum {
        if pendingSpace, !out.isEmpty { out.append(UInt8(ascii: " ")) }
        pendingSpace = false
        out.append(lower)
      } else {
        pendingSpace = true
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  public static func lookup(_ name: String) -> Lookup {
    let key = normalise(name)
    for row in table where row.names.contains(key) {
      return .score(row.score, tableName: row.names[0])
    }
    for row in ambiguous where row.names.contains(key) {
      return .ambiguous(options: row.options, hint: row.hint)
    }
    return .notListed
  }
}
