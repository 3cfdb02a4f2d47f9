import HubEngine
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// The record merge and the import as plans, against a store made of dictionaries: what a merge
/// moves, redirects and settles, what it refuses (and then plans nothing), and what an import
/// takes and refuses.
struct MergePlanTests {
    static let now: Int64 = 2_000_000

    static func account(_ id: String, _ name: String, territory: String = "north", owner: String = "alice", phone: String)
        -> ImportRecord
    {
        ImportRecord(
            entity: "account", id: id,
            values: ["name": .text(name), "territory": .text(territory), "owner": .text(owner), "phone": .text(phone)],
            origin: "line \(id)")
    }

    /// Two accounts of the north, the second with a contact, an order and its line.
    static func store() throws -> MemoryHubStore {
        let store = MemoryHubStore(schema: CRMSchema.schema)
        let report = try store.importRecords(
            [
                account("acc-keep", "Boulangerie Paul", phone: "03 20 00 00 01"),
                account("acc-dup", "Pâtisserie Martin", owner: "bob", phone: "03 20 00 00 02"),
                ImportRecord(
                    entity: "contact", id: "con-1", values: ["account_id": .text("acc-dup"), "name": .text("Ana")],
                    origin: "line 3"),
                ImportRecord(
                    entity: "order", id: "ord-1", values: ["account_id": .text("acc-dup"), "status": .text("draft")],
                    origin: "line 4"),
                ImportRecord(
                    entity: "order_line", id: "line-1",
                    values: [
                        "order_id": .text("ord-1"), "product": .text("Flour"), "quantity": .integer(3),
                        "unit_price": .money(Money(minor: 1250, currency: "EUR")),
                    ],
                    origin: "line 5"),
            ], now: now)
        #expect(report.imported == 5 && report.problems.isEmpty, "\(report.problems)")
        return store
    }

    @Test func anImportPlacesEachRecordUnderItsRootAndRecordsItsHistory() throws {
        let store = try Self.store()
        #expect(store.rows["order_line/line-1"]?.root == "acc-dup", "placed through the chain of rows imported before it")
        #expect(store.location(ofRoot: "acc-dup") == Placement.Location(territory: "north", owner: "bob"))
        #expect(store.history.filter { $0.entry.kind == .import }.count == 5)
        #expect(store.check() == [])
    }

    @Test func anImportWithAProblemPlansNothingUnlessBadRecordsAreSkipped() throws {
        let store = try Self.store()
        let before = store.dump()
        let records = [
            Self.account("acc-new", "Fromagerie Nord", phone: "03 20 00 00 09"),
            ImportRecord(
                entity: "contact", id: "con-2", values: ["account_id": .text("acc-missing"), "name": .text("Bo")],
                origin: "line 2"),
            ImportRecord(entity: "planet", id: "p-1", values: [:], origin: "line 3"),
        ]
        #expect {
            try store.importRecords(records, now: Self.now + 1)
        } throws: { error in
            "\(error)".contains("nothing was imported; 2 records refused")
                && "\(error)".contains("line 2: account_id names account acc-missing, which does not exist")
                && "\(error)".contains("line 3: there is no record type 'planet'")
        }
        #expect(store.dump() == before, "a refused import plans nothing")

