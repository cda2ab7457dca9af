import SynopticTemplates

/// Writes a report document in every output format, for `render --format all`
/// and for storing a signed version.
public enum ReportPublisher {
  /// The six formats, with the file extension `render --format all` uses.
  public static let formats: [(name: String, fileExtension: String)] = [
    ("text", "txt"), ("html", "html"), ("xml", "xml"), ("cda", "cda.xml"), ("hl7", "hl7"), ("fhir", "fhir.json"),
  ]

  /// Renders the named formats (all six by default). Text and HTML are rendered
  /// once each, and only when asked for or needed by FHIR (which embeds them).
  public static func render(
    _ doc: ReportDocument, template: SynopticTemplate, layouts: ReportLayouts, width: Int = 80,
    only: Set<String>? = nil
  ) throws -> [String: String] {
    let wanted = only ?? Set(formats.map(\.name))
    var out: [String: String] = [:]
    // FHIR embeds both; otherwise each is rendered only when asked for.
    if wanted.contains("text") || wanted.contains("fhir") {
      out["text"] = try ReportWriter.render(doc, template: template, layouts: layouts, output: .text, options: .init(width: width))
    }
    if wanted.contains("html") || wanted.contains("fhir") {
      out["html"] = try ReportWriter.render(doc, template: template, layouts: layouts, output: .html, options: .init(width: width))
    }
    if wanted.contains("fhir") { out["fhir"] = FHIRWriter.render(doc, text: out["text"] ?? "", html: out["html"] ?? "") }
    if !wanted.contains("text") { out["text"] = nil }
    if !wanted.contains("html") { out["html"] = nil }
    if wanted.contains("xml") { out["xml"] = ReportXML.render(doc) }
    if wanted.contains("cda") { out["cda"] = CDAWriter.render(doc) }
    if wanted.contains("hl7") { out["hl7"] = HL7v2Writer.render(doc) }
    return out
  }
}
