import Foundation
import Testing
@testable import SynopticCore
@testable import SynopticExport
@testable import SynopticTemplates

@Suite("Wording a pathologist would sign")
struct WordingTests {
  @Test("no line repeats its label, and a coded 'other' shows what it is", arguments: sampleNames)
  func labels(name: String) throws {
    let doc = try prepare(name).document
    for section in doc.sections {
      for item in section.items where item.hasValue && item.rows == nil {
        #expect(!item.display.lowercased().contains(item.label.lowercased()), "\(item.id) \(item.label): \(item.display)")
        #expect(item.display != "other", "\(item.id) prints 'other'")
      }
      for item in section.items {
        for row in item.rows ?? [] {
          for cell in row where cell.hasValue { #expect(cell.display != "other", "\(cell.id) in \(item.label) prints 'other'") }
        }
      }
    }
  }

  @Test("no value stands in a group row without its label")
  func rowLabels() {
    func cell(_ id: String, _ label: String, _ value: String, printText: String? = nil) -> ReportItem {
      ReportItem(id: id, label: label, printText: printText, display: value, value: .text(value), type: .text, required: .nonCore, binding: id)
    }
    let row = [cell("1", "Marker", "SMA"), cell("2", "Result", "positive"), cell("3", "Intensity", "strong"),
               cell("4", "Percent of cells", "5 %", printText: "cells"), cell("5", "HER2 score", "1+")]
    #expect(ReportTree.rowText(row) == "SMA: positive; intensity strong; cells 5 %; HER2 score 1+")
    // A missing answer does not leave the next value unnamed.
    let sparse = [cell("1", "Marker", "SMA"), ReportItem(id: "2", label: "Result", display: "", type: .text, required: .core, binding: "r"),
                  cell("3", "Pattern", "patchy")]
    #expect(ReportTree.rowText(sparse) == "SMA: pattern patchy")
  }

  @Test("no format asserts nodal or metastatic findings the case does not contain")
  func nothingInvented() throws {
    let yaml = try String(contentsOf: packageRoot.appendingPathComponent("Samples/forearm-ddlms.yaml"), encoding: .utf8)
    #expect(!yaml.contains("distantMetastasis") && yaml.contains("regionalLymphNodes: not reported"))
    let p = try prepare("forearm-ddlms")
    let outputs = try ReportPublisher.render(p.document, template: p.template, layouts: layouts, site: site)
    #expect(outputs.count == 6)
    for (format, text) in outputs {
      #expect(!text.contains("cM0"), "\(format) says cM0")
      #expect(!text.contains("no nodes submitted"), "\(format) says no nodes were submitted")
      #expect(!text.contains("not close"), "\(format) calls the margins not close")
    }
    #expect(squash(outputs["text"] ?? "").contains("pM not applicable (cannot be determined from the submitted specimens)"))
    #expect(squash(outputs["text"] ?? "").contains("M0 assumed for grouping"))
  }

  @Test("a missing CAP core element prints 'not reported' and is a warning naming it")
  func coreElementNotReported() throws {
    let yaml = try String(contentsOf: packageRoot.appendingPathComponent("Samples/neck-synovial-sarcoma.yaml"), encoding: .utf8)
    let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("mitoses:") }
    let p = try prepare(yaml: lines.joined(separator: "\n"))
    let mitoses = try #require(p.document.sections.flatMap(\.items).first { $0.id == "STR-041" })
    #expect(mitoses.display == "not reported")
    #expect(mitoses.provenance == .missing)
    let warning = try #require(p.document.diagnostics.first { $0.rule == "template.core-not-reported" })
    #expect(warning.severity == .warning)
    #expect(warning.path == "tumor.grading.mitoses")
    #expect(warning.message.hasPrefix("Mitotic count (STR-041) is a core element"))
    #expect(!p.document.diagnostics.hasErrors)
    let text = try render(p, .text)
    #expect(text.contains("Mitotic count:                     not reported\n"))
  }
}
