import ArgumentParser
import Foundation
import SynopticLayout

extension EscapeMode: ExpressibleByArgument {}

struct LayoutCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "layout",
    abstract: "Render or check a Mustache layout (the language report layouts are written in).",
    subcommands: [LayoutRender.self, LayoutCheck.self])
}

struct LayoutOptions: ParsableArguments {
  @Argument(help: "The layout file (Mustache).") var layout: String
  @Option(help: "Directory of partials: {{>name}} is DIR/name.mustache.") var partials: String?

  func load(escape: EscapeMode) throws -> Layout {
    let source: String
    do {
      source = try String(contentsOf: URL(fileURLWithPath: layout), encoding: .utf8)
    } catch {
      FileHandleOutput.stderr("\(layout): error: cannot read the layout\n")
      throw ExitCode(2)
    }
    do {
      let library: LayoutLibrary
      if let partials {
        library = try LayoutLibrary(directory: URL(fileURLWithPath: partials), escape: escape)
      } else {
        library = try LayoutLibrary(escape: escape)
      }
      return try library.compile(source, file: layout)
    } catch let e as LayoutError {
      FileHandleOutput.stderr(e.description + "\n")
      throw ExitCode(1)
    } catch {
      FileHandleOutput.stderr("\(partials ?? layout): error: cannot read partials: \(error.localizedDescription)\n")
      throw ExitCode(2)
    }
  }
}

/// Reads a JSON data file into a value tree; exit 2 when it cannot.
func readJSONData(_ path: String) throws -> LayoutValue {
  guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
    FileHandleOutput.stderr("\(path): error: cannot read the data file (missing, or not UTF-8)\n")
    throw ExitCode(2)
  }
  do {
    return try JSONReader.parse(text)
  } catch {
    FileHandleOutput.stderr("\(path):\(error.line):\(error.column): error: \(error.message)\n")
    throw ExitCode(2)
  }
}

struct LayoutRender: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract: "Render a layout with JSON data; prints exactly the rendered bytes.")

  @OptionGroup var options: LayoutOptions
  @Option(help: "JSON data to render.") var data: String
  @Option(help: "Escaping for {{name}}: html, xml, hl7 or text.") var escape: EscapeMode = .html

  func run() throws {
    let layout = try options.load(escape: escape)
    let value = try readJSONData(data)
    do {
      FileHandle.standardOutput.write(Data(try layout.renderBytes(value)))
    } catch {
      FileHandleOutput.stderr(error.description + "\n")
      throw ExitCode(1)
    }
  }
}

struct LayoutCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Parse a layout and its partials and report errors with positions.",
    discussion: "With --fields, also list every tag that cannot resolve against the fields of that JSON sample.")

  @OptionGroup var options: LayoutOptions
  @Option(help: "A JSON sample whose fields the layout must resolve against.") var fields: String?

  func run() throws {
    let layout = try options.load(escape: .html)
    guard let fields else {
      print("\(options.layout): ok")
      return
    }
    let issues = layout.lint(against: FieldShape.infer(try readJSONData(fields)))
    for issue in issues { print(issue.description) }
    if !issues.isEmpty { throw ExitCode(1) }
    print("\(options.layout): ok")
  }
}
