import Foundation
import SatchelTestSupport
import Testing

/// Twenty laptops syncing through the real HTTP server on loopback, with lost answers,
/// duplicated and reordered pushes, interrupted pulls and clock skew within and beyond the
/// bound; the quiet round uses the real ``SyncClient``.
///
/// `SATCHEL_HTTP_SIM_SEEDS=20 SATCHEL_HTTP_SIM_STEPS=5000 swift test --filter HTTPSimulationTests` runs longer.
struct HTTPSimulationTests {
    static let seeds: [UInt64] = {
        let count = Int(ProcessInfo.processInfo.environment["SATCHEL_HTTP_SIM_SEEDS"] ?? "") ?? 1
        return (1...UInt64(max(1, count))).map { $0 &* 104_729 }
    }()
    static let steps = Int(ProcessInfo.processInfo.environment["SATCHEL_HTTP_SIM_STEPS"] ?? "") ?? 800

    @Test(arguments: seeds)
    func twentyReplicasConvergeThroughTheServer(seed: UInt64) async throws {
        var world = try await World(seed: seed, replicaCount: 20, network: .http)
        do {
            for _ in 0..<Self.steps {
                try await world.step()
            }
            try await world.quietRound()
            try world.check()
        } catch {
            await world.stop()
            Issue.record(world.note("the run failed: \(error)"))
            return
        }
        await world.stop()
    }
}
