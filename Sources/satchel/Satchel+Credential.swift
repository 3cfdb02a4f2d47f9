import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore

extension Satchel {
    struct Credential: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "credential", abstract: "This laptop's device credential.", subcommands: [Rotate.self])
    }
}

extension Satchel.Credential {
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Replace this laptop's credential with a new one, without enrolling again.",
            discussion: """
                The server issues a new credential and keeps the old one working until the new one is first \
                used, so a lost answer never locks the laptop out: run the command again.
                """)

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            var credentials = try options.credentials()
            let client = try options.client()
            let rotated = try await client.request("POST", "/v1/device/rotate", as: RotateResponse.self)
            credentials.credential = rotated.credential
            // Written whole to a new file, then renamed over the old one.
            let temporary = options.credentialsPath + ".new"
            try? FileManager.default.removeItem(atPath: temporary)
            try credentials.save(to: temporary)
            guard rename(temporary, options.credentialsPath) == 0 else {
                throw CLIError("cannot replace \(options.credentialsPath); check the folder's permissions")
            }
            // First use of the new credential: from now on the old one opens nothing.
            var configuration = client.configuration
            configuration.credential = rotated.credential
            _ = try await SyncClient(replica: client.replica, configuration: configuration, transport: client.transport)
                .request("GET", "/v1/sync/pull?since=\(try client.replica.identity().pullCursor)&limit=1", as: PullResponse.self)
            print("Rotated this laptop's credential; the old one no longer works.")
        }
    }
}
