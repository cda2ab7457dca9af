import Foundation
import Testing

/// The hardening review's attacks on the command line, each refused or handled.
@Suite("CLI: hostile files, links and stores")
struct HardeningTests {
  typealias Scratch = BatchCommandTests.Scratch

  static func sample(_ name: String) throws -> String { try BatchCommandTests.sample(name) }

  @Test("a planted link at an output name is replaced, never written through; a linked directory inside the output is refused")
  func batchLinks() throws {
    let s = try Scratch()
    try s.write("in/a.yaml", try Self.sample("forearm-ddlms"))
    try s.write("in/sub/b.yaml", try Self.sample("neck-synovial-sarcoma"))
    try s.write("victim.txt", "precious\n")
    try s.write("elsewhere/keep.txt", "x")
    try FileManager.default.createDirectory(atPath: s.path("out"), withIntermediateDirectories: true)
    // A link where a.txt will go, pointing at a file outside; and out/sub pointing at another directory.
    try FileManager.default.createSymbolicLink(atPath: s.path("out/a.txt"), withDestinationPath: s.path("victim.txt"))
    try FileManager.default.createSymbolicLink(atPath: s.path("out/sub"), withDestinationPath: s.path("elsewhere"))
    let r = try CLI.run(["render", "--batch", s.path("in"), "--format", "text", "-o", s.path("out"), "--jobs", "1"])
    #expect(r.status == 1, "\(r.stderr)")
    #expect(try String(contentsOfFile: s.path("victim.txt"), encoding: .utf8) == "precious\n")
    let attributes = try FileManager.default.attributesOfItem(atPath: s.path("out/a.txt"))
    #expect(attributes[.type] as? FileAttributeType == .typeRegular, "the link itself is replaced by the report")
    #expect(r.stderr.contains("sub is a symbolic link or not a directory; the batch does not follow links inside its output directory"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: s.path("elsewhere")) == ["keep.txt"])
    // No marker or temporary file is left, and none sits at a guessable name.
    let left = try FileManager.default.contentsOfDirectory(atPath: s.path("out")).sorted()
    #expect(left == ["a.txt", "batch-report.json", "sub"], "\(left)")
  }

  @Test("inputs that cannot be read are listed and fail the batch: dangling and looping links, FIFOs, devices, directories")
  func unreadableInputs() throws {
    let s = try Scratch()
    try s.write("in/good.yaml", try Self.sample("forearm-ddlms"))
    let fm = FileManager.default
    try fm.createSymbolicLink(atPath: s.path("in/dangling.yaml"), withDestinationPath: s.path("in/nothing-here.yaml"))
    try fm.createSymbolicLink(atPath: s.path("in/loop-a.yaml"), withDestinationPath: s.path("in/loop-b.yaml"))
    try fm.createSymbolicLink(atPath: s.path("in/loop-b.yaml"), withDestinationPath: s.path("in/loop-a.yaml"))
    #expect(mkfifo(s.path("in/fifo.yaml"), 0o644) == 0)
    try fm.createSymbolicLink(atPath: s.path("in/device.json"), withDestinationPath: "/dev/zero")
    let r = try CLI.run(["render", "--batch", s.path("in"), "--format", "text", "-o", s.path("out")])
    #expect(r.status == 1)
    for (name, why) in [("dangling.yaml", "no such file"), ("loop-a.yaml", "loop"), ("fifo.yaml", "a FIFO"), ("device.json", "a device")] {
      #expect(r.stderr.contains("failed [read]: \(s.path("in"))/\(name)"), "\(name): \(r.stderr)")
      #expect(r.stderr.contains(why), "\(why)")
    }
    #expect(r.stderr.contains("1 rendered, 5 failed"))
  }

