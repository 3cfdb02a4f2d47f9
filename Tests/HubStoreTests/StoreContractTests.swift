import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// What every hub store must do, checked by running the same pushes through the SQLite store and
/// through the smallest other backend (``MemoryHubStore``, dictionaries): the planner decides,
/// the stores only load and apply, so every answer, every row and every queued conflict must be
/// the same; so must every admin's resolution and transfer. A second backend (PostgreSQL) joins this table.
struct StoreContractTests {
    struct Laptop {
        var replica: ReplicaID
        var writer: Writer
        var scope: ReadScope
        var home: String?
        var counter: UInt64 = 0
        /// The versions of rows as this laptop last pulled them (its claims of what it has seen).
        var seen: [String: VersionVector] = [:]
        /// How far the memory store had sent this laptop.
        var sentTo: Int64 = 0
    }

    static let accounts = (0..<5).map { "acc-\($0)" }
    static let contacts = (0..<5).map { "con-\($0)" }

    @Test(arguments: [11, 29, 47, 83])
    func theSQLiteStoreAndTheMemoryStoreAnswerAndHoldTheSame(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let clock = ManualClock()
        let sqlite = try Hub.inMemory(schema: CRMSchema.schema, clock: clock.wallClock, replicaID: ReplicaID("hub"))
        let memory = MemoryHubStore(schema: CRMSchema.schema, replica: ReplicaID("hub"))
        var laptops = [
            Laptop(
                replica: ReplicaID("office"), writer: Writer(user: "admin", device: "office", isPrivileged: true), scope: .all),
            Laptop(
                replica: ReplicaID("alice-1"), writer: Writer(user: "alice", device: "alice-1", isPrivileged: false),
                scope: ReadScope(territories: ["north"], owners: ["alice"]), home: "north"),
            Laptop(
                replica: ReplicaID("bob-1"), writer: Writer(user: "bob", device: "bob-1", isPrivileged: false),
                scope: ReadScope(territories: ["south"], owners: ["bob"]), home: "south"),
        ]
        try sqlite.addUser(UserInfo(name: "alice", role: .rep, territories: ["north"]), enrollmentHash: "a")
        try sqlite.addUser(UserInfo(name: "bob", role: .rep, territories: ["south"]), enrollmentHash: "b")
        // The company's data imported the same way in both, a refused import refused alike.
        let imports = [
            Hub.ImportRecord(
                entity: "account", id: "acc-0", values: ["name": .text("Boulangerie Paul"), "territory": .text("north")],
                origin: "line 1"),
            Hub.ImportRecord(
                entity: "contact", id: "con-0", values: ["name": .text("Ana"), "account_id": .text("acc-0")], origin: "line 2"),
            Hub.ImportRecord(
                entity: "contact", id: "con-9", values: ["name": .text("Bo"), "account_id": .text("acc-9")], origin: "line 3"),
        ]
        #expect(
            "\(Result { try sqlite.importRecords(imports) })" == "\(Result { try memory.importRecords(imports, now: clock.now) })")
        #expect(
            try sqlite.importRecords(imports, skipBad: true) == memory.importRecords(imports, now: clock.now, skipBad: true))
        var pushes = 0
        var transfers = 0
        var merges = 0
        var resolutions = 0
        var outcomeKinds: [String: Int] = [:]
        for _ in 0..<250 {
            clock.advance(by: Int64.random(in: 1...400, using: &random))
            let index = Int.random(in: 0..<laptops.count, using: &random)
            if Int.random(in: 0..<8, using: &random) == 0,
                let open = memory.conflicts.values.filter(\.isOpen).map(\.conflict.id).sorted().randomElement(using: &random)
            {
                // An admin settles an open item the same way in both.
                let choice: ConflictChoice = [.keepCurrent, .keepIncoming, .value(.text("Settled \(pushes)"))]
                    .randomElement(using: &random)!
                let fromSQLite = Result { try sqlite.resolve(open, choice: choice, by: "admin") }
                let fromMemory = Result { try memory.resolve(open, choice: choice, by: "admin", now: clock.now) }
                Self.expectSame(fromSQLite, fromMemory, "seed \(seed), resolving \(open)")
                resolutions += 1
                continue
            }
            if Int.random(in: 0..<12, using: &random) == 0 {
                // An admin gives an account to the other rep, the same way in both.
                let account = Self.accounts.randomElement(using: &random)!
                let (user, territories) = Bool.random(using: &random) ? ("alice", ["north"]) : ("bob", ["south"])
                let fromSQLite = Result { try sqlite.transferAccount(account, to: user, by: "admin") }
                let fromMemory = Result {
                    try memory.transfer(account, to: user, territories: territories, by: "admin", now: clock.now)
                }
                Self.expectSame(fromSQLite, fromMemory, "seed \(seed), transferring \(account)")
                if case .success = fromMemory { transfers += 1 }
                continue
            }
            if Int.random(in: 0..<10, using: &random) == 0 {
                // An admin merges two records of one type, the same way in both (refused alike
                // when they sit in different places or one is gone).
                let isAccount = Bool.random(using: &random)
                var ids = (isAccount ? Self.accounts : Self.contacts).shuffled(using: &random)
                let entity = isAccount ? "account" : "contact"
                // Mostly a pair that sits in one place (so the merge goes through), else any pair.
                func place(_ id: String) -> String? {
                    guard let state = memory.row(entity, id: id), !state.isDeleted else { return nil }
                    return isAccount
                        ? "\(state.values["territory"] ?? .null) \(state.values["owner"] ?? .null)"
                        : state.values["account_id"]?.textValue
                }
                if Int.random(in: 0..<4, using: &random) > 0,
                    let pair = ids.lazy.flatMap({ a in ids.lazy.map { b in (a, b) } })
                        .first(where: { $0.0 != $0.1 && place($0.0) != nil && place($0.0) == place($0.1) })
                {
                    ids = [pair.0, pair.1]
                }
                let take = [["phone"], [], ["name", "phone"]].randomElement(using: &random)!
                let fromSQLite = Result { try sqlite.mergeRecords(entity, keep: ids[0], merge: ids[1], take: take, by: "admin") }
                let fromMemory = Result {
                    try memory.mergeRecords(
                        entity, keep: ids[0], merge: ids[1], take: take, by: "admin", now: clock.now,
                        territories: ["alice": ["north"], "bob": ["south"]])
                }
                Self.expectSame(fromSQLite, fromMemory, "seed \(seed), merging \(ids[1]) into \(ids[0])")
                if case .success = fromMemory { merges += 1 }
                continue
            }
            if Int.random(in: 0..<4, using: &random) == 0 {
                // A pull: both stores note what they sent; the laptop remembers the versions.
                _ = try sqlite.pull(since: 0, limit: 10_000, scope: laptops[index].scope, for: laptops[index].replica)
                laptops[index].sentTo = memory.hub.seq
                for (key, row) in memory.rows { laptops[index].seen[key] = row.state.version }
                continue
            }
            var changes: [Change] = []
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                changes.append(Self.change(by: &laptops[index], now: clock.now, using: &random))
            }
            let changeset = Changeset(
                replica: laptops[index].replica, user: laptops[index].writer.user, device: laptops[index].writer.device,
                schemaVersion: CRMSchema.version, changes: changes)
            let fromSQLite = try sqlite.push(
                changeset, as: laptops[index].writer, scope: laptops[index].scope, homeTerritory: laptops[index].home)
            let fromMemory = try memory.push(
                changeset, as: laptops[index].writer, scope: laptops[index].scope, homeTerritory: laptops[index].home,
                now: clock.now, sentTo: laptops[index].sentTo)
            #expect(fromSQLite == fromMemory, "seed \(seed), push \(pushes)")
            for outcome in fromMemory.outcomes { outcomeKinds[outcome.outcome.kind, default: 0] += 1 }
            pushes += 1
        }
        // The run reached every kind of answer, so the comparison covered each path.
        #expect(Set(outcomeKinds.keys).isSuperset(of: ["applied", "rejected", "queued"]), "\(outcomeKinds)")
        #expect(resolutions > 0 && transfers > 0, "\(resolutions) resolutions, \(transfers) transfers")
        #expect(merges > 0, "\(merges) merges")

        let everything = try sqlite.pull(since: 0, limit: 100_000, for: nil).rows
        #expect(Set(everything.map { "\($0.entity)/\($0.id)" }) == Set(memory.rows.keys))
        for snapshot in everything {
            let held = memory.row(snapshot.entity, id: snapshot.id)
            #expect(try sqlite.row(snapshot.entity, id: snapshot.id) == held, "\(snapshot.entity) \(snapshot.id)")
            #expect(
                memory.rows[snapshot.entity + "/" + snapshot.id]?.root
                    == (snapshot.entity == "account" ? snapshot.id : held?.values["account_id"]?.textValue))
        }
        for (entity, ids) in [("account", Self.accounts), ("contact", Self.contacts)] {
            for id in ids { #expect(try sqlite.redirect(entity, id: id) == memory.redirect(entity, id: id), "\(entity) \(id)") }
        }
        let queued = try sqlite.conflicts(includeResolved: true)
        #expect(Set(queued.map(\.conflict.id)) == Set(memory.conflicts.keys))
        for item in queued { #expect(memory.conflicts[item.conflict.id] == item) }
        #expect(try sqlite.history("account", id: "acc-0").count == memory.history.filter { $0.id == "acc-0" }.count)
    }

    /// Both stores answered alike: equal results, or errors that read the same.
    static func expectSame<T: Equatable>(
        _ fromSQLite: Result<T, any Error>, _ fromMemory: Result<T, any Error>, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        switch (fromSQLite, fromMemory) {
        case (.success(let a), .success(let b)): #expect(a == b, "\(what)", sourceLocation: sourceLocation)
        case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)", "\(what)", sourceLocation: sourceLocation)
        default: Issue.record("\(what): \(fromSQLite) against \(fromMemory)", sourceLocation: sourceLocation)
        }
    }

    /// One random change: inserts, edits of every rule's fields, moves and deletes, some out of
    /// scope, some with claims of more than was sent.
    static func change(by laptop: inout Laptop, now: Int64, using random: inout SeededGenerator) -> Change {
        laptop.counter += 1
        let isAccount = Bool.random(using: &random)
        let id = (isAccount ? accounts : contacts).randomElement(using: &random)!
        let entity = isAccount ? "account" : "contact"
        let operation: Change.Operation
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1:
            operation =
                isAccount
                ? .insert([
                    "name": .text("Account \(id) \(laptop.counter)"),
                    "territory": Bool.random(using: &random) ? .text("north") : .text("south"),
                    "tax_id": Int.random(in: 0..<3, using: &random) == 0 ? .text("FR40123456789") : .null,
                ])
                : .insert([
                    "name": .text("Contact \(laptop.counter)"),
                    "account_id": .text(accounts.randomElement(using: &random)!),
                ])
        case 2:
            operation = .delete
        case 3:
            operation =
                isAccount
                ? .update(field: "territory", value: .text(["north", "south"].randomElement(using: &random)!), base: .null)
                : .update(field: "account_id", value: .text(accounts.randomElement(using: &random)!), base: .null)
        case 4, 5:
            operation = .update(field: "name", value: .text("Renamed \(laptop.counter)"), base: .null)
        default:
            operation = .update(field: "phone", value: .text("03 20 \(laptop.counter)"), base: .null)
        }
        var context = laptop.seen[entity + "/" + id] ?? VersionVector()
        if Int.random(in: 0..<6, using: &random) == 0 {
            // A claim to have seen more than was sent.
            context.record(Dot(replica: ReplicaID("office"), counter: 50))
        }
        return Change(
            dot: Dot(replica: laptop.replica, counter: laptop.counter), hlc: HLCTimestamp(milliseconds: now),
            wallTime: now, entity: entity, rowID: id, context: context, operation: operation)
    }
}
