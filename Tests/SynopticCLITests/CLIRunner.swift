import Foundation
import Synchronization

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
    try runCommand(binary.path, args, environment: environment, input: input)
  }

  /// Runs any program (the binary through runuser, chmod) in the package root with the test environment.
  static func runCommand(_ path: String, _ args: [String], environment: [String: String] = [:], input: String? = nil) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
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
    // Both pipes are drained at once, before waiting: a process that fills one
    // while the other is being read would otherwise block for ever.
    let errData = Mutex(Data())
    let drained = DispatchSemaphore(value: 0)
    let errHandle = err.fileHandleForReading
    Thread {
      let d = errHandle.readDataToEndOfFile()
      errData.withLock { $0 = d }
      drained.signal()
    }.start()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    let e = errData.withLock { $0 }
    p.waitUntilExit()
    return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }

  /// Starts a program without waiting: its standard error is returned to read, its output discarded.
  static func start(_ executable: URL, _ args: [String]) throws -> (Process, Pipe) {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    p.currentDirectoryURL = packageRoot
    p.environment = environment()
    let err = Pipe()
    p.standardError = err
    p.standardOutput = Pipe()
    try p.run()
    return (p, err)
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
