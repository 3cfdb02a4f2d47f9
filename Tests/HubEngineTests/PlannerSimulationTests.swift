import SatchelTestSupport
import Testing

/// The simulation of `ReplicaStoreTests.SimulationTests` (six laptops, random CRM work, lost,
/// duplicated and late pushes, interrupted pulls, clock skew, resolutions), with the hub being
/// the planner over an in-memory store: the sync policy proves itself with no SQL under it.
/// `SATCHEL_SIM_SEEDS`, `SATCHEL_SIM_STEPS` and `SATCHEL_SIM_SEED` work as there.
struct PlannerSimulationTests {
    @Test(arguments: SimulationLength.inProcess.seeds)
    func replicasConvergeThroughThePlannerInMemory(seed: UInt64) async throws {
        var world = try await World(seed: seed, replicaCount: 6, network: .planner)
        for _ in 0..<SimulationLength.inProcess.steps {
            try await world.step()
        }
        try await world.quietRound()
        try world.check()
    }
}
