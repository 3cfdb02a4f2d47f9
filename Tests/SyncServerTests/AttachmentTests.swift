import Crypto
import Foundation
import HubPostgres
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// Attachments through a live server on loopback, on every backend: bytes move in resumable
/// chunks, are stored once, reach exactly those who may see the record, and a hostile upload
/// gets a clear 4xx and stores nothing.
struct AttachmentTests {
    /// A north team (ana, ben), a south rep (cy), an account of each territory and a visit at the north one.
    struct Team {
        let server: LiveServer
        let folder: String
        let admin: SyncClient
        let ana: SyncClient
        let ben: SyncClient
        let cy: SyncClient
        let north: String
        let south: String
        let visit: String

        static func start(_ backend: Backend, limits: ServerLimits = ServerLimits(), chunk: Int = 1 << 20) async throws -> Team {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-att-\(UUID().uuidString)").path
            let server = try await LiveServer.start(backend: backend, limits: limits)
            let admin = try await server.laptop("root", role: .admin)
            let ana = try await server.laptop(
                "ana", role: .rep, territories: ["north"], folder: folder + "/ana", attachmentChunkBytes: chunk)
            let ben = try await server.laptop(
                "ben", role: .rep, territories: ["north"], folder: folder + "/ben", attachmentChunkBytes: chunk)
            let cy = try await server.laptop("cy", role: .rep, territories: ["south"], folder: folder + "/cy", attachmentChunkBytes: chunk)
            let north = try admin.replica.insert("account", values: ["name": .text("Shelf Co"), "territory": .text("north")])
            let south = try admin.replica.insert("account", values: ["name": .text("Sud SA"), "territory": .text("south")])
            _ = try await admin.sync()
            for laptop in [ana, ben, cy] { _ = try await laptop.sync() }
            let visit = try ana.replica.insert(
                "visit",
                values: [
                    "account_id": .text(north), "rep": .text("ana"), "started_at": .integer(1_700_000_000_000),
                    "channel": .text("face_to_face"), "purpose": .text("Shelf check"),
                ])
            _ = try await ana.sync()
            return Team(server: server, folder: folder, admin: admin, ana: ana, ben: ben, cy: cy, north: north, south: south, visit: visit)
        }

        func stop() async {
            await server.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }

        /// Runs `body` with a team, and stops it (awaited) however `body` ends.
        static func with(
            _ backend: Backend, limits: ServerLimits = ServerLimits(), chunk: Int = 1 << 20, _ body: (Team) async throws -> Void
        ) async throws {
            let team = try await start(backend, limits: limits, chunk: chunk)
            do {
                try await body(team)
            } catch {
                await team.stop()
                throw error
            }
            await team.stop()
        }

        /// A file in the test folder: `bytes` after a JPEG's magic number.
        func photo(_ name: String, bytes: Data) throws -> String {
            let path = folder + "/" + name
            try (Data([0xFF, 0xD8, 0xFF, 0xE0]) + bytes).write(to: URL(fileURLWithPath: path))
            return path
        }

