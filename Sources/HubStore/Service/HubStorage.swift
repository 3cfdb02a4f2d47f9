import HubEngine
import SatchelModel
import SyncCore

/// The seam between the hub's policy (``HubService``) and a database: a read transaction, a
/// write transaction that applies what the policy decided, and the queries both need. Nothing
/// here decides anything: who may see what, what a push does, what a page carries and what an
/// admin action writes are all decided by the service and the planner; a storage loads, applies
/// and answers.
///
/// A second backend implements this protocol and ``HubReader`` (the SQLite one is
/// ``SQLiteHubStorage``) and passes the same store-contract tests.
public protocol HubStorage: Sendable {
    associatedtype Reader: HubReader

    /// Runs `body` in one read transaction: everything it reads is one consistent state.
    func read<T>(_ body: (Reader) throws -> T) throws -> T

    /// Runs `body` in one write transaction and applies the writes it returns in that same
    /// transaction: all of them, or (when `body` or a write throws) none.
    func write<T>(_ body: (Reader) throws -> (result: T, writes: HubWrites)) throws -> T

    /// Whether other server processes use the same store. A shared store's sent marks must be
    /// written before a page leaves (``recordSent(_:upTo:)``): the device's next push may reach
    /// another server, which believes its causal context only as far as the store says it was
    /// sent.
    var isShared: Bool { get }

    /// Writes at once, outside the write transactions' order, that the feed up to `position`
    /// was sent to `replica` (a mark only grows). Only a shared store is asked.
    func recordSent(_ replica: ReplicaID, upTo position: Int64) throws

    /// Where attachments' bytes are kept, shared by every server the storage is shared by.
    var blobs: any BlobStorage { get }
}

extension HubStorage {
    /// One process owns the store unless the storage says otherwise.
    public var isShared: Bool { false }

    public func recordSent(_ replica: ReplicaID, upTo position: Int64) throws {}
}

/// What a storage answers inside a transaction: the planner's point lookups (``HubView``) and
/// the ranges and listings the service reads.
public protocol HubReader: HubView {
    /// Rows of the feed after position `after` (and at or below `through`, when given), in feed
    /// order, at most `limit`, each with its stored state as ``RowJSON/rowState(_:)`` wrote it.
    /// Only rows whose root sits where `scope` reaches (all rows for ``ReadScope/all``), and
    /// only live rows when `liveOnly`.
    func feed(after: Int64, through: Int64?, liveOnly: Bool, scope: ReadScope, limit: Int) throws -> [FeedRow]
    /// The highest feed position whose tombstones were purged (0 when none was).
    func compactedTo() throws -> Int64
    /// The transfers at feed positions `(after, through]`, in feed order.
    func moves(after: Int64, through: Int64) throws -> [HubPlan.Departure]
    /// The merges at feed positions `(after, through]`, in feed order.
    func redirects(after: Int64, through: Int64) throws -> [Redirection]
    /// Every recorded event of `entity/id`, oldest first.
    func history(_ entity: String, id: String) throws -> [HistoryEntry]
    /// The queue items `filter` selects by status, entity, the territory of the record's root
    /// and age (its `rule` is the service's to apply), oldest first.
    func conflicts(matching filter: ConflictFilter) throws -> [QueuedConflict]
    func openConflictCount() throws -> Int
    /// The most recent admin actions, newest first.
    func auditEntries(limit: Int) throws -> [AuditEntry]
    /// The stored row `entity/id` with its feed position, tombstones included.
    func feedRow(_ entity: String, id: String) throws -> FeedRow?
    /// Every live row of `entity`, by id.
    func liveRows(_ entity: String) throws -> [RowState]
    /// The text values field `field` holds across every stored row of `entity`, tombstones
    /// included (which blobs attachments still name).
    func values(_ entity: String, field: String) throws -> Set<String>

    // MARK: Directory

