import Foundation
import HubPostgres
import Logging
import NIOPosix
import PostgresNIO

/// A throw-away PostgreSQL database for one test, made in the server that
/// `SATCHEL_TEST_DATABASE_URL` names (`postgres://USER:PASSWORD@HOST:PORT/DB`; the user needs
/// CREATEDB). `.ci/run` starts a server and sets it; without it, the PostgreSQL tests say why
/// they did not run, unless `SATCHEL_REQUIRE_POSTGRES=1`, which makes its absence a failure.
public struct TestDatabase: Sendable {
    /// The new database's URL.
    public let url: String
    let name: String
    let admin: DatabaseURL

    /// The server's URL, when one is configured.
    public static var serverURL: String? {
        ProcessInfo.processInfo.environment["SATCHEL_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the PostgreSQL tests run here: a server is configured, or one is required (and
    /// its absence then fails them, as in CI).
    public static var isConfigured: Bool {
        serverURL != nil || ProcessInfo.processInfo.environment["SATCHEL_REQUIRE_POSTGRES"] == "1"
    }

    /// Why the PostgreSQL tests did not run.
    public static let skipReason =
        "no PostgreSQL: set SATCHEL_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DB (a user with CREATEDB) to run these; .ci/run starts one"

    /// Creates an empty database named after `label` and a random suffix.
    public static func create(_ label: String) throws -> TestDatabase {
        guard let server = serverURL else {
            throw TestDatabaseError("SATCHEL_REQUIRE_POSTGRES=1 but SATCHEL_TEST_DATABASE_URL is not set")
        }
        let admin = try DatabaseURL(server)
        let safe = label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name = "satchel_t_" + String(safe.prefix(30)) + "_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try run("CREATE DATABASE \(name)", on: admin)
        var components = URLComponents(string: server)!
        components.path = "/" + name
        return TestDatabase(url: components.string!, name: name, admin: admin)
    }

    /// Drops the database (closing what is still connected to it).
    public func drop() {
        try? Self.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
    }

    static func run(_ sql: String, on target: DatabaseURL) throws {
        var logger = Logger(label: "satchel.test-database")
        logger.logLevel = .critical
        let configuration = PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.user, password: target.password, database: target.database,
            tls: .disable)
        let connection = try PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger
        ).wait()
        defer {
            let closing: EventLoopFuture<Void> = connection.close()
            try? closing.wait()
        }
        _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
    }
}

public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
