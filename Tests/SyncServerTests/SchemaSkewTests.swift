import Foundation
import ReplicaStore
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
@testable import SyncServer
import Testing

/// Laptops and a server on different releases, over HTTP: a laptop newer than its server is told
/// to wait and keeps its work; a laptop older than its server is read by the new names.
struct SchemaSkewTests {
    @Test func aLaptopNewerThanItsServerIsToldToWaitAndKeepsItsChanges() async throws {
        let server = try await LiveServer.start()
        do {
            let laptop = try await server.laptop("alice", role: .rep, territories: ["north"], schema: NextRelease.schema)
            try laptop.replica.insert("account", values: ["name": .text("Acme"), "sector": .text("tools")])
            do {
                _ = try await laptop.sync()
                Issue.record("a laptop on schema \(NextRelease.schema.version) synced with a server on \(CRMSchema.version)")
            } catch SyncClientError.refused(let error, let status) {
                #expect((400..<500).contains(status) && error.code == .unsupportedVersion)
                #expect(error.message.contains("wait for the server's upgrade before this laptop syncs (its changes stay on it)"))
                #expect(!error.message.contains("\n"))
            }
            #expect(try laptop.replica.pendingCount() == 1)
            #expect(try server.hub.liveRows("account").isEmpty)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func aLaptopOlderThanItsServerIsReadByTheNewNames() async throws {
        let server = try await LiveServer.start(hub: try Hub.inMemory(schema: NextRelease.schema))
        do {
            let laptop = try await server.laptop("alice", role: .rep, territories: ["north"])
            let acme = try laptop.replica.insert("account", values: ["name": .text("Acme"), "industry": .text("tools")])
            try laptop.replica.update("account", id: acme, set: ["email": .text("info@acme.example")])
            let summary = try await laptop.sync()
            #expect(summary.applied == 1 && summary.rejected == 1)
            #expect(try server.hub.row("account", id: acme)?.values["sector"] == .text("tools"))
            let entry = try #require(try server.hub.history("account", id: acme).last)
            #expect(entry.outcome == "rejected" && entry.value == .text("info@acme.example"))
            #expect(entry.detail?.contains("retired in release 3") == true)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
