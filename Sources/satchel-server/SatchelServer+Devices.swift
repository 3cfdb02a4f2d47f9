import ArgumentParser
import Foundation
import ReplicaStore
import SyncCore
import SyncServer

extension SatchelServer {
    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "device", abstract: "Enrolled laptops: how far each has synced; retire one from compaction.",
            subcommands: [List.self, Retire.self])
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compact",
            abstract: "Remove deleted records' tombstones that every active laptop has already pulled.",
            discussion: """
                A laptop that has not synced holds compaction back (the report names it); retire it with \\
                'satchel-server device retire REPLICA' if it is lost or away for good. If it comes back, it \\
                pushes its changes and downloads a fresh copy.
                """)
        @OptionGroup var data: DataOptions

        func run() throws {
            let report = try data.open().compact()
            print("Removed \(report.purged) tombstone\(report.purged == 1 ? "" : "s") at or below feed position \(report.watermark).")
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
            print(["REPLICA", "USER", "DEVICE", "PULLED TO", "LAST PUSH", "COMPACTION"].joined(separator: "\t"))
            for device in devices {
                let push = device.lastPushAt.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) } ?? "never"
                print(
                    [device.replicaID.rawValue, device.user, device.device, String(device.pulledTo), push,
                     device.retiredFromCompaction ? "retired" : "active"].joined(separator: "\t"))
            }
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire",
            abstract: "Stop a laptop holding compaction back (its credential stays valid; it re-baselines if it returns).")
        @Argument(help: "The laptop's replica id (see 'satchel-server device list').") var replica: String
        @OptionGroup var data: DataOptions

        func run() throws {
            try data.open().retireDevice(ReplicaID(replica))
            print("Retired \(replica) from compaction. If it syncs again, it pushes its changes and downloads a fresh copy.")
        }
    }
}
