import Foundation
import Testing
@testable import SynopticExport

@Suite("Batch: naming and progress")
struct BatchTests {
  @Test("output stems mirror the input tree without extensions")
  func naming() {
    #expect(OutputNaming.stem("a/b/S21-1.yaml") == "a/b/S21-1")
    #expect(OutputNaming.stem("./case.v2.json") == "case.v2")
    #expect(OutputNaming.stem(".hidden") == ".hidden")
    #expect(OutputNaming.stem(forListed: "cases/x.yaml") == "cases/x")
    #expect(OutputNaming.stem(forListed: "/srv/cases/x.yaml") == "x")
    #expect(OutputNaming.stem(forListed: "../elsewhere/x.yaml") == "x")
  }

  @Test("the progress line: bar, count, rate, ETA and failures; no ETA without a total")
  func progressLine() {
    let half = BatchProgress.Snapshot(done: 500, failed: 2, total: 1000, elapsed: 2)
    #expect(ProgressLine.format(half, barWidth: 10) == "[#####-----] 500/1000 50%  250 cases/s  ETA 0:02  2 failed")
    let done = BatchProgress.Snapshot(done: 1000, failed: 0, total: 1000, elapsed: 4)
    #expect(ProgressLine.format(done, barWidth: 10) == "[##########] 1000/1000 100%  250 cases/s")
    let piped = BatchProgress.Snapshot(done: 42, failed: 0, total: nil, elapsed: 2)
    #expect(ProgressLine.format(piped) == "42 cases  21 cases/s")
    #expect(ProgressLine.duration(3725) == "1:02:05")
    #expect(ProgressLine.duration(59.2) == "1:00")
  }
}
