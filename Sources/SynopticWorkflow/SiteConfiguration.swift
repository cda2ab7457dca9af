import Foundation
import SynopticCore
import SynopticExport
import SynopticTemplates

/// A site configuration: the identities a hospital owns (name, OIDs, CLIA,
/// HL7 v2 names), the pathologists who may sign, and the site's rule settings.
/// Read from YAML with the case files' positioned diagnostics.
public struct SiteConfiguration: Sendable, Decodable, Equatable {
  public struct HL7v2Names: Sendable, Decodable, Equatable {
    public var sendingApplication: String
    public var sendingFacility: String
    public var receivingApplication: String
    public var receivingFacility: String
  }

  /// A pathologist in the site's directory.
  public struct Pathologist: Sendable, Decodable, Equatable {
    public var id: String
    /// As printed: "Imogen Vale".
    public var name: String
    /// Name parts for HL7 and CDA; by default the last word of `name` is the family name.
    public var family: String?
    public var given: String?
    /// US National Provider Identifier (10 digits with its check digit).
    public var npi: String?

    /// The person a report names.
    public var person: ReportPerson {
      let words = name.split(separator: " ").map(String.init)
      let family = self.family ?? words.last ?? name
      let given = self.given ?? (words.count > 1 ? words.dropLast().joined(separator: " ") : nil)
      return ReportPerson(id: id, name: name, family: family, given: given, npi: npi)
    }
  }

  public struct Rules: Sendable, Decodable, Equatable {
    public var closeMarginMm: Double?
  }

  /// Where signed reports are sent: an interface engine over MLLP, a FHIR
  /// server, or a directory another system watches.
  public struct Destination: Sendable, Decodable, Equatable {
    public enum Kind: String, Sendable, Decodable, Equatable { case mllp, fhir, directory }
    public var name: String
    public var kind: Kind
    public var host: String?
    public var port: Int?
    public var baseURL: String?
    public var path: String?
    public var formats: [String]
    /// How long to wait for an MLLP acknowledgement or an HTTP answer.
    public var ackTimeoutSeconds: Double?
    /// Attempts before a message is dead (default 8).
    public var maxAttempts: Int?
    /// The first retry's wait; each later one doubles it, up to an hour (default 5).
    public var retrySeconds: Double?

    public var timeout: Double { ackTimeoutSeconds ?? 30 }
    public var attempts: Int { maxAttempts ?? 8 }
    public var retryBase: Double { retrySeconds ?? 5 }
  }

  public var name: String
  public var oidRoot: String
  public var clia: String?
  public var address: String?
  public var phone: String?
  public var hl7v2: HL7v2Names
  public var pathologists: [Pathologist]
  public var rules: Rules?
  /// The laboratory's medical director, by pathologist id (HL7 v2 OBX-25).
  public var director: String?
  /// Bounds on case files; every limit left out keeps its default.
  public var limits: InputLimits?
  /// Where signed versions are delivered; none by default.
  public var delivery: [Destination]?

  /// The input limits in force: the site's, or the defaults.
  public var inputLimits: InputLimits { limits ?? .standard }

  /// The identities the writers need.
  public var identity: SiteIdentity {
    var identity = SiteIdentity(
      name: name, oidRoot: oidRoot, clia: clia, address: address, phone: phone,
      hl7v2: .init(
        sendingApplication: hl7v2.sendingApplication, sendingFacility: hl7v2.sendingFacility,
        receivingApplication: hl7v2.receivingApplication, receivingFacility: hl7v2.receivingFacility))
    identity.director = director.flatMap(pathologist)?.person
    return identity
  }

  /// The rule settings, the site's where it gives them.
  public var ruleOptions: RuleOptions {
    RuleOptions(closeMarginThresholdMm: rules?.closeMarginMm ?? MarginRules.defaultCloseThresholdMm)
  }

  public func pathologist(_ id: String) -> Pathologist? { pathologists.first { $0.id == id } }
}

/// Why a site file cannot be used: every problem, with file, line and key.
public struct SiteConfigurationError: Error, Sendable, CustomStringConvertible {
  public var file: String
  public var diagnostics: [Diagnostic]
  public var description: String { diagnostics.map { $0.formatted(file: file) }.joined(separator: "\n") }
}

