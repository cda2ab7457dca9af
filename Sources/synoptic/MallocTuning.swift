#if os(Linux) && canImport(Glibc)
import Glibc

/// glibc keeps at most 7 freed blocks of each size in a thread's own cache; a
/// request allocates and frees hundreds of same-sized values, so the rest go
/// through the shared free lists and their consolidation, a tenth of `serve`'s
/// time (Benchmarks/README.md). The cache's size is a tunable glibc reads only
/// when a process starts, so `serve` starts itself once more with it set,
/// unless the environment already sets GLIBC_TUNABLES (an operator's choice wins).
enum MallocTuning {
  static let tunables = "glibc.malloc.tcache_count=256"

  static func restartWithLargerCache() {
    guard getenv("GLIBC_TUNABLES") == nil else { return }
    setenv("GLIBC_TUNABLES", tunables, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // Only reached when exec fails: serve as this process is.
    unsetenv("GLIBC_TUNABLES")
  }
}
#else
enum MallocTuning {
  static func restartWithLargerCache() {}
}
#endif
