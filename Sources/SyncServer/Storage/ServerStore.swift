import ReplicaStore
import SatchelModel
import SyncCore

/// Everything the HTTP layer asks of storage. The embedded SQLite store (``Hub`` on a file) is
/// the default; a PostgreSQL store can follow behind the same seam.
///
/// Methods are synchronous and each is one transaction; credentials and tokens arrive hashed.
public protocol ServerStore: Sendable {
    var schema: Schema { get }

    func addUser(_ user: UserInfo, enrollmentHash: String) throws
    func setEnrollmentHash(_ hash: String, for name: String) throws
    func users() throws -> [UserInfo]
    func user(_ name: String) throws -> UserInfo?
    func enroll(enrollmentHash: String, device: String, credentialHash: String) throws -> DeviceInfo?
    func device(credentialHash: String) throws -> DeviceInfo?
    func scope(of user: UserInfo) throws -> ReadScope

    func push(_ changeset: Changeset, as writer: Writer, scope: ReadScope, homeTerritory: String?) throws -> PushResponse
    func pull(since cursor: Int64, limit: Int, scope: ReadScope) throws -> PullResponse
    func bootstrap(snapshot: Int64?, after: Int64, limit: Int, scope: ReadScope) throws -> BootstrapResponse
    /// The pages the HTTP API sends, already in their wire form.
    func pullEncoded(since cursor: Int64, limit: Int, scope: ReadScope) throws -> EncodedPage
    func bootstrapEncoded(snapshot: Int64?, after: Int64, limit: Int, scope: ReadScope) throws -> EncodedPage

    func conflicts(includeResolved: Bool) throws -> [QueuedConflict]
    func conflicts(matching filter: ConflictFilter) throws -> [QueuedConflict]
    func history(_ entity: String, id: String, scope: ReadScope) throws -> [HistoryEntry]?
    func notePulled(_ replica: ReplicaID, upTo position: Int64)
    func writePullMarksIfDue() throws
    @discardableResult
    func mergeRecords(_ entity: String, keep: String, merge other: String, take: [String], by admin: String) throws
        -> MergeReport
    func conflict(_ id: String) throws -> QueuedConflict
    @discardableResult func resolve(_ id: String, choice: ConflictChoice, by resolver: String) throws -> RowState?
    @discardableResult func transferAccount(_ id: String, to user: String, by admin: String) throws -> RowState?
    @discardableResult
    func importRecords(_ records: [Hub.ImportRecord], by user: String, skipBad: Bool) throws -> Hub.ImportReport
    func row(_ entity: String, id: String) throws -> RowState?
    func snapshot(_ entity: String, id: String) throws -> RowSnapshot?
}

extension Hub: ServerStore {}
