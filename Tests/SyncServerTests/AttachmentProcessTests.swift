import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// Attachments with the real binaries, as reps and an operator run them: a 5 MB photo attached
/// offline survives the server dying mid-upload, reaches a teammate byte for byte, is stored
/// once, and stays out of reach of another territory.
struct AttachmentProcessTests {
    @Test func aPhotoSurvivesTheServerDyingMidUploadAndReachesOnlyTheTerritory() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-attach-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/data"
        var server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        func login(_ name: String, territory: String) throws -> CLI {
            let added = try ServerProcess.run(["user", "add", name, "--role", "rep", "--territory", territory, "--data", data, "--json"])
            let token = try WireJSON.decoder.decode(AddUserResponse.self, from: Data(added.output.utf8)).enrollmentToken
            let cli = CLI(home: root + "/" + name)
            try cli.ok(["login", "--server", server.url.absoluteString, "--token", token, "--device", "\(name)-laptop"])
            return cli
        }
        let ana = try login("ana", territory: "north")
        let ben = try login("ben", territory: "north")
        let cy = try login("cy", territory: "south")
        let account = try ana.ok(["account", "add", "--name", "Shelf Co", "--json"]).object()["id"] as! String
        let visit = try ana.ok(["visit", "log", "--account", account, "--purpose", "Shelf check", "--outcome", "ok", "--json"])
            .object()["id"] as! String

        // Offline: the photo is attached (and its original then deleted: the replica has its copy).
        var generator = SeededGenerator(seed: 17)
        let photo = Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data((0..<5_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let original = root + "/shelf.jpg"
        try photo.write(to: URL(fileURLWithPath: original))
        let attached = try ana.ok(["visit", "attach", visit, original, "--caption", "Front shelf", "--json"]).object()
        let attachment = attached["id"] as! String
        try FileManager.default.removeItem(atPath: original)
        #expect(try ana.ok(["status"]).output.contains("shelf.jpg"))

        // The sync is cut: the server is killed once part of the upload is on its disk.
        let uploads = data + "/satchel.blobs/uploads"
        let sync = try ana.start(["sync"], environment: ["SATCHEL_CHUNK_KB": "64"])
        let deadline = Date().addingTimeInterval(60)
        var held: Int64 = 0
        while Date() < deadline, sync.isRunning {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []
            held = files.compactMap { (try? FileManager.default.attributesOfItem(atPath: uploads + "/" + $0))?[.size] as? Int64 }.max() ?? 0
            if held > 0 { break }
            usleep(1000)
        }
        server.kill()
        sync.waitUntilExit()
        #expect(held > 0 && held < Int64(photo.count), "the server was killed with \(held) bytes of the upload")
        #expect(sync.terminationStatus != 0)
        #expect(try ana.ok(["status"]).output.contains("shelf.jpg"))

        // Restarted on the same address, the next sync sends only what the server lacks.
        server = try ServerProcess(dataDirectory: data, extraArguments: ["--port", String(server.port)])
        let resumed = try ana.ok(["sync", "--json"]).object()
        let files = resumed["attachments"] as? [String: Any]
        #expect(files?["uploaded"] as? Int == 1)
        let sent = (files?["uploadedBytes"] as? Int) ?? -1
        #expect(sent > 0 && sent < photo.count, "the resumed sync sent \(sent) of \(photo.count) bytes")
        #expect(!(try ana.ok(["status"]).output.contains("waiting to upload")))

        // A teammate's sync with --attachments leaves a file over its cap on the server.
        let capped = try ben.ok(["sync", "--attachments", "--attachment-cap", "1"]).output
        #expect(capped.contains("1 over the cap left on the server"), "\(capped)")
        let listed = try ben.ok(["visit", "attachments", visit]).output
        #expect(listed.contains("shelf.jpg") && listed.contains("on the server"))
        // On a terminal, fetching it shows its progress; the copy is byte for byte.
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        script.arguments = [
            "-qec", "\(CLI.binary.path) attachment get \(attachment.prefix(8)) --out \(root)/got.jpg", "/dev/null",
        ]
        script.environment = ProcessInfo.processInfo.environment.merging(["SATCHEL_HOME": ben.home, "SATCHEL_CHUNK_KB": "256"]) { $1 }
        let terminal = Pipe()
        script.standardOutput = terminal
        try script.run()
        let shown = String(decoding: terminal.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        script.waitUntilExit()
        #expect(script.terminationStatus == 0, "\(shown)")
        #expect(shown.contains("fetching shelf.jpg ["), "\(shown)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/got.jpg")) == photo)
        #expect(try ben.ok(["visit", "attachments", visit]).output.contains("on this laptop"))

        // The same photo attached by the teammate is stored once on the server.
        try ben.ok(["account", "attach", account, root + "/got.jpg"])
        try ben.ok(["sync"])
        let blobs = try FileManager.default.contentsOfDirectory(atPath: data + "/satchel.blobs/sha256")
        #expect(blobs.count == 1)
        #expect((try FileManager.default.attributesOfItem(atPath: data + "/satchel.blobs/sha256/" + blobs[0])[.size] as? Int) == photo.count)

        // Another territory gets nothing: not the record, not the bytes by id, not by hash.
        try cy.ok(["sync", "--attachments"])
        let refused = try cy.run(["attachment", "get", attachment])
        #expect(refused.status != 0)
        #expect(refused.error.contains("there is no attachment"))
        let credential = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: root + "/cy/credentials.json"))) as! [String: Any]
        for path in ["/v1/attachments/\(attachment)/content", "/v1/attachments/\(blobs[0])/content", "/v1/blobs/\(blobs[0])"] {
            var request = URLRequest(url: URL(string: server.url.absoluteString + path)!)
            request.setValue("Bearer \(credential["credential"] as! String)", forHTTPHeaderField: "Authorization")
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 404, "\(path)")
        }
    }
}
