import Foundation
import Testing

@Suite("CLI: validate, grade, stage, derive")
struct CoreCommandTests {
  static let samples = [
    "Samples/retroperitoneal-lms-2019.yaml", "Samples/retroperitoneal-ddlms-recurrence-2020.yaml",
    "Samples/forearm-ddlms.yaml", "Samples/thigh-myxofibrosarcoma-core-biopsy.yaml",
    "Samples/thigh-ups-post-neoadjuvant.yaml", "Samples/arm-ups-involved-margin.yaml",
    "Samples/neck-synovial-sarcoma.yaml", "Samples/retroperitoneal-ddlps-node-positive.yaml",
  ]

  @Test("validate exits 0 for every sample")
  func validSamples() throws {
    let r = try CLI.run(["validate"] + Self.samples)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(!r.stdout.contains(": error:"))
  }

  @Test("invalid samples exit 1 with exactly their expected diagnostics",
        arguments: ["Samples/invalid/decode-errors", "Samples/invalid/clinical-errors"])
  func invalidSamples(base: String) throws {
    let r = try CLI.run(["validate", base + ".yaml"])
    #expect(r.status == 1)
    let expected = try String(contentsOf: CLI.packageRoot.appendingPathComponent(base + ".expected.txt"), encoding: .utf8)
    #expect(r.stdout == expected)
    // Every diagnostic line carries file, line and a model path.
    for line in r.stdout.split(separator: "\n").dropLast() {
      #expect(line.hasPrefix(base + ".yaml:"), "\(line)")
      #expect(line.contains(": error: ") || line.contains(": warning: ") || line.contains(": info: "))
    }
  }

