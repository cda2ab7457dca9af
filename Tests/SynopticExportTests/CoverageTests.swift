import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticTemplates

/// What a case file gives reaches the reports; what it cannot give, it can say.
@Suite("Case model coverage")
struct CoverageTests {
  static let everyField = packageRoot.appendingPathComponent("Tests/Fixtures/every-field.yaml")

  /// Every leaf value of a decoded case, as the text a report would print it
  /// (several spellings where a value has more than one).
  static func leaves(_ value: Any, path: String, into out: inout [(path: String, texts: [String])]) {
    switch value {
    case let s as String: out.append((path, [s]))
    case let b as Bool: out.append((path, [b ? "yes" : "no"]))
    case let i as Int: out.append((path, [String(i)]))
    case let d as Double: out.append((path, [NumberText.format(d)]))
    case let c as any CodedChoice: out.append((path, [c.label, c.rawValue]))
    case let l as Length: out.append((path, [l.description]))
    case let p as Percent: out.append((path, [p.description]))
    case let d as CalendarDate: out.append((path, [d.description]))
    case let t as Timestamp: out.append((path, [t.text]))
    case let g as StatedGrade: out.append((path, [g.description]))
    case let m as MitoticCount:
      out.append((path + ".count", [String(m.count)]))
      if let a = m.areaMm2 { out.append((path + ".areaMm2", [NumberText.format(a)])) }
    case let dict as [String: String]:
      for (k, v) in dict { out.append((path + "." + k, [v])) }
    default:
      let mirror = Mirror(reflecting: value)
      if mirror.displayStyle == .optional {
        if let child = mirror.children.first { leaves(child.value, path: path, into: &out) }
        return
      }
      for (i, child) in mirror.children.enumerated() {
        let name = child.label.map { path.isEmpty ? $0 : path + "." + $0 } ?? "\(path)[\(i)]"
        leaves(child.value, path: mirror.displayStyle == .enum ? path : name, into: &out)
      }
    }
  }

  static func plain(_ markup: String) -> String {
    var s = markup.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
    for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&#39;", "'"), ("&amp;", "&")] {
      s = s.replacingOccurrences(of: entity, with: char)
    }
    return squash(s)
  }

  @Test("a case with every field set: each value appears in the text, HTML and XML reports")
  func nothingDropped() throws {
    let decoded = try CaseLoader.decode(contentsOf: Self.everyField)
    let c = try #require(decoded.value, "\(decoded.diagnostics)")
    let p = try #require(try ReportPipeline.prepare(decoded, store: store, templateId: "soft-tissue-resection-demo-hospital"))
    #expect(!p.document.diagnostics.hasErrors, "\(p.document.diagnostics.filter { $0.severity == .error })")
    let outputs = try ReportPublisher.render(p.document, template: p.template, layouts: layouts, site: site, only: ["text", "html", "xml"])
    let text = squash(try #require(outputs["text"]))
    let html = Self.plain(try #require(outputs["html"]))
    let xml = squash(try #require(outputs["xml"]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
      .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&"))
    var all: [(path: String, texts: [String])] = []
    Self.leaves(c, path: "", into: &all)
    #expect(all.count > 130, "the walk reached \(all.count) values")
    for leaf in all {
      let wanted = leaf.texts.map(squash)
      #expect(wanted.contains { text.contains($0) }, "text report lacks \(leaf.path) = \(leaf.texts)")
      #expect(wanted.contains { html.contains($0) }, "HTML report lacks \(leaf.path) = \(leaf.texts)")
      #expect(wanted.contains { xml.contains($0) }, "XML report lacks \(leaf.path) = \(leaf.texts)")
    }
  }

  @Test("a local value no template item shows is a warning, never silently dropped")
  func localUnused() throws {
    let decoded = try CaseLoader.decode(contentsOf: Self.everyField)
    let p = try #require(try ReportPipeline.prepare(decoded, store: store, templateId: "soft-tissue-resection"))
    #expect(p.document.diagnostics.contains { $0.rule == "template.local-unused" && $0.path == "local.tumourBoard" })
  }

  // MARK: missing elements

  /// The case as a JSON tree, to remove and set values by model path.
  static func tree(_ url: URL) throws -> Any {
    let decoded = try CaseLoader.decode(contentsOf: url)
    let c = try #require(decoded.value)
    return try JSONSerialization.jsonObject(with: try JSONEncoder().encode(c))
  }

  static func set(_ tree: Any, _ path: [SourceMap.Component], _ value: Any?) -> Any {
    guard let first = path.first else { return value as Any }
    switch first {
    case .key(let k):
      var dict = tree as? [String: Any] ?? [:]
      if path.count == 1, value == nil { dict[k] = nil } else { dict[k] = set(dict[k] as Any, Array(path.dropFirst()), value) }
      return dict
    case .index(let i):
      var list = tree as? [Any] ?? []
      guard i < list.count else { return list }
      list[i] = set(list[i], Array(path.dropFirst()), value)
      return list
    }
  }

  static func prepareTree(_ tree: Any, template: String) throws -> PreparedReport? {
    let data = try JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys])
    return try ReportPipeline.prepare(try CaseLoader.decode(String(decoding: data, as: UTF8.self)), store: store, templateId: template)
  }

  /// The spellings a message offers: quoted after "write".
  static func offered(_ message: String) -> [String] {
    guard let start = message.range(of: "write ") else { return [] }
    let rest = message[start.upperBound...]
    var out: [String] = []
    var current: String?
    for ch in rest {
      if ch == "'" {
        if let c = current { out.append(c); current = nil } else { current = "" }
      } else if current != nil {
        current?.append(ch)
      } else if ch == ":" || ch == "[" {
        break
      }
    }
    return out
  }

  @Test("every missing-element diagnostic offers only spellings the decoder accepts, and each one answers the element",
        arguments: ["soft-tissue-resection", "soft-tissue-biopsy"])
  func absentSpellings(templateId: String) throws {
    let base = try Self.tree(Self.everyField)
    let template = try #require(store.templates[templateId])
    var walked = 0
    for (item, _, group) in template.allItems() where item.required != .nonCore && !item.bind.hasPrefix("derived.") {
      let parent = group.flatMap { g in template.allItems().first { $0.item.id == g }?.item }
      if parent?.bind.hasPrefix("derived.") == true { continue }
      let path = parent.map { "\(Filler.modelPath($0.bind))[0].\(item.bind)" } ?? Filler.modelPath(item.bind)
      let removed = Self.set(base, SourceMap.components(path), nil)
      guard let missing = try Self.prepareTree(removed, template: templateId) else { continue }
      let about = missing.document.diagnostics.filter { $0.path == path && ($0.rule == "template.required" || $0.rule == "template.core-not-reported") }
      for d in about {
        for spelling in Self.offered(d.message) {
          walked += 1
          let answered = Self.set(base, SourceMap.components(path), spelling)
          let p = try #require(try Self.prepareTree(answered, template: templateId), "\(path) = '\(spelling)' does not decode")
          let left = p.document.diagnostics.filter { $0.path.hasPrefix(path) && ($0.rule.hasPrefix("template.") || $0.rule.hasPrefix("decode.")) }
          #expect(left.isEmpty, "\(templateId) \(item.id) \(path) = '\(spelling)': \(left.map(\.message))")
        }
      }
    }
    #expect(walked >= (templateId == "soft-tissue-resection" ? 12 : 3), "walked \(walked) offered spellings")
    print("\(templateId): \(walked) offered spellings answered their element")
  }
}
