import ArgumentParser
import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SyncServer

extension SatchelServer {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load accounts, contacts, visits and opportunities from a .csv or .jsonl file.",
            discussion: """
                Every bad line is reported (line, field, reason). Without --skip-bad nothing is imported when any \
                line is bad; with it the good records go in. The formats are described in Docs/operations.md.
                """)

        @Argument(help: "The file to import (.csv or .jsonl).") var file: String
        @Flag(name: .customLong("skip-bad"), help: "Import the good records and list the bad ones.") var skipBad = false
        @OptionGroup var data: DataOptions

        func run() throws {
            // The company's own fields are columns an import may fill, as built-in ones are. A
            // data directory with no store yet has none, and a bad file must not create one.
            let schema = try data.storeExists ? data.open().currentSchema() : CRMSchema.schema
            let contents = try ImportFile.readAll(path: file, schema: schema)
            if !contents.problems.isEmpty && !skipBad {
                throw ImportError(
                    "nothing was imported; \(contents.problems.count) bad line\(contents.problems.count == 1 ? "" : "s") "
                        + "(use --skip-bad to import the rest):\n" + contents.problems.joined(separator: "\n"))
            }
            let report = try data.open().importRecords(
                contents.records, by: "import", from: Actor.serverOperator.device, skipBad: skipBad)
            print("Imported \(report.imported) record\(report.imported == 1 ? "" : "s") from \(file).")
            let skipped = contents.problems + report.problems
            if !skipped.isEmpty {
                print("Skipped \(skipped.count):")
                for problem in skipped { print("  \(problem)") }
            }
        }
    }
}
