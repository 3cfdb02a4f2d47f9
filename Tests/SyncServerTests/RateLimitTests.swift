import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// Guessing credentials is answered 429 with `Retry-After`, and never locks out a valid one.
struct RateLimitTests {
    @Test func failedSignInsAreThrottledButAValidCredentialIsNot() async throws {
        var limits = ServerLimits()
        limits.rates = .custom(enrollBurst: 2, failedBurst: 2, credentialBurst: 100, perSecond: 0.01)
        let server = try await LiveServer.start(limits: limits)
        defer { Task { await server.stop() } }
        let alice = try await server.laptop("alice", role: .rep, territories: ["north"])
        let transport = HTTPTransport(baseURL: server.url)
        func pull(_ credential: String) async throws -> TransportResponse {
            try await transport.send(
                TransportRequest(method: "GET", path: "/v1/sync/pull?since=0", headers: ["Authorization": "Bearer \(credential)"]))
        }
        #expect(try await pull("sat_device_guess1").status == 401)
        #expect(try await pull("sat_device_guess2").status == 401)
        let throttled = try await pull("sat_device_guess3")
        #expect(throttled.status == 429)
        #expect(Int(throttled.headers["retry-after"] ?? "") ?? 0 >= 1)
        let error = try WireJSON.decoder.decode(ErrorResponse.self, from: throttled.body).error
        #expect(error.code == .rateLimited)
        #expect(try await pull(alice.configuration.credential).status == 200)
        // A wrong enrollment token from the same address is throttled too.
        let enroll = TransportRequest(
            method: "POST", path: "/v1/enroll", headers: ["Content-Type": "application/json"],
            body: try WireJSON.encoder.encode(EnrollRequest(token: "sat_enroll_nope", device: "x")))
        #expect(try await transport.send(enroll).status == 429)
    }

    @Test func aRotatedCredentialReplacesTheOldOneOnItsFirstUse() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let alice = try await server.laptop("alice", role: .rep, territories: ["north"])
        let rotated = try await alice.request("POST", "/v1/device/rotate", as: RotateResponse.self)
        #expect(rotated.credential.hasPrefix("sat_device_") && rotated.credential != alice.configuration.credential)
        // Until the new credential is used, the old one still works (a lost answer locks nobody out).
        _ = try await alice.sync()
        var configuration = alice.configuration
        configuration.credential = rotated.credential
        let renewed = SyncClient(replica: alice.replica, configuration: configuration)
        _ = try await renewed.sync()
        await #expect(throws: SyncClientError.self) { try await alice.sync() }
        _ = try await renewed.sync()
        let audit = try server.hub.auditEntries(limit: 200).map(\.action)
        #expect(audit.contains("device.rotate"))
    }
}
