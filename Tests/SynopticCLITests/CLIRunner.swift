import Foundation

/// Runs the built `synoptic` binary, as a user would.
struct CLI {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The binary sits next to the test bundle in the build folder.
  static let binary = built("synoptic")
  /// The store test helper (Tests/Helper), built beside it.
  static let helper = built("synoptic-test-helper")

  static func built(_ name: String) -> URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return packageRoot.appendingPathComponent(".build/debug/\(name)")
  }

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ args: [String], environment: [String: String] = [:], input: String? = nil) throws -> Result {
    let p = Process()
    p.executableURL = binary
    p.arguments = args
    p.currentDirectoryURL = packageRoot
    p.environment = Self.environment(environment)
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let stdin = Pipe()
    if input != nil { p.standardInput = stdin }
    try p.run()
    if let input {
      stdin.fileHandleForWriting.write(Data(input.utf8))
      try stdin.fileHandleForWriting.close()
    }
    // Read before waiting so a large output cannot fill the pipe and block.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }

  /// A scratch store key for this test run, so no test touches the user's own.
  static let testKey = FileManager.default.temporaryDirectory.appendingPathComponent("synoptic-test-key-\(UUID().uuidString)/store.key").path

  /// The test process's environment with `extra` on top, and the scratch store key.
  static func environment(_ extra: [String: String] = [:]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["SYNOPTIC_STORE_KEY_FILE"] = testKey
    for (k, v) in extra { env[k] = v }
    return env
  }

  static func json(_ args: [String]) throws -> [String: Any] {
    let r = try run(args)
    guard let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else { return [:] }
    return obj
  }
}
