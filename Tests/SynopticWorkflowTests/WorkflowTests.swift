import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticStore
@testable import SynopticTemplates
@testable import SynopticWorkflow

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
let demoSiteURL = packageRoot.appendingPathComponent("Samples/sites/demo-hospital.yaml")

/// A workflow on the demo site and the shipped templates, with a scratch store
/// (removed when the test is done with it).
final class Scratch {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-workflow-\(UUID().uuidString)")
  var storePath: String { directory.appendingPathComponent("store.sqlite").path }
  var keyPath: String { directory.appendingPathComponent("store.key").path }

  func workflow(site: SiteConfiguration? = nil, hooks: ReportStore.Hooks = .init()) throws -> Workflow {
    let (templates, layouts) = try Workflow.loadTemplates(packageRoot.appendingPathComponent("Templates"))
    let site = try site ?? SiteConfiguration.load(demoSiteURL)
    return Workflow(site: site, templates: templates, layouts: layouts, store: try ReportStore(path: storePath, keyPath: keyPath, hooks: hooks))
  }

  deinit { try? FileManager.default.removeItem(at: directory) }
}

func sample(_ name: String) throws -> Data { try Data(contentsOf: packageRoot.appendingPathComponent("Samples/\(name)")) }

/// A sample's bytes where a throwing call cannot go (a refusal's closure); a missing file fails the test.
func bytes(_ name: String) -> Data {
  do { return try sample(name) } catch {
    Issue.record("cannot read \(name): \(error)")
    return Data()
  }
}

func corrected(_ name: String = "forearm-ddlms.yaml", _ old: String = "greatest: 6 cm", _ new: String = "greatest: 6.5 cm") throws -> Data {
  let text = String(decoding: try sample(name), as: UTF8.self)
  #expect(text.contains(old))
  return Data(text.replacingOccurrences(of: old, with: new).utf8)
}

let requester = Requester(name: "test", command: "workflow test")

