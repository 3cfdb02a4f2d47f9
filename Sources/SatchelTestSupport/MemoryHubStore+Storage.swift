import Foundation
import HubEngine
import HubStore
import SatchelModel
import SyncCore

/// The memory store as a whole hub's storage: ``HubService`` runs over it exactly as over SQLite,
/// so the store-contract tests can hold every backend to the same answers. It is the proof
/// that the seam is narrow: everything below is loading, applying and answering, in
/// dictionaries.
extension MemoryHubStore: HubStorage {
    /// A user as the directory holds them.
    public struct UserRecord: Sendable {
        public var info: UserInfo
        public var enrollmentHash: String?
        public var expiresAt: Int64?
        public var passwordHash: String?
    }

    /// A device as the directory holds it.
    public struct DeviceRecord: Sendable {
        public var replica: ReplicaID
        public var user: String
        public var device: String
        public var credentialHash: String
        public var offeredHash: String?
        public var revokedAt: Int64?
        public var revokedBy: String?
        public var pulledTo: Int64 = 0
        public var pulledAt: Int64?
        public var sentTo: Int64 = 0
        public var dormant = false
        public var createdAt: Int64
    }

    public func read<T>(_ body: (MemoryHubStore) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(self)
    }

    public func write<T>(_ body: (MemoryHubStore) throws -> (result: T, writes: HubWrites)) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        // A body only reads, and applying cannot fail: nothing to roll back when it throws.
        let (result, writes) = try body(self)
        apply(writes)
        return result
    }

    /// Applies one operation's writes in the order ``HubWrites`` gives.
    public func apply(_ writes: HubWrites) {
        for (replica, position) in writes.pulled {
            guard var record = deviceRecords[replica] else { continue }
            record.pulledTo = max(record.pulledTo, position)
            record.dormant = false
            if let at = writes.pulledAt { record.pulledAt = max(record.pulledAt ?? 0, at) }
            deviceRecords[replica] = record
        }
        for (replica, position) in writes.sent {
            guard var record = deviceRecords[replica] else { continue }
            record.sentTo = max(record.sentTo, position)
            deviceRecords[replica] = record
        }
        apply(writes.plan)
        for write in writes.plan.replicaMarks { lastPushes[write.replica] = write.at }
        for write in writes.directory { apply(write) }
        if let purge = writes.purge {
            rows = rows.filter { !($0.value.state.isDeleted && $0.value.seq <= purge.through) }
            compacted = max(compacted, purge.compactedTo)
        }
        if let day = writes.activity {
            var held = activityDays[day.day] ?? ActivityDay(day: day.day)
            held.pushes += day.pushes
            held.applied += day.applied
            held.merged += day.merged
            held.queued += day.queued
            held.rejected += day.rejected
            activityDays[day.day] = held
        }
        schemaLog += writes.schemaSteps
        if let version = writes.schemaVersion { storedVersion = max(storedVersion, version) }
        for write in writes.audit {
            audit.append(
                AuditEntry(
                    id: Int64(audit.count + 1), at: write.at, actor: write.actor.user, device: write.actor.device,
                    action: write.action, target: write.target, detail: write.detail))
        }
    }

    private func apply(_ write: DirectoryWrite) {
        switch write {
        case .addUser(let user, let hash, let expiresAt, _):
            userRecords[user.name] = UserRecord(info: user, enrollmentHash: hash, expiresAt: expiresAt)
        case .setEnrollment(let user, let hash, let expiresAt):
            userRecords[user]?.enrollmentHash = hash
            userRecords[user]?.expiresAt = expiresAt
        case .disableUser(let name, _):
            userRecords[name]?.info.disabled = true
            userRecords[name]?.enrollmentHash = nil
        case .addDevice(let replica, let user, let device, let hash, let at):
            deviceRecords[replica] = DeviceRecord(
                replica: replica, user: user, device: device, credentialHash: hash, createdAt: at)
        case .offerCredential(let replica, let hash):
            deviceRecords[replica]?.offeredHash = hash
        case .adoptCredential(let replica, let hash):
            guard deviceRecords[replica]?.offeredHash == hash else { return }
            deviceRecords[replica]?.credentialHash = hash
            deviceRecords[replica]?.offeredHash = nil
        case .revokeDevice(let replica, let by, let at):
            if deviceRecords[replica]?.revokedAt == nil {
                deviceRecords[replica]?.revokedAt = at
                deviceRecords[replica]?.revokedBy = by
            }
        case .retireDevice(let replica):
            deviceRecords[replica]?.dormant = true
        case .setPassword(let user, let hash):
            userRecords[user]?.passwordHash = hash
        case .openSession(let session):
            sessions[session.idHash] = session
        case .closeSession(let idHash):
            sessions[idHash] = nil
        case .closeSessions(let user):
            sessions = sessions.filter { $0.value.user != user }
        case .dropSessions(let before):
            sessions = sessions.filter { $0.value.expiresAt >= before }
        }
    }
}

