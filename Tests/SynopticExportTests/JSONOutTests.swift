import Foundation
import SynopticTestSupport
import Testing
@testable import SynopticExport

@Suite("The JSON writer: exact layout and escapes")
struct JSONOutTests {
  @Test("escapes quote, backslash, control characters and the JavaScript line ends; copies everything else")
  func escapes() {
    #expect(JSONOut.quote("plain") == #""plain""#)
    #expect(JSONOut.quote("") == #""""#)
    #expect(JSONOut.quote("a\"b\\c") == #""a\"b\\c""#)
    #expect(JSONOut.quote("1\n2\r3\t4") == #""1\n2\r3\t4""#)
    #expect(JSONOut.quote("\u{00}\u{01}\u{1F}") == #""\u0000\u0001\u001f""#)
    #expect(JSONOut.quote("x\u{2028}y\u{2029}z") == #""x\u2028y\u2029z""#)
    // Other three-byte characters starting with E2 stay as they are.
    #expect(JSONOut.quote("≥ 5 mm² – \u{2027}\u{202A}") == "\"≥ 5 mm² – \u{2027}\u{202A}\"")
    #expect(JSONOut.quote("<script>é</script>") == #""<script>é</script>""#)
  }

  @Test("every string reads back as itself through JSONSerialization")
  func roundTrip() throws {
    var rng = SplitMix(seed: 0x4A534F4E)
    let alphabet: [Character] = ["a", " ", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "≥", "\u{2028}", "\u{2029}", "😀", "/", "\u{0301}"]
    for _ in 0..<500 {
      let s = String((0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
      let text = JSONOut.array([.string(s)]).render(pretty: false)
      let back = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
      #expect(back == [s], "\(text)")
    }
  }

  @Test("pretty and compact layout: two-space indent, a space after the colon only when pretty, empty containers inline")
  func layout() {
    let value = JSONOut.object([
      ("a", .int(1)), ("b", .array([.string("x"), .null, .bool(true)])), ("c", .object([])), ("d", .array([])),
      ("e", .object([("f", .number(0.5)), ("g", .number(12))])),
    ])
    #expect(value.render() == """
      {
        "a": 1,
        "b": [
          "x",
          null,
          true
        ],
        "c": {},
        "d": [],
        "e": {
          "f": 0.5,
          "g": 12
        }
      }
      """)
    #expect(value.render(pretty: false) == #"{"a":1,"b":["x",null,true],"c":{},"d":[],"e":{"f":0.5,"g":12}}"#)
    #expect(JSONOut.array([.int(1)]).render(indent: 1) == "[\n    1\n  ]")
  }
}
