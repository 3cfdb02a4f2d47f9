import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// The server and the client killed with SIGKILL mid-work, as power cuts and OOM killers do.
struct CrashTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("satchel-crash-\(UUID().uuidString)").path
    }

    func enroll(_ name: String, data: String, server: URL) async throws -> SyncClient {
        let added = try ServerProcess.run(["user", "add", name, "--role", "rep", "--territory", "north", "--data", data, "--json"])
        let token = try WireJSON.decoder.decode(AddUserResponse.self, from: Data(added.output.utf8)).enrollmentToken
        let enrolled = try await SyncClient.enroll(server: server, token: token, device: "\(name)-laptop")
        let replica = try Replica.inMemory(schema: CRMSchema.schema, replicaID: enrolled.replica)
        try replica.setWriter(user: name, device: enrolled.device)
        return SyncClient(
            replica: replica,
            configuration: .init(server: server, credential: enrolled.credential, pushBatch: 15, maxAttempts: 2, initialBackoff: .milliseconds(5)))
    }

    @Test func aServerKilledMidPushLosesNothingAcknowledgedAndAppliesNothingPartially() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var server = try ServerProcess(dataDirectory: data)
        let port = server.port
        var laptops: [SyncClient] = []
        for n in 0..<4 { laptops.append(try await enroll("rep\(n)", data: data, server: server.url)) }
        let perLaptop = 240
        for (n, laptop) in laptops.enumerated() {
            for k in 0..<perLaptop {
                try laptop.replica.insert("account", values: ["name": .text("Customer \(n)-\(k)"), "city": .text("Town \(k)")])
            }
        }

        // Four laptops push in small batches at once; the server is killed in the middle: once
        // some push has been answered (however busy the machine), long before all are.
        let pushes = laptops.map { laptop in Task { try? await laptop.push() } }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, try laptops.allSatisfy({ try $0.replica.outcomes().isEmpty }) {
            try await Task.sleep(for: .milliseconds(2))
        }
        server.kill()
        for push in pushes { _ = await push.value }

        // With the server down, its store holds whole pushes only: for every laptop, exactly its
        // first high-water-mark changes, and every change a laptop saw acknowledged.
        let store = try Hub.open(at: data + "/" + SQLiteServerStore.fileName, schema: CRMSchema.schema)
        var acknowledgedSomewhere = 0
        var pendingSomewhere = 0
        for laptop in laptops {
            let me = try laptop.replica.identity().replicaID
            let highWater = try store.highWater(of: me)
            let rows = try store.liveRows("account").filter { $0.stamps["name"]?.dot.replica == me }
            #expect(rows.count == Int(highWater), "a partial push reached the store")
            #expect(Set(rows.compactMap { $0.stamps["name"]?.dot.counter }) == Set((0..<highWater).map { $0 + 1 }))
            let acknowledged = try laptop.replica.outcomes().map(\.counter)
            #expect(acknowledged.allSatisfy { $0 <= highWater }, "an acknowledged change was lost")
            acknowledgedSomewhere += acknowledged.count
            pendingSomewhere += try laptop.replica.pendingCount()
        }
        #expect(pendingSomewhere > 0, "the kill came after every push finished; nothing was tested")
        #expect(acknowledgedSomewhere > 0, "the kill came before any push was answered; nothing was tested")

        // Restarted on the same data, the laptops' retries complete and everyone converges.
        server = try ServerProcess(dataDirectory: data, extraArguments: ["--port", String(port)])
        defer { server.stop() }
        for laptop in laptops {
            let summary = try await laptop.sync()
            #expect(summary.rejected == 0)
            #expect(try laptop.replica.pendingCount() == 0)
            #expect(try laptop.replica.outcomes().count == perLaptop)
        }
        for laptop in laptops { _ = try await laptop.sync() }
        for laptop in laptops {
            #expect(try laptop.replica.rows("account").count == laptops.count * perLaptop)
        }
    }

    @Test func aSyncKilledMidPullLeavesAConsistentReplicaThatResumes() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // The company's 3,000 accounts, imported before the laptop's first sync.
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let file = data + "/accounts.jsonl"
        let lines = (0..<3000).map { #"{"record":"account","name":"Customer \#($0)","city":"Lille","territory":"north"}"# }
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ServerProcess.run(["import", file, "--data", data + "/server"]).status == 0)
        let server = try ServerProcess(dataDirectory: data + "/server")
        defer { server.stop() }

        let added = try ServerProcess.run(["user", "add", "alice", "--role", "rep", "--territory", "north", "--data", data + "/server", "--json"])
        let token = try WireJSON.decoder.decode(AddUserResponse.self, from: Data(added.output.utf8)).enrollmentToken
        let home = data + "/alice"

        // `satchel login` bootstraps one row per page (3,000 requests); it is killed once some are in.
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["login", "--server", server.url.absoluteString, "--token", token]
        var environment = ProcessInfo.processInfo.environment
        environment["SATCHEL_HOME"] = home
        environment["SATCHEL_PAGE_SIZE"] = "1"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Watch the server's count of rows sent, on a thread of its own (the test pool may be
        // busy), and kill the laptop's process once a hundred rows are out.
        let metricsURL = server.url.appendingPathComponent("metrics")
        let sent = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(60)
                var sent = 0
                while Date() < deadline, process.isRunning {
                    let text = (try? String(contentsOf: metricsURL, encoding: .utf8)) ?? ""
                    let line = text.split(separator: "\n").first { $0.hasPrefix("satchel_pulled_rows_total ") }
                    sent = line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
                    if sent >= 100 { break }
                    Thread.sleep(forTimeInterval: 0.002)
                }
                kill(process.processIdentifier, SIGKILL)
                continuation.resume(returning: sent)
            }
        }
        #expect(sent >= 100 && sent < 3000, "the kill did not land mid-pull (\(sent) rows sent)")

        // The replica is consistent, keeps what it applied, and the next sync finishes the job.
        let replica = try Replica.open(at: home + "/replica.sqlite", schema: CRMSchema.schema)
        #expect(try replica.integrityCheck() == "ok")
        let partial = try replica.rows("account").count
        #expect(partial > 0 && partial < 3000, "\(partial) rows applied before the kill")
        #expect(try replica.identity().isBootstrapped == false)
        let cli = CLI(home: home)
        try cli.ok(["sync"])
        #expect(try replica.rows("account").count == 3000)
        #expect(try replica.identity().isBootstrapped)
        #expect(try replica.integrityCheck() == "ok")
    }
}
