import Foundation
import HubEngine
import HubStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SatchelModel
import SyncCore

/// The hub on PostgreSQL: ``HubService`` over ``PostgresHubStorage``.
public typealias PostgresHub = HubService<PostgresHubStorage>

/// The hub's storage in a PostgreSQL database, which several `satchel-server` processes may
/// share.
///
/// Like the SQLite storage it loads, applies and answers; it decides nothing. Every write
/// transaction starts by locking the one row of `hub_meta` (`SELECT … FOR UPDATE`), so the
/// hub's writes are serialised across every server exactly as SQLite's single writer serialises
/// them in one process: a plan is made against the state the previous write committed, and
/// feed positions are handed out and committed in the same order, so a reader's snapshot never
/// holds a position whose predecessor is still uncommitted
/// (`Docs/decisions/0007-postgres-feed-order.md`).
///
/// The hub's calls are synchronous (the server runs them off its event loops); each waits for
/// its statements on a connection of a small pool.
public final class PostgresHubStorage: HubStorage, @unchecked Sendable {
    public typealias Reader = PostgresHubView

    let schema: Schema
    let pool: ConnectionPool
    let logger: Logger
    /// Where the database is, for messages (never the password).
    public let location: String

    /// Connects to the database `url` names (`postgres://USER:PASSWORD@HOST:PORT/DB`), checks
    /// the server's version and brings the hub's tables up to date (once, whichever server
    /// comes first).
    public static func open(
        url: String, schema: Schema, replicaID: ReplicaID? = nil, connections: Int = 8
    ) throws -> PostgresHubStorage {
        let target = try DatabaseURL(url)
        let storage = PostgresHubStorage(target: target, schema: schema, connections: connections)
        do {
            try storage.checkVersion()
            try storage.migrate(replicaID: replicaID)
        } catch {
            storage.close()
            throw error
        }
        return storage
    }

    init(target: DatabaseURL, schema: Schema, connections: Int) {
        self.schema = schema
        var logger = Logger(label: "satchel.postgres")
        logger.logLevel = .critical
        self.logger = logger
        self.location = target.location
        self.pool = ConnectionPool(target: target, size: max(1, connections), logger: logger)
    }

    /// Closes every connection.
    public func close() {
        pool.close()
    }

    deinit {
        pool.close()
    }

