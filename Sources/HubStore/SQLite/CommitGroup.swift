import Foundation
import GRDB

/// Group commit: write operations that arrive while another commits wait, then share one
/// transaction and one commit (one fsync) instead of queueing for one each.
///
/// Each operation still stands alone: it runs in a savepoint of the shared transaction, so one
/// that throws leaves nothing behind and the others go on; it sees everything the operations
/// before it wrote, as if they had committed. Its caller returns only after the shared commit
/// reached the disk, or throws when the commit failed (none of the group is then acknowledged,
/// and neither is any of it when a failure ends the whole transaction, as a full disk does).
///
/// An operation may end its group's transaction (``write(_:)``'s body says so): the operations
/// after it then start a new transaction, so none of them reads what it wrote before it
/// committed. The hub ends one after publishing a schema step, which the service caches.
///
/// Nothing waits on purpose: the first operation to arrive commits at once, alone; operations
/// are grouped only when they arrive during a commit, which is when the disk is the bottleneck.
final class CommitGroup: @unchecked Sendable {
    private final class Operation {
        /// Runs the operation in the open transaction; true when the transaction must end after it.
        let run: (Database) throws -> Bool
        var failure: (any Error)?
        var finished = false

        init(_ run: @escaping (Database) throws -> Bool) { self.run = run }
    }

    private let writer: any DatabaseWriter
    private let condition = NSCondition()
    private var waiting: [Operation] = []
    private var committing = false
    private var tally = (operations: 0, commits: 0)
    /// Set on the thread running a group, to refuse a write from inside a write (it would wait
    /// for itself).
    private static let insideKey = "satchel.commit-group.inside"

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Operations that finished so far (committed or failed), and the transactions they ran in
    /// (committed or not).
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
    /// once that transaction committed. `body` returns with its result whether the transaction
    /// must end after it.
    func write<T>(_ body: (Database) throws -> (result: T, endsTransaction: Bool)) throws -> T {
        precondition(
            Thread.current.threadDictionary[Self.insideKey] == nil, "a hub write was started inside another hub write")
        return try withoutActuallyEscaping(body) { body in
            var result: T?
            // The caller waits below until the operation finished, and the thread that ran it
            // lets go of it before then, so `body` and `result` outlive every use.
            var operation: Operation? = Operation { db in
                let (value, ends) = try body(db)
                result = value
                return ends
            }
            condition.lock()
            waiting.append(operation!)
            while !operation!.finished {
                if committing {
                    condition.wait()
                    continue
                }
                committing = true
                var group = waiting
                waiting = []
                condition.unlock()
                Thread.current.threadDictionary[Self.insideKey] = true
                let commits = commit(group)
                Thread.current.threadDictionary[Self.insideKey] = nil
                condition.lock()
                for member in group { member.finished = true }
                tally.operations += group.count
                tally.commits += commits
                group = []
                committing = false
                condition.broadcast()
            }
            let failure = operation!.failure
            operation = nil
            condition.unlock()
            if let failure { throw failure }
            guard let result else { preconditionFailure("a finished write without a result or an error") }
            return result
        }
    }

    /// Runs `group` in as few transactions as its operations allow, each operation in its own
    /// savepoint (none when it is alone), and returns how many commits that took.
    private func commit(_ group: [Operation]) -> Int {
        var commits = 0
        var next = 0
        while next < group.count {
            let start = next
            do {
                try writer.writeWithoutTransaction { db in
                    if group.count - start == 1 {
                        // Alone, an operation needs no savepoint (whose journal copies every page
                        // it changes): its failure rolls the transaction back.
                        next = start + 1
                        do {
                            try db.inTransaction(.immediate) {
                                _ = try group[start].run(db)
                                return .commit
                            }
                        } catch {
                            group[start].failure = error
                        }
                        return
                    }
                    try db.inTransaction(.immediate) {
                        while next < group.count {
                            let operation = group[next]
                            next += 1
                            do {
                                var ends = false
                                try db.inSavepoint {
                                    ends = try operation.run(db)
                                    return .commit
                                }
                                if ends { break }
                            } catch {
                                operation.failure = error
                                // Some failures (a full disk, an I/O error) end the whole
                                // transaction: then none of it is written or acknowledged.
                                if !db.isInsideTransaction { throw error }
                            }
                        }
                        return .commit
                    }
                }
            } catch {
                // The commit failed (or the transaction could not begin: then every operation
                // left fails): nothing of this transaction was written, and none of its operations
                // is acknowledged.
                if next == start { next = group.count }
                for operation in group[start..<next] where operation.failure == nil { operation.failure = error }
            }
            commits += 1
        }
        return commits
    }
}