    /// Every user, by name.
    func users() throws -> [UserInfo]
    func user(_ name: String) throws -> UserInfo?
    /// The user whose unspent enrollment token has this hash, and when it expires.
    func enrollment(hash: String) throws -> (user: UserInfo, expiresAt: Int64?)?
    /// The device whose current or offered credential has this hash, and whether it was the
    /// offered one (``DirectoryWrite/adoptCredential(_:hash:)`` then makes it current).
    func device(credentialHash: String) throws -> (device: DeviceInfo, offered: Bool)?
    /// The device with this replica id, revoked or not.
    func device(_ replica: ReplicaID) throws -> DeviceInfo?
    /// Every enrolled device with how far it has pulled, by user and device.
    func devices() throws -> [DeviceStatus]
    /// How far the feed was sent to `replica`, as last written (0 when never).
    func sentMark(of replica: ReplicaID) throws -> Int64
    /// How many tombstones sit at or below feed position `through`, and the highest position
    /// among them.
    func tombstones(through: Int64) throws -> (count: Int, last: Int64?)

    // MARK: Console

    /// The slow hash of `user`'s console password (nil: they have none, or no such user).
    func passwordHash(of user: String) throws -> String?
    /// The console session whose id has this hash, expired or not.
    func consoleSession(idHash: String) throws -> ConsoleSession?
    /// The tallies of pushes from day `fromDay` (days since 1970-01-01, UTC) on, oldest first.
    func activity(fromDay: Int64) throws -> [ActivityDay]

    // MARK: Schema

    /// The release schema version the store's rows are written in (``HubWrites/schemaVersion``).
    func storedSchemaVersion() throws -> Int
    /// The company's schema revision: the highest published step's (0 when none was).
    func schemaRevision() throws -> Int
    /// Every published step, by revision.
    func schemaSteps() throws -> [PublishedStep]
}

/// A row of the feed as stored: its position and its state's JSON.
public struct FeedRow: Sendable {
    public var seq: Int64
    public var state: String

    public init(seq: Int64, state: String) {
        self.seq = seq
        self.state = state
    }
}

/// Everything one hub operation writes: the pull marks that were due, the planner's plan, the
/// directory's changes, a compaction's purge and the admin action's audit entry, applied in
/// that order.
public struct HubWrites: Sendable {
    public var plan: HubPlan
    public var audit: [AuditWrite]
    public var directory: [DirectoryWrite]
    /// How far devices have pulled (their feed positions only grow; a device that pulled counts
    /// as active again if it had been retired from compaction).
    public var pulled: [ReplicaID: Int64]
    /// When the marks in ``pulled`` were taken (a device's last pull, within a second).
    public var pulledAt: Int64?
    /// How far the feed was sent to devices (only grows).
    public var sent: [ReplicaID: Int64]
    /// Tombstones to remove for good: those at or below `through`; the feed then counts as
    /// compacted up to `compactedTo` (a position only grows).
    public var purge: (through: Int64, compactedTo: Int64)?
    /// What a push adds to its day's tally (added to what the day holds).
    public var activity: ActivityDay?
    /// Steps of the company's schema to publish (each at its own, next revision).
    public var schemaSteps: [PublishedStep] = []
    /// The release schema version the store's rows are now written in (a version only grows).
    public var schemaVersion: Int?

    public init(
        plan: HubPlan = HubPlan(), audit: [AuditWrite] = [], directory: [DirectoryWrite] = [], pulled: [ReplicaID: Int64] = [:],
        sent: [ReplicaID: Int64] = [:]
    ) {
        self.plan = plan
        self.audit = audit
        self.directory = directory
        self.pulled = pulled
        self.sent = sent
    }

    public var isEmpty: Bool {
        plan.isEmpty && audit.isEmpty && directory.isEmpty && pulled.isEmpty && sent.isEmpty && purge == nil
            && activity == nil && schemaSteps.isEmpty && schemaVersion == nil
    }

}

/// An admin action, recorded in the same transaction as the action.
public struct AuditWrite: Hashable, Sendable {
    public var action: String
    public var target: String
    public var detail: String
    public var actor: Actor
    public var at: Int64

    public init(_ action: String, target: String, detail: String, by actor: Actor, at: Int64) {
        self.action = action
        self.target = target
        self.detail = detail
        self.actor = actor
        self.at = at
    }
}

