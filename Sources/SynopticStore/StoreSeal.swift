import Crypto
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The secret that seals the store's ledger, kept outside the store: whoever
/// can write the database but not read this key cannot forge a seal, so a
/// rewritten history (rows edited and every hash recomputed) shows.
///
/// A file of 64 hex digits, readable by its owner only. By default
/// `SYNOPTIC_STORE_KEY_FILE`, else `$XDG_CONFIG_HOME/synoptic/store.key`
/// (`~/.config/synoptic/store.key`); a writer creates it on first use.
public struct StoreKey: Sendable {
  /// The key's bytes (SymmetricKey is not Sendable; one is made per use).
  private let bytes: [UInt8]
  public let path: String
  private var key: SymmetricKey { SymmetricKey(data: bytes) }

  public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let p = environment["SYNOPTIC_STORE_KEY_FILE"], !p.isEmpty { return p }
    let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.config")
    return base + "/synoptic/store.key"
  }

  /// Reads the key; creates one (256 random bits, mode 0600) when `create` and there is none.
  public static func load(_ path: String, create: Bool) throws(StoreError) -> StoreKey? {
    if !FileManager.default.fileExists(atPath: path) {
      guard create else { return nil }
      try make(path)
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw .key("\(path): cannot read the store key") }
    var info = stat()
    if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
      throw .key("\(path): the store key is readable by others; run 'chmod 600 \(path)'")
    }
    let hex = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard hex.count == 64, let bytes = Self.bytes(hex) else { throw .key("\(path): not a store key (64 hex digits expected)") }
    return StoreKey(bytes: bytes, path: path)
  }

  private static func make(_ path: String) throws(StoreError) {
    let dir = (path as NSString).deletingLastPathComponent
    do {
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw .key("\(dir): cannot create the key's directory: \((error as NSError).localizedDescription)")
    }
    var g = SystemRandomNumberGenerator()
    let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined() + "\n"
    // Written whole under a temporary name, then linked into place: a process
    // racing to make the key either wins or reads the winner's complete key.
    let temp = path + ".tmp." + String(g.next() as UInt64, radix: 16)
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .key("\(path): cannot create the store key: \(String(cString: strerror(errno)))") }
    let written = hex.withCString { write(fd, $0, strlen($0)) }
    let synced = fsync(fd) == 0
    close(fd)
    defer { unlink(temp) }
    guard written == hex.utf8.count, synced else { throw .key("\(path): cannot write the store key") }
    if link(temp, path) != 0, errno != EEXIST {
      throw .key("\(path): cannot create the store key: \(String(cString: strerror(errno)))")
    }
  }

  static func bytes(_ hex: String) -> [UInt8]? {
    var out: [UInt8] = []
    var high: UInt8?
    for c in hex.utf8 {
      let v: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
      default: return nil
      }
      if let h = high {
        out.append(h << 4 | v)
        high = nil
      } else {
        high = v
      }
    }
    return high == nil ? out : nil
  }

  /// HMAC-SHA-256 of the text, hex.
  func seal(_ text: String) -> String {
    HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key).map { String(format: "%02x", $0) }.joined()
  }

  func verifies(_ seal: String, for text: String) -> Bool {
    guard let mac = Self.bytes(seal) else { return false }
    return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(text.utf8), using: key)
  }
}

/// The ledger's head, written outside the database after every write: the
/// number and chain hash of the newest entry, sealed with the store key. A
/// store whose newest entries were deleted no longer reaches the anchored
/// entry, and `verify` says so. The anchor only moves forward.
///
/// By default `<store>.anchor` beside the database (`SYNOPTIC_STORE_ANCHOR`
/// moves it): keep it, or a copy of it, where the database's writers cannot
/// put an older one back. On PostgreSQL each instance keeps its own anchor
/// (`~/.local/share/synoptic/postgres-HOST-PORT-DB.anchor`), made at the head
/// it first sees; any instance then finds a truncation past what it has seen.
public struct StoreAnchor: Sendable, Equatable {
  public var entry: Int64
  public var chain: String

  public static func defaultPath(store: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let p = environment["SYNOPTIC_STORE_ANCHOR"], !p.isEmpty { return p }
    guard ReportStore.isPostgres(store), let url = URLComponents(string: store) else { return store + ".anchor" }
    // A database has no directory beside it: each instance keeps its anchor in its own data directory.
    let parts: [String] = [url.host ?? "", url.port.map { String($0) } ?? "5432", String(url.path.dropFirst())]
    let name = String(parts.joined(separator: "-").map { (c: Character) -> Character in
      c.isLetter || c.isNumber || c == "-" || c == "." ? c : "_"
    })
    let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share")
    return base + "/synoptic/postgres-\(name).anchor"
  }

