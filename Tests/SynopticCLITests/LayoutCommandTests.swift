import Foundation
import Testing

@Suite("CLI: layout render and check")
struct LayoutCommandTests {
  /// A scratch directory with a layout, a partial and data.
  static func fixture() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-layout-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("partials"), withIntermediateDirectories: true)
    try "Case {{accession}}: {{comment}}\n{{#stains}}\n  {{>stain}}\n{{/stains}}".write(
      to: dir.appendingPathComponent("report.mustache"), atomically: true, encoding: .utf8)
    try "{{marker}} {{result}}\n".write(to: dir.appendingPathComponent("partials/stain.mustache"), atomically: true, encoding: .utf8)
    try #"{"accession": "S1", "comment": "<script>x|y</script>", "stains": [{"marker": "SMA", "result": "positive"}]}"#.write(
      to: dir.appendingPathComponent("data.json"), atomically: true, encoding: .utf8)
    try "{{#a}}\n oops\n".write(to: dir.appendingPathComponent("broken.mustache"), atomically: true, encoding: .utf8)
    return dir
  }

  @Test("render prints exactly the rendered bytes, escaped for the chosen output")
  func render() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(at: dir) }
    let args = ["layout", "render", dir.appendingPathComponent("report.mustache").path, "--data",
                dir.appendingPathComponent("data.json").path, "--partials", dir.appendingPathComponent("partials").path]
    let html = try CLI.run(args)
    #expect(html.status == 0)
    #expect(html.stdout == "Case S1: &lt;script&gt;x|y&lt;/script&gt;\n  SMA positive\n")
    let hl7 = try CLI.run(args + ["--escape", "hl7"])
    #expect(hl7.stdout == "Case S1: <script>x\\F\\y</script>\n  SMA positive\n")
  }

  @Test("render without a trailing newline adds none")
  func noNewline() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(at: dir) }
    try "{{accession}}".write(to: dir.appendingPathComponent("one.mustache"), atomically: true, encoding: .utf8)
    let r = try CLI.run(["layout", "render", dir.appendingPathComponent("one.mustache").path, "--data", dir.appendingPathComponent("data.json").path])
    #expect(r.stdout == "S1")
  }

  @Test("a template error exits 1 with a positioned message")
  func templateError() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(at: dir) }
    let broken = dir.appendingPathComponent("broken.mustache").path
    let r = try CLI.run(["layout", "render", broken, "--data", dir.appendingPathComponent("data.json").path])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("\(broken):1:1: error: 'a' is opened here and never closed"))
    #expect(r.stdout.isEmpty)
    let missing = try CLI.run(["layout", "check", dir.appendingPathComponent("report.mustache").path])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains(":3:3: error: partial 'stain' not found"))
  }

  @Test("check reports ok, and with --fields lists unresolved tags")
  func check() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(at: dir) }
    let report = dir.appendingPathComponent("report.mustache").path
    let partials = dir.appendingPathComponent("partials").path
    let ok = try CLI.run(["layout", "check", report, "--partials", partials])
    #expect(ok.status == 0)
    try #"{"accession": "S1", "stains": [{"marker": "SMA"}]}"#.write(
      to: dir.appendingPathComponent("fields.json"), atomically: true, encoding: .utf8)
    let lint = try CLI.run(["layout", "check", report, "--partials", partials, "--fields", dir.appendingPathComponent("fields.json").path])
    #expect(lint.status == 1)
    #expect(lint.stdout.contains("\(report):1:21: error: 'comment' does not resolve"))
    #expect(lint.stdout.contains("stain.mustache:1:12: error: 'result' does not resolve"))
  }

  @Test("unreadable data exits 2")
  func badData() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(at: dir) }
    try "{not json".write(to: dir.appendingPathComponent("bad.json"), atomically: true, encoding: .utf8)
    let r = try CLI.run(["layout", "render", dir.appendingPathComponent("report.mustache").path, "--data", dir.appendingPathComponent("bad.json").path, "--partials", dir.appendingPathComponent("partials").path])
    #expect(r.status == 2)
  }
}