        /// A raw request with `laptop`'s credential: its status and body.
        func raw(
            _ laptop: SyncClient, _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]
        ) async throws -> TransportResponse {
            var headers = headers
            headers["Authorization"] = "Bearer \(laptop.configuration.credential)"
            return try await HTTPTransport(baseURL: server.url).send(
                TransportRequest(method: method, path: path, headers: headers, body: body))
        }
    }

    static func random(_ count: Int, seed: UInt64) -> Data {
        var generator = SeededGenerator(seed: seed)
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func errorCode(_ response: TransportResponse) -> String? {
        (try? WireJSON.decoder.decode(ErrorResponse.self, from: response.body))?.error.code.rawValue
    }

    @Test(arguments: Backend.available)
    func aFileAttachedOfflineReachesATeammateWholeAndNoOneOutsideTheTerritory(backend: Backend) async throws {
        try await Team.with(backend, chunk: 256 << 10) { team in
            let original = try team.photo("shelf.jpg", bytes: Self.random(1_500_000, seed: 1))
            let id = try team.ana.replica.attach(file: original, to: "visit", id: team.visit, caption: "the shelf")
            // The copy is the laptop's: changing the original later changes nothing.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
            try Data("changed".utf8).write(to: URL(fileURLWithPath: original))
            #expect(try team.ana.replica.pendingUploads().map(\.attachmentID) == [id])

            let summary = try await team.ana.sync()
            #expect(summary.attachments.uploaded == 1)
            #expect(summary.attachments.uploadedBytes == Int64(bytes.count))
            #expect(try team.ana.replica.pendingUploads().isEmpty)
            // The server's note that the bytes arrived came back in the same sync.
            #expect(try team.ana.replica.row("attachment", id: id)?["uploaded_at"]?.isNull == false)

            _ = try await team.ben.sync()
            let file = try await team.ben.download(attachment: id)
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == bytes)
            #expect(try team.ben.replica.attachments(of: "visit", id: team.visit).map(\.id) == [id])
            // Ranges as HTTP has them: an open or overlong end stops at the file's end; a start past it is 416.
            let tail = try await team.raw(team.ben, "GET", "/v1/attachments/\(id)/content", headers: ["Range": "bytes=1000000-"])
            #expect(tail.status == 206)
            #expect(tail.headers["content-range"] == "bytes 1000000-\(bytes.count - 1)/\(bytes.count)")
            #expect(tail.body == bytes.suffix(from: 1_000_000))
            let overlong = try await team.raw(
                team.ben, "GET", "/v1/attachments/\(id)/content", headers: ["Range": "bytes=10-\(bytes.count + 99)"])
            #expect(overlong.body == bytes.suffix(from: 10))
            #expect(try await team.raw(team.ben, "GET", "/v1/attachments/\(id)/content", headers: ["Range": "bytes=\(bytes.count)-"]).status == 416)
            #expect(try await team.raw(team.ben, "GET", "/v1/attachments/\(id)/content", headers: ["Range": "bytes=5-2"]).status == 400)
            let widest = try await team.raw(
                team.ben, "GET", "/v1/attachments/\(id)/content", headers: ["Range": "bytes=0-\(Int64.max)"])
            #expect(widest.status == 206 && widest.body == bytes)

            // The south rep holds no such record, and the server answers its id as it answers a missing one.
            _ = try await team.cy.sync()
            #expect(try team.cy.replica.row("attachment", id: id) == nil)
            for path in ["/v1/attachments/\(id)/content", "/v1/attachments/\(id)/upload"] {
                let response = try await team.raw(team.cy, "GET", path)
                #expect(response.status == 404)
                #expect(!String(decoding: response.body, as: UTF8.self).contains("Shelf"))
            }
            // Nor can it write to the upload, finished or not: the same 404, nothing stored.
            let blobsBefore = try team.server.hub.blobStats()
            let pushed = try await team.raw(team.cy, "PUT", "/v1/attachments/\(id)/content?offset=0", body: Data([0xFF, 0xD8, 0xFF]))
            #expect(pushed.status == 404)
            #expect(try team.server.hub.blobStats() == blobsBefore)
            let sha256 = try #require(team.ana.replica.row("attachment", id: id)?["sha256"]?.textValue)
            #expect(try await team.raw(team.cy, "GET", "/v1/attachments/\(sha256)/content").status == 404)
            #expect(try await team.raw(team.cy, "GET", "/v1/blobs/\(sha256)").status == 404)

            // Knowing the hash is not a capability: a record of its own that names it gets nothing.
            let forged = try team.cy.replica.insert(
                "attachment",
                values: [
                    "account_id": .text(team.south), "file_name": .text("x.jpg"), "media_type": .text("image/jpeg"),
                    "size": .integer(Int64(bytes.count)), "sha256": .text(sha256), "attached_by": .text("cy"),
                    "attached_at": .integer(1_700_000_000_000),
                ])
            _ = try await team.cy.push()
            let status = try WireJSON.decoder.decode(
                UploadStatus.self, from: try await team.raw(team.cy, "GET", "/v1/attachments/\(forged)/upload").body)
            #expect(status.received == 0 && !status.complete)
            let content = try await team.raw(team.cy, "GET", "/v1/attachments/\(forged)/content")
            #expect(content.status == 409)
            #expect(try team.server.hub.blobStats() == BlobStats(blobs: 1, bytes: Int64(bytes.count)))

            // The account moves to the south rep: ben's laptop loses its record, and the file with it.
            _ = try team.server.hub.transferAccount(team.north, to: "cy", by: "root", from: "root-laptop")
            _ = try await team.ben.sync()
            #expect(try team.ben.replica.row("attachment", id: id) == nil)
            #expect(team.ben.replica.attachmentFile(sha256: sha256) == nil)
        }
    }

    @Test(arguments: Backend.available)
    func theSameFileAttachedByTwoRepsIsStoredOnceAndSentOnceWithinATerritory(backend: Backend) async throws {
        try await Team.with(backend) { team in
            let payload = Self.random(300_000, seed: 2)
            let first = try team.ana.replica.attach(file: try team.photo("a.jpg", bytes: payload), to: "visit", id: team.visit)
            _ = try await team.ana.sync()
            _ = try await team.ben.sync()

            // Ben attaches the same photo to the account: the server already holds those bytes for a
            // record he may see, so nothing is sent again.
            let second = try team.ben.replica.attach(file: try team.photo("b.jpg", bytes: payload), to: "account", id: team.north)
            let benSync = try await team.ben.sync()
            #expect(benSync.attachments.uploaded == 1)
            #expect(benSync.attachments.uploadedBytes == 0)
            #expect(try team.ben.replica.row("attachment", id: second)?["uploaded_at"]?.isNull == false)

            // A record naming the same hash with another size (or type) is not completed by the
            // bytes held: its laptop must send bytes that match it, which it cannot.
            let liar = try team.ben.replica.insert(
                "attachment",
                values: [
                    "account_id": .text(team.north), "file_name": .text("x.jpg"), "media_type": .text("image/jpeg"), "size": .integer(1),
                    "sha256": .text(try #require(team.ben.replica.row("attachment", id: first)?["sha256"]?.textValue)),
                    "attached_by": .text("ben"), "attached_at": .integer(1_700_000_000_000),
                ])
            _ = try await team.ben.push()
            let lied = try WireJSON.decoder.decode(
                UploadStatus.self, from: try await team.raw(team.ben, "GET", "/v1/attachments/\(liar)/upload").body)
            #expect(!lied.complete && lied.received == 0)

            // The south rep must send the bytes (they prove it has them); they are still stored once.
            let third = try team.cy.replica.attach(file: try team.photo("c.jpg", bytes: payload), to: "account", id: team.south)
            let cySync = try await team.cy.sync()
            #expect(cySync.attachments.uploadedBytes == Int64(payload.count + 4))
            #expect(try team.cy.replica.row("attachment", id: third)?["uploaded_at"]?.isNull == false)
            #expect(try team.server.hub.blobStats() == BlobStats(blobs: 1, bytes: Int64(payload.count + 4)))

            // Deleted everywhere and compacted once every laptop had the deletes: the blob goes. Not before.
            try team.ana.replica.delete("attachment", id: first)
            _ = try await team.ana.sync()
            _ = try team.server.hub.compact(by: .serverOperator)
            #expect(try team.server.hub.blobStats().blobs == 1)
            try team.ben.replica.delete("attachment", id: second)
            try team.ben.replica.delete("attachment", id: liar)
            try team.cy.replica.delete("attachment", id: third)
            // Every laptop pulls past every delete (a pull notes where it started: three rounds).
            for _ in 0..<3 {
                for laptop in [team.admin, team.ana, team.ben, team.cy] { _ = try await laptop.sync() }
            }
            let report = try team.server.hub.compact(by: .serverOperator)
            #expect(report.blobsCollected == BlobStats(blobs: 1, bytes: Int64(payload.count + 4)), "\(report)")
            #expect(try team.server.hub.blobStats() == BlobStats(blobs: 0, bytes: 0))
        }
    }

    @Test(arguments: Backend.available)
    func aRefusedAttachmentKeepsItsFileUntilTheRepDeletesIt(backend: Backend) async throws {
        try await Team.with(backend) { team in
            let id = try team.ana.replica.attach(file: try team.photo("mine.jpg", bytes: Self.random(20_000, seed: 6)), to: "visit", id: team.visit)
            let sha256 = try #require(team.ana.replica.row("attachment", id: id)?["sha256"]?.textValue)
            // The record is changed past the laptop's checks before it is pushed (attached_by names
            // someone else), so the server refuses it; the laptop must not lose the photo for that.
            try team.ana.replica.execute(sql: "UPDATE _outbox SET value = replace(value, '\"ana\"', '\"ben\"') WHERE row_id = ?", arguments: [id])
            let summary = try await team.ana.sync()
            #expect(summary.rejected == 1)
            #expect(try team.ana.replica.row("attachment", id: id) == nil, "a refused insert leaves no record")
            let waiting = try team.ana.replica.pendingUploads()
            #expect(waiting.map(\.attachmentID) == [id])
            #expect(waiting.first?.lastError?.contains("the server refused this attachment") == true)
            #expect(team.ana.replica.attachmentFile(sha256: sha256) != nil, "the only copy stays")
            _ = try await team.ana.sync()
            #expect(team.ana.replica.attachmentFile(sha256: sha256) != nil)
            // Deleted by the rep: the upload and, at the next sync, the file go.
            try team.ana.replica.deleteAttachment(id)
            #expect(try team.ana.replica.pendingUploads().isEmpty)
            _ = try await team.ana.sync()
            #expect(team.ana.replica.attachmentFile(sha256: sha256) == nil)
        }
    }

    @Test(arguments: Backend.available)
    func anInterruptedUploadResumesWhereTheServerStopped(backend: Backend) async throws {
        try await Team.with(backend, chunk: 100_000) { team in
            let bytes = Self.random(450_000, seed: 3)
            let id = try team.ana.replica.attach(file: try team.photo("big.jpg", bytes: bytes), to: "visit", id: team.visit)
            // The connection drops after two chunks.
            let cut = SyncClient(
                replica: team.ana.replica, configuration: team.ana.configuration,
                transport: CuttingTransport(base: HTTPTransport(baseURL: team.server.url), allowedPuts: 2))
            do {
                _ = try await cut.sync()
                Issue.record("the sync should have failed when the connection dropped")
            } catch is SyncClientError {}
            #expect(try team.ana.replica.pendingUploads().map(\.attachmentID) == [id])
            let held = try WireJSON.decoder.decode(
                UploadStatus.self, from: try await team.raw(team.ana, "GET", "/v1/attachments/\(id)/upload").body)
            #expect(held.received == 200_000)

            let resumed = try await team.ana.sync()
            #expect(resumed.attachments.uploadedBytes == Int64(bytes.count + 4) - 200_000)
            _ = try await team.ben.sync()
            let file = try await team.ben.download(attachment: id)
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data([0xFF, 0xD8, 0xFF, 0xE0]) + bytes)
        }
    }

    /// The server died after storing the last chunk and before checking the whole: it holds
    /// every byte and the record is not marked. The laptop's next sync finishes it with an
    /// empty chunk at the end, without sending the file again.
    @Test(arguments: Backend.available)
    func anUploadWholeButNotCheckedIsFinishedWithoutSendingItAgain(backend: Backend) async throws {
        try await Team.with(backend) { team in
            let path = try team.photo("whole.jpg", bytes: Self.random(30_000, seed: 8))
            let id = try team.ana.replica.attach(file: path, to: "visit", id: team.visit)
            _ = try await team.ana.push()
            let blobs = try #require((team.server.hub as? Hub)?.storage.blobs ?? (team.server.hub as? PostgresHub)?.storage.blobs)
            try blobs.append(id, at: 0, try Data(contentsOf: URL(fileURLWithPath: path)))
            let finished = try await team.ana.sync()
            #expect(finished.attachments.uploaded == 1)
            #expect(finished.attachments.uploadedBytes == 0)
            #expect(try team.ana.replica.row("attachment", id: id)?["uploaded_at"]?.isNull == false)
            #expect(try team.server.hub.blobStats().blobs == 1)
        }
    }

    @Test(arguments: Backend.available)
    func hostileUploadsGetAClearRefusalAndStoreNothing(backend: Backend) async throws {
        var limits = ServerLimits()
        limits.attachments = AttachmentLimits(maxFileBytes: 100_000, quotaBytes: 150_000)
        try await Team.with(backend, limits: limits) { team in
            let body = Data([0xFF, 0xD8, 0xFF, 0xE0]) + Self.random(50_000, seed: 4)
            let sha256 = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()

            /// An attachment record pushed by ana, declaring what the test says.
            func record(size: Int64, sha256: String, type: String = "image/jpeg") async throws -> String {
                let id = try team.ana.replica.insert(
                    "attachment",
                    values: [
                        "account_id": .text(team.north), "file_name": .text("f"), "media_type": .text(type), "size": .integer(size),
                        "sha256": .text(sha256), "attached_by": .text("ana"), "attached_at": .integer(1_700_000_000_000),
                    ])
                _ = try await team.ana.push()
                return id
            }
            func put(_ id: String, offset: Int = 0, _ data: Data) async throws -> TransportResponse {
                try await team.raw(team.ana, "PUT", "/v1/attachments/\(id)/content?offset=\(offset)", body: data)
            }
            func held(_ id: String) async throws -> Int64 {
                try WireJSON.decoder.decode(UploadStatus.self, from: try await team.raw(team.ana, "GET", "/v1/attachments/\(id)/upload").body)
                    .received
            }

            // Bytes that do not hash to the declared SHA-256.
            let mismatched = try await record(size: Int64(body.count), sha256: String(repeating: "ab", count: 32))
            let mismatch = try await put(mismatched, body)
            #expect(mismatch.status == 422)
            #expect(Self.errorCode(mismatch) == "hash-mismatch")
            #expect(try await held(mismatched) == 0)
            // A file over the server's per-file limit.
            let oversize = try await record(size: 200_000, sha256: sha256)
            let tooLarge = try await put(oversize, body)
            #expect(tooLarge.status == 413)
            // Asked first, as a laptop does, the server refuses before a byte is sent.
            let asked = try await team.raw(team.ana, "GET", "/v1/attachments/\(oversize)/upload")
            #expect(asked.status == 413)
            #expect(Self.errorCode(asked) == "too-large")
            // Bytes of another media type than declared (a PDF for a PNG).
            let wrongType = try await record(size: 9, sha256: sha256, type: "image/png")
            let refused = try await put(wrongType, Data("%PDF-1.7\n".utf8))
            #expect(refused.status == 415)
            #expect(try await held(wrongType) == 0)
            // A chunk beyond the declared size.
            let honest = try await record(size: Int64(body.count), sha256: sha256)
            let beyond = try await put(honest, body + Data([0]))
            #expect(beyond.status == 413)
            let late = try await put(honest, offset: body.count - 10, Data(repeating: 1, count: 11))
            #expect(late.status == 413)
            // Offsets and ranges at the edge of 64 bits are refused, not overflowed.
            #expect(try await put(honest, offset: Int(Int64.max), Data([1])).status == 413)
            #expect(try await held(honest) == 0)
            // A chunk that does not start where the held bytes end.
            #expect(try await put(honest, offset: 10, body.prefix(20)).status == 409)
            // Nothing of all that was kept.
            #expect(try team.server.hub.blobStats() == BlobStats(blobs: 0, bytes: 0))

            // The honest upload goes through; then the quota refuses a second file that would pass it.
            #expect(try await put(honest, body).status == 200)
            let overQuota = try await record(size: 100_000, sha256: String(repeating: "cd", count: 32))
            let quota = try await put(overQuota, body)
            #expect(quota.status == 413)
            #expect(Self.errorCode(quota) == "quota-exceeded")
            #expect(try team.server.hub.blobStats() == BlobStats(blobs: 1, bytes: Int64(body.count)))
            // Uploads under way count too: one begun holds its declared size, so a second that
            // would pass the quota with it is refused before a byte is kept.
            let begun = try await record(size: 60_000, sha256: String(repeating: "ef", count: 32))
            #expect(try await put(begun, body.prefix(10_000)).status == 200)
            let another = try await record(size: 60_000, sha256: String(repeating: "01", count: 32))
            let second = try await put(another, body.prefix(10_000))
            #expect(second.status == 413 && Self.errorCode(second) == "quota-exceeded")
            // Asked first, as a laptop does, it is refused before a byte is sent.
            let askedAgain = try await team.raw(team.ana, "GET", "/v1/attachments/\(another)/upload")
            #expect(askedAgain.status == 413 && Self.errorCode(askedAgain) == "quota-exceeded")
            // The one under way goes on.
            #expect(try await put(begun, offset: 10_000, body.prefix(20_000).suffix(10_000)).status == 200)

            // The quota is charged to attached_by, so a laptop may not name someone else there: a
            // record written past the laptop's own checks (raw SQL, captured all the same) is rejected.
            try team.ana.replica.execute(
                sql: """
                    INSERT INTO attachment (id, account_id, file_name, media_type, size, sha256, attached_by, attached_at)
                    VALUES ('forged-by', ?, 'f.jpg', 'image/jpeg', 10, ?, 'ben', 1700000000000)
                    """, arguments: [team.north, sha256])
            let pushed = try await team.ana.push()
            #expect(pushed.rejected == 1)
            let outcome = try #require(try team.ana.replica.outcomes().first { $0.rowID == "forged-by" })
            guard case .rejected(let rejection) = outcome.outcome else {
                Issue.record("the forged attached_by was \(outcome.outcome)")
                return
            }
            #expect(rejection.rule == "attachment.attached-by-writer")
        }
    }
}

/// A transport that lets `allowedPuts` chunk uploads through, then drops every request, as a
/// connection that dies mid-transfer.
final class CuttingTransport: SyncTransport, @unchecked Sendable {
    let base: any SyncTransport
    private let lock = NSLock()
    private var puts: Int
    init(base: any SyncTransport, allowedPuts: Int) {
        self.base = base
        self.puts = allowedPuts
    }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let allowed = lock.withLock { () -> Bool in
            if request.method == "PUT" { puts -= 1 }
            return puts >= 0
        }
        guard allowed else { throw SyncClientError.transport("the connection dropped") }
        return try await base.send(request)
    }
}
