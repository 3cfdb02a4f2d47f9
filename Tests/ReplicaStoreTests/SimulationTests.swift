import Foundation
import SatchelTestSupport
import Testing

/// Six laptops and a hub in one process: the sync model without the network.
/// `SATCHEL_SIM_SEEDS=100 SATCHEL_SIM_STEPS=3000 swift test --filter ReplicaStoreTests.SimulationTests` runs longer;
/// `SATCHEL_SIM_SEED=N` runs seed N alone.
struct SimulationTests {
    static let seeds: [UInt64] = {
        // SATCHEL_SIM_SEED=190056 replays one seed (a failure's message names it).
        if let seed = ProcessInfo.processInfo.environment["SATCHEL_SIM_SEED"].flatMap(UInt64.init) { return [seed] }
        let count = Int(ProcessInfo.processInfo.environment["SATCHEL_SIM_SEEDS"] ?? "") ?? 4
        return (1...UInt64(max(1, count))).map { $0 &* 7919 }
    }()
    static let steps = Int(ProcessInfo.processInfo.environment["SATCHEL_SIM_STEPS"] ?? "") ?? 400

    @Test(arguments: seeds)
    func replicasConvergeThroughTheHub(seed: UInt64) async throws {
        var world = try await World(seed: seed, replicaCount: 6)
        for _ in 0..<Self.steps {
            try await world.step()
        }
        try await world.quietRound()
        try world.check()
    }
}