  @Test("failures stream to batch-report.json with their diagnostics capped; the summary lists the first and counts the rest")
  func manyFailures() throws {
    let s = try Scratch()
    // 60 cases of 150 unknown keys each (in three mappings).
    let keys = (0..<50).map { "  unknown\($0): x" }.joined(separator: "\n")
    let broken = "accession: X\nextra1:\n\(keys)\nextra2:\n\(keys)\nextra3:\n\(keys)\n" + (0..<150).map { "top\($0): x" }.joined(separator: "\n") + "\n"
    for i in 0..<60 { try s.write("in/broken-\(i).yaml", broken) }
    let r = try CLI.run(["render", "--batch", s.path("in"), "--format", "text", "-o", s.path("out"), "--jobs", "2"])
    #expect(r.status == 1)
    let report = try BatchCommandTests.report(s.path("out"))
    let failures = try #require(report["failures"] as? [[String: Any]])
    #expect(failures.count == 60)
    #expect(report["failed"] as? Int == 60)
    for f in failures {
      #expect((f["diagnostics"] as? [Any])?.count == 100)
      #expect((f["diagnosticsNotListed"] as? Int ?? 0) > 0)
    }
    #expect(r.stderr.contains("... and 10 more failed cases, listed in \(s.path("out"))/batch-report.json"))
  }

