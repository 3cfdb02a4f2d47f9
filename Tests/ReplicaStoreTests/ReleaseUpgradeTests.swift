import Foundation
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// A replica made by one release, opened by the next: the release's declared steps run in one
/// transaction, and the changes that waited in the outbox speak the new schema.
struct ReleaseUpgradeTests {
    @Test func aRenamedFieldKeepsItsValuesAndItsPendingChanges() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-release-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/replica.sqlite"
        let old = try Replica.open(at: path, schema: CRMSchema.schema, replicaID: ReplicaID("laptop"))
        try old.apply(bootstrap: BootstrapResponse(rows: [], snapshot: 42, after: 42, hasMore: false))
        let acme = try old.insert("account", values: ["name": .text("Acme"), "industry": .text("tools"), "email": .text("a@acme.example")])
        try old.update("account", id: acme, set: ["industry": .text("hardware")])

        let next = NextRelease.schema
        let upgraded = try Replica.open(at: path, schema: next)
        #expect(try upgraded.row("account", id: acme)?["sector"] == .text("hardware"))
        // The older binary dropped what it did not know from the rows it pulled: pull them all again.
        #expect(try upgraded.identity().pullCursor == 0)
        let changes = try #require(try upgraded.pendingChangeset()).changes
        #expect(try upgraded.pendingChangeset()?.schemaVersion == next.version)
        guard case .insert(let values) = changes[0].operation, case .update(let field, let value, _) = changes[1].operation else {
            Issue.record("expected an insert and an update, got \(changes)")
            return
        }
        #expect(values["sector"] == .text("tools") && values["industry"] == nil)
        #expect(field == "sector" && value == .text("hardware"))
        // What is pending validates against the new schema, as the server will check it.
        #expect(throws: Never.self) { try next.validate(try #require(try upgraded.pendingChangeset())) }

        // The retired field keeps its column and takes no new value; the renamed one is captured.
        #expect(throws: ReplicaError.self) { try upgraded.update("account", id: acme, set: ["email": .text("b@acme.example")]) }
        // Its column stays, and another tool's write to it is not captured.
        let pending = try upgraded.pendingCount()
        try upgraded.execute(sql: "UPDATE account SET email = 'c@acme.example' WHERE id = ?", arguments: [acme])
        #expect(try upgraded.pendingCount() == pending)
        try upgraded.update("account", id: acme, set: ["sector": .text("machines")])
        #expect(try upgraded.pendingChangeset()?.changes.last?.fields == ["sector"])
        // Opening again runs nothing twice.
        let again = try Replica.open(at: path, schema: next)
        #expect(try again.row("account", id: acme)?["sector"] == .text("machines"))
        // An older binary cannot open what the newer one wrote.
        #expect(throws: ReplicaError.self) { try Replica.open(at: path, schema: CRMSchema.schema) }
    }

    /// The hub's state of a row held back while the laptop's own changes wait goes under the new
    /// names too, values and stamps: once the changes are answered, the row shows the hub's value
    /// and who wrote it.
    @Test func aHeldStateIsRenamedWithItsStamps() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-release-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/replica.sqlite"
        let laptop = ReplicaID("laptop")
        let old = try Replica.open(at: path, schema: CRMSchema.schema, replicaID: laptop)
        try old.apply(bootstrap: BootstrapResponse(rows: [], snapshot: 42, after: 42, hasMore: false))
        let acme = try old.insert("account", values: ["name": .text("Acme"), "industry": .text("tools")])
        try old.update("account", id: acme, set: ["name": .text("Acme Ltd")])
        // The hub has taken both and a colleague's industry since; the page arrives before the answer.
        let hub = ReplicaID("hub")
        let mine = FieldStamp(dot: Dot(replica: laptop, counter: 2), hlc: HLCTimestamp(milliseconds: 1_000), wall: 1_000, user: "alice", device: "laptop")
        let theirs = FieldStamp(dot: Dot(replica: hub, counter: 7), hlc: HLCTimestamp(milliseconds: 2_000), wall: 2_000, user: "bob", device: "server")
        try old.apply(
            PullResponse(
                rows: [
                    RowSnapshot(
                        entity: "account", id: acme, seq: 50, values: ["name": .text("Acme Ltd"), "industry": .text("hardware")],
                        version: VersionVector([laptop: 2, hub: 7]), deleted: false, stamps: ["name": mine, "industry": theirs])
                ], cursor: 50, hasMore: false))

        let upgraded = try Replica.open(at: path, schema: NextRelease.schema)
        try upgraded.acknowledge(
            PushResponse(
                outcomes: [ChangeOutcome(counter: 1, outcome: .applied), ChangeOutcome(counter: 2, outcome: .applied)],
                highWater: 2))
        #expect(try upgraded.row("account", id: acme)?["sector"] == .text("hardware"))
        let stamps = try upgraded.stamps("account", id: acme)
        #expect(stamps["sector"]?.user == "bob" && stamps["industry"] == nil, "\(stamps)")
    }

    @Test func aReplicaOfTheFirstSchemaTakesEveryLaterRelease() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-release-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/replica.sqlite"
        let current = CRMSchema.schema
        let first = Schema(
            version: 1, entities: current.entities.filter { $0.name != "attachment" }, placement: current.placement)
        let old = try Replica.open(at: path, schema: first, replicaID: ReplicaID("laptop"))
        let acme = try old.insert("account", values: ["name": .text("Acme"), "industry": .text("tools")])

        let upgraded = try Replica.open(at: path, schema: NextRelease.schema)
        #expect(try upgraded.row("account", id: acme)?["sector"] == .text("tools"))
        #expect(try upgraded.rows("attachment").isEmpty)
        #expect(try upgraded.pendingChangeset()?.changes.first?.fields.contains("sector") == true)
    }
}
