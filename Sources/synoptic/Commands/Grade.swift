import ArgumentParser
import SynopticCore
import SynopticExport

struct Grade: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "FNCLCC grade from differentiation, mitoses and necrosis, with the working.",
    discussion: """
      Mitoses are normalised to 10 HPF of 0.1734 mm² (1.734 mm²) when --area-mm2 \
      gives another counted area. --histotype fills the differentiation score from \
      the FNCLCC table where the type is listed.
      """)

  @Option(help: "Differentiation score 1, 2 or 3.") var differentiation: Int?
  @Option(help: "Mitoses counted.") var mitoses: Int
  @Option(name: .customLong("area-mm2"), help: "Area counted in mm² (default 1.734 = 10 HPF).")
  var areaMm2: Double = FNCLCC.tenHPFmm2
  @Option(help: "Necrosis, percent of tumour (0 for none).") var necrosis: Double
  @Option(help: "Histologic type, to look up the differentiation score.") var histotype: String?
  @Option(help: "text or json.") var format: OutputFormat = .text

  func validate() throws {
    if differentiation == nil && histotype == nil {
      throw ValidationError("give --differentiation 1|2|3 or a --histotype listed in the FNCLCC table")
    }
  }

  func run() throws {
    var score = differentiation
    var note: String?
    if score == nil, let histotype {
      switch Histotypes.lookup(histotype) {
      case .score(let s, let name):
        score = s
        note = "differentiation \(s) from the FNCLCC table ('\(name)')"
      case .ambiguous(_, let hint):
        throw ValidationError("\(hint); give --differentiation")
      case .notListed:
        throw ValidationError("'\(histotype)' is not in the FNCLCC differentiation table; give --differentiation")
      }
    }
    guard let score else { throw ValidationError("give --differentiation 1|2|3") }
    let r: FNCLCC.Result
    do {
      r = try FNCLCC.grade(differentiation: score, mitoses: mitoses, areaMm2: areaMm2, necrosisPercent: necrosis)
    } catch {
      throw ValidationError(error.description)
    }
    switch format {
    case .json:
      var pairs: [(String, JSONOut)] = [
        ("differentiationScore", .int(r.differentiationScore)), ("mitoticScore", .int(r.mitoticScore)),
        ("necrosisScore", .int(r.necrosisScore)), ("totalScore", .int(r.totalScore)), ("grade", .int(r.grade)),
        ("working", .string(r.working)),
      ]
      if let note { pairs.append(("note", .string(note))) }
      print(JSONOut.object(pairs).render())
    case .text:
      if let note { print(note) }
      print(r.working)
      print("FNCLCC grade \(r.grade) (G\(r.grade))")
    }
  }
}
