import Foundation
import HubEngine
import HubPostgres
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// A SQLite store copied into PostgreSQL is the same hub: the same tables, the same answers,
/// and the same answers to what comes next.
@Suite(.enabled(if: TestDatabase.isConfigured, Comment(rawValue: TestDatabase.skipReason)))
struct PostgresCopyTests {
    @Test func aCopiedStoreHoldsAndAnswersTheSameAsItsOriginal() throws {
        let clock = ManualClock()
        let sqlite = try Hub.inMemory(schema: CRMSchema.schema, clock: clock.wallClock, replicaID: ReplicaID("hub"))
        _ = try StorageContractTests.run(sqlite, clock: clock, seed: 5)
        _ = try sqlite.devices()  // writes the pull marks still in memory
        let tables = try sqlite.storage.exportTables()
        #expect(tables.first { $0.name == "hub_row" }.map { $0.rows.count > 5 } == true)
        #expect(tables.first { $0.name == "hub_audit" }.map { $0.rows.count > 5 } == true)

        let database = try TestDatabase.create("copy")
        defer { database.drop() }
        let storage = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema)
        defer { storage.close() }
        let counts = try storage.importTables(tables)
        #expect(counts.map(\.rows) == tables.map(\.rows.count))
        #expect(HubTables.difference(try storage.exportTables(), tables) == nil)

        let postgres = try HubService(storage: storage, schema: CRMSchema.schema, clock: clock.wallClock)
        #expect(try postgres.replicaID() == ReplicaID("hub"))
        #expect(try postgres.pull(since: 0, limit: 100_000, for: nil) == sqlite.pull(since: 0, limit: 100_000, for: nil))
        #expect(try postgres.conflicts(includeResolved: true) == sqlite.conflicts(includeResolved: true))
        #expect(try postgres.users() == sqlite.users())
        #expect(try postgres.devices() == sqlite.devices())
        #expect(try postgres.auditEntries(limit: 10_000) == sqlite.auditEntries(limit: 10_000))
        for id in StoreContractTests.accounts { #expect(try postgres.history("account", id: id) == sqlite.history("account", id: id)) }

        // What comes next is answered alike: a push of a known replica, and a new user whose
        // audit entry's id follows the copied ones.
        clock.advance(by: 1000)
        let alice = Writer(user: "alice", device: "alice-1", isPrivileged: false)
        let counter = try sqlite.highWater(of: ReplicaID("alice-1")) + 1
        let next = Changeset(
            replica: ReplicaID("alice-1"), user: "alice", device: "alice-1", schemaVersion: CRMSchema.version,
            changes: [
                Change(
                    dot: Dot(replica: ReplicaID("alice-1"), counter: counter), hlc: HLCTimestamp(milliseconds: clock.now),
                    wallTime: clock.now, entity: "account", rowID: "acc-new", context: VersionVector(),
                    operation: .insert(["name": .text("After the copy"), "territory": .text("north")]))
            ])
        let scope = ReadScope(territories: ["north"], owners: ["alice"])
        #expect(
            try postgres.push(next, as: alice, scope: scope, homeTerritory: "north")
                == sqlite.push(next, as: alice, scope: scope, homeTerritory: "north"))
        try postgres.addUser(UserInfo(name: "zed", role: .rep, territories: ["north"]), enrollmentHash: "z")
        try sqlite.addUser(UserInfo(name: "zed", role: .rep, territories: ["north"]), enrollmentHash: "z")
        #expect(try postgres.auditEntries(limit: 1) == sqlite.auditEntries(limit: 1))
        #expect(HubTables.difference(try storage.exportTables(), try sqlite.storage.exportTables()) == nil)
    }

    @Test func aCopyIntoADatabaseThatHoldsAHubIsRefusedAndChangesNothing() throws {
        let sqlite = try Hub.inMemory(schema: CRMSchema.schema)
        try sqlite.addUser(UserInfo(name: "amy", role: .rep, territories: ["north"]), enrollmentHash: "a")
        let database = try TestDatabase.create("copy twice")
        defer { database.drop() }
        let storage = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema)
        defer { storage.close() }
        try storage.importTables(try sqlite.storage.exportTables())
        let before = try storage.exportTables()
        #expect {
            try storage.importTables(try sqlite.storage.exportTables())
        } throws: { error in
            "\(error)".contains("already holds a hub") && "\(error)".contains("copy into an empty database")
        }
        #expect(HubTables.difference(try storage.exportTables(), before) == nil)
    }
}
