import Foundation
import HubEngine
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

@testable import HubPostgres

/// The PostgreSQL store across releases: a database a newer server migrated is refused by an
/// older one, which changes nothing in it.
@Suite(.enabled(if: TestDatabase.isConfigured, Comment(rawValue: TestDatabase.skipReason)))
struct PostgresStoreTests {
    @Test func aDatabaseANewerServerMigratedIsRefusedAndLeftAsItWas() throws {
        let database = try TestDatabase.create("newer")
        defer { database.drop() }
        let storage = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema, replicaID: ReplicaID("hub"))
        let hub = try HubService(storage: storage, schema: CRMSchema.schema)
        try hub.importRecords([
            Hub.ImportRecord(
                entity: "account", id: "acme", values: ["name": .text("Acme"), "territory": .text("north")], origin: "test")
        ])
        storage.close()
        let target = try DatabaseURL(database.url)
        try ScratchDatabase.run("INSERT INTO hub_migration (name) VALUES ('pg-v99-from-the-future')", on: target)

        #expect(throws: HubError.storage(
            "this database was written by a newer satchel-server (it has pg-v99-from-the-future); run that release or a later one")
        ) {
            _ = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema)
        }
        // Nothing changed: once the newer step is gone (as if that release ran it back), the
        // database opens with its row, and no step of this release ran twice.
        try ScratchDatabase.run("DELETE FROM hub_migration WHERE name = 'pg-v99-from-the-future'", on: target)
        let reopened = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema)
        defer { reopened.close() }
        let again = try HubService(storage: reopened, schema: CRMSchema.schema)
        #expect(try again.pull(since: 0, limit: 100, for: nil).rows.map(\.id) == ["acme"])
        #expect(try again.replicaID() == ReplicaID("hub"))
    }
}
