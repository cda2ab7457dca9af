import Foundation
import Testing

@Suite("CLI: render --batch")
struct BatchCommandTests {
  static let samples = [
    "arm-ups-involved-margin", "forearm-ddlms", "neck-synovial-sarcoma", "retroperitoneal-ddlms-recurrence-2020",
    "retroperitoneal-ddlps-node-positive", "retroperitoneal-lms-2019", "thigh-myxofibrosarcoma-core-biopsy",
    "thigh-ups-post-neoadjuvant",
  ]

  /// A scratch directory, removed when the test ends.
  final class Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-batch-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ p: String) -> String { url.appendingPathComponent(p).path }
    func write(_ p: String, _ text: String) throws {
      let u = url.appendingPathComponent(p)
      try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: u)
    }
    func files(under p: String) -> [String] {
      let root = url.appendingPathComponent(p).path + "/"
      let e = FileManager.default.enumerator(atPath: root)
      var out: [String] = []
      while let f = e?.nextObject() as? String {
        var d: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + f, isDirectory: &d), !d.boolValue { out.append(f) }
      }
      return out.sorted()
    }
  }

  static func sample(_ name: String) throws -> String {
    try String(contentsOf: CLI.packageRoot.appendingPathComponent("Samples/\(name).yaml"), encoding: .utf8)
  }

  static func report(_ dir: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("batch-report.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  @Test("a tree of good and broken cases: every good case gets six files, the broken ones are listed, exit 1")
  func mixedBatch() throws {
    let s = try Scratch()
    for name in Self.samples {
      try s.write("cases/yaml/\(name).yaml", try Self.sample(name))
      // The same case as JSON, in another folder (the JSON fast path).
      let json = try CLI.run(["convert", "Samples/\(name).yaml"])
      #expect(json.status == 0, "\(json.stderr)")
      try s.write("cases/json/\(name).json", json.stdout)
    }
    try s.write("cases/broken/not-json.json", "{\"accession\": \"X\",")
    try s.write("cases/broken/bad-size.yaml", try Self.sample("forearm-ddlms").replacingOccurrences(of: "greatest: 6 cm", with: "greatest: six cm"))
    try s.write("cases/broken/binary.yaml", "\u{0}\u{1}\u{2}")
    try s.write("cases/notes.txt", "not a case: ignored")

    let r = try CLI.run(["render", "--batch", s.path("cases"), "--format", "all", "-o", s.path("out"), "--jobs", "2"])
    #expect(r.status == 1, "\(r.stderr)")
    let files = s.files(under: "out")
    for name in Self.samples {
      for dir in ["yaml", "json"] {
        for ext in ["txt", "html", "xml", "cda.xml", "hl7", "fhir.json"] {
          #expect(files.contains("\(dir)/\(name).\(ext)"), "missing \(dir)/\(name).\(ext)")
        }
      }
    }
    #expect(files.count == 16 * 6 + 1, "\(files.filter { !$0.hasPrefix("yaml/") && !$0.hasPrefix("json/") })")
    #expect(!files.contains { $0.contains("broken") || $0.contains(".tmp.") || $0.contains("in-progress") })

    let report = try Self.report(s.path("out"))
    #expect(report["total"] as? Int == 19)
    #expect(report["succeeded"] as? Int == 16)
    #expect(report["failed"] as? Int == 3)
    #expect(report["filesWritten"] as? Int == 96)
    // Failures are listed as they happen; sorted here by path.
    let failures = try #require(report["failures"] as? [[String: Any]]).sorted { ($0["path"] as? String ?? "") < ($1["path"] as? String ?? "") }
    #expect(failures.map { ($0["path"] as? String ?? "").components(separatedBy: "/").suffix(2).joined(separator: "/") }
      == ["broken/bad-size.yaml", "broken/binary.yaml", "broken/not-json.json"])
    #expect(failures.map { $0["stage"] as? String } == ["decode", "read", "parse"])
    let sizeDiagnostic = try #require((failures[0]["diagnostics"] as? [[String: Any]])?.first)
    #expect(sizeDiagnostic["path"] as? String == "tumor.size.greatest")
    #expect(sizeDiagnostic["line"] as? Int != nil)
    // The summary on stderr names every failed case and its errors.
    #expect(r.stderr.contains("failed [decode]: \(s.path("cases"))/broken/bad-size.yaml"))
    #expect(r.stderr.contains("tumor.size.greatest"))
    #expect(r.stderr.contains("batch: 19 cases"))
    #expect(r.stderr.contains("16 rendered, 3 failed"))
    // No progress bar on a pipe.
    #expect(!r.stderr.contains("\r"))

    // Batch output is what single-case render writes, for YAML and JSON alike.
    for name in ["forearm-ddlms", "retroperitoneal-ddlms-recurrence-2020"] {
      for format in ["text", "cda", "fhir"] {
        let single = try CLI.run(["render", "Samples/\(name).yaml", "--format", format])
        let ext = ["text": "txt", "cda": "cda.xml", "fhir": "fhir.json"][format]!
        for dir in ["yaml", "json"] {
          let batch = try String(contentsOfFile: s.path("out/\(dir)/\(name).\(ext)"), encoding: .utf8)
          #expect(batch == single.stdout, "\(dir)/\(name).\(ext) differs from render --format \(format)")
        }
      }
    }
  }

  @Test("all good: exit 0; one worker and many give identical files")
  func deterministic() throws {
    let s = try Scratch()
    for name in Self.samples { for copy in 1...3 { try s.write("in/\(name)-\(copy).yaml", try Self.sample(name)) } }
    let one = try CLI.run(["render", "--batch", s.path("in"), "--format", "text,xml,hl7", "-o", s.path("one"), "--jobs", "1"])
    let four = try CLI.run(["render", "--batch", s.path("in"), "--format", "text,xml,hl7", "-o", s.path("four"), "--jobs", "4"])
    #expect(one.status == 0, "\(one.stderr)")
    #expect(four.status == 0, "\(four.stderr)")
    let files = s.files(under: "one")
    #expect(files.count == 24 * 3 + 1)
    #expect(files == s.files(under: "four"))
    for f in files where f != "batch-report.json" {
      #expect(FileManager.default.contentsEqual(atPath: s.path("one/\(f)"), andPath: s.path("four/\(f)")), "\(f) differs")
    }
    let report = try Self.report(s.path("four"))
    #expect(report["jobs"] as? Int == 4)
    #expect(report["formats"] as? [String] == ["text", "xml", "hl7"])
    #expect(report["failures"] as? [Any] != nil && (report["failures"] as? [Any])!.isEmpty)
    // Warnings are counted by rule.
    #expect((report["warningsByRule"] as? [String: Int])?["stage.gx-groups-with-g1"] == 3)
  }

  @Test("a list file and standard input; listed relative paths mirror, absolute ones keep their name")
  func listsAndStdin() throws {
    let s = try Scratch()
    let list = "# cases to re-export\nSamples/forearm-ddlms.yaml\n\n\(CLI.packageRoot.path)/Samples/neck-synovial-sarcoma.yaml\nSamples/missing.yaml\n"
    try s.write("list.txt", list)
    let r = try CLI.run(["render", "--batch", s.path("list.txt"), "--format", "text", "-o", s.path("out")])
    #expect(r.status == 1)
    #expect(s.files(under: "out") == ["Samples/forearm-ddlms.txt", "batch-report.json", "neck-synovial-sarcoma.txt"])
    #expect(r.stderr.contains("failed [read]: Samples/missing.yaml"))

    let piped = try CLI.run(["render", "--batch", "-", "--format", "html", "-o", s.path("piped")], input: "Samples/forearm-ddlms.yaml\n")
    #expect(piped.status == 0, "\(piped.stderr)")
    #expect(s.files(under: "piped") == ["Samples/forearm-ddlms.html", "batch-report.json"])
  }

  @Test("two cases that map to one output name: the second fails, neither report is overwritten")
  func collision() throws {
    let s = try Scratch()
    try s.write("in/a.yaml", try Self.sample("forearm-ddlms"))
    try s.write("in/a.json", try CLI.run(["convert", "Samples/neck-synovial-sarcoma.yaml"]).stdout)
    let r = try CLI.run(["render", "--batch", s.path("in"), "--format", "text", "-o", s.path("out"), "--jobs", "1"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("already written by another case in this batch"))
    let report = try Self.report(s.path("out"))
    #expect(report["succeeded"] as? Int == 1)
    #expect(report["failed"] as? Int == 1)
    // A second run into the same directory replaces the first run's files.
    let again = try CLI.run(["render", "--batch", s.path("in"), "--format", "text", "-o", s.path("out"), "--jobs", "1"])
    #expect(again.status == 1)
    #expect(try Self.report(s.path("out"))["succeeded"] as? Int == 1)
    // Neither the refused file nor the replaced one leaves a temporary file behind.
    let left = try FileManager.default.contentsOfDirectory(atPath: s.path("out"))
    #expect(!left.contains { $0.contains(".tmp.") }, "\(left)")
    #expect(left.contains("a.txt"))
  }

  @Test("usage errors: batch needs -o, takes no case file; --jobs needs --batch")
  func usage() throws {
    #expect(try CLI.run(["render", "--batch", "Samples", "--format", "text"]).status == 64)
    #expect(try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--batch", "Samples", "--format", "text", "-o", "/tmp/x"]).status == 64)
    #expect(try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "text", "--jobs", "2"]).status == 64)
    #expect(try CLI.run(["render", "Samples/forearm-ddlms.yaml", "--format", "text,pdf"]).status == 64)
    let missing = try CLI.run(["render", "--batch", "/nonexistent/list", "--format", "text", "-o", FileManager.default.temporaryDirectory.path + "/synoptic-none"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("cannot read the case list"))
  }
}
