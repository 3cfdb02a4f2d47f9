import Foundation
import HubStore
import Logging
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore
import SyncServer

/// A real sync server on loopback (a free port) over an in-memory store, for end-to-end tests.
public final class LiveServer: Sendable {
    public let hub: Hub
    public let url: URL
    private let task: Task<Void, any Error>

    private init(hub: Hub, url: URL, task: Task<Void, any Error>) {
        self.hub = hub
        self.url = url
        self.task = task
    }

    public static func start(
        hub: Hub? = nil, limits: ServerLimits = ServerLimits(), clock: @escaping Replica.WallClock = Replica.systemClock
    ) async throws -> LiveServer {
        let hub = try hub ?? Hub.inMemory(schema: CRMSchema.schema, clock: clock)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "satchel-test-server")
        logger.logLevel = .critical
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, limits: limits)
        let task = Task {
            try await runServer(store: hub, configuration: configuration, logger: logger, handlesSignals: false) { port in
                continuation.yield(port)
                continuation.finish()
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            throw SyncClientError.transport("the test server did not start")
        }
        return LiveServer(hub: hub, url: URL(string: "http://127.0.0.1:\(port)")!, task: task)
    }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Registers a user and returns their one-time enrollment token.
    public func addUser(_ name: String, role: Role, territories: [String] = [], manager: String? = nil) throws -> String {
        let token = Tokens.generate(prefix: "enroll")
        try hub.addUser(UserInfo(name: name, role: role, territories: territories, manager: manager), enrollmentHash: Tokens.hash(token))
        return token
    }

    /// Registers a user, enrolls a laptop over HTTP and returns its sync client and replica.
    public func laptop(
        _ name: String, role: Role, territories: [String] = [], clock: @escaping Replica.WallClock = Replica.systemClock,
        transport: (any SyncTransport)? = nil, pageSize: Int = 500
    ) async throws -> SyncClient {
        let token = try addUser(name, role: role, territories: territories)
        let enrolled = try await SyncClient.enroll(server: url, token: token, device: "\(name)-laptop")
        let replica = try Replica.inMemory(schema: CRMSchema.schema, replicaID: enrolled.replica, clock: clock)
        try replica.setWriter(user: name, device: enrolled.device, isPrivileged: role.isPrivileged)
        return SyncClient(
            replica: replica,
            configuration: .init(
                server: url, credential: enrolled.credential, pageSize: pageSize, bootstrapPageSize: pageSize, maxAttempts: 3,
                initialBackoff: .milliseconds(10)),
            transport: transport)
    }
}