  @Test("verify: a mistyped store path is exit 2 and creates nothing")
  func verifyMissingStore() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-typo-\(UUID().uuidString)")
    let r = try CLI.run(["verify", "--store", dir.appendingPathComponent("stroe.sqlite").path])
    #expect(r.status == 2)
    #expect(r.stderr.contains("no report store there"))
    #expect(!FileManager.default.fileExists(atPath: dir.path))
  }

  @Test("verify runs on a read-only copy of a store, as another user who cannot write beside it")
  func verifyReadOnlyCopy() throws {
    let s = try Scratch()
    let store = s.path("live/store.sqlite")
    let env = ["SYNOPTIC_STORE": store, "SYNOPTIC_STORE_KEY_FILE": s.path("key/store.key")]
    #expect(try CLI.run(["signout", "Samples/forearm-ddlms.yaml", "--pathologist", "ivale"], environment: env).status == 0)
    // A copy of the database and its anchor in a directory nobody may write to.
    let copy = s.path("copy")
    try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
    for f in ["store.sqlite", "store.sqlite-wal", "store.sqlite.anchor"] where FileManager.default.fileExists(atPath: s.path("live/\(f)")) {
      try FileManager.default.copyItem(atPath: s.path("live/\(f)"), toPath: "\(copy)/\(f)")
    }
    try FileManager.default.copyItem(atPath: s.path("key/store.key"), toPath: "\(copy)/store.key")
    let args = ["verify", "--store", "\(copy)/store.sqlite", "--store-key", "\(copy)/store.key"]
    if getuid() != 0 {
      try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: copy)
      defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy) }
      let r = try CLI.run(args)
      #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
      return
    }
    // As root a directory's mode does not stop writes: run as nobody instead.
    guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") else {
      print("skipped: running as root without runuser; the read-only copy is not checked")
      return
    }
    // The copy, the binary and the checkout's templates must be reachable by nobody
    // (a checkout in a private temporary directory is not).
    for start in [copy, CLI.binary.deletingLastPathComponent().path, CLI.packageRoot.path] {
      var traversable = URL(fileURLWithPath: start)
      while traversable.path != "/" {
        let mode = (try FileManager.default.attributesOfItem(atPath: traversable.path)[.posixPermissions] as? Int) ?? 0
        if mode & 0o001 == 0 {
          print("skipped: \(traversable.path) is not searchable by other users; the read-only copy is not checked as another user")
          return
        }
        traversable.deleteLastPathComponent()
      }
    }
    _ = try CLI.runCommand("/bin/chown", ["nobody", "\(copy)/store.key"])
    _ = try CLI.runCommand("/bin/chmod", ["a+r", "\(copy)/store.sqlite", "\(copy)/store.sqlite.anchor"])
    _ = try CLI.runCommand("/bin/chmod", ["555", copy])
    let r = try CLI.runCommand("/usr/sbin/runuser", ["-u", "nobody", "--", CLI.binary.path] + args)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("verified: 1 version(s)"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: copy).sorted().allSatisfy { !$0.hasSuffix("-shm") })
  }

  @Test("eight sign-outs racing on a fresh store all succeed and verify")
  func concurrentFirstUse() throws {
    let s = try Scratch()
    let store = s.path("fresh/store.sqlite")
    var urls: [URL] = []
    let text = try Self.sample("forearm-ddlms")
    for i in 0..<8 {
      let url = s.url.appendingPathComponent("case-\(i).yaml")
      try text.replacingOccurrences(of: "accession: S21-03310", with: "accession: RACE-\(i)").write(to: url, atomically: true, encoding: .utf8)
      urls.append(url)
    }
    let processes = try urls.map { url in try CLI.start(CLI.binary, ["signout", url.path, "--pathologist", "ivale", "--store", store]) }
    for (p, err) in processes {
      let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(p.terminationStatus == 0, "\(message)")
    }
    let verify = try CLI.run(["verify", "--store", store])
    #expect(verify.status == 0, "\(verify.stdout)")
    #expect(verify.stdout.contains("verified: 8 version(s)"))
  }

  @Test("audit and history print stored text on one line: a newline in an addendum or a name cannot forge an entry")
  func forgedLines() throws {
    let s = try Scratch()
    let env = ["SYNOPTIC_STORE": s.path("store.sqlite")]
    #expect(try CLI.run(["signout", "Samples/forearm-ddlms.yaml", "--pathologist", "ivale"], environment: env).status == 0)
    // A control character other than tab and line breaks is refused, as in a case file.
    let escape = try CLI.run(["addendum", "S21-03310", "--text", "Reviewed.\u{1B}[2J", "--pathologist", "rhale"], environment: env)
    #expect(escape.status == 64)
    #expect(escape.stderr.contains("U+001B"))
    let forged = "Reviewed.\n2021-01-01T00:00:00Z  signout v9  ok  S21-03310  by apath"
    #expect(try CLI.run(["addendum", "S21-03310", "--text", forged, "--pathologist", "rhale"], environment: env).status == 0)
    let badSigner = try CLI.run(["addendum", "S21-03310", "--text", "x", "--pathologist", "ivale\nforged"], environment: env)
    #expect(badSigner.status == 1)
    let audit = try CLI.run(["audit", "S21-03310"], environment: env).stdout
    #expect(audit.split(separator: "\n").count == 4, "\(audit)")
    #expect(audit.contains("Reviewed.\\n2021-01-01T00:00:00Z  signout v9"))
    #expect(!audit.contains("\u{1B}"))
    #expect(audit.contains("by ivale\\nforged"))
    let history = try CLI.run(["history", "S21-03310"], environment: env).stdout
    #expect(history.split(separator: "\n").count == 4, "\(history)")
  }

  @Test("retract from the command line: the report is withdrawn, then the correct case is signed out afresh")
  func retract() throws {
    let s = try Scratch()
    let env = ["SYNOPTIC_STORE": s.path("store.sqlite")]
    let wrong = try Self.sample("forearm-ddlms").replacingOccurrences(of: "mrn: SYN-200002", with: "mrn: SYN-999999")
    try s.write("wrong.yaml", wrong)
    #expect(try CLI.run(["signout", s.path("wrong.yaml"), "--pathologist", "ivale"], environment: env).status == 0)
    let amend = try CLI.run(["amend", "S21-03310", "Samples/forearm-ddlms.yaml", "--reason", "wrong patient", "--pathologist", "ivale"], environment: env)
    #expect(amend.status == 1)
    #expect(amend.stderr.contains("changes the patient's identity (MRN)"))
    let r = try CLI.run(["retract", "S21-03310", "--reason", "issued for the wrong patient", "--pathologist", "rhale"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("version 2 stored: retracted"))
    #expect(try CLI.run(["show", "S21-03310", "--format", "text"], environment: env).stdout.contains("RETRACTED"))
    #expect(try CLI.run(["signout", "Samples/forearm-ddlms.yaml", "--pathologist", "ivale"], environment: env).status == 0)
    let diff = try CLI.run(["diff", "S21-03310", "1", "3"], environment: env).stdout
    #expect(diff.hasPrefix("patient.mrn\tMRN\tSYN-999999\t->\tSYN-200002"), "\(diff)")
    #expect(try CLI.run(["verify"], environment: env).status == 0)
  }

  @Test("very long names are cut to what HL7 v2 carries, with a warning; a very long MRN is an error")
  func hl7Lengths() throws {
    let s = try Scratch()
    let longName = "Synthetic" + String(repeating: "x", count: 5_000) + ", Bernard"
    try s.write("long-name.yaml", try Self.sample("forearm-ddlms").replacingOccurrences(of: "name: Synthetic, Bernard", with: "name: \"\(longName)\""))
    let hl7 = try CLI.run(["render", s.path("long-name.yaml"), "--format", "hl7"])
    #expect(hl7.status == 0, "\(hl7.stderr)")
    let pid = try #require(hl7.stdout.split(separator: "\r").first { $0.hasPrefix("PID|") })
    let name = pid.split(separator: "|", omittingEmptySubsequences: false)[5].split(separator: "^", omittingEmptySubsequences: false)
    #expect(name[0].count == 199)
    #expect(name[1] == "Bernard")
    let text = try CLI.run(["render", s.path("long-name.yaml"), "--format", "text"]).stdout
    // The warning is printed on the report, wrapped to its width.
    let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(flat.contains("PID-5 (family name) holds 199 characters; the HL7 v2 message carries the first 199 of 5009"), "\(text.suffix(800))")
    try s.write("long-mrn.yaml", try Self.sample("forearm-ddlms").replacingOccurrences(of: "mrn: SYN-200002", with: "mrn: \(String(repeating: "7", count: 5_000))"))
    let mrn = try CLI.run(["validate", s.path("long-mrn.yaml")])
    #expect(mrn.status == 1)
    #expect(mrn.stdout.contains("patient.mrn: the MRN is 5000 characters; identifiers hold at most 64"))
  }
}

