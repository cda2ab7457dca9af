import Foundation
import Synchronization
import SynopticTestSupport
import Testing
@testable import SynopticLayout

@Suite("Escaping by output type")
struct EscapingTests {
  func render(_ template: String, _ value: LayoutValue, _ mode: EscapeMode) throws -> String {
    try Layout(template, escape: mode).render(value)
  }

  @Test("HTML escapes & < > \" ' and leaves triple mustache raw")
  func html() throws {
    let v: LayoutValue = ["x": "<script>alert('a & b')</script> \"q\""]
    #expect(try render("{{x}}", v, .html) == "&lt;script&gt;alert(&#39;a &amp; b&#39;)&lt;/script&gt; &quot;q&quot;")
    #expect(try render("{{{x}}}|{{&x}}", v, .html) == "<script>alert('a & b')</script> \"q\"|<script>alert('a & b')</script> \"q\"")
  }

  @Test("XML escapes markup and replaces characters XML 1.0 forbids")
  func xml() throws {
    let v: LayoutValue = ["x": "a<b>&'\"\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}\tc\nd\re\u{FFFE}\u{FFFF}é😀\u{200F}"]
    let out = try render("{{x}}", v, .xml)
    #expect(out == "a&lt;b&gt;&amp;&apos;&quot;\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\tc\nd\re\u{FFFD}\u{FFFD}é😀\u{200F}")
    #expect(!out.unicodeScalars.contains { $0.value < 0x20 && ![0x09, 0x0A, 0x0D].contains($0.value) })
  }

  @Test("HL7 v2 escape sequences and line breaks")
  func hl7() throws {
    #expect(try render("{{x}}", ["x": "a|b^c~d\\e&f"], .hl7) == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f")
    #expect(try render("{{x}}", ["x": "one\r\ntwo\nthree\rfour"], .hl7) == "one\\.br\\two\\.br\\three\\.br\\four")
    #expect(try render("{{x}}", ["x": "tab\there\u{1}"], .hl7) == "tab\there\u{FFFD}")
    // HL7 escaping leaves markup alone: it is not HTML.
    #expect(try render("{{x}}", ["x": "<b>"], .hl7) == "<b>")
  }

  @Test("plain text normalises line ends and control characters, keeps markup, RTL marks and emoji")
  func text() throws {
    #expect(try render("{{x}}", ["x": "a\r\nb\rc\u{7}d\u{200F}e😀<script>&"], .text) == "a\nb\nc\u{FFFD}d\u{200F}e😀<script>&")
  }

  @Test("the output type belongs to the compiled layout", arguments: EscapeMode.allCases)
  func perLayout(mode: EscapeMode) throws {
    let layout = try Layout("{{x}}", escape: mode)
    #expect(layout.escape == mode)
    #expect(try layout.render(["x": "&"]) == mode.escape("&"))
  }
}

