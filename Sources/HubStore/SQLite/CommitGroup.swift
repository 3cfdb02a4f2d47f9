import Foundation
import GRDB

/// Group commit: write operations that arrive while another commits wait, then share one
/// transaction and one commit (one fsync) instead of queueing for one each.
///
/// Each operation still stands alone: it runs in a savepoint of the shared transaction, so one
/// that throws leaves nothing behind and the others go on; it sees everything the operations
/// before it wrote, as if they had committed. Its caller returns only after the shared commit
/// reached the disk, or throws when the commit failed (none of the group is then acknowledged).
///
/// Nothing waits on purpose: the first operation to arrive commits at once, alone; operations
/// are grouped only when they arrive during a commit, which is when the disk is the bottleneck.
final class CommitGroup: @unchecked Sendable {
    private final class Operation {
        let run: (Database) throws -> Void
        var failure: (any Error)?
        var finished = false

        init(_ run: @escaping (Database) throws -> Void) { self.run = run }
    }

    private let writer: any DatabaseWriter
    private let condition = NSCondition()
    private var waiting: [Operation] = []
    private var committing = false
    private var tally = (operations: 0, commits: 0)

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Operations that finished so far (committed or failed), and the commits that carried them.
    var counts: (operations: Int, commits: Int) {
        condition.lock()
        defer { condition.unlock() }
        return tally
    }

    /// Operations waiting for the commit under way to end.
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting.count
    }

    /// Runs `body` in a savepoint of the next shared transaction, and returns what it returned
    /// once that transaction committed.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            var result: T?
            // The caller waits below until the operation finished, so `body` and `result`
            // outlive every use.
            let operation = Operation { db in result = try body(db) }
            condition.lock()
            waiting.append(operation)
            while !operation.finished {
                if committing {
                    condition.wait()
                    continue
                }
                committing = true
                let group = waiting
                waiting = []
                condition.unlock()
                commit(group)
                condition.lock()
                committing = false
                tally.operations += group.count
                tally.commits += 1
                condition.broadcast()
            }
            condition.unlock()
            if let failure = operation.failure { throw failure }
            guard let result else { preconditionFailure("a finished write without a result or an error") }
            return result
        }
    }

    /// Runs `group` in one transaction, each operation in its own savepoint, and commits.
    private func commit(_ group: [Operation]) {
        do {
            try writer.writeWithoutTransaction { db in
                if group.count == 1 {
                    // Alone, an operation needs no savepoint (whose journal copies every page it
                    // changes): its failure rolls the transaction back.
                    do {
                        try db.inTransaction(.immediate) {
                            try group[0].run(db)
                            return .commit
                        }
                    } catch {
                        group[0].failure = error
                    }
                    return
                }
                try db.inTransaction(.immediate) {
                    for operation in group {
                        do {
                            try db.inSavepoint {
                                try operation.run(db)
                                return .commit
                            }
                        } catch {
                            operation.failure = error
                            // Some failures (a full disk, an I/O error) end the whole transaction:
                            // then none of the group is written, and none is acknowledged.
                            if !db.isInsideTransaction { throw error }
                        }
                    }
                    return .commit
                }
            }
        } catch {
            // The commit failed: nothing of the group was written, and nothing is acknowledged.
            for operation in group where operation.failure == nil { operation.failure = error }
        }
        for operation in group { operation.finished = true }
    }
}