extension SiteConfiguration {
  /// The shipped example, relative to a checkout or an installation.
  public static let exampleRelativePath = "Samples/sites/demo-hospital.yaml"

  /// Finds the site file: `--site`, then `SYNOPTIC_SITE`, then the shipped
  /// example above the working directory or the executable (or
  /// `share/synoptic/sites/demo-hospital.yaml` beside an installed binary).
  public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
    if let explicit { return URL(fileURLWithPath: explicit) }
    if let env = environment["SYNOPTIC_SITE"], !env.isEmpty { return URL(fileURLWithPath: env) }
    return ResourceLocator.search { dir in
      [exampleRelativePath, "share/synoptic/sites/demo-hospital.yaml"].map(dir.appendingPathComponent)
        .first { FileManager.default.fileExists(atPath: $0.path) }
    }
  }

  /// Reads and checks a site file.
  public static func load(_ url: URL) throws(SiteConfigurationError) -> SiteConfiguration {
    let text: String
    do {
      text = try PositionedDecoder.readText(url)
    } catch {
      throw SiteConfigurationError(file: url.path, diagnostics: [Diagnostic(severity: .error, path: "(file)", rule: "site.read", message: error.message)])
    }
    return try parse(text, file: url.path)
  }

  /// Parses and checks site configuration text.
  public static func parse(_ text: String, file: String) throws(SiteConfigurationError) -> SiteConfiguration {
    let result: PositionedDecoder.Result<SiteConfiguration>
    do {
      result = try PositionedDecoder.decode(
        SiteConfiguration.self, from: text, what: "a site configuration", example: "name: ..., oidRoot: ..., hl7v2: ..., pathologists: ...")
    } catch {
      throw SiteConfigurationError(
        file: file, diagnostics: [Diagnostic(severity: .error, path: "(file)", rule: "site.parse", message: error.message, location: error.location)])
    }
    guard let site = result.value else { throw SiteConfigurationError(file: file, diagnostics: result.diagnostics) }
    let problems = site.check().map { d -> Diagnostic in
      var located = d
      if let l = result.sourceMap.location(of: d.path) {
        located.line = l.line
        located.column = l.column
      }
      return located
    }
    if !problems.isEmpty { throw SiteConfigurationError(file: file, diagnostics: problems) }
    return site
  }

  /// Checks what decoding cannot: formats, uniqueness, and names a report can print.
  func check() -> [Diagnostic] {
    var d: [Diagnostic] = []
    func error(_ path: String, _ rule: String, _ message: String) {
      d.append(Diagnostic(severity: .error, path: path, rule: rule, message: message))
    }
    func singleLine(_ value: String, _ path: String, _ what: String) {
      if value.trimmingBlanks.isEmpty {
        error(path, "site.empty", "\(what) is empty")
      } else if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
        error(path, "site.single-line", "\(what) must be one line of printable text")
      } else if value.count > 120 {
        error(path, "site.too-long", "\(what) is \(value.count) characters; at most 120")
      }
    }
    singleLine(name, "name", "the site's name")
    if oidRoot.range(of: #"^[0-2](\.(0|[1-9][0-9]*)){1,40}$"#, options: .regularExpression) == nil {
      error("oidRoot", "site.oid", "'\(oidRoot)' is not an OID; write dotted numbers such as 2.16.840.1.113883.19.5")
    }
    if let clia = clia, clia.range(of: #"^[0-9]{2}D[0-9]{7}$"#, options: .regularExpression) == nil {
      error("clia", "site.clia", "'\(clia)' is not a CLIA number; it has ten characters, two digits, D and seven digits (e.g. 00D0000000)")
    }
    for (key, value) in [("sendingApplication", hl7v2.sendingApplication), ("sendingFacility", hl7v2.sendingFacility),
                         ("receivingApplication", hl7v2.receivingApplication), ("receivingFacility", hl7v2.receivingFacility)] {
      let path = "hl7v2.\(key)"
      singleLine(value, path, key)
      if value.count > 20 { error(path, "site.hl7-length", "\(key) '\(value)' is longer than the 20 characters an HL7 v2 namespace id holds") }
      if value.contains(where: { "|^~\\&".contains($0) }) {
        error(path, "site.hl7-delimiter", "\(key) '\(value)' contains an HL7 v2 delimiter (| ^ ~ \\ &); use letters, digits and hyphens")
      }
    }
    if let mm = rules?.closeMarginMm, !(mm > 0 && mm <= 100) {
      error("rules.closeMarginMm", "site.close-margin", "closeMarginMm must be more than 0 and at most 100 (mm), not \(NumberText.format(mm))")
    }
    if let limits {
      for (key, value, range) in InputLimits.ranges(limits) where !range.contains(value) {
        error("limits.\(key)", "site.limit", "\(key) must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
      }
    }
    if let director, pathologist(director) == nil {
      error("director", "site.director", "director '\(director)' is not a pathologist in the directory; give one of their ids")
    }
    if pathologists.isEmpty { error("pathologists", "site.pathologists", "the directory lists no pathologist; sign-out needs at least one") }
    var names: Set<String> = []
    for (i, dest) in (delivery ?? []).enumerated() {
      let path = "delivery[\(i)]"
      if dest.name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) == nil {
        error(path + ".name", "site.delivery-name", "destination name '\(dest.name)' must be 1 to 64 letters, digits, dots, hyphens or underscores")
      } else if !names.insert(dest.name).inserted {
        error(path + ".name", "site.delivery-duplicate", "destination '\(dest.name)' is listed twice")
      }
      let allowed: Set<String>
      switch dest.kind {
      case .mllp:
        allowed = ["hl7"]
        if dest.host?.isEmpty != false { error(path + ".host", "site.delivery-host", "an mllp destination names its host") }
        if !(1...65535).contains(dest.port ?? 0) { error(path + ".port", "site.delivery-port", "an mllp destination names its port (1 to 65535)") }
      case .fhir:
        allowed = ["fhir"]
        if let url = dest.baseURL.flatMap(URL.init(string:)), ["http", "https"].contains(url.scheme ?? ""), url.host != nil {} else {
          error(path + ".baseURL", "site.delivery-url", "a fhir destination names its server's base URL (http or https)")
        }
      case .directory:
        allowed = Set(ReportPublisher.formats.map(\.name))
        if dest.path?.hasPrefix("/") != true { error(path + ".path", "site.delivery-path", "a directory destination names an absolute path") }
      }
      if dest.formats.isEmpty || !Set(dest.formats).isSubset(of: allowed) {
        error(path + ".formats", "site.delivery-formats", "a \(dest.kind.rawValue) destination sends \(allowed.sorted().joined(separator: ", ")), not \(dest.formats.joined(separator: ", "))")
      }
      if let t = dest.ackTimeoutSeconds, !(t > 0 && t <= 600) { error(path + ".ackTimeoutSeconds", "site.delivery-timeout", "ackTimeoutSeconds must be more than 0 and at most 600") }
      if let r = dest.retrySeconds, !(r >= 0.05 && r <= 3600) { error(path + ".retrySeconds", "site.delivery-retry", "retrySeconds must be from 0.05 to 3600") }
      if let n = dest.maxAttempts, !(1...100).contains(n) { error(path + ".maxAttempts", "site.delivery-attempts", "maxAttempts must be from 1 to 100") }
    }
    var seen: Set<String> = []
    for (i, p) in pathologists.enumerated() {
      let path = "pathologists[\(i)]"
      if p.id.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) == nil {
        error(path + ".id", "site.pathologist-id", "pathologist id '\(p.id)' must be 1 to 64 letters, digits, dots, hyphens or underscores")
      } else if !seen.insert(p.id).inserted {
        error(path + ".id", "site.pathologist-duplicate", "pathologist id '\(p.id)' is listed twice")
      }
      singleLine(p.name, path + ".name", "the pathologist's name")
      if let family = p.family { singleLine(family, path + ".family", "the family name") }
      if let given = p.given { singleLine(given, path + ".given", "the given name") }
      if let npi = p.npi, !NPI.isValid(npi) {
        error(path + ".npi", "site.npi", "'\(npi)' is not a National Provider Identifier: ten digits whose last is the check digit")
      }
    }
    return d
  }

}
