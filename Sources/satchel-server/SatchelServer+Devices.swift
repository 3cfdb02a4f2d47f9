import ArgumentParser
import Foundation
import HubStore
import ReplicaStore
import SyncCore
import SyncServer

extension SatchelServer {
    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "device", abstract: "Enrolled laptops: how far each has synced; revoke one, or retire it from compaction.",
            subcommands: [List.self, Revoke.self, Retire.self])
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compact",
            abstract: "Remove deleted records' tombstones that every active laptop has already pulled.",
            discussion: """
                A laptop that has not synced holds compaction back (the report names it); retire it with \
                'satchel-server device retire REPLICA' if it is lost or away for good. If it comes back, it \
                pushes its changes and downloads a fresh copy.
                """)
        @OptionGroup var data: DataOptions

        func run() throws {
            let report = try data.open().compact(by: .serverOperator)
            print("Removed \(report.purged) tombstone\(report.purged == 1 ? "" : "s") at or below feed position \(report.watermark).")
            if report.blobsCollected.blobs > 0 {
                print(
                    "Deleted \(report.blobsCollected.blobs) attachment file\(report.blobsCollected.blobs == 1 ? "" : "s") "
                        + "(\(report.blobsCollected.bytes) bytes) that no record names any more.")
            }
            if report.uploadsExpired.blobs > 0 {
                print(
                    "Dropped \(report.uploadsExpired.blobs) unfinished upload\(report.uploadsExpired.blobs == 1 ? "" : "s") "
                        + "(\(report.uploadsExpired.bytes) bytes) idle for \(Hub.uploadExpiry.description).")
            }
            if !report.holdingBack.isEmpty {
                print("Held back by: \(report.holdingBack.joined(separator: ", ")).")
            }
        }
    }
}

extension SatchelServer.Devices {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List enrolled laptops.")
        @OptionGroup var data: DataOptions

        func run() throws {
            let devices = try data.open().devices()
            print(["REPLICA", "USER", "DEVICE", "PULLED TO", "LAST PUSH", "STATUS"].joined(separator: "\t"))
            for device in devices {
                let push = device.lastPushAt.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) } ?? "never"
                let status = device.revokedAt != nil ? "revoked" : device.retiredFromCompaction ? "retired" : "active"
                print(
                    [device.replicaID.rawValue, device.user, device.device, String(device.pulledTo), push, status]
                        .joined(separator: "\t"))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Cut a laptop off at once (lost or stolen): its credential opens nothing from its next request.")
        @Argument(help: "The laptop's replica id (see 'satchel-server device list').") var replica: String
        @OptionGroup var data: DataOptions

        func run() throws {
            let status = try data.open().revokeDevice(ReplicaID(replica), by: .serverOperator)
            print("Revoked \(replica) (\(status.user), \(status.device)). Its next request is refused; what it pushed stays.")
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire",
            abstract: "Stop a laptop holding compaction back (its credential stays valid; it re-baselines if it returns).")
        @Argument(help: "The laptop's replica id (see 'satchel-server device list').") var replica: String
        @OptionGroup var data: DataOptions

        func run() throws {
            try data.open().retireDevice(ReplicaID(replica), by: .serverOperator)
            print("Retired \(replica) from compaction. If it syncs again, it pushes its changes and downloads a fresh copy.")
        }
    }
}
