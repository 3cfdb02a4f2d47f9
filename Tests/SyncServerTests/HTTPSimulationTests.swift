import SatchelTestSupport
import Testing

/// Twenty laptops syncing through the real HTTP server on loopback, with lost answers,
/// duplicated and reordered pushes, interrupted pulls and clock skew within and beyond the
/// bound, while an admin adds, extends and retires fields of the company's own; the quiet round
/// uses the real ``SyncClient``.
///
/// `SATCHEL_HTTP_SIM_SEEDS=20 SATCHEL_HTTP_SIM_STEPS=5000 swift test --filter HTTPSimulationTests` runs longer.
struct HTTPSimulationTests {
    @Test(arguments: SimulationLength.http.seeds)
    func twentyReplicasConvergeThroughTheServer(seed: UInt64) async throws {
        // The admin changes the company's schema during the run (SimulationTests has a run without).
        var world = try await World(seed: seed, replicaCount: 20, network: .http, evolvingSchema: true)
        do {
            for _ in 0..<SimulationLength.http.steps {
                try await world.step()
            }
            try await world.quietRound()
            try world.check()
            try world.checkSchemaChanged()
        } catch {
            await world.stop()
            Issue.record(world.note("the run failed: \(error)"))
            return
        }
        await world.stop()
    }
}
