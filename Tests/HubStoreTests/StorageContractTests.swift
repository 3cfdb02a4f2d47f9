import HubEngine
import HubPostgres
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// What every storage under the hub must do: the whole hub (``HubService``: the planner, the
/// feed's pages, the directory, the queue, history, compaction) run over SQLite and over the
/// memory store gives the same answer to every call, in the same order, errors included. The
/// policy lives in the service, so a storage that loads, applies and answers correctly cannot
/// be told apart; a PostgreSQL storage joins this table.
struct StorageContractTests {
    /// Every answer of a run, in order: a label and the value (or the error's words).
    final class Transcript {
        var entries: [(label: String, answer: AnyHashable)] = []

        @discardableResult
        func note<T: Hashable>(_ label: String, _ body: () throws -> T) -> T? {
            do {
                let value = try body()
                entries.append((label, AnyHashable(value)))
                return value
            } catch {
                entries.append((label, AnyHashable("error: \(error)")))
                return nil
            }
        }

        /// A call that answers nothing: noted as done, or as the error's words.
        func note(_ label: String, _ body: () throws -> Void) {
            note(label) { () throws -> String in
                try body()
                return "done"
            }
        }
    }

    @Test(arguments: [3, 19, 71])
    func sqliteAndMemoryStoragesGiveTheHubTheSameAnswers(seed: UInt64) throws {
        let memoryClock = ManualClock()
        let memory = try HubService(
            storage: MemoryHubStore(schema: CRMSchema.schema, replica: ReplicaID("hub")), schema: CRMSchema.schema,
            clock: memoryClock.wallClock)
        try Self.expectSameAsSQLite(try Self.run(memory, clock: memoryClock, seed: seed), seed: seed, storage: "memory")
    }

