import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a batch finds its case files: a directory tree, a file listing paths,
/// or standard input listing paths. Paths are produced one at a time (the
/// directory is walked, the list read line by line), so a batch of a million
/// cases never holds a million paths.
public enum CaseSource: Sendable {
  case directory(URL)
  case list(URL)
  case standardInput

  /// File extensions a directory walk picks up.
  public static let caseExtensions: Set<String> = ["yaml", "yml", "json"]

  /// Interprets `render --batch ARG`: `-` is standard input, a directory is walked, any other file is a list.
  public static func parse(_ argument: String) -> CaseSource {
    if argument == "-" { return .standardInput }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
      return .directory(URL(fileURLWithPath: argument, isDirectory: true))
    }
    return .list(URL(fileURLWithPath: argument))
  }

  /// Opens the source. `excluding` is a directory the walk skips (the batch's
  /// own output directory when it lies inside the input).
  public func open(excluding: URL? = nil) throws(BatchError) -> CaseIterator {
    switch self {
    case .directory(let dir):
      return CaseIterator(DirectoryWalk(root: dir, excluding: excluding))
    case .list(let url):
      guard let file = fopen(url.path, "r") else {
        throw BatchError("\(url.path): cannot read the case list: \(String(cString: strerror(errno)))")
      }
      return CaseIterator(LineReader(file: file, closeAtEnd: true))
    case .standardInput:
      return CaseIterator(LineReader(file: fdopen(0, "r"), closeAtEnd: true))
    }
  }

  /// Counts the cases without keeping them (a second, cheap pass), for a
  /// progress bar's total and ETA. Nil for standard input, which can be read once only.
  public func count(excluding: URL? = nil) -> Int? {
    if case .standardInput = self { return nil }
    guard let it = try? open(excluding: excluding) else { return nil }
    var n = 0
    while it.next() != nil { n += 1 }
    return n
  }
}

/// One case to render: the path to read and the stem its outputs are named by
/// (relative to the output directory, without extension).
public struct CaseEntry: Sendable, Equatable {
  public var path: String
  public var outputStem: String
}

/// Hands out case entries to any number of workers, one at a time.
public final class CaseIterator: @unchecked Sendable {
  private let lock = NSLock()
  private var producer: any CaseProducer

  init(_ producer: any CaseProducer) { self.producer = producer }

  public func next() -> CaseEntry? {
    lock.lock()
    defer { lock.unlock() }
    return producer.next()
  }
}

protocol CaseProducer {
  mutating func next() -> CaseEntry?
}

/// Walks a directory tree lazily with `opendir`/`readdir` (one open directory
/// per level, entries in the order the file system gives them); hidden files
/// and the output directory are skipped, symbolic links to files are read and
/// links to directories not followed; every other entry with a case file's
/// extension is listed, and reading it reports what it is. Foundation's enumerator would ask for
/// resource values of every entry.
final class DirectoryWalk: CaseProducer {
  /// The root's absolute path ending in `/`.
  let rootPath: String
  /// The directory as the user wrote it, so reported paths read like theirs.
  let shownRoot: String
  let excludedPath: String?
  /// Open directories, innermost last, with their path relative to the root ("" or "a/b/").
  private var stack: [(dir: OpaquePointer, relative: String)] = []

  init(root: URL, excluding: URL?) {
    let standard = root.standardizedFileURL
    shownRoot = root.relativePath.hasSuffix("/") ? root.relativePath : root.relativePath + "/"
    rootPath = standard.path.hasSuffix("/") ? standard.path : standard.path + "/"
    excludedPath = excluding.map { $0.standardizedFileURL.path }
    if let d = opendir(rootPath) { stack.append((d, "")) }
  }

  deinit {
    for entry in stack { closedir(entry.dir) }
  }

  func next() -> CaseEntry? {
    while let (dir, relative) = stack.last {
      guard let entry = readdir(dir) else {
        closedir(dir)
        stack.removeLast()
        continue
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name.hasPrefix(".") { continue }  // ".", ".." and hidden files
      let path = relative + name
      var kind = entry.pointee.d_type
      if kind == UInt8(DT_UNKNOWN) {
        var st = stat()
        guard lstat(rootPath + path, &st) == 0 else { continue }
        kind = st.st_mode & S_IFMT == S_IFDIR ? UInt8(DT_DIR) : st.st_mode & S_IFMT == S_IFLNK ? UInt8(DT_LNK) : UInt8(DT_REG)
      }
      if kind == UInt8(DT_DIR) {
        let absolute = rootPath + path
        if let excludedPath, absolute == excludedPath { continue }
        if let d = opendir(absolute) { stack.append((d, path + "/")) }
        continue
      }
      if kind == UInt8(DT_LNK) {
        // A link to a directory is not followed (no loops, no walking out of the tree).
        var st = stat()
        if stat(rootPath + path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { continue }
      }
      // Anything else with a case file's name is handed on, so the reader
      // reports what it cannot read (a dangling or looping link, a FIFO, a
      // device) instead of the walk passing over it in silence.
      guard let dot = name.lastIndex(of: "."), CaseSource.caseExtensions.contains(name[name.index(after: dot)...].lowercased())
      else { continue }
      return CaseEntry(path: shownRoot + path, outputStem: OutputNaming.stem(path))
    }
    return nil
  }
}

/// Reads one path per line; blank lines and lines starting with `#` are skipped.
struct LineReader: CaseProducer {
  let file: UnsafeMutablePointer<FILE>?
  let closeAtEnd: Bool
  var finished = false

  init(file: UnsafeMutablePointer<FILE>?, closeAtEnd: Bool) {
    self.file = file
    self.closeAtEnd = closeAtEnd
  }

  mutating func next() -> CaseEntry? {
    guard !finished, let file else { return nil }
    var buffer: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(buffer) }
    while getline(&buffer, &capacity, file) >= 0 {
      guard let buffer else { continue }
      let line = String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      return CaseEntry(path: line, outputStem: OutputNaming.stem(forListed: line))
    }
    finished = true
    if closeAtEnd { fclose(file) }
    return nil
  }
}

/// How output files are named: the input's path below the batch directory
/// (or as listed, when relative), without its extension, so a tree of cases
/// becomes the same tree of reports.
public enum OutputNaming {
  /// `sub/dir/case-1.json` -> `sub/dir/case-1`.
  public static func stem(_ relative: String) -> String {
    var parts = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    parts.removeAll { $0 == "." }
    guard let last = parts.popLast() else { return "case" }
    let dot = last.lastIndex(of: ".")
    let base = dot.map { String(last[..<$0]) } ?? last
    parts.append(base.isEmpty ? last : base)
    return parts.joined(separator: "/")
  }

  /// A listed path mirrors into the output directory when it is relative and
  /// stays below it; an absolute path, or one with `..`, keeps its file name only.
  public static func stem(forListed path: String) -> String {
    let parts = path.split(separator: "/").map(String.init)
    if path.hasPrefix("/") || parts.contains("..") {
      return stem(parts.last ?? path)
    }
    return stem(path)
  }
}

/// A batch could not start (the input or output cannot be used).
public struct BatchError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
