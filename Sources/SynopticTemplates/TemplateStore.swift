import Foundation
import SynopticCore

/// A problem in a template file, with file and line.
public struct TemplateDiagnostic: Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var diagnostic: Diagnostic
  public var description: String { diagnostic.formatted(file: file) }
}

/// The templates of a `Templates/` directory, overrides resolved onto their bases.
public struct TemplateStore: Sendable {
  public let directory: URL
  public private(set) var templates: [String: SynopticTemplate] = [:]
  /// The file each template came from.
  public private(set) var files: [String: URL] = [:]
  /// Problems found while loading (decode errors and lint).
  public private(set) var diagnostics: [TemplateDiagnostic] = []
  /// Standard codes from `terminology/*.yaml`, already applied to every template.
  public private(set) var terminology = Terminology()

  /// Finds the templates directory: `--templates`, then `SYNOPTIC_TEMPLATES`, then a
  /// `Templates/` folder above the working directory, then one above the executable
  /// (or `share/synoptic/Templates` beside an installed binary).
  public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
    -> URL?
  {
    if let explicit { return URL(fileURLWithPath: explicit) }
    if let env = environment["SYNOPTIC_TEMPLATES"], !env.isEmpty { return URL(fileURLWithPath: env) }
    let fm = FileManager.default
    return ResourceLocator.search { dir in
      let candidate = dir.appendingPathComponent("Templates")
      if fm.fileExists(atPath: candidate.appendingPathComponent("soft-tissue-resection.yaml").path) { return candidate }
      let shared = dir.appendingPathComponent("share/synoptic/Templates")
      return fm.fileExists(atPath: shared.path) ? shared : nil
    }
  }

  /// Loads every `*.yaml` template in the directory and checks it.
  public init(directory: URL) throws(SourceParseError) {
    self.directory = directory
    let urls: [URL]
    do {
      urls = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    } catch {
      throw SourceParseError(message: "cannot read templates directory \(directory.path)", location: nil)
    }
    var overrides: [(TemplateOverride, URL, SourceMap)] = []
    var maps: [String: SourceMap] = [:]
    var addedItems: [String: [String: Int]] = [:]
    for url in urls {
      let decoded: PositionedDecoder.Result<TemplateFile>
      do {
        let text = try PositionedDecoder.readText(url)
        decoded = try PositionedDecoder.decode(TemplateFile.self, from: text, what: "a template", example: "id: ..., sections: ...")
      } catch {
        diagnostics.append(.init(file: url.path, diagnostic: Diagnostic(
          severity: .error, path: "(file)", rule: "template.parse", message: error.message, location: error.location)))
        continue
      }
      diagnostics += decoded.diagnostics.map { TemplateDiagnostic(file: url.path, diagnostic: $0) }
      switch decoded.value {
      case .template(let t)?:
        if let other = files[t.id] {
          diagnostics.append(.init(file: url.path, diagnostic: Diagnostic(
            severity: .error, path: "id", rule: "template.duplicate-id",
            message: "template id '\(t.id)' is also used by \(other.lastPathComponent)", location: decoded.sourceMap.location(of: "id"))))
          continue
        }
        templates[t.id] = t
        files[t.id] = url
        maps[t.id] = decoded.sourceMap
      case .override(let o)?: overrides.append((o, url, decoded.sourceMap))
      case nil: break
      }
    }
    for (o, url, map) in overrides {
      guard let base = templates[o.base] else {
        diagnostics.append(.init(file: url.path, diagnostic: Diagnostic(
          severity: .error, path: "base", rule: "template.unknown-base",
          message: "base template '\(o.base)' not found; known: \(templates.keys.sorted().joined(separator: ", "))",
          location: map.location(of: "base"))))
        continue
      }
      let (merged, problems) = Self.apply(o, to: base)
      diagnostics += problems.map { TemplateDiagnostic(file: url.path, diagnostic: locate($0, map)) }
      templates[o.id] = merged
      files[o.id] = url
      maps[o.id] = map
      addedItems[o.id] = Dictionary((o.addItems ?? []).enumerated().map { ($1.item.id, $0) }, uniquingKeysWith: { a, _ in a })
    }
    loadTerminology(directory.appendingPathComponent("terminology"))
    for id in templates.keys { templates[id] = terminology.apply(to: templates[id]!) }
    for (id, t) in templates.sorted(by: { $0.key < $1.key }) {
      guard let url = files[id], let map = maps[id] else { continue }
      for var d in TemplateLint.check(t) {
        // An override is answerable only for what it adds; its base is linted as its own file.
        if let added = addedItems[id] {
          guard let (prefix, rest) = Self.itemPrefix(d.path), let item = Self.item(at: prefix, in: t),
            let k = added[item.id]
          else { continue }
          d.path = "addItems[\(k)].item" + rest
        }
        diagnostics.append(TemplateDiagnostic(file: url.path, diagnostic: locate(d, map)))
      }
    }
  }

