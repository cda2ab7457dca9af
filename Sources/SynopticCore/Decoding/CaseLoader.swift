import Foundation

/// Reads case files (YAML or JSON, one schema) into the case model.
public enum CaseLoader {
  /// Result of decoding: the case when it decoded, and every decoding diagnostic.
  public struct Decoded: Sendable {
    public var value: PathologyCase?
    public var diagnostics: [Diagnostic]
    /// Positions of model paths in the file, for rule diagnostics.
    public var sourceMap: SourceMap

    /// Gives a diagnostic without a position the position of its path.
    public func locate(_ d: Diagnostic) -> Diagnostic {
      guard d.line == nil, let l = sourceMap.location(of: d.path) else { return d }
      var located = d
      located.line = l.line
      located.column = l.column
      return located
    }
  }

  /// Decodes case text. Throws only when the text is not a document at all
  /// (not YAML/JSON, empty, or not a mapping); problems inside a case come back
  /// as diagnostics with model path and line.
  public static func decode(_ text: String, limits: InputLimits = .standard) throws(SourceParseError) -> Decoded {
    let d = try PositionedDecoder.decode(
      from: text, limits: limits, what: "a case", example: "accession: ..., tumor: ...", read: PathologyCase.read)
    return Decoded(value: d.value, diagnostics: d.diagnostics, sourceMap: d.sourceMap)
  }

  /// Reads and decodes a file. Unreadable files and non-UTF-8 bytes throw.
  public static func decode(contentsOf url: URL, limits: InputLimits = .standard) throws(SourceParseError) -> Decoded {
    try decode(PositionedDecoder.readText(url, maxBytes: limits.fileBytes), limits: limits)
  }
}

/// Decodes any `Decodable` from YAML or JSON with positioned diagnostics:
/// the machinery case files use, shared with template files.
public enum PositionedDecoder {
  public struct Result<T: Sendable>: Sendable {
    public var value: T?
    public var diagnostics: [Diagnostic]
    public var sourceMap: SourceMap
  }

  public static func decode<T: Decodable & Sendable>(
    _ type: T.Type, from text: String, limits: InputLimits = .standard, what: String, example: String
  ) throws(SourceParseError) -> Result<T> {
    try decode(from: text, limits: limits, what: what, example: example) { try $0.decodeScalar(T.self) }
  }

  /// The same with the root read by `read` (the case model's ``FieldReader``).
  static func decode<T: Sendable>(
    from text: String, limits: InputLimits, what: String, example: String, read: (NodeDecoder) throws -> T
  ) throws(SourceParseError) -> Result<T> {
    let root = try SourceNode.parse(text, limits: limits)
    guard case .mapping = root else {
      throw SourceParseError(
        message: "the file does not hold \(what): its top level must be a mapping (\(example)), found \(root.kindName)",
        location: root.location)
    }
    let session = DecodeSession()
    var value: T?
    do {
      value = try read(NodeDecoder(root: root, session: session))
    } catch let e as NodeDecodingError {
      session.error(e.path, e.location, rule: e.rule, e.message)
    } catch {
      session.error([], root.location, rule: "decode.type", "\(error)")
    }
    session.reportUnknownKeys()
    let diagnostics = session.diagnostics.sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
    return Result(value: diagnostics.hasErrors ? nil : value, diagnostics: diagnostics, sourceMap: SourceMap(root))
  }

  /// Reads a file as UTF-8 text; unreadable files, files over `maxBytes`,
  /// binary bytes and NULs throw. Only regular files are read: a FIFO or a
  /// device would block or never end.
  public static func readText(_ url: URL, maxBytes: Int = InputLimits.standard.fileBytes) throws(SourceParseError) -> String {
    try text(BoundedFile.contents(of: url.path, maxBytes: maxBytes), maxBytes: maxBytes)
  }

  /// A file's bytes as text: within `maxBytes`, UTF-8, no NUL bytes.
  public static func text(_ data: Data, maxBytes: Int) throws(SourceParseError) -> String {
    if data.count > maxBytes {
      throw SourceParseError(message: "the file is \(data.count) bytes; the limit is \(maxBytes) (fileBytes)", location: nil)
    }
    guard let text = String(validating: data, as: UTF8.self) else {
      throw SourceParseError(message: "the file is not UTF-8 text (is it a binary file?)", location: nil)
    }
    // On the bytes with memchr: String.contains(String) goes through NSString's
    // search, and Data's iterator is a call per byte.
    if data.withUnsafeBytes({ b in b.baseAddress.map { memchr($0, 0, b.count) != nil } ?? false }) {
      throw SourceParseError(message: "the file contains NUL bytes (is it a binary file?)", location: nil)
    }
    return text
  }
}
