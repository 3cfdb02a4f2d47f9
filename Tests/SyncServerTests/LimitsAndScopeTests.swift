import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

struct LimitsAndScopeTests {
    @Test(arguments: Backend.available) func eachLimitIsA4xxThatChangesNothing(backend: Backend) async throws {
        let server = try await LiveServer.start(backend: backend, limits: ServerLimits(maxBodyBytes: 4096, maxInflatedBytes: 64 << 10, maxChangesPerPush: 3))
        defer { Task { await server.stop() } }
        let alice = try await server.laptop("alice", role: .rep, territories: ["north"])
        let credential = alice.configuration.credential
        for n in 0..<4 { try alice.replica.insert("account", values: ["name": .text("Customer \(n)")]) }
        let dump = try server.hub.dump()
        let transport = HTTPTransport(baseURL: server.url)
        func push(_ body: Data, headers: [String: String] = [:]) async throws -> (Int, ProtocolError.Code?) {
            let response = try await transport.send(
                TransportRequest(
                    method: "POST", path: "/v1/sync/push", headers: headers.merging(["Authorization": "Bearer \(credential)"]) { $1 },
                    body: body))
            return (response.status, try? WireJSON.decoder.decode(ErrorResponse.self, from: response.body).error.code)
        }

        // Four changes where three are allowed.
        let four = try #require(try alice.replica.pendingChangeset())
        #expect(try await push(try four.jsonData()) == (413, .tooManyChanges))
        // A body over 4 KiB.
        var padded = four
        padded.changes = Array(four.changes.prefix(1))
        padded.device = String(repeating: "x", count: 5000)
        let oversized = try await push(try padded.jsonData())
        #expect(oversized == (413, .tooLarge), "\(oversized)")
        // A field longer than the schema allows (a phone of 41 characters).
        var long = four
        long.changes = [four.changes[0]]
        long.changes[0].operation = .insert(["name": .text("Acme"), "phone": .text(String(repeating: "9", count: 41))])
        #expect(try await push(try long.jsonData()) == (400, .fieldTooLong))
        // A body that is not gzip although it says so.
        #expect(try await push(Data("not gzip".utf8), headers: ["Content-Encoding": "gzip"]) == (400, .malformed))
        // Under 4 KiB as sent, over 64 KiB once inflated.
        let swollen = try Compression.deflate(Data(repeating: 0x20, count: 100 << 10), format: .gzip)
        #expect(swollen.count < 4096)
        #expect(try await push(swollen, headers: ["Content-Encoding": "gzip"]) == (413, .tooLarge))
        #expect(try await push(Data("{}".utf8), headers: ["Content-Encoding": "br"]) == (415, .unsupportedEncoding))
        #expect(try server.hub.dump() == dump)

        // The client splits its outbox into pushes the server accepts, and reports progress.
        let small = SyncClient(
            replica: alice.replica,
            configuration: .init(server: server.url, credential: credential, pushBatch: 3, maxAttempts: 1))
        let events = EventLog()
        let summary = try await small.sync { events.append($0) }
        #expect(summary.pushed == 4 && summary.applied == 4)
        #expect(events.items.contains(.pushing(sent: 3, total: 4)))
        #expect(events.items.contains(.pushing(sent: 4, total: 4)))
    }

    @Test func managersSeeTheirTeamAndRepsTheirTerritory() throws {
        let hub = try Hub.inMemory(schema: CRMSchema.schema)
        try hub.addUser(UserInfo(name: "mia", role: .manager, territories: []), enrollmentHash: "h1")
        try hub.addUser(UserInfo(name: "alice", role: .rep, territories: ["north"], manager: "mia"), enrollmentHash: "h2")
        try hub.addUser(UserInfo(name: "carol", role: .rep, territories: ["south"]), enrollmentHash: "h3")
        let records = [
            Hub.ImportRecord(entity: "account", id: "n1", values: ["name": .text("North Co"), "territory": .text("north")], origin: "1"),
            Hub.ImportRecord(entity: "account", id: "s1", values: ["name": .text("South Co"), "territory": .text("south")], origin: "2"),
            Hub.ImportRecord(
                entity: "account", id: "s2", values: ["name": .text("Alice's south deal"), "territory": .text("south"), "owner": .text("alice")],
                origin: "3"),
            Hub.ImportRecord(entity: "contact", id: "c1", values: ["name": .text("Ned"), "account_id": .text("n1")], origin: "4"),
        ]
        _ = try hub.importRecords(records)
        func visible(_ name: String) throws -> Set<String> {
            let scope = try hub.scope(of: try #require(try hub.user(name)))
            return Set(try hub.pull(since: 0, limit: 100, scope: scope, for: nil).rows.map(\.id))
        }
        #expect(try visible("alice") == ["n1", "s2", "c1"])
        #expect(try visible("mia") == ["n1", "s2", "c1"])
        #expect(try visible("carol") == ["s1", "s2"])
        let bootstrap = try hub.bootstrap(scope: try hub.scope(of: try #require(try hub.user("carol"))), for: nil)
        #expect(Set(bootstrap.rows.map(\.id)) == ["s1", "s2"])
    }
}

/// Collects progress events from a callback.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SyncClient.Progress] = []
    func append(_ event: SyncClient.Progress) { lock.withLock { events.append(event) } }
    var items: [SyncClient.Progress] { lock.withLock { events } }
}
