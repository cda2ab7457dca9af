import SynopticCore
import SynopticTemplates

/// A case taken through validate, derive and fill: what every writer starts from.
public struct PreparedReport: Sendable {
  public var analysis: CaseAnalysis
  public var template: SynopticTemplate
  public var document: ReportDocument
}

package enum ReportPipeline {
  package enum Failure: Error, Sendable {
    case noTemplate(String?)
  }

  /// Analyses a decoded case and fills its template (by id, or by procedure).
  /// Required elements come from the template; the document carries every
  /// diagnostic, placed at its line in the case file where possible.
  package static func prepare(
    _ decoded: CaseLoader.Decoded, store: TemplateStore, templateId: String?, options: RuleOptions = RuleOptions()
  ) throws(Failure) -> PreparedReport? {
    guard let value = decoded.value else { return nil }
    guard let template = store.template(for: value, id: templateId) else { throw .noTemplate(templateId) }
    var rules = options
    rules.checkReferenceRequirements = false
    let analysis = Validator.analyse(value, options: rules)
    var document = Filler.fill(template, with: analysis)
    document.diagnostics = order(decoded.diagnostics + (document.diagnostics + HL7v2Writer.truncations(document)).map(decoded.locate))
    return PreparedReport(analysis: analysis, template: template, document: document)
  }

  /// Stable sort by line: diagnostics read top to bottom like the file.
  package static func order(_ all: [Diagnostic]) -> [Diagnostic] {
    all.enumerated().sorted { a, b in (a.element.line ?? .max, a.offset) < (b.element.line ?? .max, b.offset) }.map(\.element)
  }
}
