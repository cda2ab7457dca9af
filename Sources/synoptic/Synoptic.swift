import ArgumentParser

@main
struct Synoptic: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synoptic",
    abstract: "Structured (synoptic) pathology reports for soft tissue sarcoma.",
    discussion: """
      Exit codes: 0 success (warnings allowed), 1 a case or layout has errors, \
      2 a file cannot be read or parsed, 64 usage error.
      """,
    version: "0.1.0",
    subcommands: [Render.self, Serve.self, Convert.self, SignOut.self, Amend.self, Addendum.self, Retract.self, History.self, Show.self, Diff.self, Verify.self, Reanchor.self, Audit.self, StoreCommand.self, TokenCommand.self, UserCommand.self, Deliver.self, Outbox.self, CheckXML.self, Validate.self, Derive.self, Grade.self, Stage.self, TemplatesList.self, TemplateCommand.self, LayoutCommand.self]
  )
}

/// Output format shared by the commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}
