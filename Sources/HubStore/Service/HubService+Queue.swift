import Foundation
import HubEngine
import SyncCore

/// Which queue items to list.
public struct ConflictFilter: Hashable, Sendable {
    public var includeResolved: Bool
    /// Only items about this record type (`account`, `opportunity`, …).
    public var entity: String?
    /// Only items queued by this rule: its full name (`review`, `natural-key:tax id`) or the part
    /// before the colon (`natural-key`).
    public var rule: String?
    /// Only items whose record's root (its account) is in this territory.
    public var territory: String?
    /// Only items queued at or before this time (Unix ms): the ones waiting longest.
    public var queuedBefore: Int64?

    public init(
        includeResolved: Bool = false, entity: String? = nil, rule: String? = nil, territory: String? = nil,
        queuedBefore: Int64? = nil
    ) {
        self.includeResolved = includeResolved
        self.entity = entity
        self.rule = rule
        self.territory = territory
        self.queuedBefore = queuedBefore
    }

    /// Whether a conflict queued by `rule` is one this filter asks for.
    public func matches(rule: String) -> Bool {
        guard let wanted = self.rule else { return true }
        return rule == wanted || rule.split(separator: ":").first.map(String.init) == wanted
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
    /// Attachments' blobs deleted because no stored attachment names them any more, and their bytes.
    public var blobsCollected = BlobStats(blobs: 0, bytes: 0)
    /// Unfinished uploads dropped because nothing was appended to them for ``HubService/uploadExpiry``.
    public var uploadsExpired = BlobStats(blobs: 0, bytes: 0)
}

extension HubService {
    /// How long an unfinished upload waits for its next chunk before compaction drops it (its
    /// laptop, if it comes back, sends the file again from the start).
    public static var uploadExpiry: (seconds: Double, description: String) { (7 * 24 * 3600, "7 days") }

    // MARK: - The queue

    /// The number of open conflicts (an indexed count, for `/metrics`).
    public func openConflictCount() throws -> Int {
        try storage.read { try $0.openConflictCount() }
    }

    /// The queue, oldest first; only open items unless `includeResolved`.
    public func conflicts(includeResolved: Bool = false) throws -> [QueuedConflict] {
        try conflicts(matching: ConflictFilter(includeResolved: includeResolved))
    }

    /// The queue items `filter` selects, oldest first.
    public func conflicts(matching filter: ConflictFilter) throws -> [QueuedConflict] {
        try storage.read { try $0.conflicts(matching: filter) }.filter { filter.matches(rule: $0.conflict.rule) }
    }

    /// One queue item, open or resolved.
    public func conflict(_ id: String) throws -> QueuedConflict {
        guard let item = try storage.read({ try $0.conflict(id) }) else { throw HubError.unknownConflict(id) }
        return item
    }

    // MARK: - History

    /// Every recorded event of one record, oldest first (empty for a record the hub never saw).
    public func history(_ entity: String, id: String) throws -> [HistoryEntry] {
        try storage.read { try $0.history(entity, id: id) }
    }

    /// The history of a record the reader may see; nil when the hub has no such record or it
    /// is outside `scope`.
    public func history(_ entity: String, id: String, scope: ReadScope) throws -> [HistoryEntry]? {
        try storage.read { reader in
            guard let root = try reader.storedRoot(entity, id: id), try Self.scope(scope, covers: root, reader: reader)
            else { return nil }
            return try reader.history(entity, id: id)
        }
    }

    // MARK: - Pull marks

    /// Notes that `replica` has applied the feed up to `position` (the `since` of its pull, or
    /// the snapshot of its bootstrap). It counts as active again if it had been retired.
    public func notePulled(_ replica: ReplicaID, upTo position: Int64) {
        pullMarks.note(replica, position)
    }

    /// Notes that the feed up to `position` was sent to `replica` (a page's end, a snapshot); on
    /// a shared store, writes it before the page leaves.
    func noteSent(_ replica: ReplicaID?, upTo position: Int64) throws {
        guard let replica else { return }
        pullMarks.noteSent(replica, position)
        if storage.isShared { try storage.recordSent(replica, upTo: position) }
    }

    /// Writes the pull marks when they are due (see `PullMarks.due()`); called after pulls.
    public func writePullMarksIfDue() throws {
        guard pullMarks.due() else { return }
        try flushPullMarks()
    }

    /// Writes the pull marks waiting in memory.
    func flushPullMarks() throws {
        try storage.write { _ in
            var writes = HubWrites()
            takeMarks(into: &writes)
            return ((), writes)
        }
    }

    // MARK: - Compaction

    /// Removes the tombstones every active device has pulled past, for good.
    ///
    /// A deleted row's tombstone is what tells a replica to delete its copy; once every active
    /// device has pulled beyond it, nobody needs it. A device that was retired and comes back
    /// with an older cursor is asked to re-baseline (``HubError/rebaselineRequired(cursor:compactedTo:)``
    /// from its pull), so nothing deleted comes back to life on it.
    @discardableResult
    public func compact(by actor: Actor = .serverOperator) throws -> CompactionReport {
        try flushPullMarks()
        let now = clock()
        var report = try storage.write { reader in
            let active = try reader.devices().filter { !$0.retiredFromCompaction && $0.revokedAt == nil }
                .enumerated().sorted { ($0.element.pulledTo, $0.offset) < ($1.element.pulledTo, $1.offset) }.map(\.element)
            let watermark = try active.first?.pulledTo ?? reader.meta().seq
            let tombstones = try reader.tombstones(through: watermark)
            let holding = active.prefix { $0.pulledTo == watermark }.map { "\($0.user) (\($0.device))" }
            var writes = HubWrites(
                audit: [
                    AuditWrite(
                        "compact", target: "tombstones", detail: "\(tombstones.count) purged up to \(watermark)", by: actor,
                        at: now)
                ])
            if let last = tombstones.last { writes.purge = (through: watermark, compactedTo: last) }
            return (CompactionReport(purged: tombstones.count, watermark: watermark, holdingBack: Array(holding)), writes)
        }
        // After the purge commits: a blob whose attachments' tombstones are gone is named by nothing.
        report.blobsCollected = try collectBlobs()
        report.uploadsExpired = try storage.blobs.discardUploads(
            untouchedSince: Date(timeIntervalSince1970: Double(now) / 1000 - Self.uploadExpiry.seconds))
        return report
    }
}
