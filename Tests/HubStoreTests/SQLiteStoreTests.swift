import Foundation
import GRDB
import HubEngine
import SatchelModel
import SyncCore
import Testing

@testable import HubStore

/// The SQLite store across releases: what a newer server wrote is refused by an older one, and
/// rows an older server inserted without their root's place get it back when the store opens.
struct SQLiteStoreTests {
    func temporaryStore() throws -> (directory: String, path: String) {
        let directory = try scratchDirectory()
        return (directory, directory + "/hub.sqlite")
    }

    @Test func aStoreANewerServerMigratedIsRefusedAndLeftAsItWas() throws {
        let (directory, path) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hub = try Hub.open(at: path, schema: CRMSchema.schema)
        try hub.storage.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('hub-v99-from-the-future')")
        }
        #expect(throws: HubError.storage(
            "this store was written by a newer satchel-server (it has hub-v99-from-the-future); run that release or a later one")
        ) {
            _ = try Hub.open(at: path, schema: CRMSchema.schema)
        }
        let migrations = try hub.storage.writer.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrations.contains("hub-v99-from-the-future") && migrations.contains("hub-v17-placed-rows"))
    }

    @Test func rowsInsertedWithoutTheirRootsPlaceGetItWhenTheStoreOpens() throws {
        let (directory, path) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hub = try Hub.open(at: path, schema: CRMSchema.schema)
        try hub.addUser(UserInfo(name: "alice", role: .rep, territories: ["north"]), enrollmentHash: "alice")
        try hub.importRecords([
            Hub.ImportRecord(
                entity: "account", id: "acme", values: ["name": .text("Acme"), "territory": .text("north")], origin: "test"),
            Hub.ImportRecord(entity: "contact", id: "ann", values: ["account_id": .text("acme"), "name": .text("Ann")], origin: "test"),
        ])
        let alice = try hub.scope(of: try #require(try hub.user("alice")))
        #expect(try hub.pull(since: 0, scope: alice, for: nil).rows.map(\.id) == ["acme", "ann"])
        // As a server from before rows carried their place would have inserted Ann.
        try hub.storage.writer.write { db in
            try db.execute(sql: "UPDATE hub_row SET territory = NULL, owner = NULL WHERE row_id = 'ann'")
        }
        #expect(try hub.pull(since: 0, scope: alice, for: nil).rows.map(\.id) == ["acme"])
        #expect(try hub.check().contains { $0.hasPrefix("contact ann: the territory and owner it is pulled by disagree") })

        let reopened = try Hub.open(at: path, schema: CRMSchema.schema)
        #expect(try reopened.pull(since: 0, scope: alice, for: nil).rows.map(\.id) == ["acme", "ann"])
        #expect(try reopened.check().isEmpty)
    }
}
