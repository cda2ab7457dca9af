import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `write(2)`, named apart from ``OutputFiles/write(_:stem:fileExtension:worker:)``.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
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

/// Writes batch outputs atomically: each file goes to a temporary name in its
/// final directory and is then renamed (or linked) into place without
/// replacing an existing name, so a reader (an interface
/// engine polling the directory) never sees half a report. A file already
/// written by this batch is never replaced: two cases whose names map to the
/// same output (`a.yaml` and `a.json`) fail the second with a clear error
/// instead of one report silently overwriting the other. Files from an
/// earlier run are replaced.
struct OutputFiles: Sendable {
  let root: URL
  /// Modification time of the marker written when the batch started; files
  /// at least this new were written by this batch.
  let batchStart: timespec?
  /// The output directory's path, and this process's id for temporary names:
  /// worked out once (URL.appendingPathComponent stats the file system to
  /// decide on a trailing slash, and getpid is a system call).
  private let rootPath: String
  private let pid = getpid()

  init(root: URL, batchStart: timespec?) {
    self.root = root
    self.batchStart = batchStart
    var path = root.path
    while path.count > 1, path.hasSuffix("/") { path.removeLast() }
    rootPath = path
  }

  static let markerName = ".synoptic-batch-in-progress"

  /// Writes the start marker and returns its modification time (the file
  /// system's clock, the one output files are stamped with).
  static func startMarker(in dir: URL) throws(BatchError) -> timespec {
    let path = dir.appendingPathComponent(markerName).path
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw BatchError("\(dir.path): cannot write to the output directory: \(String(cString: strerror(errno)))") }
    _ = "\(getpid())\n".withCString { systemWrite(fd, $0, strlen($0)) }
    close(fd)
    var st = stat()
    guard stat(path, &st) == 0 else { throw BatchError("\(path): \(String(cString: strerror(errno)))") }
    return modificationTime(st)
  }

  static func removeMarker(in dir: URL) {
    unlink(dir.appendingPathComponent(markerName).path)
  }

  static func modificationTime(_ st: stat) -> timespec {
    #if canImport(Darwin)
      return st.st_mtimespec
    #else
      return st.st_mtim
    #endif
  }

  func write(_ content: ReportPublisher.Output, stem: String, fileExtension: String, worker: Int) throws(OutputWriteError) {
    let final = (rootPath == "/" ? "" : rootPath) + "/" + stem + "." + fileExtension
    let slash = final.utf8.lastIndex(of: UInt8(ascii: "/"))!  // bytes: an ASCII '/' is always a Character boundary
    let dir = String(final[..<slash])
    let temp = "\(dir)/.\(final[final.index(after: slash)...]).tmp.\(pid).\(worker)"

    var fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0, errno == ENOENT {
      try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    }
    guard fd >= 0 else { throw OutputWriteError(message: "\(final): cannot write: \(String(cString: strerror(errno)))") }
    var failure: Int32 = 0
    content.withBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        offset += n
      }
    }
    if close(fd) != 0, failure == 0 { failure = errno }
    guard failure == 0 else {
      unlink(temp)
      throw OutputWriteError(message: "\(final): cannot write: \(String(cString: strerror(failure)))")
    }
    try place(temp, at: final)
  }

  /// Moves the finished temporary file into place (see the type's note).
  private func place(_ temp: String, at final: String) throws(OutputWriteError) {
    // One call where the file system can (rename unless the name exists);
    // otherwise a hard link, which also fails on an existing name, then unlink.
    let linkError: Int32
    if let renameNoReplace, renameNoReplace(-100 /* AT_FDCWD */, temp, -100, final, 1 /* RENAME_NOREPLACE */) == 0 {
      return
    } else if renameNoReplace != nil, errno == EEXIST {
      linkError = EEXIST
    } else if link(temp, final) == 0 {
      unlink(temp)
      return
    } else {
      linkError = errno
    }
    if linkError == EEXIST, let batchStart {
      var st = stat()
      if stat(final, &st) == 0 {
        let m = Self.modificationTime(st)
        if (m.tv_sec, m.tv_nsec) >= (batchStart.tv_sec, batchStart.tv_nsec) {
          unlink(temp)
          throw OutputWriteError(
            message: "\(final) was already written by another case in this batch (their file names differ only in extension); rename one of them")
        }
      }
    }
    // An older report (or a file system without hard links): replace it atomically.
    if rename(temp, final) != 0 {
      let e = errno
      unlink(temp)
      throw OutputWriteError(message: "\(final): cannot write: \(String(cString: strerror(e)))")
    }
  }
}