  static let header = "synoptic-store-anchor 1"

  /// The anchor of a store with an empty ledger.
  static let genesis = StoreAnchor(entry: 0, chain: "genesis")

  static func sealedText(_ entry: Int64, _ chain: String) -> String { "anchor\n\(entry)\n\(chain)" }

  /// Reads an anchor file: nil when there is none; an error when it is not an anchor or its seal is wrong.
  static func read(_ path: String, key: StoreKey?) throws(StoreError) -> StoreAnchor? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let data = FileManager.default.contents(atPath: path), data.count < 4096 else { throw .anchor("\(path): cannot read the anchor") }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    var fields: [String: String] = [:]
    for line in lines.dropFirst() {
      let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
      if parts.count == 2 { fields[parts[0]] = parts[1] }
    }
    guard lines.first == header, let entryText = fields["entry"], let entry = Int64(entryText), let chain = fields["chain"],
      let seal = fields["seal"]
    else { throw .anchor("\(path): not a store anchor") }
    if let key, !key.verifies(seal, for: sealedText(entry, chain)) {
      throw .anchor("\(path): the anchor's seal does not match the store key")
    }
    return StoreAnchor(entry: entry, chain: chain)
  }

  /// Moves the anchor forward to `self` (never back: a slower writer does not
  /// undo a faster one), atomically and under a lock beside the file. A
  /// missing anchor is made only when `create` (a new store, an upgrade, or
  /// an administrator re-anchoring a store whose anchor was lost): otherwise
  /// deleting the anchor would let the next write hide a truncation.
  func advance(_ path: String, key: StoreKey, create: Bool = false) throws(StoreError) {
    if create {
      try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    }
    let lock = open(path + ".lock", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard lock >= 0 else { throw .anchor("\(path).lock: \(String(cString: strerror(errno)))") }
    defer { close(lock) }
    while flock(lock, LOCK_EX) != 0 {
      if errno != EINTR { throw .anchor("\(path).lock: \(String(cString: strerror(errno)))") }
    }
    if FileManager.default.fileExists(atPath: path) {
      // An anchor that does not read back (edited, or sealed with another key)
      // is evidence: it is left for verify to report, never overwritten.
      guard let current = try? Self.read(path, key: key), current.entry < entry else { return }
    } else if !create {
      return
    }
    let text = "\(Self.header)\nentry \(entry)\nchain \(chain)\nseal \(key.seal(Self.sealedText(entry, chain)))\n"
    var g = SystemRandomNumberGenerator()
    let temp = path + ".tmp." + String(g.next() as UInt64, radix: 16)
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .anchor("\(temp): \(String(cString: strerror(errno)))") }
    let ok = text.withCString { write(fd, $0, strlen($0)) } == text.utf8.count && fsync(fd) == 0
    close(fd)
    guard ok, rename(temp, path) == 0 else {
      unlink(temp)
      throw .anchor("\(path): cannot write the anchor")
    }
  }
}

/// How the ledger chains and seals its entries.
enum Ledger {
  static func sha256(_ text: String) -> String { ReportStore.sha256(Data(text.utf8)) }

  /// Length-prefixed fields, so no value can imitate a field boundary.
  static func canonical(_ fields: [(String, String)]) -> String {
    fields.map { "\($0.0)=\($0.1.utf8.count):\($0.1)\n" }.joined()
  }

  /// The chain hash of entry `seq`: its kind, its content hash and the previous chain hash.
  static func chain(seq: Int64, kind: String, entry: String, previous: String) -> String {
    sha256(canonical([("scheme", "synoptic-ledger-1"), ("seq", String(seq)), ("kind", kind), ("entry", entry), ("previous", previous)]))
  }

  /// A version's entry: its version hash (which covers its content and its
  /// accession's chain) and the command that stored it.
  static func versionEntry(versionHash: String, command: String?) -> String {
    sha256(canonical([("version_hash", versionHash), ("command", command ?? "")]))
  }

  static func auditEntry(
    id: Int64, at: String, actor: String?, action: String, accession: String?, version: Int?, outcome: String, detail: String?,
    command: String?
  ) -> String {
    // Absent and empty differ: "-" cannot be mistaken for a length-prefixed value.
    func opt(_ s: String?) -> String { s.map { "=" + $0 } ?? "-" }
    return sha256(canonical([
      ("id", String(id)), ("at", at), ("actor", opt(actor)), ("action", action), ("accession", opt(accession)),
      ("version", opt(version.map(String.init))), ("outcome", outcome), ("detail", opt(detail)), ("command", opt(command)),
    ]))
  }
}
