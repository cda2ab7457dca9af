import Foundation
import Testing
@testable import SynopticLayout

/// The official Mustache spec, read from ../shared/specs/mustache when present.
enum Spec {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let directory = root.deletingLastPathComponent().appendingPathComponent("shared/specs/mustache")

  struct Case: CustomTestStringConvertible, Sendable {
    var module: String
    var name: String
    var template: String
    var data: LayoutValue
    var partials: [String: String]
    var expected: String
    var testDescription: String { "\(module): \(name)" }
  }

  static let modules = ["comments", "delimiters", "interpolation", "inverted", "partials", "sections", "~inheritance", "~dynamic-names"]

  static var available: Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent("sections.json").path) }

  static func cases(_ module: String) -> [Case] {
    let url = directory.appendingPathComponent("\(module).json")
    guard let text = try? String(contentsOf: url, encoding: .utf8), let json = try? JSONReader.parse(text),
      case .list(let tests)? = json["tests"]
    else {
      if !available { print("skipped Mustache spec module \(module): \(directory.path) not found (a fresh clone has no ../shared)") }
      return []
    }
    return tests.compactMap { t in
      guard case .string(let name)? = t["name"], case .string(let template)? = t["template"],
        case .string(let expected)? = t["expected"]
      else { return nil }
      var partials: [String: String] = [:]
      if case .object(let p)? = t["partials"] {
        for (k, v) in p { if case .string(let s) = v { partials[k] = s } }
      }
      return Case(module: module, name: name, template: template, data: t["data"] ?? .null, partials: partials, expected: expected)
    }
  }

  static let all: [Case] = modules.flatMap(cases)
}

@Suite("Mustache specification")
struct SpecTests {
  @Test("spec modules are present, or the skip is said", .enabled(if: !Spec.available))
  func skipped() {
    print("Mustache spec tests skipped: \(Spec.directory.path) does not exist")
  }

  @Test("every module has its tests", .enabled(if: Spec.available), arguments: Spec.modules)
  func moduleLoads(module: String) {
    #expect(!Spec.cases(module).isEmpty)
  }

  @Test("spec case renders as expected", .enabled(if: Spec.available), arguments: Spec.all)
  func specCase(_ c: Spec.Case) throws {
    let library = try LayoutLibrary(partials: c.partials, escape: .html, missingPartial: .empty)
    let layout = try library.compile(c.template, file: "spec")
    let rendered = try layout.render(c.data)
    #expect(rendered == c.expected, "template: \(c.template.debugDescription)")
  }
}