@Suite("CLI: API tokens")
struct TokenCommandTests {
  @Test("token create prints the token once as its last line; list shows names and roles, never a token; revoke stops it")
  func tokens() throws {
    let s = try BatchCommandTests.Scratch()
    let env = ["SYNOPTIC_STORE": s.path("store.sqlite")]
    let made = try CLI.run(["token", "create", "--name", "lis", "--role", "interface"], environment: env)
    #expect(made.status == 0, "\(made.stderr)")
    let token = try #require(made.stdout.split(separator: "\n").last.map(String.init))
    #expect(token.hasPrefix("syn_"))
    let signer = try CLI.run(["token", "create", "--name", "iv", "--role", "pathologist", "--pathologist", "ivale"], environment: env)
    #expect(signer.status == 0)
    #expect(try CLI.run(["token", "create", "--name", "x", "--role", "pathologist", "--pathologist", "nobody"], environment: env).status == 1)
    #expect(try CLI.run(["token", "create", "--name", "y", "--role", "interface", "--pathologist", "ivale"], environment: env).status == 64)
    let list = try CLI.run(["token", "list"], environment: env).stdout
    #expect(list.contains("lis\tinterface\t-\tcreated ") && list.contains("iv\tpathologist\tivale\t"))
    #expect(!list.contains("syn_"))
    #expect(try CLI.run(["token", "revoke", "lis"], environment: env).status == 0)
    #expect(try CLI.run(["token", "list"], environment: env).stdout.contains("\trevoked "))
    #expect(try CLI.run(["audit"], environment: env).stdout.contains("token-revoke  ok"))
  }
}
