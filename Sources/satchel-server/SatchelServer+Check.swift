import ArgumentParser
import Foundation
import HubStore
import ReplicaStore
import SyncServer

extension SatchelServer {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check the store's invariants (SQLite integrity, rows, placement, high-water marks); exit 1 on a problem.")

        @OptionGroup var data: DataOptions

        func run() throws {
            let problems = try data.openSQLite(for: "check").check()
            guard problems.isEmpty else {
                for problem in problems { print("problem: \(problem)") }
                print("\(problems.count) problem\(problems.count == 1 ? "" : "s") in \(data.data); restore the last good backup (Docs/operations.md)")
                throw ExitCode(1)
            }
            print("ok: \(data.data) holds a sound store")
        }
    }
}
