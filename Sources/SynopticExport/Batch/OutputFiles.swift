import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `write(2)`, named apart from the methods called write here.
func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Darwin)
    return Darwin.write(fd, bytes, count)
  #elseif canImport(Musl)
    return Musl.write(fd, bytes, count)
  #else
    return Glibc.write(fd, bytes, count)
  #endif
}

/// `renameat2(..., RENAME_NOREPLACE)` where the C library has it (glibc 2.28+;
/// looked up at run time, as Glibc's Swift module does not declare it): moves
/// a file into place in one system call unless the name exists.
private let renameNoReplace: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32)? = {
  #if os(Linux)
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }  // RTLD_DEFAULT
    return unsafeBitCast(symbol, to: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32).self)
  #else
    return nil
  #endif
}()

/// A report file could not be written.
public struct OutputWriteError: Error, Sendable {
  public var message: String
}

/// The batch's output directory, held open: every file is created relative to
/// it, below directories opened without following symbolic links, under a
/// temporary name no one can guess (O_EXCL | O_NOFOLLOW), and then renamed (or
/// linked) into place without replacing an existing name. So a link planted
/// in the output cannot send a write elsewhere, and a reader (an interface
/// engine polling the directory) never sees half a report.
///
/// A file already written by this batch is never replaced: two cases whose
/// names map to the same output (`a.yaml` and `a.json`) fail the second with
/// a clear error instead of one report silently overwriting the other. Files
/// from an earlier run are replaced.
final class OutputFiles: @unchecked Sendable {
  /// The output directory as given, for messages.
  let rootPath: String
  private let rootFD: Int32
  /// The in-progress marker's name, and its modification time (the file
  /// system's clock, the one output files are stamped with): files at least
  /// this new were written by this batch.
  private let markerName: String
  private let batchStart: timespec

  static let markerPrefix = ".synoptic-batch-in-progress."