  @Test("garbage exits 2 with one clear line")
  func garbage() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-cli-garbage.bin")
    try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let r = try CLI.run(["validate", url.path])
    #expect(r.status == 2)
    #expect(r.stdout.split(separator: "\n").count == 1)
    #expect(r.stdout.contains("error:"))
    #expect(r.stderr.isEmpty)
    let missing = try CLI.run(["validate", "/nonexistent/case.yaml"])
    #expect(missing.status == 2)
  }

  @Test("a mix of files exits with the worst status")
  func worst() throws {
    #expect(try CLI.run(["validate", Self.samples[0], "Samples/invalid/clinical-errors.yaml"]).status == 1)
    #expect(try CLI.run(["validate", Self.samples[0], "/nonexistent.yaml", "Samples/invalid/clinical-errors.yaml"]).status == 2)
  }

  @Test("usage errors exit 64")
  func usage() throws {
    #expect(try CLI.run(["validate"]).status == 64)
    #expect(try CLI.run(["grade", "--mitoses", "3"]).status == 64)
    #expect(try CLI.run(["stage", "--site-group", "elbow", "--grade", "1"]).status == 64)
    #expect(try CLI.run(["stage", "--site-group", "trunk-extremity", "--grade", "4"]).status == 64)
    #expect(try CLI.run(["grade", "--differentiation", "4", "--mitoses", "1", "--necrosis", "0"]).status == 64)
    #expect(try CLI.run(["no-such-command"]).status == 64)
  }

  @Test("validate --format json lists diagnostics with paths")
  func validateJSON() throws {
    let obj = try CLI.json(["validate", "--format", "json", "Samples/invalid/clinical-errors.yaml"])
    #expect(obj["exitCode"] as? Int == 1)
    let files = try #require(obj["files"] as? [[String: Any]])
    let diagnostics = try #require(files.first?["diagnostics"] as? [[String: Any]])
    #expect(diagnostics.contains { $0["path"] as? String == "tumor.margins[0].distance" && $0["line"] as? Int == 38 })
  }

  @Test("grade --format json has the documented fields", arguments: [
    (["--differentiation", "3", "--mitoses", "12", "--necrosis", "10"], 3, 2, 1, 6, 3),
    (["--differentiation", "1", "--mitoses", "9", "--necrosis", "0"], 1, 1, 0, 2, 1),
    (["--differentiation", "1", "--mitoses", "10", "--necrosis", "49.9"], 1, 2, 1, 4, 2),
    (["--differentiation", "2", "--mitoses", "19", "--necrosis", "50"], 2, 2, 2, 6, 3),
    (["--differentiation", "2", "--mitoses", "20", "--necrosis", "0"], 2, 3, 0, 5, 2),
    (["--differentiation", "2", "--mitoses", "10", "--area-mm2", "3.468", "--necrosis", "0"], 2, 1, 0, 3, 1),
    (["--differentiation", "2", "--mitoses", "14", "--area-mm2", "2.38", "--necrosis", "0"], 2, 2, 0, 4, 2),
    (["--histotype", "dedifferentiated liposarcoma", "--mitoses", "4", "--necrosis", "0"], 3, 1, 0, 4, 2),
  ])
  func gradeJSON(args: [String], d: Int, m: Int, n: Int, total: Int, grade: Int) throws {
    let obj = try CLI.json(["grade"] + args + ["--format", "json"])
    #expect(obj["differentiationScore"] as? Int == d)
    #expect(obj["mitoticScore"] as? Int == m)
    #expect(obj["necrosisScore"] as? Int == n)
    #expect(obj["totalScore"] as? Int == total)
    #expect(obj["grade"] as? Int == grade)
    #expect((obj["working"] as? String)?.hasPrefix("differentiation \(d) + mitoses \(m) + necrosis \(n) = \(total) -> grade \(grade)") == true)
  }

  @Test("grade asks for differentiation when the histotype is ambiguous")
  func gradeAmbiguous() throws {
    let r = try CLI.run(["grade", "--histotype", "leiomyosarcoma", "--mitoses", "4", "--necrosis", "0"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("give --differentiation"))
  }

  @Test("stage --format json at every trunk/extremity and retroperitoneal cut-off", arguments: [
    ("trunk-extremity", "5", "1", "N0", "M0", "T1", "IA"),
    ("trunk-extremity", "5.01", "1", "N0", "M0", "T2", "IB"),
    ("trunk-extremity", "10", "2", "N0", "M0", "T2", "IIIA"),
    ("trunk-extremity", "10.01", "2", "N0", "M0", "T3", "IIIB"),
    ("trunk-extremity", "15", "3", "N0", "M0", "T3", "IIIB"),
    ("trunk-extremity", "15.1", "X", "N0", "M0", "T4", "IB"),
    ("trunk-extremity", "3", "3", "N0", "M0", "T1", "II"),
    ("trunk-extremity", "3", "1", "N1", "M0", "T1", "IV"),
    ("retroperitoneum", "3", "1", "N1", "M0", "T1", "IIIB"),
    ("retroperitoneum", "22", "3", "N0", "M1", "T4", "IV"),
    ("retroperitoneum", "6", "2", "N0", "M0", "T2", "IIIA"),
  ])
  func stageJSON(group: String, size: String, grade: String, n: String, m: String, t: String, stage: String) throws {
    let obj = try CLI.json([
      "stage", "--site-group", group, "--size", size, "--grade", grade, "--nodes", n, "--metastasis", m, "--format", "json",
    ])
    #expect(obj["t"] as? String == t)
    #expect(obj["n"] as? String == n)
    #expect(obj["m"] as? String == m)
    #expect(obj["grade"] as? String == (grade == "X" ? "GX" : "G\(grade)"))
    #expect(obj["stageGroup"] as? String == stage)
  }

  @Test("stage without a group gives null and a reason")
  func stageNull() throws {
    let neck = try CLI.json(["stage", "--site-group", "head-neck", "--size", "3", "--grade", "2", "--format", "json"])
    #expect(neck["t"] as? String == "T2")
    #expect(neck["stageGroup"] is NSNull)
    #expect((neck["reason"] as? String)?.contains("no stage group") == true)
    let tx = try CLI.json(["stage", "--site-group", "trunk-extremity", "--grade", "2", "--format", "json"])
    #expect(tx["t"] as? String == "TX")
    #expect(tx["stageGroup"] is NSNull)
    #expect((tx["reason"] as? String)?.hasPrefix("stage not assigned") == true)
    let t4b = try CLI.json([
      "stage", "--site-group", "head-neck", "--size", "1", "--grade", "3", "--invades", "carotid-encasement", "--format", "json",
    ])
    #expect(t4b["t"] as? String == "T4b")
    let visceral = try CLI.json([
      "stage", "--site-group", "visceral", "--visceral-extent", "serosa", "--grade", "3", "--format", "json",
    ])
    #expect(visceral["t"] as? String == "T2a")
  }

  @Test("derive shows the forearm case's grade, pT and stage")
  func derive() throws {
    let obj = try CLI.json(["derive", "Samples/forearm-ddlms.yaml", "--format", "json"])
    #expect(obj["t"] as? String == "T2")
    #expect(obj["stageGroup"] as? String == "IIIA")
    let text = try CLI.run(["derive", "Samples/retroperitoneal-ddlms-recurrence-2020.yaml"])
    #expect(text.status == 0)
    #expect(text.stdout.contains("rpTX"))
    #expect(text.stdout.contains("0.3 mm"))
    #expect(text.stdout.contains("Desmin: positive (S19-04711) -> negative"))
    #expect(try CLI.run(["derive", "Samples/invalid/clinical-errors.yaml"]).status == 1)
  }

  @Test("validate and derive report the same diagnostics for the same file")
  func sameDiagnostics() throws {
    let samples = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("Samples").path)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(samples.count >= 12)
    for name in samples {
      let validated = try CLI.json(["validate", "Samples/\(name)", "--format", "json"])
      let derived = try CLI.json(["derive", "Samples/\(name)", "--format", "json"])
      let v = ((validated["files"] as? [[String: Any]])?.first?["diagnostics"] as? [[String: Any]]) ?? []
      let d = (derived["diagnostics"] as? [[String: Any]]) ?? []
      #expect(v.map { "\($0["path"]!) \($0["rule"]!)" } == d.map { "\($0["path"]!) \($0["rule"]!)" }, "\(name)")
    }
  }

  @Test("derive --format json exposes the close flag's three states, the closest margin with its ambiguity, and the grade range")
  func deriveJSONFields() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-derive-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let sample = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Samples/neck-synovial-sarcoma.yaml"), encoding: .utf8)
    let file = dir.appendingPathComponent("bounds.yaml")
    var yaml = sample.replacingOccurrences(of: "distance: 3 mm", with: "distance: 7 mm")
      .replacingOccurrences(of: "distance: 5 mm", with: "distance: \"> 5 mm\"")
    #expect(yaml != sample)
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    let obj = try CLI.json(["derive", file.path, "--format", "json"])
    let margins = try #require(obj["margins"] as? [String: Any])
    #expect(margins["close"] as? String == "yes")
    #expect((margins["closest"] as? [String: Any])?["name"] as? String == "posterior")
    #expect(((margins["mayBeCloser"] as? [[String: Any]])?.first)?["name"] as? String == "deep")
    #expect((margins["closestDistance"] as? [String: Any])?["text"] as? String == "≤ 7 mm")
    #expect(margins["closeThresholdMm"] as? Double == 10)
    let grade = try #require(obj["grade"] as? [String: Any])
    #expect(grade["value"] as? String == "G2")
    #expect((grade["range"] as? [String: Any])?["lo"] as? Int == 2)
    // Every margin 10 mm or more: no; a threshold of 12 mm makes it undetermined.
    yaml = sample.replacingOccurrences(of: "distance: 3 mm", with: "distance: 11 mm").replacingOccurrences(of: "distance: 5 mm", with: "distance: \">= 10 mm\"")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    #expect((try CLI.json(["derive", file.path, "--format", "json"])["margins"] as? [String: Any])?["close"] as? String == "no")
    let wider = try CLI.json(["derive", file.path, "--format", "json", "--close-margin-mm", "12"])
    #expect((wider["margins"] as? [String: Any])?["close"] as? String == "yes")
    yaml = sample.replacingOccurrences(of: "distance: 3 mm", with: "distance: 11 mm").replacingOccurrences(of: "distance: 5 mm", with: "distance: not reported")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    #expect((try CLI.json(["derive", file.path, "--format", "json"])["margins"] as? [String: Any])?["close"] as? String == "cannot-be-determined")
  }
}