/// Runs a workflow call that must be refused, and returns the refusal.
func refusal<T>(_ body: () throws(WorkflowError) -> T) -> WorkflowError? {
  do {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

@Suite("Workflow: sign-out, amendment, addendum and their refusals")
struct SigningTests {
  @Test("sign out, amend, add an addendum: versions follow, each signed by a directory pathologist with its own time")
  func lifecycle() throws {
    let s = Scratch()
    let w = try s.workflow()
    let v1 = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", at: "2021-03-16T09:30:00Z", by: requester)
    #expect(v1.version == 1)
    #expect(v1.status == .final)
    #expect(v1.pathologist == "ivale")
    let doc1 = try #require(w.store).document("S21-03310", version: 1)
    #expect(doc1.signer == ReportPerson(id: "ivale", name: "Imogen Vale", family: "Vale", given: "Imogen", npi: "1234567893"))
    #expect(doc1.signedOutAt == "2021-03-16T09:30:00Z")

    let (v2, changes) = try w.amend(
      accession: "S21-03310", caseSource: try corrected(), reason: "Size re-measured", pathologist: "rhale", at: "2021-03-18T10:00:00Z", by: requester)
    #expect(v2.version == 2)
    #expect(v2.status == .amended)
    #expect(changes.map(\.id) == ["STR-023", "STR-087"], "the size, and the pT working that cites it")
    #expect(changes.first?.text == "Tumour size, greatest dimension: 6 cm -> 6.5 cm")

    let v3 = try w.addendum(accession: "S21-03310", text: "Levels reviewed.", pathologist: "apath", at: "2021-03-25T12:00:00Z", by: requester)
    #expect(v3.version == 3)
    #expect(v3.status == .appended)
    #expect(v3.pathologist == "apath")
    let doc3 = try #require(w.store).document("S21-03310", version: 3)
    #expect(doc3.addendumEntries == [ReportAddendum(text: "Levels reviewed.", signer: w.site.pathologist("apath")!.person, time: "2021-03-25T12:00:00Z")])
    #expect(doc3.addenda == ["Levels reviewed. (addendum by Ada Path, 2021-03-25T12:00:00Z)"])
    // The signed content is the amendment's, untouched.
    #expect(doc3.signer?.id == "rhale")
    #expect(try w.history("S21-03310").map(\.version) == [1, 2, 3])
    #expect(try w.diff("S21-03310", from: 1, to: 2).map(\.id) == ["STR-023", "STR-087"])
    #expect(try w.verify().intact)
    // Stored bytes are exactly what the workflow rendered, with the site's identities.
    let hl7 = String(decoding: try w.output("S21-03310", version: 1, format: "hl7"), as: UTF8.self)
    #expect(hl7.hasPrefix("MSH|^~\\&|SYNOPTIC^2.16.840.1.113883.19.5.10^ISO|DEMO-PATH^00D0000000^CLIA|"))
    #expect(hl7.contains("1234567893&Vale&Imogen"))
  }

  @Test("an unknown signer is refused and audited; nothing is stored")
  func unknownSigner() throws {
    let s = Scratch()
    let w = try s.workflow()
    let e = try #require(refusal { () throws(WorkflowError) in try w.signOut(caseSource: bytes("forearm-ddlms.yaml"), pathologist: "Dr. Nobody", by: requester) })
    #expect(e.kind == .refused)
    #expect(e.message.contains("'Dr. Nobody' is not a pathologist in the site's directory; known: ivale, rhale, apath"))
    #expect(try w.history("S21-03310").isEmpty)
    #expect(try w.audit().contains { $0.action == "signout" && $0.outcome == "refused" && $0.accession == "S21-03310" })
  }

  @Test("a second sign-out is refused with the way forward")
  func alreadySigned() throws {
    let s = Scratch()
    let w = try s.workflow()
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", by: requester)
    let e = try #require(refusal { () throws(WorkflowError) in try w.signOut(caseSource: bytes("forearm-ddlms.yaml"), pathologist: "ivale", by: requester) })
    #expect(e.kind == .refused)
    #expect(e.message.contains("already signed out"))
    #expect(e.message.contains("synoptic amend S21-03310"))
    #expect(try w.history("S21-03310").count == 1)
  }

  @Test("an amendment that changes nothing, one for another accession, and one before sign-out are refused")
  func amendmentRefusals() throws {
    let s = Scratch()
    let w = try s.workflow()
    let early = try #require(refusal { () throws(WorkflowError) in
      try w.amend(accession: "S21-03310", caseSource: bytes("forearm-ddlms.yaml"), reason: "x", pathologist: "ivale", by: requester)
    })
    #expect(early.kind == .refused)
    #expect(early.message.contains("has not been signed out"))
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", by: requester)
    let same = try #require(refusal { () throws(WorkflowError) in
      try w.amend(accession: "S21-03310", caseSource: bytes("forearm-ddlms.yaml"), reason: "x", pathologist: "ivale", by: requester)
    })
    #expect(same.message.contains("nothing in the case differs from version 1"))
    let other = try #require(refusal { () throws(WorkflowError) in
      try w.amend(accession: "S21-03310", caseSource: bytes("neck-synovial-sarcoma.yaml"), reason: "x", pathologist: "ivale", by: requester)
    })
    #expect(other.message.contains("is accession S24-30550, not S21-03310"))
    let correctedBytes = try corrected()
    let noReason = try #require(refusal { () throws(WorkflowError) in
      try w.amend(accession: "S21-03310", caseSource: correctedBytes, reason: "  ", pathologist: "ivale", by: requester)
    })
    #expect(noReason.kind == .usage)
    #expect(try w.history("S21-03310").count == 1)
    #expect(try w.audit("S21-03310").filter { $0.outcome == "refused" }.count == 4)
  }

  @Test("a case with errors is refused with its diagnostics; a bad time and an empty addendum are usage errors")
  func invalidInputs() throws {
    let s = Scratch()
    let w = try s.workflow()
    let invalid = try #require(refusal { () throws(WorkflowError) in
      try w.signOut(caseSource: bytes("invalid/clinical-errors.yaml"), pathologist: "ivale", by: requester)
    })
    #expect(invalid.kind == .invalid)
    #expect(invalid.diagnostics.hasErrors)
    let unreadable = try #require(refusal { () throws(WorkflowError) in
      try w.signOut(caseSource: Data([0xFF, 0xFE, 0x00]), pathologist: "ivale", by: requester)
    })
    #expect(unreadable.kind == .unreadable)
    let badTime = try #require(refusal { () throws(WorkflowError) in
      try w.signOut(caseSource: bytes("forearm-ddlms.yaml"), pathologist: "ivale", at: "yesterday", by: requester)
    })
    #expect(badTime.kind == .usage)
    _ = try w.signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", by: requester)
    let empty = try #require(refusal { () throws(WorkflowError) in try w.addendum(accession: "S21-03310", text: " \n", pathologist: "ivale", by: requester) })
    #expect(empty.kind == .usage)
  }

  @Test("two writers amending at once: one version 2 and one conflict, both audited")
  func conflict() throws {
    let s = Scratch()
    _ = try s.workflow().signOut(caseSource: try sample("forearm-ddlms.yaml"), pathologist: "ivale", by: requester)
    // Each writer's transaction pauses after every stored output, so both read version 1 first.
    let slow = ReportStore.Hooks(afterEachOutput: { usleep(30_000) })
    let a = try s.workflow(hooks: slow)
    let b = try s.workflow(hooks: slow)
    let results = Mutex<[Result<Int, WorkflowError>]>([])
    let group = DispatchGroup()
    for (w, size) in [(a, "6.5 cm"), (b, "7 cm")] {
      group.enter()
      Thread {
        let r: Result<Int, WorkflowError>
        do {
          r = .success(try w.amend(
            accession: "S21-03310", caseSource: try corrected("forearm-ddlms.yaml", "greatest: 6 cm", "greatest: \(size)"), reason: size,
            pathologist: "ivale", by: requester).version.version)
        } catch let e as WorkflowError {
          r = .failure(e)
        } catch {
          r = .failure(WorkflowError(.store, "\(error)"))
        }
        results.withLock { $0.append(r) }
        group.leave()
      }.start()
    }
    group.wait()
    let all = results.withLock { $0 }
    #expect(all.compactMap { try? $0.get() } == [2])
    let failures = all.compactMap { if case .failure(let e) = $0 { return e } else { return nil } }
    #expect(failures.count == 1)
    #expect(failures.first.map { $0.kind == .conflict || $0.message.contains("conflict") } == true, "\(failures)")
    #expect(try a.history("S21-03310").count == 2)
    #expect(try a.verify().intact)
  }

  @Test("the workflow runs from async code on its own queue")
  func async() async throws {
    let s = Scratch()
    let w = try s.workflow()
    let source = try sample("forearm-ddlms.yaml")
    let v = try await w.perform { w throws(WorkflowError) in try w.signOut(caseSource: source, pathologist: "ivale", by: requester) }
    #expect(v.version == 1)
    do throws(WorkflowError) {
      _ = try await w.perform { w throws(WorkflowError) in try w.signOut(caseSource: source, pathologist: "ivale", by: requester) }
      Issue.record("a second sign-out must be refused")
    } catch {
      #expect(error.kind == .refused)
    }
  }
}

/// A small lock for results collected from threads.
final class Mutex<Value>: @unchecked Sendable {
  private var value: Value
  private let lock = NSLock()
  init(_ value: Value) { self.value = value }
  func withLock<R>(_ body: (inout Value) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }
}
