import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads an input file, refusing what is not a regular file or is larger than
/// a limit before holding its bytes: a FIFO or a device never ends, and a
/// 45 MB case file is an attack, not a case.
public enum BoundedFile {
  public static func contents(of path: String, maxBytes: Int) throws(SourceParseError) -> Data {
    // Non-blocking, so opening a FIFO with no writer returns and is refused below.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw SourceParseError(message: "cannot read the file: \(describe(errno))", location: nil) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw SourceParseError(message: "cannot read the file: \(describe(errno))", location: nil) }
    if let kind = irregularKind(info.st_mode) {
      throw SourceParseError(message: "not a regular file (\(kind)); give a case file", location: nil)
    }
    if Int(info.st_size) > maxBytes {
      throw SourceParseError(message: "the file is \(info.st_size) bytes; the limit is \(maxBytes) (fileBytes)", location: nil)
    }
    // One byte beyond the limit tells a file that grew since fstat from one that did not.
    var data = Data(count: Int(info.st_size) + 1)
    var filled = 0
    while filled < data.count {
      let n = data.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
      if n < 0 {
        if errno == EINTR { continue }
        throw SourceParseError(message: "cannot read the file: \(describe(errno))", location: nil)
      }
      if n == 0 { break }
      filled += n
      if filled == data.count, filled <= maxBytes { data.count += 4096 }
    }
    if filled > maxBytes {
      throw SourceParseError(message: "the file is over \(maxBytes) bytes; the limit is \(maxBytes) (fileBytes)", location: nil)
    }
    data.count = filled
    return data
  }

  /// What a file that cannot be read as a case is, or nil for a regular file.
  public static func irregularKind(_ mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO"
    case S_IFCHR, S_IFBLK: return "a device"
    case S_IFSOCK: return "a socket"
    case S_IFLNK: return "a symbolic link"
    default: return "not a regular file"
    }
  }

  static func describe(_ code: Int32) -> String {
    switch code {
    case ENOENT: return "no such file (or a symbolic link to nothing)"
    case ELOOP: return "symbolic links that loop"
    case EACCES: return "permission denied"
    default: return String(cString: strerror(code))
    }
  }
}
