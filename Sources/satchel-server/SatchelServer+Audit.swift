import ArgumentParser
import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SyncCore
import SyncServer

extension SatchelServer {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "List admin actions (users, tokens, devices, resolutions, merges, transfers, imports, compactions), newest first.")

        @Option(help: "How many entries to show (1 to 100000).") var limit: Int = 200
        @Flag(help: "Print one JSON object.") var json = false
        @OptionGroup var data: DataOptions

        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 100000") }
        }

        func run() throws {
            let entries = try data.open().auditEntries(limit: limit)
            if json {
                print(try JSONText.encode(AuditListResponse(entries: entries)))
                return
            }
            let rows = entries.map { entry in
                [
                    Date(timeIntervalSince1970: Double(entry.at) / 1000).formatted(.iso8601), entry.actor, entry.device,
                    entry.action, entry.target, entry.detail,
                ].map { TextHygiene.escapedForTerminal($0) }
            }
            print(Table.render(header: ["WHEN", "WHO", "DEVICE", "ACTION", "TARGET", "DETAIL"], rows: rows))
        }
    }
}
