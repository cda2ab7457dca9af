import SynopticCore
import SynopticStore

/// Why the workflow refused or could not do something. Every refusal says
/// what to do instead; the faces map `kind` to an exit status or HTTP status.
public struct WorkflowError: Error, Sendable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// The input cannot be read or parsed at all.
    case unreadable
    /// The case has errors (its diagnostics say which).
    case invalid
    /// A rule of the workflow refuses the operation (already signed, nothing changed, ...).
    case refused
    /// Another writer changed the accession meanwhile.
    case conflict
    /// The accession, version or format does not exist.
    case notFound
    /// The request itself is malformed (an unknown template, a bad time).
    case usage
    /// The requester may not do this (an interface credential signing, a
    /// pathologist signing as someone else).
    case forbidden
    /// The store failed.
    case store
  }

  public var kind: Kind
  public var message: String
  /// For `.invalid`: every diagnostic, errors included.
  public var diagnostics: [Diagnostic] = []

  public var description: String { message }

  public init(_ kind: Kind, _ message: String, diagnostics: [Diagnostic] = []) {
    self.kind = kind
    self.message = message
    self.diagnostics = diagnostics
  }

  static func unknownPathologist(_ id: String, known: [String]) -> WorkflowError {
    WorkflowError(.refused, "'\(id)' is not a pathologist in the site's directory; known: \(known.joined(separator: ", "))")
  }

  static func caseHasErrors(_ diagnostics: [Diagnostic]) -> WorkflowError {
    let n = diagnostics.filter { $0.severity == .error }.count
    return WorkflowError(.invalid, "the case has \(n) error\(n == 1 ? "" : "s"); nothing was stored", diagnostics: diagnostics)
  }

  static func store(_ e: StoreError) -> WorkflowError {
    switch e {
    case .alreadySigned, .notSigned: return WorkflowError(.refused, e.description)
    case .conflict, .draftConflict: return WorkflowError(.conflict, e.description)
    case .unknownVersion: return WorkflowError(.notFound, e.description)
    case .missing: return WorkflowError(.unreadable, e.description)
    case .database, .key, .anchor: return WorkflowError(.store, e.description)
    }
  }
}
