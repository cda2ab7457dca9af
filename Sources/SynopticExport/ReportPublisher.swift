import SynopticTemplates

/// Writes a report document in every output format, for `render --format all`
/// and for storing a signed version.
public enum ReportPublisher {
  /// The six formats, with the file extension `render --format all` uses.
  public static let formats: [(name: String, fileExtension: String)] = [
    ("text", "txt"), ("html", "html"), ("xml", "xml"), ("cda", "cda.xml"), ("hl7", "hl7"), ("fhir", "fhir.json"),
  ]

  public static func render(
    _ doc: ReportDocument, template: SynopticTemplate, layouts: ReportLayouts, width: Int = 80
  ) throws -> [String: String] {
    let text = try ReportWriter.render(doc, template: template, layouts: layouts, output: .text, options: .init(width: width))
    let html = try ReportWriter.render(doc, template: template, layouts: layouts, output: .html, options: .init(width: width))
    return [
      "text": text, "html": html, "xml": ReportXML.render(doc), "cda": CDAWriter.render(doc),
      "hl7": HL7v2Writer.render(doc), "fhir": FHIRWriter.render(doc, text: text, html: html),
    ]
  }
}
