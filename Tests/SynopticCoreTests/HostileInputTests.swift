import Foundation
import SynopticTestSupport
import Testing
@testable import SynopticCore

/// The attacks of the hardening review, each refused with an error that names
/// the limit or the rule and where it was hit.
@Suite("Hostile case files")
struct HostileInputTests {
  func refusal(_ text: String, limits: InputLimits = .standard) -> SourceParseError? {
    do {
      _ = try CaseLoader.decode(text, limits: limits)
      return nil
    } catch {
      return error
    }
  }

  @Test("billion laughs: the first anchor is refused, nothing is expanded")
  func billionLaughs() throws {
    var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    for (n, p) in zip("bcdefghi", "abcdefgh") {
      text += "\(n): &\(n) [" + Array(repeating: "*\(p)", count: 9).joined(separator: ",") + "]\n"
    }
    text += "accession: *i\n"
    let e = try #require(refusal(text))
    #expect(e.message.contains("anchors and aliases are not supported"))
    #expect(e.location == SourceLocation(line: 1, column: 4))
    // An alias alone (no anchor) is refused the same way.
    #expect(refusal("accession: *x\n")?.message.contains("aliases") == true)
  }

  @Test("tags and second documents are refused")
  func tagsAndDocuments() {
    #expect(refusal("accession: !!str 5\n")?.message.contains("tags") == true)
    #expect(refusal("accession: !custom x\n")?.message.contains("tags") == true)
    #expect(refusal("accession: a\n---\naccession: b\n")?.message.contains("more than one YAML document") == true)
  }

  @Test("a file over fileBytes is refused before it is parsed, and before it is read")
  func fileSize() throws {
    let limits = InputLimits(fileBytes: 4_096)
    let big = "accession: S1\ncomment: \"" + String(repeating: "x", count: 5_000) + "\"\n"
    let e = try #require(refusal(big, limits: limits))
    #expect(e.message.contains("the limit is 4096 (fileBytes)"))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-big-\(UUID().uuidString).yaml")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(count: 2 << 20).write(to: url)
    #expect(throws: SourceParseError.self) { try CaseLoader.decode(contentsOf: url) }
    do {
      _ = try BoundedFile.contents(of: url.path, maxBytes: 1 << 20)
    } catch {
      #expect(error.message == "the file is 2097152 bytes; the limit is 1048576 (fileBytes)")
    }
  }

