import Foundation
import SynopticLayout
import SynopticTemplates

/// The report layouts of a `Templates/layouts` directory, compiled per output type.
public struct ReportLayouts: Sendable {
  public enum Output: String, Sendable, CaseIterable {
    case text, html
    var escape: EscapeMode { self == .text ? .text : .html }
  }

  let textLibrary: LayoutLibrary
  let htmlLibrary: LayoutLibrary
  /// Every layout compiled once, up front: a batch renders thousands of reports
  /// from the same few layouts. A layout that does not compile keeps its error,
  /// reported when a template uses it.
  let compiled: [Output: [String: Result<Layout, LayoutError>]]
  public let directory: URL

  public init(directory: URL) throws {
    self.directory = directory
    let text = try LayoutLibrary(directory: directory, escape: Output.text.escape)
    let html = try LayoutLibrary(directory: directory, escape: Output.html.escape)
    func compileAll(_ library: LayoutLibrary) -> [String: Result<Layout, LayoutError>] {
      var all: [String: Result<Layout, LayoutError>] = [:]
      for name in library.partialNames {
        do {
          all[name] = .success(try library.layout(named: name))
        } catch {
          all[name] = .failure(error)
        }
      }
      return all
    }
    textLibrary = text
    htmlLibrary = html
    compiled = [.text: compileAll(text), .html: compileAll(html)]
  }

  /// The compiled layout a template names for an output (default `report.text` / `report.html`).
  public func layout(for template: SynopticTemplate, output: Output) throws -> Layout {
    let name = template.layouts?[output.rawValue] ?? "report.\(output.rawValue)"
    if let ready = compiled[output]?[name] { return try ready.get() }
    return try (output == .text ? textLibrary : htmlLibrary).layout(named: name)
  }

  /// Tags in every layout a template uses that do not resolve against the report's fields.
  public func lint(_ template: SynopticTemplate) -> [String] {
    var problems: [String] = []
    for output in Output.allCases {
      do {
        let layout = try layout(for: template, output: output)
        problems += layout.lint(against: ReportTree.shape).map { "\(directory.path)/\($0.description)" }
      } catch {
        problems.append("\(directory.path)/\(error)")
      }
    }
    return problems
  }
}

/// Writes a report document as plain text or HTML through its template's layouts.
package enum ReportWriter {
  package static func render(
    _ doc: ReportDocument, template: SynopticTemplate, layouts: ReportLayouts, output: ReportLayouts.Output,
    options: ReportTree.Options = ReportTree.Options()
  ) throws -> String {
    let layout = try layouts.layout(for: template, output: output)
    return try layout.render(ReportTree.build(doc, options: options, reading: layout.leadingNames))
  }
}
