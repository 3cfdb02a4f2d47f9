import Foundation
import HubEngine
import HubPostgres
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// Two `satchel-server` processes on one PostgreSQL database, with laptops syncing through both:
/// alternately, concurrently, on the same contested records, and through a server killed with
/// SIGKILL in the middle of their pushes.
@Suite(.enabled(if: TestDatabase.isConfigured, Comment(rawValue: TestDatabase.skipReason)), .serialized)
struct PostgresServersTests {
    /// A laptop with one client per server: the same replica, synced through either.
    struct Laptop {
        let name: String
        let replica: Replica
        let clients: [SyncClient]
    }

    static func enroll(
        _ name: String, database: String, through servers: [ServerProcess], clock: @escaping Replica.WallClock = Replica.systemClock,
        folder: String? = nil
    ) async throws -> Laptop {
        let added = try ServerProcess.run(
            ["user", "add", name, "--role", "rep", "--territory", "north", "--database", database, "--json"])
        #expect(added.status == 0, "\(added.error)")
        let token = try WireJSON.decoder.decode(AddUserResponse.self, from: Data(added.output.utf8)).enrollmentToken
        let enrolled = try await SyncClient.enroll(server: servers[0].url, token: token, device: "\(name)-laptop")
        let replica =
            try folder.map { try Replica.open(at: $0 + "/replica.sqlite", schema: CRMSchema.schema, replicaID: enrolled.replica, clock: clock) }
            ?? Replica.inMemory(schema: CRMSchema.schema, replicaID: enrolled.replica, clock: clock)
        try replica.setWriter(user: name, device: enrolled.device)
        let clients = servers.map { server in
            SyncClient(
                replica: replica,
                configuration: .init(
                    server: server.url, credential: enrolled.credential, pageSize: 7, pushBatch: 5, maxAttempts: 2,
                    initialBackoff: .milliseconds(5)))
        }
        return Laptop(name: name, replica: replica, clients: clients)
    }

    /// One round of offline edits with the real `satchel` binary: each laptop sets a phone, and
    /// all of them the same account's review rating (a contested cell).
    static func editRound(_ round: Int, laptops: [CLI], accounts: [String]) throws {
        for (index, cli) in laptops.enumerated() {
            try cli.ok(["account", "edit", accounts[(round + index) % accounts.count], "--set", "phone=03 20 \(round)\(index)"])
            try cli.ok(["account", "edit", accounts[round % accounts.count], "--set", "credit_rating=\(["A", "B", "C"][index])"])
        }
    }

