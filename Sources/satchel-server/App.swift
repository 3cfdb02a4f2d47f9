import ArgumentParser
import Foundation
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
        subcommands: [Serve.self, Users.self, Import.self, Devices.self, Compact.self, Audit.self, Check.self],
        defaultSubcommand: Serve.self)
}

/// The data directory option every subcommand shares.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The data directory (created if missing).")
    var data: String = "./satchel-data"

    func open() throws -> Hub {
        try SQLiteServerStore.open(directory: data)
    }
}

extension SatchelServer {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the server with its embedded SQLite store.")

        @OptionGroup var data: DataOptions
        @Option(help: "The address to listen on.") var host: String = "127.0.0.1"
        @Option(help: "The port to listen on (0 picks a free one).") var port: Int = ServerConfiguration.defaultPort
        @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this certificate chain (PEM); needs --tls-key.")
        var tlsCert: String?
        @Option(name: .customLong("tls-key"), help: "The private key (PEM) of --tls-cert.") var tlsKey: String?

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            guard (tlsCert == nil) == (tlsKey == nil) else {
                throw ValidationError("give both --tls-cert and --tls-key to serve HTTPS, or neither")
            }
        }

        func run() async throws {
            let store = try data.open()
            try SQLiteServerStore.lockForServing(directory: data.data)
            var logger = Logger(label: "satchel-server")
            logger.logLevel = .info
            let tls = tlsCert.flatMap { cert in tlsKey.map { ServerConfiguration.TLSFiles(certificateChain: cert, privateKey: $0) } }
            let configuration = ServerConfiguration(dataDirectory: data.data, host: host, port: port, tls: tls)
            if let warning = configuration.exposureWarning {
                FileHandle.standardError.write(Data((warning + "\n").utf8))
            }
            let scheme = tls == nil ? "http" : "https"
            try await runServer(store: store, configuration: configuration, logger: logger) { [host] port in
                let line = "satchel-server listening on \(scheme)://\(host):\(port) (data: \(configuration.dataDirectory))\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
        }
    }
}
