import ArgumentParser
import Foundation
import ReplicaStore
import SyncServer

extension SatchelServer {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load existing accounts and contacts from a .csv or .jsonl file (all or nothing).",
            discussion: "The formats are described in Docs/operations.md.")

        @Argument(help: "The file to import (.csv or .jsonl).") var file: String
        @OptionGroup var data: DataOptions

        func run() throws {
            let records = try ImportFile.read(path: file)
            let count = try data.open().importRecords(records, by: "import")
            print("Imported \(count) record\(count == 1 ? "" : "s") from \(file).")
        }
    }
}
