import SynopticLayout
import SynopticTemplates

/// Writes a report document in every output format, for `render --format all`
/// and for storing a signed version.
public enum ReportPublisher {
  /// The six formats, with the file extension `render --format all` uses.
  public static let formats: [(name: String, fileExtension: String)] = [
    ("text", "txt"), ("html", "html"), ("xml", "xml"), ("cda", "cda.xml"), ("hl7", "hl7"), ("fhir", "fhir.json"),
  ]

  /// One rendered output, kept in the form its writer produced: the layouts
  /// give bytes, the XML writers a byte buffer, HL7 v2 and FHIR strings. A
  /// batch writes the bytes as they are; `string` is for everyone else.
  public struct Output {
    enum Storage {
      case bytes([UInt8])
      case sink(ByteSink)
      case string(String)
    }
    let storage: Storage

    public var string: String {
      switch storage {
      case .bytes(let b): String(decoding: b, as: UTF8.self)
      case .sink(let s): s.string
      case .string(let s): s
      }
    }

    /// The UTF-8 bytes, without making a String of them first.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
      switch storage {
      case .bytes(let b): return try b.withUnsafeBufferPointer(body)
      case .sink(let s): return try s.withBytes(body)
      case .string(var s): return try s.withUTF8(body)
      }
    }
  }

  /// Renders the named formats (all six by default) as strings.
  public static func render(
    _ doc: ReportDocument, template: SynopticTemplate, layouts: ReportLayouts, site: SiteIdentity, width: Int = 80,
    only: Set<String>? = nil
  ) throws -> [String: String] {
    try outputs(doc, template: template, layouts: layouts, site: site, width: width, only: only).mapValues(\.string)
  }

  /// Renders the named formats (all six by default). Text and HTML are rendered
  /// once each, from one shared report tree, and only when asked for or needed
  /// by FHIR (which embeds them).
  public static func outputs(
    _ doc: ReportDocument, template: SynopticTemplate, layouts: ReportLayouts, site: SiteIdentity, width: Int = 80,
    only: Set<String>? = nil
  ) throws -> [String: Output] {
    let wanted = only ?? Set(formats.map(\.name))
    var out: [String: Output] = [:]
    let needText = wanted.contains("text") || wanted.contains("fhir")
    let needHTML = wanted.contains("html") || wanted.contains("fhir")
    if needText || needHTML {
      let text = needText ? try layouts.layout(for: template, output: .text) : nil
      let html = needHTML ? try layouts.layout(for: template, output: .html) : nil
      let reading = (text?.leadingNames ?? []).union(html?.leadingNames ?? [])
      let tree = ReportTree.build(doc, options: .init(width: width), reading: reading)
      if let text { out["text"] = Output(storage: .bytes(try text.renderBytes(tree))) }
      if let html { out["html"] = Output(storage: .bytes(try html.renderBytes(tree))) }
    }
    if wanted.contains("fhir") {
      out["fhir"] = Output(storage: .string(FHIRWriter.render(doc, text: out["text"]?.string ?? "", html: out["html"]?.string ?? "", site: site)))
    }
    if !wanted.contains("text") { out["text"] = nil }
    if !wanted.contains("html") { out["html"] = nil }
    if wanted.contains("xml") { out["xml"] = Output(storage: .sink(ReportXML.bytes(doc))) }
    if wanted.contains("cda") { out["cda"] = Output(storage: .sink(CDAWriter.bytes(doc, site: site))) }
    if wanted.contains("hl7") { out["hl7"] = Output(storage: .string(HL7v2Writer.render(doc, site: site))) }
    return out
  }
}
