import SatchelTestSupport
import Testing

/// Six laptops and a hub in one process: the sync model without the network.
/// `SATCHEL_SIM_SEEDS=100 SATCHEL_SIM_STEPS=3000 swift test --filter ReplicaStoreTests.SimulationTests` runs longer;
/// `SATCHEL_SIM_SEED=N` runs seed N alone.
struct SimulationTests {
    @Test(arguments: SimulationLength.inProcess.seeds)
    func replicasConvergeThroughTheHub(seed: UInt64) async throws {
        var world = try await World(seed: seed, replicaCount: 6)
        try await Self.run(&world)
    }

    /// The same, while an admin adds a review choice field, grows its list, adds a text field and
    /// retires it as the laptops write them: they converge on every field, and each write to the
    /// retired one is answered by rule `retired`.
    @Test(arguments: SimulationLength.inProcess.seeds)
    func replicasConvergeWhileTheSchemaChanges(seed: UInt64) async throws {
        var world = try await World(seed: seed, replicaCount: 6, evolvingSchema: true)
        try await Self.run(&world)
        try world.checkSchemaChanged()
    }

    /// Runs the steps and the quiet round; an error thrown on the way is recorded with the seed
    /// and the last steps of the history.
    static func run(_ world: inout World) async throws {
        do {
            for _ in 0..<SimulationLength.inProcess.steps {
                try await world.step()
            }
            try await world.quietRound()
        } catch {
            Issue.record(world.note("the run failed: \(error)"))
            return
        }
        try world.check()
    }
}