  /// Creates the directory when needed, opens it and writes the start marker.
  init(root: URL) throws(BatchError) {
    var path = root.path
    while path.count > 1, path.hasSuffix("/") { path.removeLast() }
    rootPath = path
    do {
      try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    } catch {
      throw BatchError("\(path): cannot create the output directory: \((error as NSError).localizedDescription)")
    }
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw BatchError("\(path): cannot open the output directory: \(String(cString: strerror(errno)))") }
    rootFD = fd
    let name = Self.markerPrefix + Self.randomName()
    let marker = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    var st = stat()
    guard marker >= 0 else {
      close(fd)
      throw BatchError("\(path): cannot write to the output directory: \(String(cString: strerror(errno)))")
    }
    _ = "\(getpid())\n".withCString { systemWrite(marker, $0, strlen($0)) }
    fstat(marker, &st)
    close(marker)
    markerName = name
    batchStart = Self.modificationTime(st)
  }

  /// Removes the marker and closes the directory.
  func finish() {
    unlinkat(rootFD, markerName, 0)
    close(rootFD)
  }

  /// 128 random bits as hex: a name nobody can plant a link at in advance.
  static func randomName() -> String {
    var g = SystemRandomNumberGenerator()
    return String(g.next() as UInt64, radix: 16) + String(g.next() as UInt64, radix: 16)
  }

  static func modificationTime(_ st: stat) -> timespec {
    #if canImport(Darwin)
      return st.st_mtimespec
    #else
      return st.st_mtim
    #endif
  }

  /// Writes one case's reports: `stem` (relative, `/`-separated) plus each extension.
  /// Returns how many files were written before any failure.
  func write(_ files: [(fileExtension: String, content: ReportPublisher.Output)], stem: String) throws(OutputWriteError) -> Int {
    var parts = stem.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    guard let base = parts.popLast() else { throw OutputWriteError(message: "\(rootPath): no file name for the output") }
    let dir = try openDirectory(parts)
    defer { if dir != rootFD { close(dir) } }
    var written = 0
    for (ext, content) in files {
      try writeFile(in: dir, name: base + "." + ext, shown: rootPath + "/" + stem + "." + ext) { fd in Self.writeAll(fd, content) }
      written += 1
    }
    return written
  }

  /// A file at the top of the output directory written bit by bit (the
  /// batch report): created under a temporary name, placed by ``commit(_:)``,
  /// replacing an earlier run's file of that name.
  struct Stream {
    let fd: Int32
    let temp: String
    let name: String
  }

  func openStream(_ name: String) throws(OutputWriteError) -> Stream {
    let (fd, temp) = try createTemporary(for: name, in: rootFD, shown: rootPath + "/" + name)
    return Stream(fd: fd, temp: temp, name: name)
  }

  func commit(_ stream: Stream) throws(OutputWriteError) {
    let shown = rootPath + "/" + stream.name
    if close(stream.fd) != 0 {
      let e = errno
      unlinkat(rootFD, stream.temp, 0)
      throw OutputWriteError(message: "\(shown): cannot write: \(String(cString: strerror(e)))")
    }
    try place(stream.temp, at: stream.name, in: rootFD, shown: shown, replaceOwn: true)
  }

  func discard(_ stream: Stream) {
    close(stream.fd)
    unlinkat(rootFD, stream.temp, 0)
  }

  /// Opens (creating as needed) the directories below the root, never
  /// following a symbolic link: a linked directory inside the output is refused.
  private func openDirectory(_ parts: [String]) throws(OutputWriteError) -> Int32 {
    var fd = rootFD
    var shown = rootPath
    for part in parts {
      shown += "/" + part
      if part == ".." || part == "." {
        if fd != rootFD { close(fd) }
        throw OutputWriteError(message: "\(shown): an output path may not climb out of the output directory")
      }
      var next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      if next < 0, errno == ENOENT {
        if mkdirat(fd, part, 0o755) != 0, errno != EEXIST {
          let e = errno
          if fd != rootFD { close(fd) }
          throw OutputWriteError(message: "\(shown): cannot create the directory: \(String(cString: strerror(e)))")
        }
        next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      }
      let e = errno
      if fd != rootFD { close(fd) }
      guard next >= 0 else {
        if e == ELOOP || e == ENOTDIR {
          throw OutputWriteError(
            message: "\(shown) is a symbolic link or not a directory; the batch does not follow links inside its output directory")
        }
        throw OutputWriteError(message: "\(shown): cannot open the directory: \(String(cString: strerror(e)))")
      }
      fd = next
    }
    return fd
  }

  private func writeFile(in dir: Int32, name: String, shown: String, _ fill: (Int32) -> Int32) throws(OutputWriteError) {
    let (fd, temp) = try createTemporary(for: name, in: dir, shown: shown)
    var failure = fill(fd)
    if close(fd) != 0, failure == 0 { failure = errno }
    guard failure == 0 else {
      unlinkat(dir, temp, 0)
      throw OutputWriteError(message: "\(shown): cannot write: \(String(cString: strerror(failure)))")
    }
    try place(temp, at: name, in: dir, shown: shown, replaceOwn: false)
  }

  /// A new file under a random name beside `name`, created exclusively and never through a link.
  private func createTemporary(for name: String, in dir: Int32, shown: String) throws(OutputWriteError) -> (Int32, String) {
    for _ in 0..<4 {
      let temp = "." + name + ".tmp." + Self.randomName()
      let fd = openat(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
      if fd >= 0 { return (fd, temp) }
      if errno != EEXIST { break }
    }
    throw OutputWriteError(message: "\(shown): cannot write: \(String(cString: strerror(errno)))")
  }

  /// Writes all of an output's bytes; the errno of a failure, or 0.
  static func writeAll(_ fd: Int32, _ content: ReportPublisher.Output) -> Int32 {
    var failure: Int32 = 0
    content.withBytes { buffer in failure = writeAll(fd, UnsafeRawBufferPointer(buffer)) }
    return failure
  }

  static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
    var offset = 0
    while offset < buffer.count {
      let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        return errno
      }
      offset += n
    }
    return 0
  }

  /// Moves the finished temporary file into place (see the type's note).
  private func place(_ temp: String, at final: String, in dir: Int32, shown: String, replaceOwn: Bool) throws(OutputWriteError) {
    // One call where the file system can (rename unless the name exists);
    // otherwise a hard link, which also fails on an existing name, then unlink.
    let linkError: Int32
    if let renameNoReplace, renameNoReplace(dir, temp, dir, final, 1 /* RENAME_NOREPLACE */) == 0 {
      return
    } else if renameNoReplace != nil, errno == EEXIST {
      linkError = EEXIST
    } else if linkat(dir, temp, dir, final, 0) == 0 {
      unlinkat(dir, temp, 0)
      return
    } else {
      linkError = errno
    }
    if linkError == EEXIST {
      var st = stat()
      if fstatat(dir, final, &st, AT_SYMLINK_NOFOLLOW) == 0 {
        let m = Self.modificationTime(st)
        if st.st_mode & S_IFMT == S_IFDIR {
          unlinkat(dir, temp, 0)
          throw OutputWriteError(message: "\(shown) is a directory; move it away")
        }
        if !replaceOwn, st.st_mode & S_IFMT == S_IFREG, (m.tv_sec, m.tv_nsec) >= (batchStart.tv_sec, batchStart.tv_nsec) {
          unlinkat(dir, temp, 0)
          throw OutputWriteError(
            message: "\(shown) was already written by another case in this batch (their file names differ only in extension); rename one of them")
        }
      }
    }
    // An older report, or a link or file at the name (a rename replaces the
    // name itself, never what a link points to), or a file system without hard links.
    if renameat(dir, temp, dir, final) != 0 {
      let e = errno
      unlinkat(dir, temp, 0)
      throw OutputWriteError(message: "\(shown): cannot write: \(String(cString: strerror(e)))")
    }
  }
}
