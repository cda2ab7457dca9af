import Foundation
import Testing

@Suite("CLI: render xml/cda and check-xml")
struct XMLCommandTests {
  static let cdaXSD = CLI.packageRoot.deletingLastPathComponent()
    .appendingPathComponent("shared/schemas/cda/normative/infrastructure/cda/CDA.xsd").path

  func temp(_ ext: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-\(UUID().uuidString).\(ext)")
  }

  @Test("render --format xml writes XML that check-xml accepts")
  func xml() throws {
    let out = temp("xml")
    defer { try? FileManager.default.removeItem(at: out) }
    #expect(try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "xml", "-o", out.path]).status == 0)
    let r = try CLI.run(["check-xml", out.path])
    #expect(r.status == 0)
    #expect(r.stdout.contains("valid against"))
  }

  @Test("check-xml reports errors with line numbers and exits 1")
  func invalid() throws {
    let out = temp("xml")
    defer { try? FileManager.default.removeItem(at: out) }
    try "<report xmlns=\"urn:synoptic:report:1.0\">\n  <nonsense/>\n</report>\n".write(to: out, atomically: true, encoding: .utf8)
    let r = try CLI.run(["check-xml", out.path])
    #expect(r.status == 1)
    #expect(r.stdout.contains("\(out.path):"))
    #expect(r.stdout.contains("error:"))
    let garbage = temp("xml")
    defer { try? FileManager.default.removeItem(at: garbage) }
    try "<a><b></a>".write(to: garbage, atomically: true, encoding: .utf8)
    #expect(try CLI.run(["check-xml", garbage.path]).status == 1)
    #expect(try CLI.run(["check-xml", "/nonexistent.xml"]).status == 2)
  }

  @Test("--schema cda needs the CDA schema location")
  func cdaLocation() throws {
    let out = temp("xml")
    defer { try? FileManager.default.removeItem(at: out) }
    #expect(try CLI.run(["render", "Samples/neck-synovial-sarcoma.yaml", "--format", "cda", "-o", out.path]).status == 0)
    #expect(try CLI.run(["check-xml", out.path, "--schema", "cda"], environment: ["SYNOPTIC_CDA_XSD": ""]).status == 64)
    guard FileManager.default.fileExists(atPath: Self.cdaXSD) else {
      print("CDA validation through the CLI skipped: \(Self.cdaXSD) not found")
      return
    }
    #expect(try CLI.run(["check-xml", out.path, "--schema", "cda", "--cda-schema", Self.cdaXSD]).status == 0)
    #expect(try CLI.run(["check-xml", out.path, "--schema", "cda"], environment: ["SYNOPTIC_CDA_XSD": Self.cdaXSD]).status == 0)
  }
}
