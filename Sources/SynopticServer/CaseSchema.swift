import Foundation
import SynopticCore
import SynopticExport

/// The case model as JSON Schema (2020-12, as OpenAPI 3.1 uses it), built
/// from the model's own answer lists so that the two cannot drift apart.
/// Shorthands the decoder accepts ("6 cm", "not reported", a bare grade)
/// are spelled out; free-text fields are strings.
enum CaseSchema {
  static let ref = "#/components/schemas/"

  /// Every schema the case refers to, by name.
  static var components: [(String, JSONOut)] {
    [
      ("Case", pathologyCase),
      ("NotKnown", .object([
        ("type", .string("string")),
        ("description", .string("'not reported' when the source says nothing; 'cannot be determined: REASON' when it was looked at")),
        ("pattern", .string("^([Nn]ot[ -](reported|stated|specified)|[Uu]nknown|[Cc]annot[ -]be[ -](determined|assessed)([:,-]? ?.*)?)$")),
      ])),
      ("Length", .object([
        ("description", .string("A length with its unit, optionally qualified: '6 cm', '0.3 mm', '> 5 cm'")),
        ("anyOf", .array([
          .object([("type", .string("string")), ("pattern", .string(#"^(<|>|<=|>=|~)? ?[0-9]{1,6}(\.[0-9]{1,3})? ?(mm|cm)$"#))]),
          object([("value", number), ("unit", choices(LengthUnit.allCases.map(\.rawValue))), ("comparator", choices(Comparator.allCases.map(\.rawValue)))],
                 required: ["value", "unit"]),
        ])),
      ])),
      ("Percent", .object([
        ("description", .string("A percentage: 10, '10 %', '< 5 %'")),
        ("anyOf", .array([
          .object([("type", .string("number")), ("minimum", .int(0)), ("maximum", .int(100))]),
          .object([("type", .string("string")), ("pattern", .string(#"^(<|>|<=|>=|~)? ?[0-9]{1,3}(\.[0-9]{1,2})? ?%?$"#))]),
          choices(["none", "not identified", "absent", "no necrosis"]),
        ])),
      ])),
      ("Grade", .object([
        ("description", .string("A grade as stated: 1, 2 or 3 (FNCLCC), low or high (two-tier), intermediate, or {grade, system, hedge}")),
        ("anyOf", .array([
          .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(3))]),
          choice(StatedGrade.Term.self),
          object([
            ("grade", .object([("anyOf", .array([.object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(3))]), choice(StatedGrade.Term.self)]))])),
            ("system", string), ("hedge", string),
          ], required: ["grade"]),
        ])),
      ])),
      ("Grading", object([
        ("differentiation", qualified(.object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(3))]))),
        ("mitoses", qualified(.object([("anyOf", .array([
          .object([("type", .string("integer")), ("minimum", .int(0)), ("maximum", .int(10000))]),
          object([("count", .object([("type", .string("integer")), ("minimum", .int(0))])), ("areaMm2", number)], required: ["count"]),
        ]))]))),
        ("necrosis", qualified(refTo("Percent"))),
        ("statedGrade", qualified(refTo("Grade"))),
        ("notGraded", object([("reason", choice(NotGradedReason.self)), ("text", string)], required: ["reason"])),
      ])),
      ("HistologicType", .object([("anyOf", .array([
        string, object([("name", string), ("icdO3", string)], required: ["name"]),
      ]))])),
      ("Stain", object([
        ("marker", string), ("clone", string), ("result", choice(StainResult.self)), ("intensity", choice(StainIntensity.self)),
        ("percent", qualified(refTo("Percent"))), ("proportion", string), ("index", qualified(refTo("Percent"))), ("population", string),
        ("pattern", choice(StainPattern.self)), ("localisation", choice(StainLocalisation.self)), ("component", string),
        ("internalControl", choice(InternalControl.self)), ("comment", string),
      ], required: ["marker", "result"])),
      ("MolecularTest", object([
        ("method", choice(MolecularMethod.self)), ("methodOther", string), ("target", string), ("result", choice(MolecularResult.self)),
        ("probe", string), ("ratio", number), ("copyNumber", number), ("nucleiScored", integer), ("fusionPartner", string),
        ("variant", string), ("comment", string),
      ], required: ["method", "target", "result"])),
    ]
  }

  static var pathologyCase: JSONOut {
    object([
      ("accession", .object([("type", .string("string")), ("minLength", .int(1)), ("maxLength", .int(64))])),
      ("reportDate", date), ("patient", object([
        ("name", string), ("mrn", string), ("birthDate", date), ("ageAtDiagnosis", integer), ("sex", choice(Sex.self)),
      ])),
      ("orderingPhysician", string), ("orderingPhysicianId", string), ("orderNumber", string), ("facility", string),
      ("clinicalHistory", string), ("predisposingConditions", array(choice(PredisposingCondition.self))),
      ("predisposingConditionOther", string), ("precursorLesions", array(string)), ("comment", string),
      ("diagnosis", array(string)), ("additionalFindings", string), ("presurgicalTherapy", choice(PresurgicalTherapy.self)),
      ("treatmentEffect", object([("viablePercent", qualified(refTo("Percent"))), ("necrosisPercent", qualified(refTo("Percent")))])),
      ("priorSpecimens", array(object([
        ("accession", string), ("date", date), ("procedure", string), ("diagnosis", string), ("grade", refTo("Grade")),
        ("stains", array(refTo("Stain"))), ("molecular", array(refTo("MolecularTest"))),
      ], required: ["accession"]))),
      ("specimens", array(object([
        ("id", string), ("procedure", choice(Procedure.self)), ("procedureOther", string), ("site", string),
        ("laterality", choice(Laterality.self)), ("integrity", choice(SpecimenIntegrity.self)), ("description", string),
        ("additionalFindings", string), ("collectedAt", timestamp),
      ], required: ["id", "procedure"]))),
      ("tumor", object([
        ("site", string), ("siteGroup", choice(SiteGroup.self)), ("depth", qualified(array(choice(TumorDepth.self)))),
        ("depthOther", string),
        ("size", qualified(.object([("anyOf", .array([
          refTo("Length"),
          object([("greatest", refTo("Length")), ("additional", array(refTo("Length"))), ("source", choice(SizeSource.self))], required: ["greatest"]),
        ]))]))),
        ("focality", choice(Focality.self)), ("histologicType", qualified(refTo("HistologicType"))),
        ("lymphovascularInvasion", choice(PresenceFinding.self)), ("description", string), ("extent", array(string)),
        ("operativeFindings", array(string)), ("recurrent", boolean), ("headNeckInvasion", array(choice(HeadNeckInvasion.self))),
        ("visceralExtent", choice(VisceralExtent.self)), ("multifocalSites", integer), ("grading", refTo("Grading")),
        ("components", array(object([
          ("name", string), ("kind", choice(ComponentKind.self)), ("differentiation", string), ("histologicType", refTo("HistologicType")),
          ("percent", qualified(refTo("Percent"))), ("size", qualified(refTo("Length"))), ("description", string), ("grading", refTo("Grading")),
        ], required: ["name", "kind"]))),
        ("margins", qualified(array(object([
          ("name", string), ("status", choice(MarginStatus.self)), ("distance", qualified(refTo("Length"))), ("tissue", string),
          ("plannedCloseOnCriticalStructure", boolean), ("macroscopic", boolean),
        ], required: ["name", "status"])))),
      ])),
      ("regionalLymphNodes", qualified(object([
        ("status", choice(NodeStatus.self)), ("examined", integer), ("involved", integer),
      ], required: ["status"]))),
      ("clinicalNodalStatus", choice(ClinicalNodalStatus.self)),
      ("distantMetastasis", qualified(object([("status", choice(MetastasisStatus.self)), ("sites", array(string))], required: ["status"]))),
      ("stains", array(refTo("Stain"))), ("molecular", array(refTo("MolecularTest"))),
      ("signOut", object([("pathologist", string), ("time", timestamp)], required: ["pathologist"])),
      ("local", .object([("type", .string("object")), ("additionalProperties", string)])),
    ], required: ["accession"], description: "A pathology case as a case file states it (YAML or JSON, one schema)")
  }

  // MARK: building blocks

  static let string = JSONOut.object([("type", .string("string"))])
  static let integer = JSONOut.object([("type", .string("integer")), ("minimum", .int(0))])
  static let number = JSONOut.object([("type", .string("number"))])
  static let boolean = JSONOut.object([("type", .string("boolean"))])
  static let date = JSONOut.object([("type", .string("string")), ("format", .string("date"))])
  static let timestamp = JSONOut.object([("type", .string("string")), ("format", .string("date-time"))])

  static func refTo(_ name: String) -> JSONOut { .object([("$ref", .string(ref + name))]) }

  static func array(_ items: JSONOut) -> JSONOut { .object([("type", .string("array")), ("items", items)]) }

  static func choices(_ values: [String]) -> JSONOut { .object([("type", .string("string")), ("enum", .array(values.map(JSONOut.string)))]) }

  /// An answer list: each answer as written, its label, and its synonyms
  /// (the decoder also ignores case and takes `_`, space and `-` alike).
  static func choice<C: CodedChoice>(_ type: C.Type) -> JSONOut {
    var seen: Set<String> = []
    let words = (C.allCases.map(\.rawValue) + C.synonyms.keys.sorted())
      .flatMap { [$0, $0.replacingOccurrences(of: "-", with: " ")] }
      .filter { seen.insert($0).inserted }
    return .object([
      ("type", .string("string")), ("enum", .array(words.map(JSONOut.string))),
      ("description", .string("case-insensitive; '_', ' ' and '-' are alike")),
    ])
  }

  /// A value, or why there is none.
  static func qualified(_ value: JSONOut) -> JSONOut { .object([("anyOf", .array([value, refTo("NotKnown")]))]) }

  static func object(_ properties: [(String, JSONOut)], required: [String] = [], description: String? = nil) -> JSONOut {
    var pairs: [(String, JSONOut)] = [("type", .string("object"))]
    if let description { pairs.append(("description", .string(description))) }
    pairs.append(("properties", .object(properties)))
    if !required.isEmpty { pairs.append(("required", .array(required.map(JSONOut.string)))) }
    pairs.append(("additionalProperties", .bool(false)))
    return .object(pairs)
  }
}