@Suite("Plain-text escaping, eight bytes at a time")
struct TextEscapingTests {
  /// The rule byte by byte, as the plain-text mode documents it.
  static func reference(_ s: String) -> String {
    var out: [UInt8] = []
    let b = Array(s.utf8)
    var i = 0
    while i < b.count {
      let c = b[i]
      if c == 0x0D {
        out.append(0x0A)
        if i + 1 < b.count, b[i + 1] == 0x0A { i += 1 }
      } else if (c < 0x20 && c != 0x09 && c != 0x0A) || c == 0x7F {
        out += Array("\u{FFFD}".utf8)
      } else {
        out.append(c)
      }
      i += 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  @Test("every control character is found wherever it falls in a word, among ASCII and UTF-8 text")
  func controlsAnywhere() {
    let pieces = ["a", "Zz", "é", "≥", "😀", " ", "\t", "\n", "\r", "\r\n", "\u{7F}", "\u{1}", "\u{1F}", "~", "\u{80}", "mm²"]
    var g = SystemRandomNumberGenerator()
    for _ in 0..<3000 {
      let s = (0..<Int.random(in: 0...40, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
      #expect(EscapeMode.text.escape(s) == Self.reference(s), "\(Array(s.utf8))")
    }
    // A control character at each offset of a long ASCII run.
    for k in 0..<24 {
      var b = Array(repeating: UInt8(ascii: "x"), count: 24)
      for c: UInt8 in [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x7F] {
        b[k] = c
        let s = String(decoding: b, as: UTF8.self)
        #expect(EscapeMode.text.escape(s) == Self.reference(s), "byte \(c) at \(k)")
      }
    }
  }
}

@Suite("Errors with positions")
struct ErrorTests {
  func error(_ source: String, partials: [String: String] = [:]) -> LayoutError? {
    do {
      _ = try LayoutLibrary(partials: partials).compile(source, file: "t.mustache")
      return nil
    } catch {
      return error
    }
  }

  @Test("unclosed tag")
  func unclosedTag() throws {
    let e = try #require(error("line one\nab {{name"))
    #expect(e.kind == .unclosedTag)
    #expect((e.line, e.column) == (2, 4))
    #expect(e.lineText == "ab {{name")
    #expect(e.description.hasPrefix("t.mustache:2:4: error:"))
  }

  @Test("unclosed section points at the opening tag")
  func unclosedSection() throws {
    let e = try #require(error("a\n\n  {{#items}}\n  x\n"))
    #expect(e.kind == .unclosedSection)
    #expect((e.line, e.column) == (3, 3))
  }

  @Test("mismatched close names both tags")
  func mismatched() throws {
    let e = try #require(error("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}"))
    #expect(e.kind == .mismatchedSection)
    #expect((e.line, e.column) == (3, 1))
    #expect(e.message.contains("'b'"))
    #expect(e.message.contains("line 2"))
  }

  @Test("stray close, bad delimiters, empty names")
  func others() throws {
    #expect(error("x {{/a}}")?.kind == .unexpectedClose)
    #expect(error("{{=<%%>=}}")?.kind == .badDelimiters)
    #expect(error("{{= a = b =}}")?.kind == .badDelimiters)
    #expect(error("a {{ }}")?.kind == .emptyName)
    #expect(error("{{=<% %>=}}\n<%#a%>\n<%/b%>")?.kind == .mismatchedSection)
  }

  @Test("columns count characters, not bytes")
  func unicodeColumns() throws {
    let e = try #require(error("é😀 {{#a}}"))
    #expect((e.line, e.column) == (1, 4))
  }

  @Test("a missing partial is an error at load, with its position, in a partial too")
  func missingPartial() throws {
    let e = try #require(error("one\n  {{>footr}}", partials: ["footer": "f"]))
    #expect(e.kind == .missingPartial)
    #expect((e.line, e.column) == (2, 3))
    #expect(e.message.contains("footer"))
    let nested = try #require(error("{{>a}}", partials: ["a": "x\n{{>nope}}"]))
    #expect(nested.file == "a.mustache")
    #expect(nested.line == 2)
  }

  @Test("partial recursion deeper than the limit is an error, not a crash")
  func recursion() throws {
    let library = try LayoutLibrary(partials: ["loop": "x{{>loop}}"], maxDepth: 20)
    let layout = try library.compile("{{>loop}}")
    #expect(throws: LayoutError.self) { try layout.render([:]) }
    // Recursion that data ends is fine.
    let tree = try LayoutLibrary(partials: ["node": "{{name}}({{#kids}}{{>node}}{{/kids}})"]).compile("{{>node}}")
    let v: LayoutValue = ["name": "a", "kids": [["name": "b", "kids": [["name": "c", "kids": []]]]]]
    #expect(try tree.render(v) == "a(b(c()))")
  }
}

@Suite("Layouts: bounded nesting")
struct LayoutNestingTests {
  @Test("10,000 nested sections are a positioned error, not a stack overflow")
  func deepSections() throws {
    let source = String(repeating: "{{#a}}", count: 10_000) + String(repeating: "{{/a}}", count: 10_000)
    #expect(throws: LayoutError.self) { try Layout(source) }
    do {
      _ = try Layout(source)
    } catch {
      #expect(error.kind == .nestingLimit)
      #expect((error.line, error.column) == (1, 1 + 6 * LayoutParser.maxNesting))
    }
    // Blocks, parents and inverted sections count alike.
    let inverted = String(repeating: "{{^a}}", count: 200) + String(repeating: "{{/a}}", count: 200)
    #expect(throws: LayoutError.self) { try Layout(inverted) }
  }

  @Test("the deepest layout the limits allow stops with an error within a 2 MB thread stack (a debug build's frames)")
  func deepestAllowedRenders() throws {
    let depth = LayoutParser.maxNesting - 1
    let nested = String(repeating: "{{#a}}", count: depth) + "x{{>p}}" + String(repeating: "{{/a}}", count: depth)
    let library = try LayoutLibrary(partials: ["p": nested])
    let layout = try library.compile("{{>p}}")
    let outcome = Mutex<String?>(nil)
    let thread = Thread {
      do {
        _ = try layout.render(["a": true])
        outcome.withLock { $0 = "rendered" }
      } catch let error as LayoutError {
        outcome.withLock { $0 = error.kind.rawValue }
      } catch {
        outcome.withLock { $0 = "\(error)" }
      }
    }
    thread.stackSize = 2 << 20
    let done = DispatchSemaphore(value: 0)
    let watcher = Thread {
      while outcome.withLock({ $0 }) == nil { usleep(1000) }
      done.signal()
    }
    thread.start()
    watcher.start()
    done.wait()
    // Partials recurse until the partial limit stops them: an error, and the process is still here.
    #expect(outcome.withLock { $0 } == "recursion-limit")
  }
}

@Suite("Layouts: fuzzing the parser and renderer")
struct LayoutFuzzTests {
  @Test("property: any sequence of tags and text parses to a layout or a positioned error, and renders or errors, never crashes")
  func randomTemplates() throws {
    let noise = ["{{", "}}", "{{}}", "{{/a}}", "{{#a}}", "{{=<% %>=}}", "<%a%>", "{{/p}}", "{{$blk}}"]
    let leaves = ["{{a}}", "{{{a}}}", "{{&b}}", "{{.}}", "{{a.b.c}}", "{{>p}}", "{{>q}}", "{{>*name}}", "{{! note }}", "text ", "\n", "  ", "<script>x</script>"]
    let iterations = Int(ProcessInfo.processInfo.environment["SYNOPTIC_FUZZ_ITERATIONS"] ?? "") ?? 400
    var rng = SplitMix(seed: 0x1A70)
    let value: LayoutValue = ["a": ["b": ["c": "deep"]], "b": false, "list": [["a": "1"], ["a": "2"]], "name": "p"]
    var compiled = 0
    var refused = 0
    // Mostly well-formed structure (so rendering is exercised), with noise now and then (so errors are).
    func source(_ depth: Int) -> String {
      var out = ""
      for _ in 0..<Int.random(in: 0...5, using: &rng) {
        switch Int.random(in: 0..<20, using: &rng) {
        case 0: out += noise.randomElement(using: &rng)!
        case 1...4 where depth < 6:
          let name = ["a", "b", "list", "a.b"].randomElement(using: &rng)!
          let open = ["#", "^"].randomElement(using: &rng)!
          out += "{{\(open)\(name)}}" + source(depth + 1) + "{{/\(name)}}"
        case 5 where depth < 6: out += "{{<p}}{{$blk}}" + source(depth + 1) + "{{/blk}}{{/p}}"
        default: out += leaves.randomElement(using: &rng)!
        }
      }
      return out
    }
    for _ in 0..<iterations {
      let partials = ["p": source(1), "q": "{{$blk}}default{{/blk}}" + source(2)]
      let main = source(0)
      do {
        let library = try LayoutLibrary(partials: partials, missingPartial: .empty)
        let layout = try library.compile(main)
        _ = try? layout.render(value)
        compiled += 1
      } catch {
        #expect(error.line >= 1 && !error.message.isEmpty)
        refused += 1
      }
    }
    print("layout fuzz: \(iterations) layouts, \(compiled) compiled and rendered, \(refused) refused with a position")
    #expect(compiled > 0 && refused > 0)
  }
}

@Suite("Lint against a field schema")
struct LintTests {
  let schema = FieldShape.infer([
    "accession": "S1", "patient": ["name": "X"],
    "items": [["id": "a", "label": "A", "value": "1"]],
  ])

  @Test("a misspelt tag is reported with file, line and column")
  func misspelt() throws {
    let layout = try Layout("Accession: {{accession}}\nPatient: {{patient.nmae}}\n{{#items}}{{labl}}{{/items}}")
    let issues = layout.lint(against: schema)
    #expect(issues.map(\.name) == ["patient.nmae", "labl"])
    #expect(issues.map(\.line) == [2, 3])
    #expect(issues[0].column == 10)
    #expect(issues[0].lineText == "Patient: {{patient.nmae}}")
  }

  @Test("names resolve through enclosing sections, and partials are checked in their own files")
  func scopes() throws {
    let library = try LayoutLibrary(partials: ["row": "{{label}}: {{value}} ({{accession}}) {{bogus}}"])
    let layout = try library.compile("{{#items}}{{>row}}{{/items}}")
    let issues = layout.lint(against: schema)
    #expect(issues.map(\.name) == ["bogus"])
    #expect(issues.first?.file == "row.mustache")
  }

  @Test("a clean layout has no issues, including blocks and parents")
  func clean() throws {
    let library = try LayoutLibrary(partials: ["base": "{{$head}}{{accession}}{{/head}} {{#items}}{{id}}{{/items}}"])
    let layout = try library.compile("{{<base}}{{$head}}{{patient.name}}{{/head}}{{/base}}")
    #expect(layout.lint(against: schema).isEmpty)
    #expect(try layout.render(["accession": "S1", "patient": ["name": "X"], "items": [["id": "a"]]]) == "X a")
  }
}

@Suite("Rendering at scale")
struct ScaleTests {
  @Test("nesting up to the limit renders through every level")
  func deepNesting() throws {
    let levels = LayoutParser.maxNesting
    var template = ""
    var value: LayoutValue = ["leaf": "bottom"]
    for i in (0..<levels).reversed() {
      value = ["n\(i)": value]
    }
    for i in 0..<levels { template += "{{#n\(i)}}" }
    template += "{{leaf}}"
    for i in (0..<levels).reversed() { template += "{{/n\(i)}}" }
    #expect(try Layout(template).render(value) == "bottom")
  }

  @Test("large lists")
  func largeList() throws {
    let items = LayoutValue.list((0..<20_000).map { .object(["i": .int($0), "s": .string("<\($0)>")]) })
    let out = try Layout("{{#items}}{{i}}={{s}};{{/items}}").render(["items": items])
    #expect(out.hasPrefix("0=&lt;0&gt;;1=&lt;1&gt;;"))
    #expect(out.hasSuffix("19999=&lt;19999&gt;;"))
    #expect(out.split(separator: "=").count == 20_001)
  }

  @Test("one compiled layout renders from many tasks at once")
  func concurrent() async throws {
    let library = try LayoutLibrary(partials: ["row": "{{name}}={{value}}\n"], escape: .xml)
    let layout = try library.compile("{{#rows}}{{>row}}{{/rows}}")
    let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
      for t in 0..<32 {
        group.addTask {
          let rows = LayoutValue.list((0..<50).map { .object(["name": .string("t\(t)"), "value": .int($0)]) })
          return (t, try layout.render(["rows": rows]))
        }
      }
      var all: [Int: String] = [:]
      for try await (t, s) in group { all[t] = s }
      return all
    }
    for t in 0..<32 {
      let expected = (0..<50).map { "t\(t)=\($0)\n" }.joined()
      #expect(results[t] == expected)
    }
  }
}

@Suite("JSON data")
struct JSONReaderTests {
  @Test("numbers, strings, escapes")
  func values() throws {
    let v = try JSONReader.parse(#"{"i": 85, "d": 1.210, "s": "a\u00e9\ud83d\ude00\n", "l": [true, null]}"#)
    #expect(v["i"] == .int(85))
    #expect(v["d"] == .double(1.21))
    #expect(v["s"] == .string("aé😀\n"))
    #expect(v["l"] == .list([.bool(true), .null]))
    #expect(LayoutValue.double(1.21).text == "1.21")
  }

  @Test("bad JSON gives a positioned error", arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1e999}"])
  func bad(text: String) {
    #expect(throws: JSONReader.Error.self) { try JSONReader.parse(text) }
  }
}

@Suite("Layout objects")
struct LayoutObjectTests {
  @Test("members keep their order; setting a name again replaces its value; equality ignores order")
  func basics() {
    var o: LayoutObject = ["b": 1, "a": 2]
    o["b"] = 3
    #expect(o.keys == ["b", "a"])
    #expect(o["b"] == .int(3))
    #expect(o["c"] == nil)
    #expect(o == ["a": 2, "b": 3])
    #expect(o != ["a": 2, "b": 4])
    #expect(o != ["a": 2])
    var p = o
    p["a"] = nil
    #expect(p.keys == ["b"])
    #expect(o.count == 2, "a copy is changed, not the original")
  }

  @Test("small and large objects (with their hash index) answer every lookup alike, through changes")
  func againstDictionary() throws {
    // A reference dictionary and the object go through the same random changes,
    // across the size where the index is built and dropped.
    var rng = SystemRandomNumberGenerator()
    var object = LayoutObject()
    var reference: [String: LayoutValue] = [:]
    for step in 0..<4_000 {
      let key = "k\(Int.random(in: 0..<40, using: &rng))"
      if Int.random(in: 0..<3, using: &rng) == 0 {
        object[key] = nil
        reference[key] = nil
      } else {
        object[key] = .int(step)
        reference[key] = .int(step)
      }
      #expect(object.count == reference.count)
      for k in (0..<40).map({ "k\($0)" }) where object[k] != reference[k] {
        Issue.record("step \(step): \(k) is \(String(describing: object[k])), expected \(String(describing: reference[k]))")
      }
      #expect(Set(object.keys) == Set(reference.keys))
    }
    let big = LayoutObject((0..<1_000).map { ("n\($0)", LayoutValue.int($0)) })
    #expect(big["n999"] == .int(999) && big["n0"] == .int(0) && big["n1000"] == nil)
    #expect(try Layout("{{n500}}").render(.object(big)) == "500")
  }
}

@Suite("The names a layout can read")
struct LeadingNameTests {
  @Test("first parts of variables, sections, inverted sections and the partials reached; not the partials out of reach")
  func leadingNames() throws {
    let library = try LayoutLibrary(partials: [
      "reached": "{{e.f}}{{>deeper}}", "deeper": "{{g}}{{>reached}}", "unreached": "{{h}}",
      "parent": "{{$slot}}{{i}}{{/slot}}",
    ])
    let layout = try library.compile("{{a.b}}{{#c}}{{d.x}}{{/c}}{{^k}}{{/k}}{{>reached}}{{<parent}}{{$slot}}{{j}}{{/slot}}{{/parent}}{{.}}")
    #expect(layout.leadingNames == ["a", "c", "d", "k", "e", "g", "i", "j"])
    // A partial named by a value may be any of them.
    let dynamic = try library.compile("{{>*which}}")
    #expect(dynamic.leadingNames == ["which", "e", "g", "h", "i"])
  }
}
