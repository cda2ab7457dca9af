import Foundation
import SynopticTestSupport
import Testing
@testable import SynopticCore

/// The case reader against the model's Codable conformance, which it stands
/// in for: the same case and the same diagnostics, for every sample and for
/// thousands of structural mutations of them.
@Suite("The case reader decodes as Codable does")
struct CaseReaderTests {
  static func viaCodable(_ text: String) throws -> PositionedDecoder.Result<PathologyCase> {
    try PositionedDecoder.decode(PathologyCase.self, from: text, what: "a case", example: "accession: ..., tumor: ...")
  }

  static func caseFiles() throws -> [URL] {
    let samples = try FileManager.default.contentsOfDirectory(at: packageRoot.appendingPathComponent("Samples"), includingPropertiesForKeys: nil)
    let fixtures = try FileManager.default.contentsOfDirectory(at: packageRoot.appendingPathComponent("Tests/Fixtures"), includingPropertiesForKeys: nil)
    return (samples + fixtures).filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
  }

  @Test("of two equally near keys, the hint names the first in sorted order, whatever the set's order")
  func nearestIsDeterministic() {
    let keys = ["orderingPhysicianId", "orderingPhysician", "facility"]
    #expect(Spelling.nearest("orderingPhysicianI", in: keys) == "orderingPhysician")
    #expect(Spelling.nearest("orderingPhysicianI", in: keys.reversed()) == "orderingPhysician")
    #expect(Spelling.nearest("orderingPhysicianI", in: Set(keys)) == "orderingPhysician")
  }

  @Test("every sample and fixture: the same case and diagnostics")
  func samples() throws {
    let files = try Self.caseFiles()
    #expect(files.count >= 10)
    for url in files {
      let text = try String(contentsOf: url, encoding: .utf8)
      let reader = try CaseLoader.decode(text)
      let codable = try Self.viaCodable(text)
      #expect(reader.value == codable.value, "\(url.lastPathComponent)")
      #expect(reader.diagnostics == codable.diagnostics, "\(url.lastPathComponent)")
    }
  }

  /// A parsed file written back as JSON: plain numbers and booleans bare, everything else quoted.
  static func json(_ node: SourceNode) -> String {
    switch node {
    case .scalar(let s, let plain, _):
      if plain, node.isNull { return "null" }
      if plain, Double(s) != nil || s == "true" || s == "false" { return s }
      var out = "\""
      for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
        default: out.unicodeScalars.append(u)
        }
      }
      return out + "\""
    case .sequence(let items, _): return "[" + items.map(json).joined(separator: ",") + "]"
    case .mapping(let pairs, _): return "{" + pairs.map { json(.scalar($0.key, plain: false, $0.keyLocation)) + ":" + json($0.value) }.joined(separator: ",") + "}"
    }
  }

  static var replacements: [SourceNode] {
    let at = SourceLocation(line: 1, column: 1)
    let texts: [(String, Bool)] = [
      ("", false), ("not reported", false), ("cannot be determined: autolysis", false), ("garbage", false), ("42", true), ("-3.5", true),
      ("true", true), ("null", true), ("6 cm", false), ("> 5 mm", false), ("2024-13-45", false), ("wide-resection", false),
      ("positive", false), ("12", false), ("2020-09-21T14:05:00Z", false), ("2020-02-30", false), ("high", false), ("3", true),
    ]
    func map(_ pairs: [(String, SourceNode)]) -> SourceNode { .mapping(pairs.map { SourcePair(key: $0.0, keyLocation: at, value: $0.1) }, at) }
    func text(_ s: String, plain: Bool = false) -> SourceNode { .scalar(s, plain: plain, at) }
    return texts.map { SourceNode.scalar($0.0, plain: $0.1, at) } + [
      .sequence([], at), .mapping([], at), .sequence([.scalar("x", plain: false, at)], at),
      .mapping([SourcePair(key: "x", keyLocation: at, value: .scalar("1", plain: true, at))], at),
      .mapping([SourcePair(key: "name", keyLocation: at, value: .scalar("n", plain: false, at))], at),
      map([("value", text("5", plain: true)), ("unit", text("mm"))]), map([("value", text("5")), ("unit", text("inch"))]),
      map([("greatest", text("4 cm")), ("additional", .sequence([text("2 cm"), text("x")], at)), ("source", text("gross"))]),
      map([("count", text("3", plain: true)), ("areaMm2", text("2.4", plain: true))]), map([("count", text("three"))]),
      map([("grade", text("high")), ("system", text("FNCLCC")), ("hedge", text("favoured"))]), map([("grade", text("7"))]),
      map([("name", text("synovial sarcoma")), ("icdO3", text("9040/3"))]),
    ]
  }

  /// One random change somewhere in the tree: a value replaced, a key removed, misspelt or added.
  static func mutate(_ node: SourceNode, _ rng: inout SplitMix, depth: Int = 0) -> SourceNode {
    let at = node.location
    switch node {
    case .mapping(var pairs, _) where !pairs.isEmpty:
      let i = Int.random(in: 0..<pairs.count, using: &rng)
      switch Int.random(in: 0..<8, using: &rng) {
      case 0: pairs[i].value = replacements.randomElement(using: &rng)!
      case 1: pairs.remove(at: i)
      case 2: pairs[i].key = String(pairs[i].key.dropLast())
      case 3: pairs.append(SourcePair(key: "unexpected", keyLocation: at, value: .scalar("x", plain: false, at)))
      default: pairs[i].value = mutate(pairs[i].value, &rng, depth: depth + 1)
      }
      return .mapping(pairs, at)
    case .sequence(var items, _) where !items.isEmpty:
      let i = Int.random(in: 0..<items.count, using: &rng)
      if Int.random(in: 0..<4, using: &rng) == 0 { items[i] = replacements.randomElement(using: &rng)! } else { items[i] = mutate(items[i], &rng, depth: depth + 1) }
      return .sequence(items, at)
    default:
      return replacements.randomElement(using: &rng)!
    }
  }

  @Test("property: structural mutations of the samples decode to the same case and diagnostics")
  func mutations() throws {
    let roots = try Self.caseFiles().map { try SourceNode.parse(String(contentsOf: $0, encoding: .utf8)) }
    let iterations = Int(ProcessInfo.processInfo.environment["SYNOPTIC_FUZZ_ITERATIONS"] ?? "") ?? 3_000
    var rng = SplitMix(seed: 0xCA5E_12EA)
    var withErrors = 0
    for i in 0..<iterations {
      var node = roots[i % roots.count]
      for _ in 0..<Int.random(in: 1...3, using: &rng) { node = Self.mutate(node, &rng) }
      let text = Self.json(node)
      guard let codable = try? Self.viaCodable(text) else {
        #expect(throws: SourceParseError.self) { try CaseLoader.decode(text) }
        continue
      }
      let reader = try CaseLoader.decode(text)
      #expect(reader.value == codable.value, "\(text)")
      #expect(reader.diagnostics == codable.diagnostics, "\(text)")
      if codable.diagnostics.hasErrors { withErrors += 1 }
    }
    print("case reader: \(iterations) mutations, \(withErrors) with decoding errors, all alike")
    #expect(withErrors > iterations / 4)
  }
}
