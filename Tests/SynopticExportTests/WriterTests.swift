import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticLayout
@testable import SynopticTemplates

@Suite("Text and HTML writers")
struct WriterTests {
  @Test("golden text and HTML for every sample", arguments: sampleNames)
  func golden(name: String) throws {
    let p = try prepare(name)
    try expectGolden(try render(p, .text), "\(name).txt")
    try expectGolden(try render(p, .html), "\(name).html")
  }

  @Test("the publisher's outputs (one shared tree, bytes as written) equal each writer run alone", arguments: sampleNames)
  func publisher(name: String) throws {
    let p = try prepare(name)
    let doc = p.document
    let outputs = try ReportPublisher.outputs(doc, template: p.template, layouts: layouts, site: site, width: 72)
    let alone: [String: String] = [
      "text": try render(p, .text, width: 72), "html": try render(p, .html, width: 72), "xml": ReportXML.render(doc),
      "cda": CDAWriter.render(doc, site: site), "hl7": HL7v2Writer.render(doc, site: site),
      "fhir": FHIRWriter.render(doc, text: try render(p, .text, width: 72), html: try render(p, .html, width: 72), site: site),
    ]
    #expect(Set(outputs.keys) == Set(ReportPublisher.formats.map(\.name)))
    for (format, expected) in alone {
      let output = try #require(outputs[format])
      #expect(output.string == expected, "\(format) differs")
      #expect(output.withBytes { Array($0) } == Array(expected.utf8), "\(format) bytes differ")
    }
    // Asking for some formats renders only those.
    let some = try ReportPublisher.outputs(doc, template: p.template, layouts: layouts, site: site, only: ["html", "cda"])
    #expect(Set(some.keys) == ["html", "cda"])
  }

  @Test("the institution override renders with its letterhead block and labels")
  func override() throws {
    let p = try prepare("arm-ups-involved-margin", templateId: "soft-tissue-resection-demo-hospital")
    let html = try render(p, .html)
    try expectGolden(html, "arm-ups-involved-margin.demo-hospital.html")
    #expect(html.contains("Tel. +00 000 000 0000"))
    #expect(html.contains("<dt>R classification</dt>"))
    #expect(html.contains("Sarcoma tumour board 2025-01-24"))
  }

  @Test("every answered item's value appears in the text and in the HTML", arguments: sampleNames)
  func everyValue(name: String) throws {
    let p = try prepare(name)
    let text = squash(try render(p, .text, width: 100))
    let html = try render(p, .html)
    for item in p.document.answeredItems {
      #expect(text.contains(squash(item.display)), "\(item.id) \(item.label): '\(item.display)' not in text")
      #expect(html.contains(EscapeMode.html.escape(item.display)), "\(item.id) \(item.label): '\(item.display)' not in HTML")
    }
    #expect(!p.document.answeredItems.isEmpty)
  }

  @Test("forearm: SATB2, desmin, osteosarcoma, pT2, stage IIIA")
  func forearm() throws {
    let p = try prepare("forearm-ddlms")
    for output in ReportLayouts.Output.allCases {
      let out = try render(p, output)
      for needle in ["SATB2", "Desmin", "osteosarcoma", "pT2", "IIIA"] {
        #expect(out.contains(needle), "\(output) lacks \(needle)")
      }
    }
  }

  @Test("recurrence: 0.3 mm closest margin, H3K27me3, MDM2 not amplified, pTX")
  func recurrence() throws {
    let p = try prepare("retroperitoneal-ddlms-recurrence-2020")
    for output in ReportLayouts.Output.allCases {
      let out = try render(p, output)
      let mdm2 = output == .html ? "<td>MDM2</td><td>not amplified</td>" : "MDM2: not amplified"
      let change = output == .html ? "Desmin: positive (S19-04711) -&gt; negative" : "Desmin: positive (S19-04711) -> negative"
      for needle in ["0.3 mm", "H3K27me3", mdm2, "pTX", change] {
        #expect(out.contains(needle), "\(output) lacks \(needle)")
      }
    }
  }

