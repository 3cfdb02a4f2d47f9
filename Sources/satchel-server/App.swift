import ArgumentParser
import Foundation
import HubPostgres
import HubStore
import Logging
import ReplicaStore
import SatchelModel
import SyncCore
import SyncServer

/// `satchel-server`: runs the sync server and administers its data directory.
@main
struct SatchelServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satchel-server",
        abstract: "The Satchel sync server: merges every rep's changes and serves their replicas.",
        subcommands: [Serve.self, Users.self, Import.self, Devices.self, Compact.self, Audit.self, Check.self, Copy.self],
        defaultSubcommand: Serve.self)
}

/// Where the hub is, for every subcommand: the SQLite store in a data directory (the default),
/// or a PostgreSQL database that several servers share.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The data directory of the embedded SQLite store (created if missing).")
    var data: String = "./satchel-data"
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The PostgreSQL database (postgres://USER:PASSWORD@HOST:PORT/DB) instead of --data.",
            discussion: "Also read from SATCHEL_DATABASE_URL. Prefer the variable: a password in argv is visible to other users."))
    var database: String?

    /// The database URL from `--database` or the environment, if any.
    var databaseURL: String? {
        database ?? ProcessInfo.processInfo.environment[PostgresServerStore.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// What the store is, for messages (never a password).
    var describe: String {
        guard let url = databaseURL else { return data }
        return (try? DatabaseURL(url).location).map { "postgres \($0)" } ?? "the database"
    }

    /// Whether a store is there already (a PostgreSQL database always counts as one).
    var storeExists: Bool {
        databaseURL != nil
            || FileManager.default.fileExists(atPath: (data as NSString).appendingPathComponent(SQLiteServerStore.fileName))
    }

    func open() throws -> any ServerStore {
        if let url = databaseURL { return try PostgresServerStore.open(url: url) }
        return try SQLiteServerStore.open(directory: data)
    }

    /// The SQLite store, for the commands that only it has.
    func openSQLite(for command: String) throws -> Hub {
        guard databaseURL == nil else {
            throw CommandError(
                "'\(command)' reads the SQLite store in --data; on PostgreSQL use the database's own tools (Docs/operations.md)")
        }
        return try SQLiteServerStore.open(directory: data)
    }
}

extension SatchelServer {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the server: on its embedded SQLite store (--data), or on PostgreSQL (--database) beside other servers.")

        @OptionGroup var data: DataOptions
        @Option(help: "The address to listen on.") var host: String = "127.0.0.1"
        @Option(help: "The port to listen on (0 picks a free one).") var port: Int = ServerConfiguration.defaultPort
        @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this certificate chain (PEM); needs --tls-key.")
        var tlsCert: String?
        @Option(name: .customLong("tls-key"), help: "The private key (PEM) of --tls-cert.") var tlsKey: String?
        @Option(name: .customLong("max-attachment-mb"), help: "The largest attachment accepted, in MB.")
        var maxAttachmentMB: Int = Int(AttachmentMedia.defaultMaxBytes / 1_000_000)
        @Option(name: .customLong("attachment-quota-mb"), help: "The bytes of attachments each user may upload, in MB.")
        var attachmentQuotaMB: Int = Int(AttachmentLimits().quotaBytes / 1_000_000)

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            guard (1...4096).contains(maxAttachmentMB) else { throw ValidationError("--max-attachment-mb is 1 to 4096") }
            guard attachmentQuotaMB >= 1 else { throw ValidationError("--attachment-quota-mb is 1 or more") }
            guard (tlsCert == nil) == (tlsKey == nil) else {
                throw ValidationError("give both --tls-cert and --tls-key to serve HTTPS, or neither")
            }
        }

        func run() async throws {
            let store = try data.open()
            // One SQLite store serves one process; a PostgreSQL database serves any number.
            if data.databaseURL == nil { try SQLiteServerStore.lockForServing(directory: data.data) }
            var logger = Logger(label: "satchel-server")
            logger.logLevel = .info
            let tls = tlsCert.flatMap { cert in tlsKey.map { ServerConfiguration.TLSFiles(certificateChain: cert, privateKey: $0) } }
            var limits = ServerLimits()
            limits.attachments = AttachmentLimits(
                maxFileBytes: Int64(maxAttachmentMB) * 1_000_000, quotaBytes: Int64(attachmentQuotaMB) * 1_000_000)
            let configuration = ServerConfiguration(dataDirectory: data.data, host: host, port: port, limits: limits, tls: tls)
            if let warning = configuration.exposureWarning {
                FileHandle.standardError.write(Data((warning + "\n").utf8))
            }
            let scheme = tls == nil ? "http" : "https"
            let describe = data.describe
            try await runServer(store: store, configuration: configuration, logger: logger) { [host] port in
                let line = "satchel-server listening on \(scheme)://\(host):\(port) (data: \(describe))\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
        }
    }
}

/// A refusal that needs no usage text: what is wrong and what to do instead.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
