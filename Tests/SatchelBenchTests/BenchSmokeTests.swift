import Foundation
import SatchelBench
import SatchelTestSupport
import Testing

/// `satchel-bench` on a tiny workload from the same generator (Fixtures/bench/tiny: 300
/// accounts, 8 reps × 50 operations, 19 contested cells): the phases run and the workload's
/// correctness conditions hold. No timing is asserted; speed is the benchmark's business.
struct BenchSmokeTests {
    @Test func tinyWorkloadRunsAndMeetsTheCorrectnessConditions() throws {
        let workload = try Workload.load(directory: Fixtures.url("bench/tiny").path)
        #expect(workload.opCount == 400)
        #expect(workload.conflictedCells.count == workload.expectedConflictedCells)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let (_, sizes, checks) = try EngineRun(workload: workload, directory: scratch).run(check: true)
        let result = try #require(checks)
        #expect(result.accounts == workload.expectedAccounts)
        #expect(result.visits == workload.expectedVisits)
        #expect(result.digestMatches)
        #expect(result.replicaCellsDiffering == [0])
        #expect(result.otherOrderCellsDiffering == [0])
        #expect(result.bootstrapEqualsHub)
        #expect(result.converged)
        #expect(result.contestedCells == 19)
        #expect(result.contestedCellsQueued + result.contestedCellsMerged == 19)
        #expect(result.contestedCellsQueued > 0, "credit_limit and name are review fields: some contested cells must queue")
        #expect(result.outcomes["rejected", default: 0] == 0)
        #expect(sizes.uploadBytesZlib > 0 && sizes.uploadBytesZlib < sizes.uploadBytesRaw)
    }

    @Test func theAttachmentRunMovesEveryFileOnceEachWay() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-att-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = AttachmentRun(
            executable: Executable.url("satchel-bench").path, directory: scratch, files: 5, bytesPerFile: 40_000)
        let result = try await run.run { _ in }
        #expect(result.files == 5)
        #expect(result.blobs == 5)
        #expect(result.blobBytes == 200_000)
        #expect(result.upload.wallMS > 0 && result.download.wallMS > 0)
    }

    @Test func aWorkloadWhoseFilesWereEditedIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: Fixtures.url("bench/tiny"), to: directory)
        let ops = directory.appendingPathComponent("ops.jsonl")
        var text = try String(contentsOf: ops, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"rep\":0,", with: "\"rep\":1,")
        try text.write(to: ops, atomically: true, encoding: .utf8)
        let error = #expect(throws: BenchError.self) { try Workload.load(directory: directory.path) }
        #expect(error?.description.contains("does not match the sha256") == true)
    }
}