    @Test(.enabled(if: TestDatabase.isConfigured, Comment(rawValue: TestDatabase.skipReason)), arguments: [3, 19])
    func postgresGivesTheHubTheSameAnswersAsSQLite(seed: UInt64) throws {
        let database = try TestDatabase.create("contract \(seed)")
        defer { database.drop() }
        let storage = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema, replicaID: ReplicaID("hub"))
        defer { storage.close() }
        let clock = ManualClock()
        let postgres = try HubService(storage: storage, schema: CRMSchema.schema, clock: clock.wallClock)
        try Self.expectSameAsSQLite(try Self.run(postgres, clock: clock, seed: seed), seed: seed, storage: "PostgreSQL")
    }

    /// Runs the same day on the SQLite storage and requires `other`'s answers to be the same,
    /// and the run to have reached every kind of answer.
    static func expectSameAsSQLite(
        _ other: Transcript, seed: UInt64, storage: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let sqliteClock = ManualClock()
        let sqlite = try Hub.inMemory(schema: CRMSchema.schema, clock: sqliteClock.wallClock, replicaID: ReplicaID("hub"))
        let fromSQLite = try run(sqlite, clock: sqliteClock, seed: seed)
        #expect(fromSQLite.entries.count == other.entries.count, sourceLocation: sourceLocation)
        for (index, (a, b)) in zip(fromSQLite.entries, other.entries).enumerated() where a.label != b.label || a.answer != b.answer {
            Issue.record("seed \(seed), answer \(index) (\(a.label)): SQLite \(a.answer), \(storage) \(b.answer)", sourceLocation: sourceLocation)
            break
        }
        // The run reached every kind of answer, so the comparison covered each path.
        for kind in ["push", "pull", "bootstrap", "transfer", "merge", "resolve", "compact", "history", "queue"] {
            let done = fromSQLite.entries.filter { $0.label.hasPrefix(kind) && !"\($0.answer)".hasPrefix("error: ") }
            #expect(!done.isEmpty, "seed \(seed): no \(kind) went through", sourceLocation: sourceLocation)
        }
        #expect(
            fromSQLite.entries.contains { ($0.answer.base as? CompactionReport).map { $0.purged > 0 } ?? false },
            "a compaction purged tombstones", sourceLocation: sourceLocation)
        let answers = fromSQLite.entries.map { "\($0.answer)" }
        #expect(
            answers.contains { $0.contains("departed: Optional") }, "a page told a laptop that a transfer took an account away",
            sourceLocation: sourceLocation)
        #expect(answers.contains { $0.contains("redirects: Optional") }, "a page carried a merge's redirect", sourceLocation: sourceLocation)
        #expect(answers.contains { $0.hasPrefix("error: ") }, "some call was refused alike", sourceLocation: sourceLocation)
        // The console's calls did what they say (the other storage then matched them).
        func answer(_ label: String) -> String { fromSQLite.entries.first { $0.label == label }.map { "\($0.answer)" } ?? "" }
        #expect(answer("password rep").hasPrefix("error: ") && answer("password nobody").hasPrefix("error: "), sourceLocation: sourceLocation)
        #expect(answer("session s-1").contains("t-s-1"), "an open session is found", sourceLocation: sourceLocation)
        #expect(!answer("session s-2").contains("t-s-2"), "an expired one is not", sourceLocation: sourceLocation)
        #expect(!answer("session closed").contains("t-s-1"), "nor a closed one", sourceLocation: sourceLocation)
        #expect(answer("activity").contains("pushes: ") && !answer("activity").contains("applied: 0, merged: 0, queued: 0, rejected: 0)]"),
                sourceLocation: sourceLocation)
    }

    /// One company's day, the same calls in the same order whatever the storage.
    static func run<S: HubStorage>(_ hub: HubService<S>, clock: ManualClock, seed: UInt64) throws -> Transcript {
        var random = SeededGenerator(seed: seed)
        let log = Transcript()
        // The directory: good and refused additions, enrollment, rotation.
        log.note("user add mgr") { try hub.addUser(UserInfo(name: "mgr", role: .manager, territories: ["east"]), enrollmentHash: "m") }
        log.note("user add alice") {
            try hub.addUser(UserInfo(name: "alice", role: .rep, territories: ["north"], manager: "mgr"), enrollmentHash: "a")
        }
        log.note("user add bob") { try hub.addUser(UserInfo(name: "bob", role: .rep, territories: ["south"]), enrollmentHash: "b") }
        log.note("user add alice again") { try hub.addUser(UserInfo(name: "alice", role: .rep, territories: ["north"]), enrollmentHash: "x") }
        log.note("user add bad manager") {
            try hub.addUser(UserInfo(name: "eve", role: .rep, territories: ["north"], manager: "bob"), enrollmentHash: "e")
        }
        log.note("user add late") {
            try hub.addUser(UserInfo(name: "late", role: .rep, territories: ["west"]), enrollmentHash: "l", expiresAt: clock.now - 1)
        }
        log.note("enroll late") { try hub.enroll(enrollmentHash: "l", device: "l-1", credentialHash: "cl", replicaID: ReplicaID("late-1")) }
        log.note("enroll nobody") { try hub.enroll(enrollmentHash: "zz", device: "z", credentialHash: "cz", replicaID: ReplicaID("z-1")) }
        var laptops: [StoreContractTests.Laptop] = []
        for (user, token, home) in [("alice", "a", "north"), ("bob", "b", "south"), ("mgr", "m", "east")] {
            let replica = ReplicaID("\(user)-1")
            log.note("enroll \(user)") {
                try hub.enroll(enrollmentHash: token, device: "\(user)-1", credentialHash: "c-\(user)", replicaID: replica)
            }
            let info = try #require(try hub.user(user))
            laptops.append(
                StoreContractTests.Laptop(
                    replica: replica, writer: Writer(user: user, device: "\(user)-1", isPrivileged: false),
                    scope: try hub.scope(of: info), home: home))
        }
        log.note("enroll spent token") { try hub.enroll(enrollmentHash: "a", device: "again", credentialHash: "c2", replicaID: ReplicaID("a-2")) }
        log.note("rotate") { try hub.rotateCredential(of: ReplicaID("bob-1"), newHash: "c-bob-2") }
        log.note("device old credential") { try hub.device(credentialHash: "c-bob") }
        log.note("device new credential") { try hub.device(credentialHash: "c-bob-2") }
        log.note("device old credential after") { try hub.device(credentialHash: "c-bob") }
        log.note("rotate unknown") { try hub.rotateCredential(of: ReplicaID("nobody"), newHash: "q") }
        laptops.insert(
            StoreContractTests.Laptop(
                replica: ReplicaID("office"), writer: Writer(user: "admin", device: "office", isPrivileged: true), scope: .all),
            at: 0)

        let imports = [
            HubService<S>.ImportRecord(
                entity: "account", id: "acc-0", values: ["name": .text("Boulangerie Paul"), "territory": .text("north")],
                origin: "line 1"),
            HubService<S>.ImportRecord(
                entity: "contact", id: "con-0", values: ["name": .text("Ana"), "account_id": .text("acc-0")], origin: "line 2"),
            HubService<S>.ImportRecord(
                entity: "contact", id: "con-9", values: ["name": .text("Bo"), "account_id": .text("acc-9")], origin: "line 3"),
        ]
        // The company's schema: a field added, refused twice, its choices grown; a page carries it.
        let ada = Actor(user: "admin", device: "console")
        let segment = CustomField(entity: "account", name: "segment", kind: .choice, choices: ["smb", "enterprise"], rule: .review)
        log.note("field add") { try hub.publish(.addField(segment), by: ada) }
        log.note("field add again") { try hub.publish(.addField(segment), by: ada) }
        log.note("field on nothing") { try hub.publish(.retireField(entity: "account", field: "nothing"), by: ada) }
        log.note("field choices") { try hub.publish(.addChoices(entity: "account", field: "segment", choices: ["public"]), by: ada) }
        log.note("schema steps") { try hub.schemaSteps() }
        log.note("schema in a page") { try hub.pull(since: 0, limit: 1, for: nil, knownSchema: 1).schema }
        log.note("schema up to date") { try hub.pull(since: 0, limit: 1, for: nil, knownSchema: 2).schema }
        let withSegment = imports.map { record in
            var record = record
            if record.entity == "account" { record.values["segment"] = .text("enterprise") }
            return record
        }
        log.note("import all or nothing") { try hub.importRecords(withSegment) }
        log.note("import skipping bad") { try hub.importRecords(withSegment, skipBad: true) }

        var cursors: [ReplicaID: Int64] = [:]
        for step in 0..<300 {
            clock.advance(by: Int64.random(in: 1...400, using: &random))
            let index = Int.random(in: 0..<laptops.count, using: &random)
            let laptop = laptops[index]
            switch Int.random(in: 0..<40, using: &random) {
            case 0..<3:
                let open = try hub.conflicts().map(\.conflict.id)
                guard let id = open.randomElement(using: &random) else { continue }
                let choice: ConflictChoice = [.keepCurrent, .keepIncoming, .value(.text("Settled \(step)"))]
                    .randomElement(using: &random)!
                log.note("resolve \(id)") { try hub.resolve(id, choice: choice, by: "admin") }
            case 3:
                let account = StoreContractTests.accounts.randomElement(using: &random)!
                let user = ["alice", "bob", "mgr", "nobody"].randomElement(using: &random)!
                log.note("transfer \(account) to \(user)") { try hub.transferAccount(account, to: user, by: "admin") }
            case 4..<6:
                let isAccount = Bool.random(using: &random)
                let ids = (isAccount ? StoreContractTests.accounts : StoreContractTests.contacts).shuffled(using: &random)
                let entity = isAccount ? "account" : "contact"
                let take = [["phone"], [], ["name"]].randomElement(using: &random)!
                log.note("merge \(entity) \(ids[1]) into \(ids[0])") {
                    try hub.mergeRecords(entity, keep: ids[0], merge: ids[1], take: take, by: "admin")
                }
            case 6..<14:
                let since = cursors[laptop.replica] ?? 0
                let limit = Int.random(in: 1...6, using: &random)
                if Bool.random(using: &random) {
                    let page = log.note("pull \(laptop.replica) since \(since)") {
                        try hub.pull(since: since, limit: limit, scope: laptop.scope, for: laptop.replica)
                    }
                    if let page {
                        cursors[laptop.replica] = page.cursor
                        hub.notePulled(laptop.replica, upTo: since)
                        for row in page.rows { laptops[index].seen[row.entity + "/" + row.id] = row.version }
                    }
                } else {
                    log.note("pull encoded \(laptop.replica) since \(since)") {
                        String(decoding: try hub.pullEncoded(since: since, limit: limit, scope: laptop.scope, for: nil).json, as: UTF8.self)
                    }
                }
            case 14:
                log.note("bootstrap \(laptop.replica)") { try hub.bootstrap(limit: 3, scope: laptop.scope, for: laptop.replica) }
                log.note("bootstrap encoded \(laptop.replica)") {
                    String(decoding: try hub.bootstrapEncoded(limit: 1_000, scope: laptop.scope, for: nil).json, as: UTF8.self)
                }
            case 15:
                let filter = ConflictFilter(
                    includeResolved: Bool.random(using: &random), entity: ["account", "contact", nil].randomElement(using: &random)!,
                    rule: ["review", "natural-key", nil].randomElement(using: &random)!,
                    territory: ["north", "south", nil].randomElement(using: &random)!)
                log.note("queue \(filter)") { try hub.conflicts(matching: filter) }
                log.note("queue count") { try hub.openConflictCount() }
            case 16:
                let id = StoreContractTests.contacts.randomElement(using: &random)!
                log.note("history contact \(id) for \(laptop.replica)") { try hub.history("contact", id: id, scope: laptop.scope) }
            case 17:
                log.note("compact") { try hub.compact(by: Actor(user: "admin", device: "office")) }
            default:
                var changes: [Change] = []
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    changes.append(StoreContractTests.change(by: &laptops[index], now: clock.now, using: &random))
                }
                let changeset = Changeset(
                    replica: laptop.replica, user: laptop.writer.user, device: laptop.writer.device,
                    schemaVersion: CRMSchema.version, changes: changes)
                log.note("push \(laptop.replica)") {
                    try hub.push(changeset, as: laptop.writer, scope: laptop.scope, homeTerritory: laptop.home)
                }
            }
        }
        // Alice catches up, so the last compaction may purge what every active device has seen.
        var since = cursors[ReplicaID("alice-1")] ?? 0
        while let page = log.note("pull alice-1 to the end since \(since)", {
            try hub.pull(since: since, limit: 50, scope: laptops[1].scope, for: laptops[1].replica)
        }) {
            hub.notePulled(laptops[1].replica, upTo: since)
            if page.cursor == since { break }
            since = page.cursor
        }
        // The console: passwords, sessions (open, expired, closed, cut by a disable), the day's tally.
        log.note("password mgr") { try hub.setPassword(hash: "h-mgr", for: "mgr") }
        log.note("password rep") { try hub.setPassword(hash: "h-alice", for: "alice") }
        log.note("password nobody") { try hub.setPassword(hash: "h", for: "nobody") }
        log.note("password hash") { [try hub.passwordHash(of: "mgr"), try hub.passwordHash(of: "alice")] }
        for (id, life) in [("s-1", Int64(60_000)), ("s-2", Int64(10))] {
            let session = ConsoleSession(idHash: id, user: "mgr", csrf: "t-\(id)", createdAt: clock.now, expiresAt: clock.now + life)
            log.note("session open \(id)") { try hub.openConsoleSession(session, from: "127.0.0.1") }
        }
        clock.advance(by: 100)
        for id in ["s-1", "s-2", "s-9"] {
            log.note("session \(id)") { try hub.consoleSession(idHash: id).map { "\($0.session) \($0.user)" } }
        }
        log.note("session close") { try hub.closeConsoleSession(idHash: "s-1", by: Actor(user: "mgr", device: "console")) }
        log.note("session closed") { try hub.consoleSession(idHash: "s-1").map { "\($0.session)" } }
        log.note("activity") { try hub.activity(days: 3) }
        log.note("feed head") { try hub.feedHead() }
        log.note("field retire") { try hub.publish(.retireField(entity: "account", field: "segment"), by: ada) }
        log.note("schema revision") { try hub.currentSchema().revision }
        for id in StoreContractTests.accounts {
            log.note("merge preview \(id)") { try hub.mergePreview("account", id: id) }
            log.note("covers \(id)") { [try hub.covers(laptops[1].scope, entity: "account", id: id), try hub.covers(.all, entity: "account", id: id)] }
        }
        log.note("retire") { try hub.retireDevice(ReplicaID("mgr-1")) }
        log.note("retire unknown") { try hub.retireDevice(ReplicaID("nobody")) }
        log.note("revoke") { try hub.revokeDevice(ReplicaID("bob-1")) }
        log.note("revoked credential") { try hub.device(credentialHash: "c-bob-2") }
        log.note("token") { try hub.setEnrollmentHash("a2", for: "alice") }
        log.note("disable") { try hub.disableUser("alice") }
        log.note("token for disabled") { try hub.setEnrollmentHash("a3", for: "alice") }
        log.note("enroll disabled") { try hub.enroll(enrollmentHash: "a2", device: "x", credentialHash: "cx", replicaID: ReplicaID("x-1")) }
        log.note("devices") { try hub.devices() }
        log.note("users") { try hub.users() }
        log.note("compact at the end") { try hub.compact() }
        log.note("audit") { try hub.auditEntries(limit: 1_000) }
        log.note("queue everything") { try hub.conflicts(includeResolved: true) }
        for entity in ["account", "contact"] {
            log.note("live \(entity)") { try hub.liveRows(entity) }
            for id in entity == "account" ? StoreContractTests.accounts : StoreContractTests.contacts {
                log.note("row \(entity) \(id)") { try hub.snapshot(entity, id: id) }
                log.note("history \(entity) \(id)") { try hub.history(entity, id: id) }
                log.note("redirect \(entity) \(id)") { try hub.redirect(entity, id: id) }
            }
        }
        for laptop in laptops { log.note("high water \(laptop.replica)") { try hub.highWater(of: laptop.replica) } }
        log.note("everything") { try hub.pull(since: 0, limit: 100_000, for: nil) }
        return log
    }
}