  @Test("a list over listItems is refused at the list, naming it")
  func longList() throws {
    let stains = (0..<1_001).map { "  - {name: desmin, result: positive, n: \($0)}" }.joined(separator: "\n")
    let e = try #require(refusal("accession: S1\nstains:\n" + stains + "\n"))
    #expect(e.message == "stains has more than 1000 items (the listItems limit)")
    #expect(e.location?.line == 3)
    let small = InputLimits(listItems: 16)
    #expect(refusal("accession: S1\nstains: [" + Array(repeating: "x", count: 17).joined(separator: ",") + "]\n", limits: small)?
      .message.contains("listItems") == true)
  }

  @Test("a mapping over mappingKeys is refused, however many keys follow (no quadratic work)")
  func manyKeys() throws {
    let keys = (0..<60_000).map { "  k\($0): v" }.joined(separator: "\n")
    let e = try #require(refusal("accession: S1\nlocal:\n" + keys + "\n"))
    #expect(e.message == "local has more than 256 keys (the mappingKeys limit)")
    #expect(e.location?.line == 259)
  }

  @Test("nesting past the depth limit is an error with its place, in flow and block style, and in JSON")
  func depth() throws {
    let flow = "accession: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
    #expect(refusal(flow) != nil)
    var block = "accession: S1\n"
    for level in 0..<40 { block += String(repeating: "  ", count: level) + "k\(level):\n" }
    block += String(repeating: "  ", count: 40) + "leaf: 1\n"
    let e = try #require(refusal(block))
    #expect(e.message.contains("nested deeper than 32 levels (the depth limit)"))
    let json = "{\"accession\": " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
    #expect(refusal(json)?.message.contains("depth limit") == true)
  }

  @Test("a text over textBytes names the field and the limit")
  func longText() throws {
    let e = try #require(refusal("accession: S1\ncomment: \"" + String(repeating: "a", count: 40_000) + "\"\n"))
    #expect(e.message == "comment is 40000 bytes long; the limit is 32768 (textBytes)")
    #expect(e.location?.line == 2)
  }

  @Test("control characters and noncharacters are errors naming the field; tab and line breaks are text")
  func controlCharacters() throws {
    for (escape, code) in [("\\x01", "U+0001"), ("\\x1B", "U+001B"), ("\\x7F", "U+007F"), ("\\u0085", "U+0085"), ("\\uFFFE", "U+FFFE"), ("\\uFDD0", "U+FDD0")] {
      let e = try #require(refusal("accession: S1\ncomment: \"a\(escape)b\"\n"), "\(escape)")
      #expect(e.message == "comment contains the control character or noncharacter \(code); remove it", "\(escape)")
    }
    // A raw control byte is refused by the YAML reader itself.
    #expect(refusal("accession: S1\ncomment: a\u{1}b\n") != nil)
    // In JSON as well.
    #expect(refusal("{\"accession\": \"S1\", \"comment\": \"a\\u0007b\"}")?.message.contains("U+0007") == true)
    #expect(refusal("accession: S1\ncomment: \"tab\\there\\nline\\r\\n\"\n") == nil)
  }

  @Test("a refused text deep in the file names its whole path; a sibling after a list names only its own")
  func nestedPaths() throws {
    let deep = "accession: S1\ntumor:\n  margins:\n    - name: deep\n    - name: \"a\\x01b\"\n"
    #expect(try #require(refusal(deep)).message == "tumor.margins[1].name contains the control character or noncharacter U+0001; remove it")
    let after = "accession: S1\nspecimens:\n  - id: A\n    site: thigh\ncomment: \"a\\x01b\"\n"
    #expect(try #require(refusal(after)).message == "comment contains the control character or noncharacter U+0001; remove it")
    let key = "{\"accession\": \"S1\", \"tumor\": {\"margins\": [{\"na\\u0001me\": \"x\"}]}}"
    #expect(try #require(refusal(key)).message == "a key of tumor.margins[0] contains the control character or noncharacter U+0001; remove it")
  }

  @Test("more than 30 combining marks in a row are refused; 30 are text")
  func combiningMarks() throws {
    let thirty = "a" + String(repeating: "\u{0301}", count: 30)
    #expect(refusal("accession: S1\ncomment: \"\(thirty)\"\n") == nil)
    let e = try #require(refusal("accession: S1\ncomment: \"\(thirty)\u{0301}\"\n"))
    #expect(e.message.contains("more than 30 combining marks in a row"))
    // 200,000 of them are over the text limit long before anything looks at them one by one.
    let flood = "accession: S1\ncomment: \"a" + String(repeating: "\u{0301}", count: 200_000) + "\"\n"
    #expect(refusal(flood, limits: InputLimits(fileBytes: 1 << 20))?.message.contains("bytes") == true)
  }

  @Test("a site's own limits apply, and each out-of-range limit is named")
  func siteLimits() {
    #expect(refusal("accession: S1\nstains: [a, b, c]\n", limits: InputLimits(listItems: 2)) != nil)
    let bad = InputLimits(fileBytes: 10, textBytes: 1 << 30, listItems: 1_000, mappingKeys: 256, depth: 1_000)
    let out = InputLimits.ranges(bad).filter { !$0.range.contains($0.value) }.map(\.key)
    #expect(out == ["fileBytes", "textBytes", "depth"])
  }

  @Test("numbers are plain decimals: 0x10 cm is not 16 cm")
  func plainDecimals() throws {
    let d = try CaseLoader.decode(minimalCase.replacingOccurrences(of: "size: 6 cm", with: "size: 0x10 cm"))
    #expect(d.value == nil)
    #expect(d.diagnostics.contains { $0.rule == "decode.length" })
  }

  @Test("one wrong-typed value gives one error, not false unknown-key errors for the keys after it")
  func wrongTypeThenKnownKeys() throws {
    let text = minimalCase.replacingOccurrences(of: "accession: T-1", with: "accession: [not, a, string]")
    let d = try CaseLoader.decode(text)
    #expect(d.value == nil)
    #expect(d.diagnostics.count == 1, "\(d.diagnostics.map(\.message))")
    #expect(!d.diagnostics.contains { $0.rule == "decode.unknown-key" })
  }

  @Test("property: any mutation of a real case file decodes or is refused, never crashes or hangs")
  func mutationFuzz() throws {
    let seeds = try ["forearm-ddlms.yaml", "neck-synovial-sarcoma.yaml", "retroperitoneal-ddlms-recurrence-2020.yaml"].map {
      Array(try Data(contentsOf: sampleURL($0)))
    }
    let fragments: [[UInt8]] = ["&a ", "*a", "!!str ", "---\n", "[", "]", "{", "}", ": ", "- ", "\"", "'", "\\u0000", "\t", "\n  ", "#", "? ", "|\n", ">-\n", "\u{1}", "\u{FEFF}", "0x10", "1e400", "~"].map { Array($0.utf8) }
    let iterations = Int(ProcessInfo.processInfo.environment["SYNOPTIC_FUZZ_ITERATIONS"] ?? "") ?? 400
    var rng = SplitMix(seed: 0x5EED)
    var decoded = 0
    var refused = 0
    for i in 0..<iterations {
      var bytes = seeds[i % seeds.count]
      for _ in 0..<Int.random(in: 1...6, using: &rng) {
        let at = Int.random(in: 0...bytes.count, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: bytes.insert(contentsOf: fragments.randomElement(using: &rng)!, at: at)
        case 1: if at < bytes.count { bytes[at] = UInt8.random(in: 0...255, using: &rng) }
        case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &rng)))
        default: bytes = Array(bytes[..<at])
        }
      }
      guard let text = String(validating: bytes, as: UTF8.self), !text.utf8.contains(0) else { continue }
      do {
        let d = try CaseLoader.decode(text)
        if let c = d.value { _ = Validator.analyse(c) }
        decoded += 1
      } catch {
        #expect(!error.message.isEmpty)
        refused += 1
      }
    }
    print("decoder fuzz: \(iterations) mutations, \(decoded) decoded (with or without diagnostics), \(refused) refused")
    #expect(decoded + refused > iterations / 2)
  }
}