/// A change to the directory of users and devices.
public enum DirectoryWrite: Hashable, Sendable {
    /// A new user with the hash of their enrollment token.
    case addUser(UserInfo, enrollmentHash: String, expiresAt: Int64?, at: Int64)
    /// A user's enrollment token replaced (nil: spent or withdrawn).
    case setEnrollment(user: String, hash: String?, expiresAt: Int64?)
    /// A user disabled (kept at the first time it happened), their token withdrawn.
    case disableUser(String, at: Int64)
    case addDevice(ReplicaID, user: String, device: String, credentialHash: String, at: Int64)
    /// A new credential offered to a device; the current one works until the offered one is used.
    case offerCredential(ReplicaID, hash: String)
    /// The offered credential, now used, becomes the device's only one.
    case adoptCredential(ReplicaID, hash: String)
    /// A device's credential revoked (kept at the first time it happened).
    case revokeDevice(ReplicaID, by: String, at: Int64)
    /// A device retired from compaction (it holds no tombstones back until it pulls again; a pull
    /// mark written in the same transaction, which comes first, does not undo it).
    case retireDevice(ReplicaID)
    /// A user's console password hash replaced (nil: they can no longer sign in with one).
    case setPassword(user: String, hash: String?)
    /// A console session opened.
    case openSession(ConsoleSession)
    /// A console session ended (signed out).
    case closeSession(idHash: String)
    /// Every console session of a user ended (disabled, or a new password).
    case closeSessions(user: String)
    /// Sessions that expired before this time forgotten.
    case dropSessions(expiredBefore: Int64)
}

/// A signed-in browser of the admin console. The cookie carries the session id; the store keeps
/// only its SHA-256, as it does for device credentials.
public struct ConsoleSession: Hashable, Sendable {
    public var idHash: String
    public var user: String
    /// The token every form of this session carries (a POST without it changes nothing).
    public var csrf: String
    public var createdAt: Int64
    public var expiresAt: Int64

    public init(idHash: String, user: String, csrf: String, createdAt: Int64, expiresAt: Int64) {
        self.idHash = idHash
        self.user = user
        self.csrf = csrf
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// One day of pushes: how many arrived and what became of their changes.
public struct ActivityDay: Hashable, Sendable {
    /// Days since 1970-01-01, UTC.
    public var day: Int64
    public var pushes: Int
    public var applied: Int
    public var merged: Int
    public var queued: Int
    public var rejected: Int

    public init(day: Int64, pushes: Int = 0, applied: Int = 0, merged: Int = 0, queued: Int = 0, rejected: Int = 0) {
        self.day = day
        self.pushes = pushes
        self.applied = applied
        self.merged = merged
        self.queued = queued
        self.rejected = rejected
    }

    /// The tally of one push's new outcomes, on the day `at` (milliseconds since the epoch) falls in.
    public init(push outcomes: [MergeOutcome], at: Int64) {
        self.init(day: Self.day(of: at), pushes: 1)
        for outcome in outcomes {
            switch outcome {
            case .applied: applied += 1
            case .merged: merged += 1
            case .queued: queued += 1
            case .rejected: rejected += 1
            }
        }
    }

    /// The day (since 1970-01-01, UTC) of a time in milliseconds since the epoch.
    public static func day(of milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
    }
}

/// The rows a reader has loaded in its transaction, by `entity/id`: each row's stored state (as
/// ``RowJSON/rowState(_:)`` wrote it) and its root, or nil for a row the store does not hold.
/// Nothing is written while an operation plans, so what was read once stays true until the
/// transaction ends, and a row read for its root is not looked up again for its state.
public struct StoredRowCache {
    private var rows: [String: (state: String, root: String?)?] = [:]

    public init() {}

    /// The row `entity/id`, from `load` the first time it is asked for.
    public mutating func row(
        _ entity: String, id: String, load: () throws -> (state: String, root: String?)?
    ) rethrows -> (state: String, root: String?)? {
        let key = entity + "/" + id
        if let known = rows[key] { return known }
        let row = try load()
        rows[key] = .some(row)
        return row
    }
}