    /// Every laptop's accounts and contacts, as comparable text.
    static func book(_ replica: Replica) throws -> String {
        try ["account", "contact"].map { entity in
            try replica.rows(entity).map { "\(entity) \($0.id) \($0.values.sorted { $0.key < $1.key })" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Attachments' bytes live in the database, so an upload cut on one server resumes on the
    /// other, and a teammate downloads through either.
    @Test func anUploadCutOnOneServerResumesOnTheOther() async throws {
        let servers = try TwoServers("attachments")
        defer { servers.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-pg-att-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let through = [servers.first, servers.second]
        let ana = try await Self.enroll("ana", database: servers.database.url, through: through, folder: folder + "/ana")
        let ben = try await Self.enroll("ben", database: servers.database.url, through: through, folder: folder + "/ben")
        let account = try ana.replica.insert("account", values: ["name": .text("Photo Ltd")])
        var generator = SeededGenerator(seed: 5)
        let photo = Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try photo.write(to: URL(fileURLWithPath: folder + "/ana/shelf.jpg"))
        let attachment = try ana.replica.attach(file: folder + "/ana/shelf.jpg", to: "account", id: account)

        var configuration = ana.clients[0].configuration
        configuration.attachmentChunkBytes = 64 << 10
        let cut = SyncClient(
            replica: ana.replica, configuration: configuration,
            transport: CuttingTransport(base: HTTPTransport(baseURL: servers.first.url), allowedPuts: 2))
        do {
            _ = try await cut.sync()
            Issue.record("the sync through the first server should have been cut")
        } catch is SyncClientError {}
        configuration.server = servers.second.url
        let resumed = try await SyncClient(replica: ana.replica, configuration: configuration).sync()
        #expect(resumed.attachments.uploadedBytes == Int64(photo.count) - 2 * (64 << 10))

        _ = try await ben.clients[0].sync()
        let file = try await ben.clients[0].download(attachment: attachment)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == photo)
        let store = try PostgresServerStore.open(url: servers.database.url)
        defer { store.storage.close() }
        #expect(try store.blobStats() == BlobStats(blobs: 1, bytes: Int64(photo.count)))
    }

    @Test func laptopsSyncingThroughTwoServersConvergeAndTheQueueHoldsEachConflictOnce() async throws {
        let servers = try TwoServers("two servers")
        defer { servers.stop() }
        let (database, first, second) = (servers.database, servers.first, servers.second)
        var laptops: [Laptop] = []
        for name in ["ana", "ben", "cy", "dee"] {
            laptops.append(try await Self.enroll(name, database: database.url, through: [first, second]))
        }
        // The company's accounts, made by ana and pulled by everyone through either server.
        let accounts = try (0..<6).map { try laptops[0].replica.insert("account", values: ["name": .text("Customer \($0)")]) }
        _ = try await laptops[0].clients[1].sync()
        for (index, laptop) in laptops.enumerated() { _ = try await laptop.clients[index % 2].sync() }
        for laptop in laptops { #expect(try laptop.replica.rows("account").count == accounts.count) }

        var random = SeededGenerator(seed: 2026)
        for round in 0..<6 {
            // Offline work on the same few accounts: contested names (last writer wins), phones
            // and ratings (review: the queue), new contacts.
            for laptop in laptops {
                for _ in 0..<3 {
                    let account = accounts.randomElement(using: &random)!
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: try laptop.replica.update("account", id: account, set: ["name": .text("\(laptop.name) \(round)")])
                    case 1: try laptop.replica.update("account", id: account, set: ["credit_rating": .text(["A", "B", "C"].randomElement(using: &random)!)])
                    default:
                        _ = try laptop.replica.insert(
                            "contact", values: ["name": .text("\(laptop.name) contact \(round)"), "account_id": .text(account)])
                    }
                }
            }
            // Everyone syncs at once, each through the server of this round's choice.
            let syncs = laptops.enumerated().map { index, laptop in
                let client = laptop.clients[(index + round) % 2]
                return Task { try await client.sync() }
            }
            for sync in syncs {
                let summary = try await sync.value
                #expect(summary.rejected == 0)
            }
        }
        // Quiet rounds, alternating servers: everyone holds the same book.
        for round in 0..<2 {
            for (index, laptop) in laptops.enumerated() { _ = try await laptop.clients[(index + round) % 2].sync() }
        }
        let books = try laptops.map { try Self.book($0.replica) }
        #expect(Set(books).count == 1, "the laptops differ after syncing through two servers")
        for laptop in laptops {
            #expect(try laptop.replica.pendingCount() == 0)
        }
        // What both servers answer is the same store: the same feed through either.
        let store = try PostgresServerStore.open(url: database.url)
        defer { store.storage.close() }
        let feed = try store.pull(since: 0, limit: 100_000, for: nil)
        #expect(feed.rows.filter { $0.entity == "account" && !$0.deleted }.count == accounts.count)
        let contacts = try laptops[0].replica.rows("contact")
        #expect(feed.rows.filter { $0.entity == "contact" && !$0.deleted }.count == contacts.count)
        // Each conflict queued once: the queue holds exactly one item for each change whose
        // stored answer is "queued", whichever server took it (and however often it was retried).
        let queue = try store.conflicts(includeResolved: true)
        #expect(!queue.isEmpty, "no review conflict was made; the contested ratings were not contested")
        var queuedByAnswers: [String] = []
        for laptop in laptops {
            let me = try laptop.replica.identity().replicaID
            let highWater = try store.highWater(of: me)
            // Every change every laptop made has one answer, whichever server took it.
            #expect(try laptop.replica.outcomes().count == Int(highWater))
            for counter in stride(from: UInt64(1), through: highWater, by: 1) {
                let answer = try store.storage.read { try $0.outcome(of: me, counter: counter) }
                if case .queued(let conflict) = answer { queuedByAnswers.append(conflict.id) }
            }
        }
        #expect(queuedByAnswers.count == queue.count, "\(queuedByAnswers.count) queued answers, \(queue.count) queue items")
        #expect(Set(queuedByAnswers) == Set(queue.map(\.conflict.id)))
    }

    /// Real `satchel` laptops doing the same work in the same order through nginx in front of
    /// two servers on PostgreSQL, and against one server on SQLite: the same accounts with the
    /// same values, and the same cells in the queue, as a single server produces.
    @Test(.enabled(if: LoadBalancer.isAvailable, Comment(rawValue: LoadBalancer.skipReason)))
    func realLaptopsThroughTwoServersEndWhereOneServerWould() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-as-one-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        /// The day, sequential: every laptop's edits, then every laptop's sync, round after round.
        /// Returns the book (accounts by name, without ids) every laptop ended with.
        func day(server: URL, addUser: (String) throws -> String, homes: String) throws -> String {
            let laptops = try ["ana", "ben", "cy"].map { name -> CLI in
                let cli = CLI(home: homes + "/" + name)
                try cli.ok(["login", "--server", server.absoluteString, "--token", try addUser(name), "--device", "\(name)-laptop"])
                return cli
            }
            let accounts = try (0..<4).map { n in
                try #require(try laptops[0].ok(["account", "add", "--name", "Customer \(n)", "--json"]).object()["id"] as? String)
            }
            for cli in laptops { try cli.ok(["sync"]) }
            for round in 0..<4 {
                try Self.editRound(round, laptops: laptops, accounts: accounts)
                for cli in laptops { try cli.ok(["sync"]) }
            }
            for _ in 0..<2 { for cli in laptops { try cli.ok(["sync"]) } }
            let books = try laptops.map { cli in
                try cli.ok(["account", "list", "--json"]).array()
                    .map { account in account.filter { $0.key != "id" }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ") }
                    .sorted().joined(separator: "\n")
            }
            #expect(Set(books).count == 1, "the laptops differ")
            return books[0]
        }
        func queueCells(_ store: any ServerStore) throws -> [String] {
            try store.conflicts(includeResolved: true).map { "\($0.conflict.rowTitle)/\($0.conflict.field ?? "")" }.sorted()
        }
        func token(_ output: String) throws -> String {
            try WireJSON.decoder.decode(AddUserResponse.self, from: Data(output.utf8)).enrollmentToken
        }

        // Two servers on PostgreSQL behind nginx.
        let servers = try TwoServers("binaries as one")
        defer { servers.stop() }
        let (database, first, second) = (servers.database, servers.first, servers.second)
        let balancer = try LoadBalancer(upstreams: [first.port, second.port])
        defer { balancer.stop() }
        let balanced = try day(
            server: balancer.url,
            addUser: { name in
                try token(
                    try ServerProcess.run(
                        ["user", "add", name, "--role", "rep", "--territory", "north", "--database", database.url, "--json"]
                    ).output)
            }, homes: root + "/balanced")
        let store = try PostgresServerStore.open(url: database.url)
        defer { store.storage.close() }
        let balancedQueue = try queueCells(store)

        // One server on SQLite, the same day.
        let data = root + "/single-data"
        let single = try ServerProcess(dataDirectory: data)
        let alone = try day(
            server: single.url,
            addUser: { name in
                try token(
                    try ServerProcess.run(["user", "add", name, "--role", "rep", "--territory", "north", "--data", data, "--json"]).output)
            }, homes: root + "/single")
        single.stop()
        let aloneQueue = try queueCells(try SQLiteServerStore.open(directory: data))

        #expect(balanced == alone, "two servers behind nginx and one server disagree:\n\(balanced)\n---\n\(alone)")
        #expect(!aloneQueue.isEmpty, "nothing was contested; the comparison covered no conflict")
        #expect(balancedQueue == aloneQueue)
    }

    /// The same day's work, synced in the same order, through two servers on PostgreSQL
    /// (alternating) and through one server on SQLite: the laptops end with the same book and
    /// the queue with the same cells, as a single server would produce.
    @Test func twoServersProduceWhatOneServerWould() async throws {
        let names = ["ana", "ben", "cy", "dee"]
        // Each laptop's clock moves by hand, the same way in both runs, so every write carries
        // the same time and the rules decide alike.
        func day(laptops: [(replica: Replica, sync: (Int) async throws -> Void)], clock: ManualClock) async throws -> String {
            var random = SeededGenerator(seed: 77)
            let accounts = (0..<4).map { "acc-\($0)" }
            for id in accounts {
                clock.advance(by: 1000)
                _ = try laptops[0].replica.insert("account", id: id, values: ["name": .text("Customer \(id)")])
            }
            try await laptops[0].sync(0)
            for index in laptops.indices { try await laptops[index].sync(index) }
            for round in 0..<5 {
                for (index, laptop) in laptops.enumerated() {
                    clock.advance(by: 1000)
                    let account = accounts.randomElement(using: &random)!
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: try laptop.replica.update("account", id: account, set: ["name": .text("\(names[index]) \(round)")])
                    case 1:
                        try laptop.replica.update(
                            "account", id: account, set: ["credit_rating": .text(["A", "B", "C"].randomElement(using: &random)!)])
                    default:
                        _ = try laptop.replica.insert(
                            "contact", id: "con-\(names[index])-\(round)",
                            values: ["name": .text("\(names[index]) contact \(round)"), "account_id": .text(account)])
                    }
                }
                for index in laptops.indices { try await laptops[index].sync(index + round) }
            }
            for round in 0..<2 { for index in laptops.indices { try await laptops[index].sync(index + round) } }
            let books = try laptops.map { try Self.book($0.replica) }
            #expect(Set(books).count == 1)
            return books[0]
        }

        // Two servers on one PostgreSQL database, the laptops alternating between them.
        let servers = try TwoServers("as one")
        defer { servers.stop() }
        let (database, first, second) = (servers.database, servers.first, servers.second)
        let pgClock = ManualClock()
        var pgLaptops: [(replica: Replica, sync: (Int) async throws -> Void)] = []
        for name in names {
            let laptop = try await Self.enroll(name, database: database.url, through: [first, second], clock: pgClock.wallClock)
            pgLaptops.append((laptop.replica, { turn in _ = try await laptop.clients[turn % 2].sync() }))
        }
        let pgBook = try await day(laptops: pgLaptops, clock: pgClock)
        let pgStore = try PostgresServerStore.open(url: database.url)
        defer { pgStore.storage.close() }
        let pgQueue = try pgStore.conflicts(includeResolved: true).map { "\($0.conflict.entity)/\($0.conflict.rowID)/\($0.conflict.field ?? "")" }

        // One server on SQLite, the same work in the same order.
        let single = try await LiveServer.start()
        defer { Task { await single.stop() } }
        let sqliteClock = ManualClock()
        var sqliteLaptops: [(replica: Replica, sync: (Int) async throws -> Void)] = []
        for name in names {
            let client = try await single.laptop(name, role: .rep, territories: ["north"], clock: sqliteClock.wallClock)
            sqliteLaptops.append((client.replica, { _ in _ = try await client.sync() }))
        }
        let sqliteBook = try await day(laptops: sqliteLaptops, clock: sqliteClock)
        let sqliteQueue = try single.hub.conflicts(includeResolved: true)
            .map { "\($0.conflict.entity)/\($0.conflict.rowID)/\($0.conflict.field ?? "")" }

        #expect(pgBook == sqliteBook, "two servers on PostgreSQL and one on SQLite disagree")
        #expect(!sqliteQueue.isEmpty, "nothing was contested; the comparison covered no conflict")
        #expect(pgQueue.sorted() == sqliteQueue.sorted())
    }

    /// A laptop pulls a change through one server and writes over it through the other: the
    /// second server believes the laptop saw it (the first wrote down what it sent before the
    /// page left), so the write is applied, not queued as if it were concurrent.
    @Test func whatOneServerSentALaptopIsBelievedByTheOther() async throws {
        let servers = try TwoServers("sent marks")
        defer { servers.stop() }
        let (database, first, second) = (servers.database, servers.first, servers.second)
        let ana = try await Self.enroll("ana", database: database.url, through: [first, second])
        let ben = try await Self.enroll("ben", database: database.url, through: [first, second])
        let account = try ana.replica.insert("account", values: ["name": .text("Acme"), "credit_rating": .text("A")])
        _ = try await ana.clients[0].sync()
        _ = try await ben.clients[0].sync()
        // The second server has been up since before this change, so only a mark in the
        // database can tell it that ben was sent the change.
        try ana.replica.update("account", id: account, set: ["credit_rating": .text("B")])
        _ = try await ana.clients[0].sync()
        _ = try await ben.clients[0].sync()
        #expect(try ben.replica.row("account", id: account)?["credit_rating"] == .text("B"))

        try ben.replica.update("account", id: account, set: ["credit_rating": .text("C")])
        let summary = try await ben.clients[1].push()
        #expect(summary.rejected == 0)
        let last = try #require(try ben.replica.outcomes().max { $0.counter < $1.counter })
        #expect(last.status == "applied", "ben's rating, written over the one he was sent, was \(last.status)")
        let store = try PostgresServerStore.open(url: database.url)
        defer { store.storage.close() }
        #expect(try store.conflicts().isEmpty)
        #expect(try store.row("account", id: account)?.values["credit_rating"] == .text("C"))
    }

    /// An operator outgrows one node: `satchel-server copy` moves the SQLite store into
    /// PostgreSQL, and the laptops carry on with the servers there, nobody enrolling again.
    @Test func aCompanyMovesFromSQLiteToPostgresWithoutEnrollingAgain() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-move-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let database = try TestDatabase.create("move up")
        defer { database.drop() }
        let sqliteServer = try ServerProcess(dataDirectory: data)
        let added = try ServerProcess.run(["user", "add", "ana", "--role", "rep", "--territory", "north", "--data", data, "--json"])
        let token = try WireJSON.decoder.decode(AddUserResponse.self, from: Data(added.output.utf8)).enrollmentToken
        let enrolled = try await SyncClient.enroll(server: sqliteServer.url, token: token, device: "ana-laptop")
        let laptop = data + "-laptop"
        defer { try? FileManager.default.removeItem(atPath: laptop) }
        let replica = try Replica.open(at: laptop + "/replica.sqlite", schema: CRMSchema.schema, replicaID: enrolled.replica)
        try replica.setWriter(user: "ana", device: enrolled.device)
        for n in 0..<3 { _ = try replica.insert("account", values: ["name": .text("Customer \(n)")]) }
        // A price list attached on the SQLite server moves with the records.
        let priceList = Data("%PDF-1.4\nprices for 2027\n".utf8) + Data(repeating: 0x20, count: 3000)
        try FileManager.default.createDirectory(atPath: laptop, withIntermediateDirectories: true)
        try priceList.write(to: URL(fileURLWithPath: laptop + "/prices.pdf"))
        let attachment = try replica.attach(
            file: laptop + "/prices.pdf", to: "account", id: try #require(replica.rows("account").first?.id))
        _ = try await SyncClient(replica: replica, configuration: .init(server: sqliteServer.url, credential: enrolled.credential)).sync()

        // Not while the SQLite server still takes pushes.
        let refused = try ServerProcess.run(["copy", "--data", data, "--database", database.url])
        #expect(refused.status == 1)
        #expect(refused.error.contains("already serving"), "\(refused.error)")
        sqliteServer.stop()

        let copied = try ServerProcess.run(["copy", "--data", data, "--database", database.url])
        #expect(copied.status == 0, "\(copied.error)")
        #expect(copied.output.contains("verified equal"))
        #expect(copied.output.contains("hub_row: 4 rows"), "\(copied.output)")
        #expect(copied.output.contains("attachment files: 1 (\(priceList.count) bytes)"), "\(copied.output)")
        let again = try ServerProcess.run(["copy", "--data", data, "--database", database.url])
        #expect(again.status == 1)
        #expect(again.error.contains("already holds a hub"), "\(again.error)")

        // The same laptop, the same credential, a server on PostgreSQL: it pushes and pulls.
        let postgresServer = try ServerProcess(database: database.url)
        defer { postgresServer.stop() }
        let client = SyncClient(replica: replica, configuration: .init(server: postgresServer.url, credential: enrolled.credential))
        _ = try replica.insert("account", values: ["name": .text("Customer after the move")])
        let summary = try await client.sync()
        #expect(summary.rejected == 0)
        #expect(try replica.pendingCount() == 0)
        #expect(try replica.outcomes().count == 5)
        // A colleague enrolled on PostgreSQL sees everything ana made on either side, files included.
        let colleague = try await Self.enroll("ben", database: database.url, through: [postgresServer], folder: laptop + "-ben")
        defer { try? FileManager.default.removeItem(atPath: laptop + "-ben") }
        _ = try await colleague.clients[0].sync()
        #expect(try colleague.replica.rows("account").count == 4)
        let file = try await colleague.clients[0].download(attachment: attachment)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == priceList)
    }

    /// The deployment of Docs/operations.md: nginx in front of two servers on one database, and
    /// reps with the real `satchel` binary, whose every request may reach either server. They
    /// edit the same accounts and sync at once, round after round, and end with the same book.
    @Test(.enabled(if: LoadBalancer.isAvailable, Comment(rawValue: LoadBalancer.skipReason)))
    func realLaptopsBehindALoadBalancerConvergeOnTwoServers() throws {
        let servers = try TwoServers("balanced")
        defer { servers.stop() }
        let (database, first, second) = (servers.database, servers.first, servers.second)
        let balancer = try LoadBalancer(upstreams: [first.port, second.port])
        defer { balancer.stop() }
        let homes = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-balanced-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: homes) }
        func laptop(_ name: String) throws -> CLI {
            let added = try ServerProcess.run(
                ["user", "add", name, "--role", "rep", "--territory", "north", "--database", database.url, "--json"])
            let token = try WireJSON.decoder.decode(AddUserResponse.self, from: Data(added.output.utf8)).enrollmentToken
            let cli = CLI(home: homes + "/" + name)
            try cli.ok(["login", "--server", balancer.url.absoluteString, "--token", token, "--device", "\(name)-laptop"])
            return cli
        }
        let laptops = try ["ana", "ben", "cy"].map(laptop)
        let accounts = try (0..<4).map { n in
            try #require(try laptops[0].ok(["account", "add", "--name", "Customer \(n)", "--json"]).object()["id"] as? String)
        }
        for cli in laptops { try cli.ok(["sync"]) }
        for round in 0..<4 {
            try Self.editRound(round, laptops: laptops, accounts: accounts)
            // Everyone syncs at once.
            let results = Results()
            DispatchQueue.concurrentPerform(iterations: laptops.count) { index in
                results.add((try? laptops[index].run(["sync"]))?.status ?? -1)
            }
            #expect(results.all.allSatisfy { $0 == 0 }, "a sync failed in round \(round): \(results.all)")
        }
        for _ in 0..<2 { for cli in laptops { try cli.ok(["sync"]) } }
        let books = try laptops.map { try $0.ok(["account", "list", "--json"]).output }
        #expect(Set(books).count == 1, "the laptops differ: \(books)")
        #expect(try laptops[0].ok(["account", "list", "--json"]).array().count == accounts.count)
        // Both servers took pushes: the balancer really spread the laptops' requests.
        for server in [first, second] {
            let metrics = try String(contentsOf: server.url.appendingPathComponent("metrics"), encoding: .utf8)
            let pushes = metrics.split(separator: "\n").first { $0.hasPrefix("satchel_push_requests_total ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            #expect(pushes > 0, "server on port \(server.port) took no push")
        }
        // The contested ratings went to the queue, once each.
        let store = try PostgresServerStore.open(url: database.url)
        defer { store.storage.close() }
        let queue = try store.conflicts(includeResolved: true)
        #expect(!queue.isEmpty)
        #expect(Set(queue.map(\.conflict.id)).count == queue.count)
    }

    @Test func aServerKilledMidPushLosesNothingAndTheOtherServesTheRetries() async throws {
        let database = try TestDatabase.create("kill one")
        defer { database.drop() }
        var doomed = try ServerProcess(database: database.url)
        let port = doomed.port
        let survivor = try ServerProcess(database: database.url)
        defer { survivor.stop() }
        var laptops: [Laptop] = []
        for name in ["eve", "fay", "gus"] {
            laptops.append(try await Self.enroll(name, database: database.url, through: [doomed, survivor]))
        }
        let perLaptop = 150
        for (n, laptop) in laptops.enumerated() {
            for k in 0..<perLaptop {
                _ = try laptop.replica.insert("account", values: ["name": .text("Customer \(n)-\(k)")])
            }
        }
        // Everyone pushes in small batches through the doomed server; it is killed once some
        // push has been answered, long before all are.
        let pushes = laptops.map { laptop in Task { try? await laptop.clients[0].push() } }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, try laptops.allSatisfy({ try $0.replica.outcomes().isEmpty }) {
            try await Task.sleep(for: .milliseconds(2))
        }
        doomed.kill()
        for push in pushes { _ = await push.value }
        let pending = try laptops.reduce(0) { $0 + (try $1.replica.pendingCount()) }
        let acknowledged = try laptops.reduce(0) { $0 + (try $1.replica.outcomes().count) }
        #expect(pending > 0, "the kill came after every push finished; nothing was tested")
        #expect(acknowledged > 0, "the kill came before any push was answered; nothing was tested")

        // The laptops retry through the other server: everything lands once.
        for laptop in laptops {
            let summary = try await laptop.clients[1].sync()
            #expect(summary.rejected == 0)
            #expect(try laptop.replica.pendingCount() == 0)
            #expect(try laptop.replica.outcomes().count == perLaptop)
        }
        let store = try PostgresServerStore.open(url: database.url)
        defer { store.storage.close() }
        for laptop in laptops {
            let me = try laptop.replica.identity().replicaID
            #expect(try store.highWater(of: me) == UInt64(perLaptop))
            let mine = try store.liveRows("account").filter { $0.stamps["name"]?.dot.replica == me }
            #expect(mine.count == perLaptop, "a change was applied twice or lost")
        }
        // The killed server restarts on its port and serves.
        doomed = try ServerProcess(database: database.url, extraArguments: ["--port", String(port)])
        defer { doomed.stop() }
        for laptop in laptops { _ = try await laptop.clients[0].sync() }
        for laptop in laptops { #expect(try laptop.replica.rows("account").count == laptops.count * perLaptop) }
    }
}

/// Exit statuses gathered from several threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [Int32] = []
    func add(_ status: Int32) { lock.withLock { statuses.append(status) } }
    var all: [Int32] { lock.withLock { statuses } }
}

/// Two `satchel-server` processes on one throw-away PostgreSQL database.
final class TwoServers {
    let database: TestDatabase
    let first: ServerProcess
    let second: ServerProcess

    init(_ label: String) throws {
        database = try TestDatabase.create(label)
        do {
            first = try ServerProcess(database: database.url)
        } catch {
            database.drop()
            throw error
        }
        do {
            second = try ServerProcess(database: database.url)
        } catch {
            first.stop()
            database.drop()
            throw error
        }
    }

    /// Stops both servers and drops the database.
    func stop() {
        first.stop()
        second.stop()
        database.drop()
    }
}
