import Foundation
import GRDB
import HubEngine
import SyncCore

/// How far each device has pulled, noted on every pull without a write of its own. The marks
/// reach `hub_device.pulled_to` with the next push or compaction; marks lost in a crash only
/// make compaction more careful (it reads the older, smaller positions).
///
/// Beside them, how far the feed has been *sent* to each device (the end of every page and
/// snapshot it was given): no laptop can have seen a change accepted after that, which bounds
/// the causal context of its next push (``CausalBound``). These marks stay in memory for the
/// process's life and reach `hub_device.sent_to` with the same writes; a mark lost in a crash
/// is covered by the feed's position when the hub was opened (see `Hub.openedAt`).
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

/// What a compaction did.
public struct CompactionReport: Hashable, Sendable {
    /// Tombstones removed for good.
    public var purged: Int
    /// The feed position every active device has pulled past (nothing at or below it is needed).
    public var watermark: Int64
    /// The active devices that hold the watermark where it is (the slowest first).
    public var holdingBack: [String]
}

/// A device as the compaction sees it.
public struct DeviceStatus: Hashable, Sendable {
    public var replicaID: ReplicaID
    public var user: String
    public var device: String
    public var pulledTo: Int64
    public var lastPushAt: Int64?
    /// Retired from compaction by an admin (`hub_device.dormant`). Not to be confused with
    /// `hub_device.retired`, an older, unused column.
    public var retiredFromCompaction: Bool
    /// When an admin revoked its credential (a revoked device holds nothing back either).
    public var revokedAt: Int64?
    public var createdAt: Int64
}

extension Hub {
    /// Notes that `replica` has applied the feed up to `position` (the `since` of its pull, or
    /// the snapshot of its bootstrap). It counts as active again if it had been retired.
    public func notePulled(_ replica: ReplicaID, upTo position: Int64) {
        pullMarks.note(replica, position)
    }

    /// Writes the pull marks when they are due (see `PullMarks.due()`); called after pulls.
    public func writePullMarksIfDue() throws {
        guard pullMarks.due() else { return }
        try writer.write { db in try flushPullMarks(db) }
    }

    func flushPullMarks(_ db: Database) throws {
        let taken = pullMarks.take()
        for (replica, position) in taken.pulled {
            try db.cachedStatement(
                sql: "UPDATE hub_device SET pulled_to = MAX(pulled_to, ?), dormant = 0 WHERE replica_id = ?"
            ).execute(arguments: [position, replica.rawValue])
        }
        for (replica, position) in taken.sent {
            try db.cachedStatement(sql: "UPDATE hub_device SET sent_to = MAX(sent_to, ?) WHERE replica_id = ?")
                .execute(arguments: [position, replica.rawValue])
        }
    }

    /// Notes that the feed up to `position` was sent to `replica` (a page's end, a snapshot).
    func noteSent(_ replica: ReplicaID?, upTo position: Int64) {
        guard let replica else { return }
        pullMarks.noteSent(replica, position)
    }

    /// The furthest feed position `replica` may have seen: what this process sent it, what an
    /// earlier one wrote down, and at least the feed's end when the hub was opened (a mark
    /// lost in a crash must not make a laptop's honest context look forged).
    static func sentBound(_ replica: ReplicaID, marks: PullMarks, openedAt: Int64, db: Database) throws -> Int64 {
        let written =
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT sent_to FROM hub_device WHERE replica_id = ?"), arguments: [replica.rawValue])
            ?? 0
        return max(marks.sentMark(replica) ?? 0, written, openedAt)
    }

    /// Every enrolled device with how far it has pulled.
    public func devices() throws -> [DeviceStatus] {
        try writer.write { db in
            try flushPullMarks(db)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT d.replica_id, d.user, d.device, d.pulled_to, d.dormant, d.revoked_at, d.created_at, r.last_push_at
                    FROM hub_device d LEFT JOIN hub_replica r ON r.replica_id = d.replica_id WHERE d.retired = 0
                    ORDER BY d.user, d.device
                    """
            ).map {
                DeviceStatus(
                    replicaID: ReplicaID($0["replica_id"]), user: $0["user"], device: $0["device"], pulledTo: $0["pulled_to"],
                    lastPushAt: $0["last_push_at"], retiredFromCompaction: $0["dormant"], revokedAt: $0["revoked_at"],
                    createdAt: $0["created_at"])
            }
        }
    }

    /// Retires a device from compaction: a laptop lost, replaced or away for good no longer
    /// holds tombstones on the server. Its credential stays valid: if it comes back, its first
    /// pull asks it to download a fresh copy (after its pending changes are pushed).
    public func retireDevice(_ replica: ReplicaID, by actor: Actor = .serverOperator) throws {
        let now = clock()
        try writer.write { db in
            try flushPullMarks(db)
            try db.execute(sql: "UPDATE hub_device SET dormant = 1 WHERE replica_id = ?", arguments: [replica.rawValue])
            guard db.changesCount == 1 else { throw HubError.unknownDevice(replica.rawValue) }
            try Hub.audit("device.retire", target: replica.rawValue, detail: "retired from compaction", by: actor, at: now, db: db)
        }
    }

    /// Removes the tombstones every active device has pulled past, for good.
    ///
    /// A deleted row's tombstone is what tells a replica to delete its copy; once every active
    /// device has pulled beyond it, nobody needs it. A device that was retired and comes back
    /// with an older cursor is asked to re-baseline (``HubError/rebaselineRequired(cursor:compactedTo:)`` from its pull), so nothing
    /// deleted comes back to life on it.
    @discardableResult
    public func compact(by actor: Actor = .serverOperator) throws -> CompactionReport {
        let now = clock()
        return try writer.write { db in
            try flushPullMarks(db)
            let active = try Row.fetchAll(
                db,
                sql: """
                    SELECT replica_id, user, device, pulled_to FROM hub_device
                    WHERE retired = 0 AND dormant = 0 AND revoked_at IS NULL ORDER BY pulled_to
                    """)
            let watermark = try active.first.map { $0["pulled_to"] as Int64 } ?? Hub.currentSeq(db)
            let purged = try Int64.fetchOne(
                db, sql: "SELECT MAX(seq) FROM hub_row WHERE deleted = 1 AND seq <= ?", arguments: [watermark])
            try db.execute(sql: "DELETE FROM hub_row WHERE deleted = 1 AND seq <= ?", arguments: [watermark])
            let count = db.changesCount
            if let purged {
                try db.execute(sql: "UPDATE hub_meta SET compacted_to = MAX(compacted_to, ?)", arguments: [purged])
            }
            let holding = active.prefix { ($0["pulled_to"] as Int64) == watermark }.map {
                "\($0["user"] as String) (\($0["device"] as String))"
            }
            try Hub.audit("compact", target: "tombstones", detail: "\(count) purged up to \(watermark)", by: actor, at: now, db: db)
            return CompactionReport(purged: count, watermark: watermark, holdingBack: Array(holding))
        }
    }
}
