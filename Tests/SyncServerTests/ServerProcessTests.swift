import Foundation
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// The README's run command, as a newcomer runs it: the real binary, a fresh data directory.
struct ServerProcessTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("satchel-server-\(UUID().uuidString)").path
    }

    @Test func theServeCommandStartsAWorkingServerOnAFreshDataDirectory() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.stop() }

        let health = try await HTTPTransport(baseURL: server.url).send(TransportRequest(method: "GET", path: "/health"))
        #expect(health.status == 200)
        #expect(FileManager.default.fileExists(atPath: data + "/satchel.sqlite"))

        // An operator registers a rep while it runs; the rep enrolls and syncs over HTTP.
        let added = try ServerProcess.run(["user", "add", "alice", "--role", "rep", "--territory", "north", "--data", data, "--json"])
        #expect(added.status == 0, "\(added.error)")
        let token = try WireJSON.decoder.decode(AddUserResponse.self, from: Data(added.output.utf8)).enrollmentToken
        let enrolled = try await SyncClient.enroll(server: server.url, token: token, device: "alice-laptop")
        #expect(enrolled.user == "alice")
        let listed = try ServerProcess.run(["user", "list", "--data", data])
        #expect(listed.output.contains("alice") && listed.output.contains("north"))

        // A second server on the same data directory refuses to start.
        let second = try ServerProcess.run(["serve", "--data", data, "--port", "0"])
        #expect(second.status != 0)
        #expect(second.error.contains("another satchel-server is already serving"))

        #expect(server.stop() == 0, "SIGTERM shuts the server down cleanly")
    }

    @Test func badArgumentsGetAOneLineErrorAndAnExitCode() throws {
        let role = try ServerProcess.run(["user", "add", "bob", "--role", "wizard"])
        #expect(role.status != 0)
        #expect(role.error.contains("'wizard' is invalid for '--role"))
        #expect(role.error.hasPrefix("Error: "))
        let port = try ServerProcess.run(["serve", "--port", "70000"])
        #expect(port.status != 0)
        #expect(port.error.contains("--port must be between 0 and 65535"))
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let missing = try ServerProcess.run(["import", "/nonexistent/accounts.csv", "--data", data])
        #expect(missing.status != 0)
        #expect(missing.error.contains("cannot read /nonexistent/accounts.csv"))
        #expect(!missing.error.contains("Fatal"))
    }
}
