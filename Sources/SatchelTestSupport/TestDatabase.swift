import Foundation
import HubPostgres

/// A throw-away PostgreSQL database for one test, made in the server that
/// `SATCHEL_TEST_DATABASE_URL` names (`postgres://USER:PASSWORD@HOST:PORT/DB`; the user needs
/// CREATEDB). `.ci/run` starts a server and sets it; without it, the PostgreSQL tests say why
/// they did not run, unless `SATCHEL_REQUIRE_POSTGRES=1`, which makes its absence a failure.
public struct TestDatabase: Sendable {
    let scratch: ScratchDatabase

    /// The new database's URL.
    public var url: String { scratch.url }

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
        return TestDatabase(scratch: try ScratchDatabase.create(on: server, label: "t_" + label))
    }

    /// Drops the database (closing what is still connected to it).
    public func drop() {
        scratch.drop()
    }
}

public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
