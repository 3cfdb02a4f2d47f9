import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// A server restored from last night's backup is healed by its laptops: they push again what
/// it lost, and it ends with every change, none twice.
struct RestoreTests {
    @Test func laptopsPushAgainWhatARestoredServerLost() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-restore-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try SQLiteServerStore.open(directory: root + "/live")
        #expect(try store.writerSetting("synchronous") == 2, "the hub commits with synchronous = FULL")
        let server = try await LiveServer.start(hub: store)
        let alice = try await server.laptop("alice", role: .rep, territories: ["north"], folder: root + "/alice")
        let bob = try await server.laptop("bob", role: .rep, territories: ["north"])
        _ = try await alice.sync()
        _ = try await bob.sync()
        _ = try alice.replica.insert("account", id: "acc-before", values: ["name": .text("Before Ltd")])
        _ = try await alice.sync()
        _ = try await bob.sync()

        // Last night's backup.
        try store.backup(to: root + "/backup.sqlite")

        // The day goes on: both laptops sync work the backup does not hold.
        _ = try alice.replica.insert("account", id: "acc-after", values: ["name": .text("After Ltd")])
        _ = try alice.replica.insert(
            "contact", id: "con-after", values: ["name": .text("Ada"), "account_id": .text("acc-after")])
        try bob.replica.update("account", id: "acc-before", set: ["phone": .text("+33 1 23 45")])
        let photo = Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data((0..<70_000).map { UInt8($0 % 253) })
        try photo.write(to: URL(fileURLWithPath: root + "/alice/card.jpg"))
        let card = try alice.replica.attach(file: root + "/alice/card.jpg", to: "account", id: "acc-after")
        for laptop in [alice, bob] { _ = try await laptop.sync() }
        #expect(try store.row("attachment", id: card)?.values["uploaded_at"]?.isNull == false)
        #expect(try alice.replica.pendingCount() == 0 && bob.replica.pendingCount() == 0)
        let aliceHighWater = try store.highWater(of: try alice.replica.identity().replicaID)
        await server.stop()

        // The disk is lost; the operator restores the backup on a new server.
        try FileManager.default.createDirectory(atPath: root + "/restored", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/backup.sqlite", toPath: root + "/restored/" + SQLiteServerStore.fileName)
        let restored = try SQLiteServerStore.open(directory: root + "/restored")
        #expect(try restored.row("account", id: "acc-after") == nil, "the backup predates the day's work")
        let replacement = try await LiveServer.start(hub: restored)
        defer { Task { await replacement.stop() } }
        func moved(_ client: SyncClient) -> SyncClient {
            var configuration = client.configuration
            configuration.server = replacement.url
            return SyncClient(replica: client.replica, configuration: configuration)
        }
        let aliceAgain = moved(alice)
        let bobAgain = moved(bob)
        for _ in 0..<2 {
            _ = try await aliceAgain.sync()
            _ = try await bobAgain.sync()
        }

        // Everything is back, once.
        #expect(try restored.row("account", id: "acc-after")?.values["name"] == .text("After Ltd"))
        #expect(try restored.row("contact", id: "con-after")?.values["account_id"] == .text("acc-after"))
        #expect(try restored.row("account", id: "acc-before")?.values["phone"] == .text("+33 1 23 45"))
        #expect(try restored.highWater(of: try alice.replica.identity().replicaID) == aliceHighWater)
        #expect(try restored.liveRows("account").map(\.id) == ["acc-after", "acc-before"])
        #expect(try restored.liveRows("contact").map(\.id) == ["con-after"])
        #expect(try restored.conflicts(includeResolved: true).isEmpty, "nothing was taken for a conflict with itself")
        // The photo's record came back with alice's changes, and its bytes with it, from her copy.
        #expect(try restored.row("attachment", id: card)?.values["uploaded_at"]?.isNull == false)
        #expect(try restored.blobStats() == BlobStats(blobs: 1, bytes: Int64(photo.count)))
        // And both laptops see the same thing as the server.
        for laptop in [alice, bob] {
            #expect(try laptop.replica.pendingCount() == 0)
            #expect(try laptop.replica.row("account", id: "acc-before")?["phone"] == .text("+33 1 23 45"))
        }
    }
}
