import Foundation
import HubEngine
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

@testable import HubPostgres

/// The PostgreSQL store across releases (a database a newer server migrated is refused by an
/// older one, which changes nothing in it), and its scoped pages against SQLite's.
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

    /// A scoped page reads each territory's and each owner's own entries and stops at the page
    /// (a subquery per territory and per owner): the same pages as SQLite's query, followed
    /// page by page through many territories, a row held both ways listed once, a transfer's
    /// new positions, and a bootstrap without tombstones.
    @Test func scopedPagesAreSQLitesPages() throws {
        let database = try TestDatabase.create("scoped pages")
        defer { database.drop() }
        let storage = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema, replicaID: ReplicaID("hub"))
        defer { storage.close() }
        let clock = ManualClock()
        let postgres = try HubService(storage: storage, schema: CRMSchema.schema, clock: clock.wallClock)
        let sqlite = try Hub.inMemory(schema: CRMSchema.schema, clock: clock.wallClock, replicaID: ReplicaID("hub"))
        var records: [Hub.ImportRecord] = []
        for index in 0..<60 {
            var values: [String: FieldValue] = ["name": .text("Account \(index)"), "territory": .text("t\(index % 6)")]
            if index % 7 == 0 { values["owner"] = .text("olga") }
            records.append(Hub.ImportRecord(entity: "account", id: "a\(index)", values: values, origin: "test"))
            if index % 4 == 0 {
                records.append(
                    Hub.ImportRecord(
                        entity: "contact", id: "c\(index)", values: ["account_id": .text("a\(index)"), "name": .text("C \(index)")],
                        origin: "test"))
            }
        }
        // The same day on both stores.
        func prepare<Storage>(_ hub: HubService<Storage>) throws {
            try hub.addUser(UserInfo(name: "olga", role: .rep, territories: ["t9"]), enrollmentHash: "o")
            try hub.importRecords(records)
            _ = try hub.transferAccount("a8", to: "olga", by: "root")
            _ = try hub.transferAccount("a13", to: "olga", by: "root")
            // A tombstone: pulls carry it, a bootstrap leaves it out. (The office pulls first:
            // a delete counts as having seen only what was sent to its device.)
            let office = ReplicaID("office")
            let seen = try #require(try hub.pull(since: 0, limit: 500, for: office).rows.first { $0.id == "a6" })
            let delete = Changeset(
                replica: office, user: "admin", device: "office", schemaVersion: CRMSchema.version,
                changes: [
                    Change(
                        dot: Dot(replica: office, counter: 1), hlc: HLCTimestamp(milliseconds: clock.now),
                        wallTime: clock.now, entity: "account", rowID: "a6", context: seen.version, operation: .delete)
                ])
            let answer = try hub.push(delete, as: Writer(user: "admin", device: "office", isPrivileged: true))
            #expect(answer.outcomes.map(\.outcome) == [.applied])
        }
        try prepare(postgres)
        try prepare(sqlite)
        let scopes = [
            ReadScope(territories: ["t0", "t3"], owners: ["olga"]),
            ReadScope(territories: Set(["t1"] + (0..<300).map { "x\($0)" }), owners: Set(["olga"] + (0..<50).map { "u\($0)" })),
            ReadScope(territories: ["t5"], owners: []),
            ReadScope(territories: [], owners: ["olga"]),
            ReadScope(territories: ["nowhere"], owners: ["nobody"]),
        ]
        for scope in scopes {
            let pages = [try postgres.pages(scope, limit: 4), try sqlite.pages(scope, limit: 4)]
            #expect(pages[0] == pages[1], "\(scope.territories.count) territories, \(scope.owners.count) owners")
            let ids = pages[0].flatMap { $0 }
            #expect(Set(ids).count == ids.count, "each row once")
            let bootstraps = [try postgres.bootstrapIDs(scope, limit: 5), try sqlite.bootstrapIDs(scope, limit: 5)]
            #expect(bootstraps[0] == bootstraps[1])
        }
        let t0 = ReadScope(territories: ["t0"], owners: [])
        #expect(try postgres.pages(t0, limit: 100).joined().contains { $0.hasPrefix("a6@") }, "the tombstone is pulled")
        #expect(try !postgres.bootstrapIDs(t0, limit: 100).joined().contains { $0.hasPrefix("a6@") }, "and not bootstrapped")
        #expect(try postgres.pages(ReadScope(territories: ["t0", "t3"], owners: ["olga"]), limit: 4).joined().contains { $0.hasPrefix("a8@") }, "a transferred root reaches its new owner")
    }
}

/// A whole pull and a whole bootstrap, page by page, on either store.
extension HubService {
    /// Every page of a pull from the start, each as its ids with their positions.
    func pages(_ scope: ReadScope, limit: Int) throws -> [[String]] {
        var pages: [[String]] = []
        var cursor: Int64 = 0
        while true {
            let page = try pull(since: cursor, limit: limit, scope: scope, for: nil)
            pages.append(page.rows.map { "\($0.id)@\($0.seq)" })
            cursor = page.cursor
            guard page.hasMore else { return pages }
        }
    }

    /// The ids of a whole bootstrap, page by page.
    func bootstrapIDs(_ scope: ReadScope, limit: Int) throws -> [[String]] {
        var pages: [[String]] = []
        var position: (snapshot: Int64?, after: Int64) = (nil, 0)
        while true {
            let page = try bootstrap(snapshot: position.snapshot, after: position.after, limit: limit, scope: scope, for: nil)
            pages.append(page.rows.map { "\($0.id)@\($0.seq)" })
            position = (page.snapshot, page.after)
            guard page.hasMore else { return pages }
        }
    }
}
