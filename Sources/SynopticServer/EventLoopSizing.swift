import Foundation
import NIOCore

extension SynopticServer {
  /// Sizes NIO's shared event loops to the CPUs this process may run on (its
  /// affinity, as `taskset`, `numactl` or a cpuset leaves it). NIO counts the
  /// machine's CPUs and cgroup quotas but not the affinity, so a server
  /// allowed one CPU of two would run two loops that take turns on it. An
  /// operator's `NIO_SINGLETON_GROUP_LOOP_COUNT` is kept. Called once, first
  /// thing in `serve`: NIO takes the count only before its loops start, and
  /// a second setting stops the process.
  public static func fitEventLoopsToAllowedCPUs() {
    guard ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil,
      let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let allowed = allowedCPUs(status), allowed < System.coreCount
    else { return }
    NIOSingletons.groupLoopCountSuggestion = allowed
  }

  /// The number of CPUs in the `Cpus_allowed_list:` line of a Linux
  /// `/proc/PID/status` (`0-3,6`); nil when there is none or it does not read.
  static func allowedCPUs(_ status: String) -> Int? {
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
    var count = 0
    for part in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
      let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      switch bounds.count {
      case 1:
        guard bounds[0] != nil else { return nil }
        count += 1
      case 2:
        guard let low = bounds[0], let high = bounds[1], low <= high else { return nil }
        count += high - low + 1
      default: return nil
      }
    }
    return count > 0 ? count : nil
  }
}
