// A test helper, not part of Synoptic: signs out or amends through the
// workflow library with a store whose transactions pause after each stored
// output, so tests can kill a process inside a transaction or race two of
// them. Usage:
//   synoptic-test-helper signout CASE PATHOLOGIST --store PATH --pause-ms N
//   synoptic-test-helper amend ACCESSION CASE REASON PATHOLOGIST --store PATH --pause-ms N
import Foundation
import SynopticStore
import SynopticTemplates
import SynopticWorkflow

func run(_ arguments: [String]) -> (status: Int32, message: String) {
  var args = arguments
  func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    let value = args[i + 1]
    args.removeSubrange(i...(i + 1))
    return value
  }
  guard let storePath = option("--store") else { return (64, "--store PATH is required") }
  let pause = UInt32(option("--pause-ms") ?? "0") ?? 0
  var hooks = ReportStore.Hooks()
  if pause > 0 { hooks.afterEachOutput = { usleep(pause * 1000) } }
  guard let siteURL = SiteConfiguration.locate(explicit: nil), let templatesDir = TemplateStore.locate(explicit: nil) else {
    return (2, "site or templates not found")
  }
  do {
    let site = try SiteConfiguration.load(siteURL)
    let (templates, layouts) = try Workflow.loadTemplates(templatesDir)
    let store = try ReportStore(path: storePath, hooks: hooks)
    let workflow = Workflow(site: site, templates: templates, layouts: layouts, store: store)
    switch args.first {
    case "signout" where args.count == 3:
      let source = try Data(contentsOf: URL(fileURLWithPath: args[1]))
      let v = try workflow.signOut(caseSource: source, pathologist: args[2], by: Requester(name: args[2]))
      return (0, "stored version \(v.version)")
    case "amend" where args.count == 5:
      let source = try Data(contentsOf: URL(fileURLWithPath: args[2]))
      let (v, _) = try workflow.amend(accession: args[1], caseSource: source, reason: args[3], pathologist: args[4], by: Requester(name: args[4]))
      return (0, "stored version \(v.version)")
    default:
      return (64, "usage: signout CASE PATHOLOGIST | amend ACCESSION CASE REASON PATHOLOGIST, with --store PATH [--pause-ms N]")
    }
  } catch let e as WorkflowError {
    return (1, "refused: \(e.message)")
  } catch {
    return (2, "error: \(error)")
  }
}

let (status, message) = run(Array(CommandLine.arguments.dropFirst()))
FileHandle(fileDescriptor: status == 0 ? 1 : 2).write(Data((message + "\n").utf8))
exit(status)