extension MemoryHubStore: HubReader {
    public func feed(after: Int64, through: Int64?, liveOnly: Bool, scope: ReadScope, limit: Int) -> [FeedRow] {
        Array(
            rows.values.filter {
                $0.seq > after && $0.seq <= (through ?? .max) && !(liveOnly && $0.state.isDeleted) && covers(scope, root: $0.root)
            }
            .sorted { $0.seq < $1.seq }.prefix(limit).map { FeedRow(seq: $0.seq, state: RowJSON.rowState($0.state)) })
    }

    public func compactedTo() -> Int64 { compacted }

    public func moves(after: Int64, through: Int64) -> [HubPlan.Departure] {
        departures.filter { $0.seq > after && $0.seq <= through }
    }

    public func redirects(after: Int64, through: Int64) -> [Redirection] {
        redirects.values.filter { $0.seq > after && $0.seq <= through }.sorted { $0.seq < $1.seq }.map(\.redirection)
    }

    public func history(_ entity: String, id: String) -> [HistoryEntry] {
        history.filter { $0.entity == entity && $0.id == id }.map(\.entry)
    }

    public func conflicts(matching filter: ConflictFilter) -> [QueuedConflict] {
        conflicts(includeResolved: filter.includeResolved).filter { item in
            if let entity = filter.entity, item.conflict.entity != entity { return false }
            if let before = filter.queuedBefore, item.createdAt > before { return false }
            if let territory = filter.territory {
                let root = rows[item.conflict.entity + "/" + item.conflict.rowID]?.root
                guard let root, locations[root]?.territory == territory else { return false }
            }
            return true
        }
    }

    public func openConflictCount() -> Int { conflicts.values.filter(\.isOpen).count }

    public func auditEntries(limit: Int) -> [AuditEntry] { Array(audit.reversed().prefix(limit)) }

    public func feedRow(_ entity: String, id: String) -> FeedRow? {
        rows[entity + "/" + id].map { FeedRow(seq: $0.seq, state: RowJSON.rowState($0.state)) }
    }

    public func liveRows(_ entity: String) -> [RowState] {
        rows.values.filter { $0.state.entity == entity && !$0.state.isDeleted }.map(\.state).sorted { $0.id < $1.id }
    }

    public func users() -> [UserInfo] { userRecords.values.map(\.info).sorted { $0.name < $1.name } }

    public func user(_ name: String) -> UserInfo? { userRecords[name]?.info }

    public func passwordHash(of user: String) -> String? { userRecords[user]?.passwordHash }

    public func consoleSession(idHash: String) -> ConsoleSession? { sessions[idHash] }

    public func storedSchemaVersion() -> Int { storedVersion }

    public func schemaRevision() -> Int { schemaLog.last?.revision ?? 0 }

    public func schemaSteps() -> [PublishedStep] { schemaLog }

    public func activity(fromDay: Int64) -> [ActivityDay] {
        activityDays.values.filter { $0.day >= fromDay }.sorted { $0.day < $1.day }
    }

    public func enrollment(hash: String) -> (user: UserInfo, expiresAt: Int64?)? {
        userRecords.values.first { $0.enrollmentHash == hash }.map { (user: $0.info, expiresAt: $0.expiresAt) }
    }

    public func device(credentialHash: String) -> (device: DeviceInfo, offered: Bool)? {
        guard let record = deviceRecords.values.first(where: { $0.credentialHash == credentialHash || $0.offeredHash == credentialHash }),
            let device = device(record.replica)
        else { return nil }
        return (device: device, offered: record.credentialHash != credentialHash)
    }

    public func device(_ replica: ReplicaID) -> DeviceInfo? {
        guard let record = deviceRecords[replica], let user = userRecords[record.user]?.info else { return nil }
        return DeviceInfo(
            replicaID: replica, user: user, device: record.device, revokedAt: record.revokedAt, revokedBy: record.revokedBy)
    }

    public func devices() -> [DeviceStatus] {
        deviceRecords.values.sorted { ($0.user, $0.device) < ($1.user, $1.device) }.map {
            DeviceStatus(
                replicaID: $0.replica, user: $0.user, device: $0.device, pulledTo: $0.pulledTo, lastPushAt: lastPushes[$0.replica],
                retiredFromCompaction: $0.dormant, revokedAt: $0.revokedAt, createdAt: $0.createdAt, lastPullAt: $0.pulledAt)
        }
    }

    public func sentMark(of replica: ReplicaID) -> Int64 { deviceRecords[replica]?.sentTo ?? 0 }

    public func tombstones(through: Int64) -> (count: Int, last: Int64?) {
        let purged = rows.values.filter { $0.state.isDeleted && $0.seq <= through }
        return (count: purged.count, last: purged.map(\.seq).max())
    }
}
