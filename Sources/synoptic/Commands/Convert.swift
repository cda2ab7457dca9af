import ArgumentParser
import Foundation
import SynopticCore
import SynopticExport

struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a case file (YAML or JSON) as JSON, keys in file order.",
    discussion: """
      The JSON holds the same case: numbers, true, false and null stay literals, everything \\
      else is a string. Interface engines that send JSON can start from a YAML sample this way. \\
      Exit 2 when the file cannot be read or parsed.
      """)

  @Argument(help: "A case file (YAML or JSON).") var file: String
  @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

  func run() throws {
    let json: String
    do {
      json = try CaseJSON.convert(PositionedDecoder.readText(URL(fileURLWithPath: file)))
    } catch {
      FileHandleOutput.stderr("\(file): error: \(error.description)\n")
      throw ExitCode(2)
    }
    if let output {
      do {
        try Data(json.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
      } catch {
        FileHandleOutput.stderr("\(output): error: cannot write: \(error.localizedDescription)\n")
        throw ExitCode(2)
      }
    } else {
      FileHandle.standardOutput.write(Data(json.utf8))
    }
  }
}