  /// Reads every `*.yaml` in the terminology directory (none is fine: then every code is local).
  mutating func loadTerminology(_ dir: URL) {
    let urls = ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
      .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }
      .sorted { $0.lastPathComponent < $1.lastPathComponent }
    for url in urls {
      do {
        let text = try PositionedDecoder.readText(url)
        let decoded = try PositionedDecoder.decode(Terminology.self, from: text, what: "a terminology", example: "systems: ..., concepts: ...")
        diagnostics += decoded.diagnostics.map { TemplateDiagnostic(file: url.path, diagnostic: $0) }
        guard let t = decoded.value else { continue }
        for problem in terminology.merge(t, file: url.lastPathComponent) {
          diagnostics.append(.init(file: url.path, diagnostic: Diagnostic(severity: .error, path: "concepts", rule: "terminology.duplicate", message: problem)))
        }
        for (i, concept) in t.concepts.enumerated() {
          for code in [concept.code].compactMap({ $0 }) + (concept.answers ?? [:]).values.sorted(by: { $0.code < $1.code })
          where terminology.systems[code.system] == nil && code.system != Terminology.local {
            diagnostics.append(.init(file: url.path, diagnostic: Diagnostic(
              severity: .error, path: "concepts[\(i)]", rule: "terminology.unknown-system",
              message: "code system '\(code.system)' is not among the systems (\(terminology.systems.keys.sorted().joined(separator: ", ")))",
              location: decoded.sourceMap.location(of: "concepts[\(i)]"))))
          }
        }
      } catch {
        diagnostics.append(.init(file: url.path, diagnostic: Diagnostic(
          severity: .error, path: "(file)", rule: "terminology.parse", message: error.message, location: error.location)))
      }
    }
  }

  /// Splits `sections[1].items[2].bind` into `sections[1].items[2]` and `.bind`.
  static func itemPrefix(_ path: String) -> (String, String)? {
    guard let r = path.range(of: #"^sections\[\d+\]\.items\[\d+\]"#, options: .regularExpression) else { return nil }
    return (String(path[r]), String(path[r.upperBound...]))
  }

  static func item(at prefix: String, in t: SynopticTemplate) -> TemplateItem? {
    let numbers = prefix.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    guard numbers.count == 2, numbers[0] < t.sections.count, numbers[1] < t.sections[numbers[0]].items.count else { return nil }
    return t.sections[numbers[0]].items[numbers[1]]
  }

  func locate(_ d: Diagnostic, _ map: SourceMap) -> Diagnostic {
    guard d.line == nil, let l = map.location(of: d.path) else { return d }
    var out = d
    out.line = l.line
    out.column = l.column
    return out
  }

  /// Applies an institution override: letterhead, labels, extra items and
  /// layouts change; the base's items and ids stay as they are.
  static func apply(_ o: TemplateOverride, to base: SynopticTemplate) -> (SynopticTemplate, [Diagnostic]) {
    var t = base
    var problems: [Diagnostic] = []
    t.id = o.id
    t.title = o.title ?? base.title
    t.version = o.version
    t.provenance = o.provenance.map { "\($0) Based on \(base.id) \(base.version): \(base.provenance)" } ?? base.provenance
    t.base = base.id
    t.baseVersion = base.version
    t.appliesTo = nil
    if let l = o.letterhead { t.letterhead = l }
    if let layouts = o.layouts { t.layouts = (base.layouts ?? [:]).merging(layouts) { _, new in new } }
    for (itemId, label) in (o.labels ?? [:]).sorted(by: { $0.key < $1.key }) {
      var found = false
      for s in t.sections.indices {
        for i in t.sections[s].items.indices {
          if t.sections[s].items[i].id == itemId { t.sections[s].items[i].label = label; found = true }
          for j in (t.sections[s].items[i].items ?? []).indices where t.sections[s].items[i].items?[j].id == itemId {
            t.sections[s].items[i].items?[j].label = label
            found = true
          }
        }
      }
      if !found {
        problems.append(Diagnostic(
          severity: .error, path: "labels.\(itemId)", rule: "template.unknown-item",
          message: "label override for '\(itemId)', which the base template does not have"))
      }
    }
    for (k, add) in (o.addItems ?? []).enumerated() {
      guard let s = t.sections.firstIndex(where: { $0.id == add.section }) else {
        problems.append(Diagnostic(
          severity: .error, path: "addItems[\(k)].section", rule: "template.unknown-section",
          message: "section '\(add.section)' not in the base; sections: \(t.sections.map(\.id).joined(separator: ", "))"))
        continue
      }
      var at = t.sections[s].items.count
      if let after = add.after {
        if let i = t.sections[s].items.firstIndex(where: { $0.id == after }) {
          at = i + 1
        } else {
          problems.append(Diagnostic(
            severity: .error, path: "addItems[\(k)].after", rule: "template.unknown-item",
            message: "item '\(after)' not in section '\(add.section)'"))
        }
      }
      t.sections[s].items.insert(add.item, at: at)
    }
    return (t, problems)
  }

  public var errors: [TemplateDiagnostic] { diagnostics.filter { $0.diagnostic.severity == .error } }

  /// The template for a case: by id, or by the case's procedures (a resection
  /// template when any specimen is not a biopsy).
  public func template(for c: PathologyCase, id: String?) -> SynopticTemplate? {
    if let id { return templates[id] }
    let wanted: ProcedureClass = (c.specimens ?? []).contains { !$0.procedure.isBiopsy } ? .resection : .biopsy
    return templates.values.sorted { $0.id < $1.id }.first { $0.base == nil && ($0.appliesTo ?? []).contains(wanted) }
  }
}
