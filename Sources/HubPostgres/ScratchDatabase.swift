import Foundation
import HubEngine
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A throw-away database made in the PostgreSQL server a URL names (its user needs CREATEDB):
/// what the tests and the benchmark run on, so that nothing they do touches a real database.
public struct ScratchDatabase: Sendable {
    /// The new database's URL.
    public let url: String
    public let name: String
    let server: DatabaseURL

    /// Creates an empty database named `satchel_<label>_<random>` beside the one `serverURL` names.
    public static func create(on serverURL: String, label: String) throws -> ScratchDatabase {
        let server = try DatabaseURL(serverURL)
        let safe = label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name = "satchel_" + String(safe.prefix(30)) + "_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try run("CREATE DATABASE \(name)", on: server)
        guard var components = URLComponents(string: serverURL) else {
            throw HubError.storage("the database URL cannot be read again")
        }
        components.path = "/" + name
        guard let url = components.string else { throw HubError.storage("the database URL cannot be written") }
        return ScratchDatabase(url: url, name: name, server: server)
    }

    /// Drops the database, closing whatever is still connected to it.
    public func drop() {
        try? Self.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: server)
    }

    static func run(_ sql: String, on target: DatabaseURL) throws {
        var logger = Logger(label: "satchel.scratch-database")
        logger.logLevel = .critical
        let configuration = PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.user, password: target.password, database: target.database,
            tls: .disable)
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger
            ).wait()
            defer {
                let closing: EventLoopFuture<Void> = connection.close()
                try? closing.wait()
            }
            _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
        } catch let error as HubError {
            throw error
        } catch {
            throw HubError.storage("\(sql) on \(target.location) failed: \(PostgresHubView.reason(error))")
        }
    }
}
