import Foundation
import ArgumentParser
import SynopticCore
import SynopticExport

extension SiteGroup: ExpressibleByArgument {}
extension HeadNeckInvasion: ExpressibleByArgument {}
extension VisceralExtent: ExpressibleByArgument {}
extension AJCC.N: ExpressibleByArgument {}
extension AJCC.M: ExpressibleByArgument {}

struct Stage: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "AJCC 8th edition T category and stage group for a soft tissue sarcoma.",
    discussion: """
      Sizes on a cut-off take the lower category. Head and neck, visceral and \
      other site groups have no AJCC stage group; stageGroup is then null with a reason.
      """)

  @Option(help: "trunk-extremity, retroperitoneum, head-neck, visceral or other.") var siteGroup: SiteGroup
  @Option(help: "Greatest dimension in cm; a comparator may lead ('>15'). Omit when not reported (TX).")
  var size: String?
  @Option(help: "FNCLCC grade: 1, 2, 3 or X.") var grade: String
  @Option(help: "N0 or N1.") var nodes: AJCC.N = .n0
  @Option(help: "M0 or M1.") var metastasis: AJCC.M = .m0
  @Option(name: .customLong("invades"), help: "Head and neck: a structure invaded (T4a/T4b); repeat as needed.")
  var invades: [HeadNeckInvasion] = []
  @Option(help: "Visceral: organ-confined, serosa, beyond-serosa or another-organ.") var visceralExtent: VisceralExtent?
  @Option(help: "Visceral: number of sites when multifocal.") var multifocalSites: Int?
  @Option(help: "text or json.") var format: OutputFormat = .text

  func parsedGrade() throws -> AJCC.Grade {
    switch grade.uppercased() {
    case "1", "G1": return .g1
    case "2", "G2": return .g2
    case "3", "G3": return .g3
    case "X", "GX": return .gx
    default: throw ValidationError("--grade must be 1, 2, 3 or X, not '\(grade)'")
    }
  }

  func parsedSize() throws -> Qualified<Length>? {
    guard let size else { return nil }
    let trimmed = size.trimmingCharacters(in: .whitespaces)
    let withUnit = trimmed.hasSuffix("cm") || trimmed.hasSuffix("mm") ? trimmed : trimmed + " cm"
    guard let l = Length.parse(withUnit) else {
      throw ValidationError("--size must be a number of cm, optionally with a comparator ('6', '>15'), not '\(size)'")
    }
    guard l.value > 0 else { throw ValidationError("--size must be greater than 0") }
    return .value(l)
  }

  func validate() throws {
    _ = try parsedGrade()
    _ = try parsedSize()
    if let multifocalSites, multifocalSites < 1 { throw ValidationError("--multifocal-sites must be at least 1") }
  }

  func run() throws {
    let g = try parsedGrade()
    let t = AJCC.t(AJCC.TInput(
      siteGroup: siteGroup, size: try parsedSize(), headNeckInvasion: invades, visceralExtent: visceralExtent,
      multifocalSites: multifocalSites))
    let stage = AJCC.stageGroup(siteGroup: siteGroup, t: t.category, n: nodes, m: metastasis, grade: g)
    switch format {
    case .json:
      var pairs: [(String, JSONOut)] = [
        ("t", .string(t.category)), ("n", .string(nodes.rawValue)), ("m", .string(metastasis.rawValue)),
        ("grade", .string(g.rawValue)), ("stageGroup", JSONOut.optional(stage.group)),
      ]
      if stage.group == nil { pairs.append(("reason", .string(stage.reason))) }
      pairs.append(("tWorking", .string(t.working)))
      print(JSONOut.object(pairs).render())
    case .text:
      print("\(t.category) \(nodes.rawValue) \(metastasis.rawValue) \(g.rawValue)")
      print("T: \(t.working)")
      print(stage.group.map { "Stage group: \($0) (\(stage.reason))" } ?? "Stage group: none. \(stage.reason)")
    }
  }
}