  @Test("text: diagnosis first, sections in capitals, lines within the width, LF only, draft marked")
  func textShape() throws {
    let p = try prepare("retroperitoneal-ddlps-node-positive")
    for width in [60, 80, 120] {
      let text = try render(p, .text, width: width)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      #expect(lines.allSatisfy { $0.count <= width }, "a line exceeds \(width)")
      #expect(!text.contains("\r"))
      #expect(text.unicodeScalars.allSatisfy { $0.value >= 0x20 || $0 == "\n" })
      let diagnosis = try #require(text.range(of: "FINAL DIAGNOSIS"))
      let synoptic = try #require(text.range(of: "SYNOPTIC REPORT"))
      #expect(diagnosis.lowerBound < synoptic.lowerBound)
      #expect(text.contains("\nMARGINS\n"))
      #expect(text.hasSuffix("DRAFT - not signed out\n"))
    }
    #expect(try render(p, .text) == (try render(p, .text)), "output must be deterministic")
  }

  @Test("values align in a column with a hanging indent")
  func alignment() throws {
    let text = try render(try prepare("forearm-ddlms"), .text)
    let lines = text.split(separator: "\n")
    /// The column a line's value starts in.
    func column(of value: String, onLineStarting label: String) throws -> Int {
      let line = try #require(lines.first { $0.hasPrefix(label) })
      let start = try #require(line.range(of: value)).lowerBound
      return line.distance(from: line.startIndex, to: start)
    }
    #expect(try column(of: "Proximal forearm", onLineStarting: "Tumour site:") == column(of: "IIIA", onLineStarting: "Stage group:"))
  }

  @Test("a signed case prints the sign-out block")
  func signed() throws {
    let p = try prepare(yaml: hostileCase.replacingOccurrences(of: "# sign", with: "signOut: {pathologist: Dr. A. Path, time: 2024-02-01T10:00:00Z}"))
    let text = try render(p, .text)
    #expect(text.contains("Electronically signed out by Dr. A. Path on 2024-02-01T10:00:00Z"))
    #expect(!text.contains("DRAFT"))
    #expect(!(try render(p, .html)).contains("class=\"draft\""))
  }
}

let hostileText = "<script>alert('x')</script> & </td> \u{200F}RTL\u{200E} 😀 |^~\\& \"q\""
let hostileCase = """
  accession: H-1
  patient: {name: "O'Brien <b>&", mrn: M1, sex: female}
  presurgicalTherapy: none
  clinicalHistory: "\(hostileText.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"
  comment: "\(hostileText.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"
  specimens: [{id: A, procedure: wide-resection}]
  tumor:
    site: "Thigh </td><td>"
    siteGroup: trunk-extremity
    depth: [subfascial]
    size: 6 cm
    histologicType: {name: myxofibrosarcoma}
    grading: {mitoses: 3, necrosis: none}
    margins: [{name: "deep <i>", status: not-involved, distance: 4 mm}]
  regionalLymphNodes: {status: not-submitted}
  # sign
  """

@Suite("Hostile free text")
struct HostileTextTests {
  @Test("is escaped in HTML and intact in text")
  func hostile() throws {
    let p = try prepare(yaml: hostileCase)
    let html = try render(p, .html)
    #expect(!html.contains("<script>"))
    #expect(!html.contains("</td><td>\""))
    #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;/td&gt;"))
    #expect(html.contains("O&#39;Brien &lt;b&gt;&amp;"))
    #expect(html.contains("\u{200F}RTL\u{200E} 😀"))
    let text = try render(p, .text, width: 200)
    #expect(text.contains(hostileText))
    #expect(text.contains("Thigh </td><td>"))
  }
}

@Suite("Layout lint for report layouts")
struct ReportLayoutLintTests {
  @Test("shipped layouts resolve against the report fields")
  func shipped() throws {
    for t in store.templates.values { #expect(layouts.lint(t).isEmpty, "\(t.id): \(layouts.lint(t))") }
  }

  @Test("a misspelt tag in a layout is caught with its position")
  func misspelt() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-layouts-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("Templates/layouts"), to: dir)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("report.text.mustache")
    let text = try String(contentsOf: url, encoding: .utf8)
    try text.replacingOccurrences(of: "MRN:           {{patient.mrn}}", with: "MRN:           {{patient.mnr}}")
      .write(to: url, atomically: true, encoding: .utf8)
    let lineNo = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("{{patient.mrn}}") }) + 1
    let problems = try ReportLayouts(directory: dir).lint(try #require(store.templates["soft-tissue-resection"]))
    #expect(problems.count == 1)
    #expect(problems.first?.contains("report.text.mustache:\(lineNo):16: error: 'patient.mnr'") == true, "\(problems)")
  }
}
