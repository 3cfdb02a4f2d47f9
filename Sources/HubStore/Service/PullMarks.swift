import Foundation
import SyncCore

/// How far each device has pulled, noted on every pull without a write of its own. The marks
/// reach the storage (``HubWrites/pulled``) with the next push or compaction; marks lost in a
/// crash only make compaction more careful (it reads the older, smaller positions).
///
/// Beside them, how far the feed has been *sent* to each device (the end of every page and
/// snapshot it was given): no laptop can have seen a change accepted after that, which bounds
/// the causal context of its next push (``CausalBound``). These marks stay in memory for the
/// process's life and reach the storage (``HubWrites/sent``) with the same writes; a mark lost
/// in a crash is covered by the feed's position when the hub was opened (see
/// `HubService.openedAt`).
final class PullMarks: @unchecked Sendable {
    private let lock = NSLock()
    private var marks: [ReplicaID: Int64] = [:]
    private var sent: [ReplicaID: Int64] = [:]
    private var sentUnwritten: Set<ReplicaID> = []
    private var lastWritten = Date.distantPast

    /// Whether the marks should be written now: some are waiting and the last write is over a
    /// second old (a busy server writes them about once a second, an idle one at once).
    func due() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !marks.isEmpty || !sentUnwritten.isEmpty, Date().timeIntervalSince(lastWritten) >= 1 else { return false }
        lastWritten = Date()
        return true
    }

    func note(_ replica: ReplicaID, _ position: Int64) {
        lock.lock()
        marks[replica] = max(marks[replica] ?? 0, position)
        lock.unlock()
    }

    func noteSent(_ replica: ReplicaID, _ position: Int64) {
        lock.lock()
        if position > sent[replica] ?? 0 {
            sent[replica] = position
            sentUnwritten.insert(replica)
        }
        lock.unlock()
    }

    /// The furthest feed position sent to `replica` by this process.
    func sentMark(_ replica: ReplicaID) -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        return sent[replica]
    }

    /// The marks waiting to be written, which are then no longer waiting.
    func take() -> (pulled: [ReplicaID: Int64], sent: [ReplicaID: Int64]) {
        lock.lock()
        defer { lock.unlock() }
        let taken = marks
        marks = [:]
        let sentTaken = Dictionary(uniqueKeysWithValues: sentUnwritten.map { ($0, sent[$0]!) })
        sentUnwritten = []
        return (taken, sentTaken)
    }
}