    public func read<T>(_ body: (PostgresHubView) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// Runs `body` on a connection of the pool in one transaction opened by `begin`, committed
    /// when it returns and rolled back when it throws.
    func transaction<T>(begin: PostgresQuery = "BEGIN", _ body: (PostgresHubView) throws -> T) throws -> T {
        try pool.with { connection in
            let view = PostgresHubView(connection: connection, schema: schema, logger: logger, location: location)
            try view.execute(begin)
            do {
                let result = try body(view)
                try view.execute("COMMIT")
                return result
            } catch {
                _ = try? view.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func write<T>(_ body: (PostgresHubView) throws -> (result: T, writes: HubWrites)) throws -> T {
        try pool.with { connection in
            let view = PostgresHubView(connection: connection, schema: schema, logger: logger, location: location)
            try view.execute("BEGIN")
            do {
                // The hub's one writer at a time, across servers: held until COMMIT.
                _ = try view.rows("SELECT seq FROM hub_meta WHERE singleton = 1 FOR UPDATE")
                let (result, writes) = try body(view)
                try view.apply(writes)
                try view.execute("COMMIT")
                return result
            } catch {
                _ = try? view.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Several servers share the database.
    public var isShared: Bool { true }

    /// Attachments' bytes in the same database (``PostgresBlobStorage``).
    public var blobs: any BlobStorage { PostgresBlobStorage(storage: self) }

    /// One statement, committed on its own: it waits for no writer (only for a push that is
    /// writing the same device's marks) and holds no writer back.
    public func recordSent(_ replica: ReplicaID, upTo position: Int64) throws {
        try pool.with { connection in
            let view = PostgresHubView(connection: connection, schema: schema, logger: logger, location: location)
            try view.execute(
                "UPDATE hub_device SET sent_to = GREATEST(sent_to, \(position)) WHERE replica_id = \(replica.rawValue)")
        }
    }

    /// Refuses a server older than PostgreSQL 13 with one line.
    func checkVersion() throws {
        try pool.with { connection in
            let view = PostgresHubView(connection: connection, schema: schema, logger: logger, location: location)
            let number = try view.rows("SHOW server_version_num").first?.decode(String.self) ?? "0"
            guard let version = Int(number), version >= 130_000 else {
                throw HubError.storage(
                    "the PostgreSQL server at \(location) is version \(number); Satchel needs PostgreSQL 13 or later")
            }
        }
    }
}

extension HubService where Storage == PostgresHubStorage {
    /// Opens the hub in the PostgreSQL database `url` names.
    public static func open(
        url: String, schema: Schema, clock: @escaping WallClock = systemWallClock,
        maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift, replicaID: ReplicaID? = nil, connections: Int = 8
    ) throws -> PostgresHub {
        try PostgresHub(
            storage: .open(url: url, schema: schema, replicaID: replicaID, connections: connections), schema: schema,
            clock: clock, maxClockDrift: maxClockDrift)
    }
}

/// A `postgres://USER:PASSWORD@HOST:PORT/DB` address, checked.
public struct DatabaseURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// `sslmode=require` in the query: TLS, with the server's certificate verified.
    public var requireTLS: Bool

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw HubError.storage("--database takes postgres://USER:PASSWORD@HOST:PORT/DB, not '\(Self.redacted(text))'")
        }
        guard let host = components.host, !host.isEmpty else {
            throw HubError.storage("the database URL names no host; write postgres://USER:PASSWORD@HOST:PORT/DB")
        }
        guard let user = components.user, !user.isEmpty else {
            throw HubError.storage("the database URL names no user; write postgres://USER:PASSWORD@HOST:PORT/DB")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw HubError.storage("the database URL names no database; write postgres://USER:PASSWORD@HOST:PORT/DB")
        }
        var requireTLS = false
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"), ("sslmode", "prefer"), ("sslmode", "allow"): requireTLS = false
            case ("sslmode", "require"), ("sslmode", "verify-full"): requireTLS = true
            default:
                throw HubError.storage("the database URL's option '\(item.name)=\(item.value ?? "")' is not supported; only sslmode=disable|require")
            }
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.requireTLS = requireTLS
    }

    /// `HOST:PORT/DB`, for messages.
    public var location: String { "\(host):\(port)/\(database)" }

    /// The address with its password hidden.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "***"
    }
}

/// A few connections, taken one per transaction and given back after it; a broken one is
/// dropped and replaced on the next use.
final class ConnectionPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var closed = false
    private var nextID = 0
    let size: Int
    let target: DatabaseURL
    let logger: Logger

    init(target: DatabaseURL, size: Int, logger: Logger) {
        self.target = target
        self.size = size
        self.logger = logger
    }

    func with<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try take()
        do {
            let result = try body(connection)
            give(connection)
            return result
        } catch {
            give(connection)
            throw error
        }
    }

    private func take() throws -> PostgresConnection {
        condition.lock()
        while idle.isEmpty && opened >= size && !closed { condition.wait() }
        if closed {
            condition.unlock()
            throw HubError.storage("the connection to \(target.location) is closed")
        }
        if let connection = idle.popLast() {
            condition.unlock()
            if !connection.isClosed { return connection }
            condition.lock()
            opened -= 1
            condition.unlock()
            return try take()
        }
        opened += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
            return try connect(id: id)
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func give(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isClosed || closed {
            opened -= 1
            if closed { let _: EventLoopFuture<Void> = connection.close() }
        } else {
            idle.append(connection)
        }
        condition.signal()
        condition.unlock()
    }

    private func connect(id: Int) throws -> PostgresConnection {
        var tls = PostgresConnection.Configuration.TLS.disable
        if target.requireTLS {
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw HubError.storage("cannot set up TLS for \(target.location): \(error)")
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.user, password: target.password, database: target.database,
            tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: id, logger: logger
            ).wait()
        } catch {
            throw HubError.storage("cannot reach the database at \(target.location): \(PostgresHubView.reason(error))")
        }
    }

    func close() {
        condition.lock()
        closed = true
        let connections = idle
        idle = []
        opened -= connections.count
        condition.broadcast()
        condition.unlock()
        for connection in connections {
            let closing: EventLoopFuture<Void> = connection.close()
            try? closing.wait()
        }
    }
}
