import Foundation
import Testing

@Suite("CLI: render, templates, template lint")
struct RenderCommandTests {
  @Test("render prints the text report; the first README command works")
  func renderText() throws {
    let r = try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "text"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("Synoptic Demonstration Hospital"))
    #expect(r.stdout.contains("FINAL DIAGNOSIS"))
    #expect(r.stdout.contains("rpT2"))
    #expect(r.stdout.hasSuffix("DRAFT - not signed out\n"))
  }

  @Test("render --format html -o writes one self-contained file")
  func renderHTML() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-\(UUID().uuidString).html")
    defer { try? FileManager.default.removeItem(at: out) }
    let r = try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "html", "-o", out.path])
    #expect(r.status == 0)
    #expect(r.stdout.isEmpty)
    let html = try String(contentsOf: out, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(!html.contains("<script"))
    #expect(!html.contains("http://") && !html.contains("https://"))
  }

  @Test("a case with errors renders as a draft listing them, and exits 1")
  func renderWithErrors() throws {
    let r = try CLI.run(["render", "Samples/invalid/clinical-errors.yaml", "--format", "text"])
    #expect(r.status == 1)
    #expect(r.stdout.contains("ERRORS (sign-out is blocked)"))
    #expect(r.stderr.contains("margin.negative-zero-distance"))
    let unreadable = try CLI.run(["render", "Samples/invalid/decode-errors.yaml", "--format", "text"])
    #expect(unreadable.status == 1)
    #expect(unreadable.stdout.isEmpty)
  }

  @Test("--template picks a template; an unknown one is a usage error")
  func templateChoice() throws {
    let r = try CLI.run(["render", "Samples/arm-ups-involved-margin.yaml", "--format", "text", "--template", "soft-tissue-resection-demo-hospital"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("Tumour board discussion:"))
    #expect(try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "text", "--template", "nope"]).status == 64)
  }

  @Test("templates are found from any directory, and through SYNOPTIC_TEMPLATES")
  func discovery() throws {
    let p = Process()
    p.executableURL = CLI.binary
    p.arguments = ["templates"]
    p.currentDirectoryURL = FileManager.default.temporaryDirectory
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    #expect(out.contains("soft-tissue-resection\t1.3.0\tSoft Tissue Sarcoma, Resection"))
    let missing = try CLI.run(["templates"], environment: ["SYNOPTIC_TEMPLATES": "/nonexistent"])
    #expect(missing.status == 2)
  }

  @Test("template lint: ok for shipped templates, positioned errors for a broken one")
  func lint() throws {
    #expect(try CLI.run(["template", "lint"]).status == 0)
    #expect(try CLI.run(["template", "lint", "soft-tissue-biopsy"]).status == 0)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-lint-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Templates"), to: dir)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("soft-tissue-biopsy.yaml")
    let text = try String(contentsOf: file, encoding: .utf8)
    try text.replacingOccurrences(of: "bind: tumor.histologicType, required: core", with: "bind: tumor.histotype, required: core")
      .write(to: file, atomically: true, encoding: .utf8)
    let line = (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("bind: tumor.histologicType, required: core") } ?? -2) + 1
    let r = try CLI.run(["template", "lint", file.path])
    #expect(r.status == 1)
    #expect(r.stdout.contains("soft-tissue-biopsy.yaml:\(line):"))
    #expect(r.stdout.contains("binding 'tumor.histotype' does not resolve"))
    // Commands that need templates refuse to run on broken ones.
    #expect(try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "text", "--templates", dir.path]).status == 2)
  }

  @Test("render --site carries the site's facility, OIDs and signer directory into HL7 v2 and CDA; a broken site file is exit 2")
  func site() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-site-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let demo = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Samples/sites/demo-hospital.yaml"), encoding: .utf8)
    let other = demo.replacingOccurrences(of: "sendingFacility: DEMO-PATH", with: "sendingFacility: NORTH-PATH")
      .replacingOccurrences(of: "oidRoot: 2.16.840.1.113883.19.5", with: "oidRoot: 1.2.840.99999.7")
      .replacingOccurrences(of: "name: Synoptic Demonstration Hospital, Department of Pathology", with: "name: North Hospital Pathology")
    let file = dir.appendingPathComponent("north.yaml")
    try other.write(to: file, atomically: true, encoding: .utf8)
    let hl7 = try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "hl7", "--site", file.path])
    #expect(hl7.status == 0, "\(hl7.stderr)")
    #expect(hl7.stdout.hasPrefix("MSH|^~\\&|SYNOPTIC^1.2.840.99999.7.10^ISO|NORTH-PATH^00D0000000^CLIA|EHR^1.2.840.99999.7.11^ISO|DEMO-HOSP|"))
    let cda = try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "cda"], environment: ["SYNOPTIC_SITE": file.path])
    #expect(cda.stdout.contains("<setId root=\"1.2.840.99999.7.1\" extension=\"S21-03310\"/>"))
    #expect(cda.stdout.contains("<name>North Hospital Pathology</name>"))
    #expect(!cda.stdout.contains("2.16.840.1.113883.19.5"))
    let broken = dir.appendingPathComponent("broken.yaml")
    try demo.replacingOccurrences(of: "clia: 00D0000000", with: "clia: 12345").write(to: broken, atomically: true, encoding: .utf8)
    let refused = try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "hl7", "--site", broken.path])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("broken.yaml:6:7: error: clia: '12345' is not a CLIA number"))
  }
}
