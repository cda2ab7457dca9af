import Foundation
import SynopticTestSupport
import Testing
@testable import SynopticExport
import SynopticLayout
import SynopticTemplates

@Suite("Text wrapping: the byte path agrees with the Character path")
struct TextFormattingTests {
  @Test("dates lose their hyphens as replacingOccurrences would drop them")
  func withoutHyphens() {
    for s in ["2025-01-22", "", "-", "--a-b--", "20250122", "1962-04-09", "é-ü-≥", "a-very-long-string-with-many-hyphens-beyond-fifteen-bytes"] {
      #expect(s.withoutHyphens == s.replacingOccurrences(of: "-", with: ""), "\(s)")
    }
  }

  @Test("columns are counted eight bytes at a time as byte by byte, wherever a line break or a wide character falls")
  func lineColumns() {
    func reference(_ b: [UInt8]) -> Int? {
      var columns = 0
      for c in b {
        if c == 0x0A || c == 0x0D || c >= 0xCC { return nil }
        if c & 0xC0 != 0x80 { columns += 1 }
      }
      return columns
    }
    let pieces = ["a", "Zz", " ", "é", "mm²", "≥", "\n", "\r", "\t", "\u{301}", "0123456789"]
    var g = SystemRandomNumberGenerator()
    for _ in 0..<3000 {
      let b = Array((0..<Int.random(in: 0...30, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined().utf8)
      #expect(b.withUnsafeBufferPointer(TextFormatting.lineColumns) == reference(b), "\(b)")
    }
    for k in 0..<20 {
      for c: UInt8 in [0x0A, 0x0D, 0xC3, 0xCC, 0xE2] {
        var b = Array(repeating: UInt8(ascii: "x"), count: 20)
        b[k] = c
        #expect(b.withUnsafeBufferPointer(TextFormatting.lineColumns) == reference(b), "byte \(c) at \(k)")
      }
    }
  }

  @Test("worked examples: hanging indent, long words split, line breaks, trailing blanks")
  func examples() {
    #expect(TextFormatting.wrap("a bb ccc dddd", width: 10, firstPrefix: "", indent: 0) == "a bb ccc\ndddd")
    #expect(TextFormatting.labelled("Size", "6 cm", column: 8, width: 80) == "Size:   6 cm")
    // The width is at least indent + 10 (here 12).
    #expect(
      TextFormatting.wrap(String(repeating: "x", count: 25), width: 10, firstPrefix: "- ", indent: 2)
        == "- xxxxxxxxxx\n  xxxxxxxxxx\n  xxxxx")
    #expect(TextFormatting.wrap("one\ntwo  \n\n", width: 20, firstPrefix: "> ", indent: 2) == "> one\n  two")
    #expect(TextFormatting.wrap("", width: 20, firstPrefix: "Label: ", indent: 7) == "Label:")
    #expect(TextFormatting.wrap("≥ 5 mm² \u{00A0}", width: 20, firstPrefix: "", indent: 0) == "≥ 5 mm²")
    #expect(TextFormatting.singleLine("4 mm; periosteum", width: 30, firstPrefix: "  - ") == "  - 4 mm; periosteum")
    #expect(TextFormatting.singleLine("two  spaces", width: 30, firstPrefix: "") == nil)
    #expect(TextFormatting.singleLine("trailing tab\t", width: 30, firstPrefix: "") == nil)
    #expect(TextFormatting.singleLine("too long for it", width: 10, firstPrefix: "") == nil)
  }

  @Test("the byte path declines what it cannot count: CR LF and combining marks")
  func declines() {
    #expect(TextFormatting.wrapBytes("a\r\nb", width: 20, firstPrefix: "", indent: 0) == nil)
    #expect(TextFormatting.wrapBytes("Cafe\u{301}", width: 20, firstPrefix: "", indent: 0) == nil)
    #expect(TextFormatting.wrapBytes("Café mm² ≤ 5", width: 20, firstPrefix: "", indent: 0) != nil)
    // Through the public entry, declined text still wraps by Characters.
    #expect(TextFormatting.wrap("e\u{301}e\u{301}e\u{301} x", width: 12, firstPrefix: "", indent: 0) == "e\u{301}e\u{301}e\u{301} x")
  }

  @Test("random texts over spaces, breaks, long words and two-byte letters wrap the same both ways")
  func agreesWithCharacterPath() {
    var rng = SplitMix(seed: 42)
    let alphabet: [String] = ["a", "b", "Z", "7", " ", " ", " ", "\n", "\t", "²", "é", "\u{00A0}", "≥", "-", ".", "\u{2003}", "\u{3000}", "≤"]
    var compared = 0
    for _ in 0..<3000 {
      let length = Int(rng.next() % (rng.next() % 2 == 0 ? 20 : 90))
      var text = ""
      for _ in 0..<length { text += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
      let width = 10 + Int(rng.next() % 60)
      let indent = Int(rng.next() % 12)
      let prefix = ["", "  - ", "Label:      ", "Warning: ", "é: "][Int(rng.next() % 5)]
      guard let fast = TextFormatting.wrapBytes(text, width: width, firstPrefix: prefix, indent: indent) else {
        Issue.record("byte path declined \(text.debugDescription)")
        continue
      }
      let reference = TextFormatting.wrapCharacters(text, width: width, firstPrefix: prefix, indent: indent)
      #expect(fast == reference, "width \(width) indent \(indent) prefix \(prefix.debugDescription) text \(text.debugDescription)")
      // The public entry (single-line shortcut first) agrees too.
      #expect(TextFormatting.wrap(text, width: width, firstPrefix: prefix, indent: indent) == reference)
      compared += 1
    }
    #expect(compared == 3000)
  }

  @Test("a labelled line in one allocation is what the general wrap makes, and declines what it cannot do")
  func labelledLine() {
    var rng = SplitMix(seed: 11)
    // Mostly plain pieces (so the one-line path is taken often), some that send it to the general wrap.
    let plain = ["Size", "a", " ", "é", "≥", "mm²", "x", "7", ".", "-", "Z"]
    let awkward = ["  ", "\n", "\r", "Cafe\u{301}", "\t", " "]
    func text(_ n: Int) -> String {
      (0..<n).map { _ in
        rng.next() % 8 == 0 ? awkward[Int(rng.next() % UInt64(awkward.count))] : plain[Int(rng.next() % UInt64(plain.count))]
      }.joined()
    }
    var fastCount = 0
    for _ in 0..<4000 {
      let label = text(Int(rng.next() % 6))
      let value = text(Int(rng.next() % (rng.next() % 2 == 0 ? 8 : 30)))
      let column = Int(rng.next() % 40)
      let width = 10 + Int(rng.next() % 90)
      let general = TextFormatting.labelledWrapped(label, value, column: column, width: width)
      if let fast = TextFormatting.labelledLine(label, value, column: column, width: width) {
        #expect(fast == general, "label \(label.debugDescription) value \(value.debugDescription) column \(column) width \(width)")
        fastCount += 1
      }
      #expect(TextFormatting.labelled(label, value, column: column, width: width) == general)
    }
    // Both paths were exercised.
    #expect(fastCount > 300, "only \(fastCount) took the one-line path")
    #expect(fastCount < 3500, "\(fastCount) took the one-line path")
    #expect(TextFormatting.labelledLine("Size", "6 cm", column: 10, width: 80) == "Size:     6 cm")
    #expect(TextFormatting.labelledLine("A very long label indeed", "x", column: 10, width: 80) == "A very long label indeed: x")
  }

  @Test("characterCount is String.count: on the bytes where it can be, by Characters where not")
  func characterCount() {
    let samples = [
      "", "Size", "Tumour size (greatest dimension)", "mm² ≥ 5", "Café", "Cafe\u{301}", "a\r\nb", "\r", "한국어", "👩‍⚕️ x",
      "\u{00A0}\u{3000}", "e\u{301}\u{301}", String(repeating: "é", count: 40),
    ]
    for s in samples { #expect(TextFormatting.characterCount(s) == s.count, "\(s.debugDescription)") }
    var rng = SplitMix(seed: 7)
    let alphabet = ["a", " ", "²", "é", "\u{301}", "\r", "\n", "≥", "한", "👍", "\u{200D}", "Z"]
    for _ in 0..<2000 {
      var s = ""
      for _ in 0..<Int(rng.next() % 30) { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
      #expect(TextFormatting.characterCount(s) == s.count, "\(s.debugDescription)")
    }
  }
}


@Suite("The report tree holds what its layouts read")
struct ReportTreePartsTests {
  @Test("the shipped layouts and layouts reading one part render every sample as they do from the whole tree")
  func prunedTreeRendersTheSame() throws {
    let library = try LayoutLibrary(partials: [:], escape: .text)
    let custom = try [
      "{{#sections}}{{title}}:{{#items}} {{label}}={{display}}{{/items}}\n{{/sections}}",
      "{{#text.sections}}{{title}}\n{{#lines}}{{.}}\n{{/lines}}{{/text.sections}}{{accession}}",
      "{{accession}} {{patient.name}}",
    ].map { try library.compile($0) }
    let shipped = try ["text", "html"].map { try layouts.layout(for: try #require(store.templates["soft-tissue-resection"]), output: ReportLayouts.Output(rawValue: $0)!) }
    #expect(shipped[0].leadingNames.contains("text") && !shipped[0].leadingNames.contains("sections"))
    #expect(shipped[1].leadingNames.contains("sections"))
    for name in sampleNames {
      let p = try prepare(name)
      let whole = ReportTree.build(p.document)
      for layout in shipped + custom {
        #expect(try layout.render(ReportTree.build(p.document, reading: layout.leadingNames)) == (try layout.render(whole)), "\(name)")
      }
    }
  }
}