        let report = try store.importRecords(records, now: Self.now + 1, skipBad: true)
        #expect(report.imported == 1)
        #expect(report.problems.count == 2)
        #expect(store.row("account", id: "acc-new")?.values["name"] == .text("Fromagerie Nord"))
        #expect(store.row("contact", id: "con-2") == nil)
    }

    @Test func aMergeRepointsReferencesMovesDeeperRowsRedirectsAndSettlesThePair() throws {
        let store = try Self.store()
        // An earlier merge led acc-old to acc-dup; a duplicate candidate asks about the pair.
        let earlier = try store.importRecords([Self.account("acc-old", "Épicerie Lenoir", phone: "03 20 00 00 03")], now: Self.now)
        #expect(earlier.imported == 1)
        try store.mergeRecords("account", keep: "acc-dup", merge: "acc-old", by: "admin", now: Self.now + 1)
        #expect(store.redirect("account", id: "acc-old") == "acc-dup")

        let feedBefore = store.hub.seq
        let report = try store.mergeRecords(
            "account", keep: "acc-keep", merge: "acc-dup", take: ["phone"], by: "admin", now: Self.now + 2,
            territories: ["bob": ["north"]])
        #expect(report.kept.values["phone"] == .text("03 20 00 00 02"), "the taken field")
        #expect(report.kept.values["name"] == .text("Boulangerie Paul"), "the kept record's own value")
        #expect(report.moved == ["contact": 1, "order": 1])
        #expect(store.row("contact", id: "con-1")?.values["account_id"] == .text("acc-keep"))
        #expect(store.rows["contact/con-1"]?.root == "acc-keep")
        #expect(store.rows["order_line/line-1"]?.root == "acc-keep", "the line moves with its order, through the chain")
        #expect(store.row("account", id: "acc-dup")?.isDeleted == true)
        #expect(store.redirect("account", id: "acc-dup") == "acc-keep")
        #expect(store.redirect("account", id: "acc-old") == "acc-keep", "an id that led to the merged record leads on")
        let history = store.history.filter { $0.entity == "account" && $0.entry.kind == .merge }
        #expect(history.contains { $0.id == "acc-keep" && $0.entry.detail?.contains("taking its phone; moved here: 1 contact, 1 order") == true })
        #expect(history.contains { $0.id == "acc-dup" && $0.entry.op == "delete" })
        #expect(store.check() == [])

        // Everything that moved is in the feed after the merge, so laptops pull it again.
        let pulled = store.pull(since: 0, limit: 1_000, for: nil).rows
        let positions = Dictionary(uniqueKeysWithValues: pulled.map { ("\($0.entity)/\($0.id)", $0.seq) })
        for moved in ["account/acc-keep", "contact/con-1", "order/ord-1", "order_line/line-1", "account/acc-dup"] {
            #expect(try #require(positions[moved]) > feedBefore, "\(moved) goes back into the feed")
        }
        #expect(try #require(positions["account/acc-old"]) <= feedBefore, "a row the merge did not touch stays where it was")
    }

    @Test func aMergeThatWouldMoveWorkBetweenHoldersIsRefusedAndPlansNothing() throws {
        let store = try Self.store()
        _ = try store.importRecords(
            [Self.account("acc-south", "Quincaillerie Sud", territory: "south", owner: "carol", phone: "04 91 00 00 01")],
            now: Self.now)
        let before = store.dump()
        #expect {
            try store.mergeRecords("account", keep: "acc-keep", merge: "acc-south", by: "admin", now: Self.now + 1)
        } throws: { "\($0)".contains("is in territory south and Boulangerie Paul in north") }
        #expect {
            try store.mergeRecords(
                "account", keep: "acc-keep", merge: "acc-dup", by: "admin", now: Self.now + 1,
                territories: ["bob": ["east"]])
        } throws: { "\($0)".contains("bob owns Pâtisserie Martin outside their territories") }
        #expect {
            try store.mergeRecords("account", keep: "acc-keep", merge: "acc-dup", take: ["territory"], by: "admin", now: Self.now + 1)
        } throws: { "\($0)".contains("territory moves only by transfer") }
        #expect {
            try store.mergeRecords("account", keep: "acc-keep", merge: "acc-keep", by: "admin", now: Self.now + 1)
        } throws: { "\($0)".contains("cannot be merged into itself") }
        #expect {
            try store.mergeRecords("account", keep: "acc-keep", merge: "acc-gone", by: "admin", now: Self.now + 1)
        } throws: { "\($0)".contains("there is no account acc-gone to merge") }
        #expect(store.dump() == before, "a refused merge plans nothing")
    }
}
