import Foundation
import Testing
@testable import SynopticCore

/// A comparable rendering of a parsed tree: values, scalar styles and positions.
func dump(_ node: SourceNode) -> String {
  switch node {
  case .scalar(let s, let plain, let l): return "\(l.line):\(l.column) \(plain ? "plain" : "quoted") \(s.debugDescription)"
  case .sequence(let items, let l): return "\(l.line):\(l.column) [" + items.map(dump).joined(separator: ", ") + "]"
  case .mapping(let pairs, let l):
    return "\(l.line):\(l.column) {" + pairs.map { "\($0.keyLocation.line):\($0.keyLocation.column) \($0.key)=\(dump($0.value))" }.joined(separator: ", ") + "}"
  }
}

@Suite("JSON fast path")
struct JSONFastPathTests {
  static let samples = try! FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("Samples").path)
    .filter { $0.hasSuffix(".yaml") }.sorted()

  @Test("every sample as JSON parses to the tree the YAML parser builds, positions included", arguments: samples)
  func sameTree(_ name: String) throws {
    let yaml = try String(contentsOf: sampleURL(name), encoding: .utf8)
    let json = try CaseJSON.convert(yaml)
    let fast = try #require(JSONSourceParser.parse(json), "the fast path declined \(name)")
    #expect(dump(fast) == dump(try SourceNode.parseYAML(json)))
    // And the case decodes to the same model from either file.
    #expect(try CaseLoader.decode(json).value == CaseLoader.decode(yaml).value)
    #expect(try CaseLoader.decode(json).value != nil)
  }

  @Test("escapes, unicode, numbers and one-line JSON match the YAML parser")
  func escapesAndUnicode() throws {
    let texts = [
      #"{"a": "tab\tquote\" back\\ \u00e9 <script>", "n": -1.5e3, "z": 0, "t": true, "f": false, "x": null}"#,
      "{\"café\": [1, 2, {\"é\": \"ü\"}], \"b\": []  , \"c\": {}}",
      "\n\n  {\r\n\"k\":\r\n  \"v\"\r\n}\n",
    ]
    for text in texts {
      let fast = try #require(JSONSourceParser.parse(text), "declined: \(text)")
      #expect(dump(fast) == dump(try SourceNode.parseYAML(text)))
    }
    // Valid JSON the YAML 1.1 parser refuses (`\/`, surrogate pairs) is read as JSON means.
    let json = try #require(JSONSourceParser.parse(#"{"a": "x\/y \ud83d\ude00"}"#))
    #expect(dump(json) == #"1:1 {1:2 a=1:7 quoted "x/y 😀"}"#)
  }

  @Test("anything but well-formed JSON goes to the YAML parser and its diagnostics")
  func declines() throws {
    for text in [
      "{a: b}", #"{"a": 1,}"#, #"{"a": 1} x"#, #"{"a": 01}"#, #"{"a": "x", "a": "y"}"#, "[1, 2]", #"{"a": tru}"#,
      #"{"a": "\x"}"#, #"{"a": "\ud800"}"#, "{\"a\": \"raw\ttab\"}",
    ] {
      #expect(JSONSourceParser.parse(text) == nil, "accepted: \(text)")
    }
    // Duplicates in objects past the size where the parser switches to a set:
    // repeating the first key, one from before the switch, and one after it.
    let many = (0..<30).map { "\"k\($0)\": \($0)" }
    for dup in ["k0", "k15", "k20"] {
      let text = "{" + (many + ["\"\(dup)\": 1"]).joined(separator: ", ") + "}"
      #expect(JSONSourceParser.parse(text) == nil, "accepted a repeated \(dup)")
    }
    #expect(JSONSourceParser.parse("{" + many.joined(separator: ", ") + "}") != nil)
    // A duplicate key still gets the YAML parser's message.
    #expect(throws: SourceParseError.self) { try CaseLoader.decode(#"{"accession": "a", "accession": "b"}"#) }
    do {
      _ = try CaseLoader.decode(#"{"accession": "a", "accession": "b"}"#)
    } catch {
      #expect(error.message.contains("duplicate key 'accession'"))
    }
    let deep = String(repeating: "{\"a\": ", count: 80) + "1" + String(repeating: "}", count: 80)
    #expect(JSONSourceParser.parse(deep) == nil)
  }

  @Test("CaseJSON keeps literals literal and quotes the rest")
  func convert() throws {
    let json = try CaseJSON.convert("a: 2\nb: 6 cm\nc: true\nd: ~\ne: '3'\nf: 1.5\ng: 2021-03-15\nh: [x, 'y']\n")
    #expect(json == """
      {
        "a": 2,
        "b": "6 cm",
        "c": true,
        "d": null,
        "e": "3",
        "f": 1.5,
        "g": "2021-03-15",
        "h": [
          "x",
          "y"
        ]
      }

      """)
  }
}
