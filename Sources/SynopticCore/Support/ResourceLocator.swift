import Foundation

/// Finds a shipped resource (the templates, the demo site) the way a checkout
/// and an installation lay them out: in the working directory or a folder
/// above it, else above the executable.
package enum ResourceLocator {
  /// The first directory, walking up from the working directory and then from
  /// the executable, in which `found` answers a URL.
  package static func search(_ found: (URL) -> URL?) -> URL? {
    func walk(from start: URL) -> URL? {
      var dir = start.standardizedFileURL
      for _ in 0..<12 {
        if let hit = found(dir) { return hit }
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path { break }
        dir = parent
      }
      return nil
    }
    if let hit = walk(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) { return hit }
    let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
    return walk(from: exe)
  }
}
