import Foundation
import HubEngine
import HubPostgres
import HubStore
import Logging
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore
import SyncServer

/// The storage a test's server runs on: the embedded SQLite (always), or PostgreSQL when the
/// tests are given one (``TestDatabase``).
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    /// The backends the end-to-end tests run on here: SQLite, and PostgreSQL when configured.
    public static var available: [Backend] { TestDatabase.isConfigured ? [.sqlite, .postgres] : [.sqlite] }

    public var description: String { rawValue }
}

/// What the end-to-end tests ask of a hub beyond the server's protocol, whatever its storage.
public protocol TestHub: ServerStore {
    func redirect(_ entity: String, id: String) throws -> String?
    func liveRows(_ entity: String) throws -> [RowState]
    func history(_ entity: String, id: String) throws -> [HistoryEntry]
    /// Everything the store holds, as text: equal dumps, equal stores.
    func dump() throws -> String
}

extension HubService: TestHub where Storage: HubTableExporting {}

/// A real sync server on loopback (a free port) over an in-memory SQLite store or a throw-away
/// PostgreSQL database, for end-to-end tests.
public final class LiveServer: Sendable {
    public let hub: any TestHub
    public let url: URL
    private let task: Task<Void, any Error>
    private let database: TestDatabase?

    private init(hub: any TestHub, url: URL, task: Task<Void, any Error>, database: TestDatabase?) {
        self.hub = hub
        self.url = url
        self.task = task
        self.database = database
    }

    public static func start(
        backend: Backend = .sqlite, hub: Hub? = nil, limits: ServerLimits = ServerLimits(),
        clock: @escaping Replica.WallClock = Replica.systemClock
    ) async throws -> LiveServer {
        var database: TestDatabase?
        let store: any TestHub
        switch (backend, hub) {
        case (_, let given?):
            store = given
        case (.sqlite, nil):
            store = try Hub.inMemory(schema: CRMSchema.schema, clock: clock)
        case (.postgres, nil):
            let made = try TestDatabase.create("live server")
            database = made
            store = try PostgresHub.open(url: made.url, schema: CRMSchema.schema, clock: clock, connections: 4)
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "satchel-test-server")
        logger.logLevel = .critical
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, limits: limits)
        let task = Task {
            try await runServer(store: store, configuration: configuration, logger: logger, handlesSignals: false) { port in
                continuation.yield(port)
                continuation.finish()
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            database?.drop()
            throw SyncClientError.transport("the test server did not start")
        }
        return LiveServer(hub: store, url: URL(string: "http://127.0.0.1:\(port)")!, task: task, database: database)
    }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
        if let database {
            (hub as? PostgresHub)?.storage.close()
            database.drop()
        }
    }

    /// Registers a user and returns their one-time enrollment token.
    public func addUser(_ name: String, role: Role, territories: [String] = [], manager: String? = nil) throws -> String {
        let token = Tokens.generate(prefix: "enroll")
        try hub.addUser(
            UserInfo(name: name, role: role, territories: territories, manager: manager), enrollmentHash: Tokens.hash(token),
            expiresAt: nil, by: .serverOperator)
        return token
    }

    /// Registers a user, enrolls a laptop over HTTP and returns its sync client and replica (in
    /// memory, or a file in `folder`, where attachments need one).
    public func laptop(
        _ name: String, role: Role, territories: [String] = [], clock: @escaping Replica.WallClock = Replica.systemClock,
        transport: (any SyncTransport)? = nil, pageSize: Int = 500, folder: String? = nil, attachmentChunkBytes: Int = 1 << 20,
        schema: Schema = CRMSchema.schema
    ) async throws -> SyncClient {
        let token = try addUser(name, role: role, territories: territories)
        let enrolled = try await SyncClient.enroll(server: url, token: token, device: "\(name)-laptop")
        let replica =
            try folder.map { try Replica.open(at: $0 + "/replica.sqlite", schema: schema, replicaID: enrolled.replica, clock: clock) }
            ?? Replica.inMemory(schema: schema, replicaID: enrolled.replica, clock: clock)
        try replica.setWriter(user: name, device: enrolled.device, isPrivileged: role.isPrivileged)
        return SyncClient(
            replica: replica,
            configuration: .init(
                server: url, credential: enrolled.credential, pageSize: pageSize, bootstrapPageSize: pageSize, maxAttempts: 3,
                initialBackoff: .milliseconds(10), attachmentChunkBytes: attachmentChunkBytes),
            transport: transport)
    }
}
