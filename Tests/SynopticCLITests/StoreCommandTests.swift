import Foundation
import Testing

@Suite("CLI: sign-out, amendments, addenda and the store")
struct StoreCommandTests {
  static func newStore() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-cli-store-\(UUID().uuidString)/store.sqlite").path
  }

  static func corrected() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("forearm-corrected-\(UUID().uuidString).yaml")
    let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Samples/forearm-ddlms.yaml"), encoding: .utf8)
    try text.replacingOccurrences(of: "greatest: 6 cm", with: "greatest: 6.5 cm").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  @Test("sign out, amend, add an addendum; history, show, diff, verify and audit behave")
  func lifecycle() throws {
    let store = Self.newStore()
    defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
    let env = ["SYNOPTIC_STORE": store]
    let signed = try CLI.run(["signout", "Samples/forearm-ddlms.yaml", "--pathologist", "apath", "--at", "2021-03-16T09:30:00Z"], environment: env)
    #expect(signed.status == 0, "\(signed.stderr)")
    let v1Text = try CLI.run(["show", "S21-03310", "--version", "1", "--format", "text"], environment: env).stdout
    let v1HL7 = try CLI.run(["show", "S21-03310", "--version", "1", "--format", "hl7"], environment: env).stdout
    #expect(v1Text.contains("Electronically signed out by Ada Path on 2021-03-16T09:30:00Z"))
    #expect(!v1Text.contains("DRAFT"))

    let again = try CLI.run(["signout", "Samples/forearm-ddlms.yaml", "--pathologist", "apath"], environment: env)
    #expect(again.status == 1)
    #expect(again.stderr.contains("synoptic amend S21-03310"))

    let fix = try Self.corrected()
    defer { try? FileManager.default.removeItem(at: fix) }
    let amended = try CLI.run(["amend", "S21-03310", fix.path, "--reason", "Size re-measured", "--pathologist", "apath", "--at", "2021-03-18T10:00:00Z"], environment: env)
    #expect(amended.status == 0, "\(amended.stderr)")
    let addendum = try CLI.run(["addendum", "S21-03310", "--text", "Additional levels reviewed; no change to the diagnosis.", "--pathologist", "rhale", "--at", "2021-03-25T12:00:00Z"], environment: env)
    #expect(addendum.status == 0, "\(addendum.stderr)")

    // Version 1 is byte-identical after the amendment and the addendum.
    #expect(try CLI.run(["show", "S21-03310", "--version", "1", "--format", "text"], environment: env).stdout == v1Text)
    #expect(try CLI.run(["show", "S21-03310", "--version", "1", "--format", "hl7"], environment: env).stdout == v1HL7)

    let v2 = try CLI.run(["show", "S21-03310", "--version", "2", "--format", "text"], environment: env).stdout
    #expect(v2.contains("*** AMENDED REPORT (version 2) ***"))
    #expect(v2.contains("Reason: Size re-measured"))
    #expect(v2.contains("Changed: Tumour size, greatest dimension: 6 cm -> 6.5 cm"))
    let v2html = try CLI.run(["show", "S21-03310", "--version", "2", "--format", "html"], environment: env).stdout
    #expect(v2html.contains("AMENDED REPORT (version 2): Size re-measured"))
    let v2cda = try CLI.run(["show", "S21-03310", "--version", "2", "--format", "cda"], environment: env).stdout
    #expect(v2cda.contains("<relatedDocument typeCode=\"RPLC\">"))
    #expect(v2cda.contains("<versionNumber value=\"2\"/>"))
    #expect(v2cda.contains("<setId root=\"2.16.840.1.113883.19.5.1\" extension=\"S21-03310\"/>"))
    let v2hl7 = try CLI.run(["show", "S21-03310", "--version", "2", "--format", "hl7"], environment: env).stdout
    #expect(v2hl7.split(separator: "\r").filter { $0.hasPrefix("OBX") }.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false)[11] == "C" })
    let v2fhir = try CLI.run(["show", "S21-03310", "--version", "2", "--format", "fhir"], environment: env).stdout
    #expect(v2fhir.contains("\"status\": \"amended\""))
    let v3 = try CLI.run(["show", "S21-03310", "--format", "text"], environment: env).stdout
    #expect(v3.contains("ADDENDUM\nAdditional levels reviewed; no change to the diagnosis."))
    #expect(v3.replacingOccurrences(of: "\n", with: " ").contains("Tumour size, greatest dimension:   6.5 cm"))
    #expect(try CLI.run(["show", "S21-03310", "--format", "cda"], environment: env).stdout.contains("<relatedDocument typeCode=\"APND\">"))

    let history = try CLI.json(["history", "S21-03310", "--format", "json", "--store", store])
    let versions = try #require(history["versions"] as? [[String: Any]])
    #expect(versions.map { $0["status"] as? String } == ["final", "amended", "appended"])
    #expect(versions[1]["previousHash"] as? String == versions[0]["versionHash"] as? String)
    #expect(versions[1]["reason"] as? String == "Size re-measured")

    let diff = try CLI.run(["diff", "S21-03310", "1", "2"], environment: env)
    #expect(diff.stdout.contains("STR-023\tTumour size, greatest dimension\t6 cm\t->\t6.5 cm"))
    #expect(try CLI.run(["verify", "S21-03310"], environment: env).status == 0)
    let audit = try CLI.run(["audit", "S21-03310"], environment: env).stdout
    #expect(audit.contains("signout v1  ok"))
    #expect(audit.contains("signout  refused"))
    #expect(audit.contains("amend v2  ok"))
    #expect(audit.contains("addendum v3  ok"))
  }

  @Test("an invalid case is refused and nothing is stored, but the attempt is audited")
  func refusal() throws {
    let store = Self.newStore()
    defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
    let env = ["SYNOPTIC_STORE": store]
    let r = try CLI.run(["signout", "Samples/invalid/clinical-errors.yaml", "--pathologist", "apath"], environment: env)
    #expect(r.status == 1)
    #expect(r.stderr.contains("nothing was stored"))
    #expect(try CLI.run(["history", "S99-00002"], environment: env).status == 1)
    #expect(try CLI.run(["audit"], environment: env).stdout.contains("signout  refused  S99-00002"))
    let amendUnsigned = try CLI.run(["amend", "S21-03310", "Samples/forearm-ddlms.yaml", "--reason", "x", "--pathologist", "ivale"], environment: env)
    #expect(amendUnsigned.status == 1)
    #expect(amendUnsigned.stderr.contains("has not been signed out"))
  }

  @Test("an amendment that changes nothing, or names another accession, is refused")
  func pointlessAmendment() throws {
    let store = Self.newStore()
    defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
    let env = ["SYNOPTIC_STORE": store]
    #expect(try CLI.run(["signout", "Samples/forearm-ddlms.yaml", "--pathologist", "ivale"], environment: env).status == 0)
    let same = try CLI.run(["amend", "S21-03310", "Samples/forearm-ddlms.yaml", "--reason", "x", "--pathologist", "ivale"], environment: env)
    #expect(same.status == 1)
    #expect(same.stderr.contains("differs from version 1"))
    let other = try CLI.run(["amend", "S21-03310", "Samples/neck-synovial-sarcoma.yaml", "--reason", "x", "--pathologist", "ivale"], environment: env)
    #expect(other.status == 1)
    #expect(try CLI.run(["history", "S21-03310", "--format", "json"], environment: env).stdout.components(separatedBy: "\"version\":").count == 2)
  }

  @Test("two processes amending at once: one succeeds, the other gets a conflict, nothing is lost")
  func concurrentAmend() throws {
    let store = Self.newStore()
    defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
    let env = ["SYNOPTIC_STORE": store]
    #expect(try CLI.run(["signout", "Samples/forearm-ddlms.yaml", "--pathologist", "ivale"], environment: env).status == 0)
    let fix = try Self.corrected()
    defer { try? FileManager.default.removeItem(at: fix) }
    // Both read version 1, then race to store version 2; the helper's store pauses inside each write.
    func launch(_ who: String) throws -> (Process, Pipe) {
      try CLI.start(CLI.helper, ["amend", "S21-03310", fix.path, "by \(who)", who, "--store", store, "--pause-ms", "40"])
    }
    let (a, ea) = try launch("ivale")
    let (b, eb) = try launch("rhale")
    let errA = String(decoding: ea.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errB = String(decoding: eb.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    a.waitUntilExit()
    b.waitUntilExit()
    let statuses = [a.terminationStatus, b.terminationStatus].sorted()
    #expect(statuses == [0, 1], "A: \(errA) B: \(errB)")
    let loser = a.terminationStatus == 1 ? errA : errB
    #expect(loser.contains("conflict") || loser.contains("already"), "\(loser)")
    let history = try CLI.json(["history", "S21-03310", "--format", "json", "--store", store])
    #expect((history["versions"] as? [Any])?.count == 2)
    #expect(try CLI.run(["verify"], environment: env).status == 0)
    #expect(try CLI.run(["audit", "S21-03310"], environment: env).stdout.contains("amend  refused"))
  }

  @Test("a sign-out killed at random points (kill -9) leaves the whole version or nothing")
  func crash() throws {
    let store = Self.newStore()
    defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
    // The store exists before the first kill (a kill before the helper creates it would leave nothing to verify).
    #expect(try CLI.run(["signout", "Samples/thigh-mpnst-nf1.yaml", "--pathologist", "ivale"], environment: ["SYNOPTIC_STORE": store]).status == 0)
    var generator = SystemRandomNumberGenerator()
    var outcomes: [Int] = []
    for round in 0..<8 {
      // Each round signs out a copy of the forearm case under its own accession.
      let url = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(round)-\(UUID().uuidString).yaml")
      defer { try? FileManager.default.removeItem(at: url) }
      let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Samples/forearm-ddlms.yaml"), encoding: .utf8)
      try text.replacingOccurrences(of: "accession: S21-03310", with: "accession: CRASH-\(round)").write(to: url, atomically: true, encoding: .utf8)
      let p = Process()
      p.executableURL = CLI.helper
      p.arguments = ["signout", url.path, "ivale", "--store", store, "--pause-ms", "25"]
      p.currentDirectoryURL = CLI.packageRoot
      p.environment = CLI.environment()
      p.standardOutput = Pipe()
      p.standardError = Pipe()
      try p.run()
      usleep(UInt32.random(in: 20_000...400_000, using: &generator))
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
      let verify = try CLI.run(["verify"], environment: ["SYNOPTIC_STORE": store])
      #expect(verify.status == 0, "round \(round): \(verify.stdout) \(verify.stderr)")
      let history = try CLI.run(["history", "CRASH-\(round)", "--format", "json"], environment: ["SYNOPTIC_STORE": store])
      if history.status == 0 {
        // Stored: then with every format.
        #expect(history.stdout.components(separatedBy: "\"version\":").count == 2)
        for format in ["text", "html", "xml", "cda", "hl7", "fhir"] {
          #expect(try CLI.run(["show", "CRASH-\(round)", "--format", format], environment: ["SYNOPTIC_STORE": store]).status == 0)
        }
        outcomes.append(1)
      } else {
        outcomes.append(0)
      }
    }
    print("crash test: \(outcomes.filter { $0 == 1 }.count) of \(outcomes.count) sign-outs completed before the kill")
    // The store is still usable afterwards.
    #expect(try CLI.run(["signout", "Samples/neck-synovial-sarcoma.yaml", "--pathologist", "ivale"], environment: ["SYNOPTIC_STORE": store]).status == 0)
    #expect(try CLI.run(["verify"], environment: ["SYNOPTIC_STORE": store]).status == 0)
  }
}
