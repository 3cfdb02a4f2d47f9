import Foundation
import HubEngine
import HubStore
import SatchelModel
import SyncCore

/// Everything the HTTP layer and the operator's commands ask of a hub, whatever its storage: the
/// embedded SQLite store (``Hub`` on a file, ``SQLiteServerStore``) by default, PostgreSQL
/// (``PostgresServerStore``) for several servers. ``HubService`` is its one conformer, over any
/// ``HubStorage``: the seam between policy and database is that protocol, not this one.
///
/// Methods are synchronous and each is one transaction; credentials and tokens arrive hashed.
public protocol ServerStore: Sendable {
    /// The built-in schema this release declares.
    var schema: Schema { get }
    /// The built-in schema with every step the company has published (read from the store).
    func currentSchema() throws -> Schema
    /// Publishes a step of the company's schema (checked first; refused with a sentence).
    @discardableResult func publish(_ step: SchemaStep, by actor: Actor) throws -> PublishedStep
    func schemaSteps() throws -> [PublishedStep]

    func addUser(_ user: UserInfo, enrollmentHash: String, expiresAt: Int64?, by actor: Actor) throws
    func setEnrollmentHash(_ hash: String, for name: String, expiresAt: Int64?, by actor: Actor) throws
    @discardableResult func disableUser(_ name: String, by actor: Actor) throws -> UserInfo
    func users() throws -> [UserInfo]
    func user(_ name: String) throws -> UserInfo?
    func enroll(enrollmentHash: String, device: String, credentialHash: String) throws -> DeviceInfo?
    func device(credentialHash: String) throws -> DeviceInfo?
    func rotateCredential(of replica: ReplicaID, newHash: String) throws
    func devices() throws -> [DeviceStatus]
    @discardableResult func revokeDevice(_ replica: ReplicaID, by actor: Actor) throws -> DeviceStatus
    func scope(of user: UserInfo) throws -> ReadScope
    func auditEntries(limit: Int) throws -> [AuditEntry]

    func push(_ changeset: Changeset, as writer: Writer, scope: ReadScope, homeTerritory: String?) throws -> PushResponse
    /// A page of the feed for `reader`, noting how far the feed was sent to it.
    /// `knownSchema`: the company schema revision the reader holds; the page carries the steps after it.
    func pull(since cursor: Int64, limit: Int, scope: ReadScope, for reader: ReplicaID?, knownSchema: Int) throws
        -> PullResponse
    func bootstrap(
        snapshot: Int64?, after: Int64, limit: Int, scope: ReadScope, for reader: ReplicaID?, knownSchema: Int
    ) throws -> BootstrapResponse
    /// The pages the HTTP API sends, already in their wire form, in the layout the laptop asked for.
    func pullEncoded(
        since cursor: Int64, limit: Int, scope: ReadScope, for reader: ReplicaID?, knownSchema: Int, layout: PageLayout
    ) throws -> EncodedPage
    func bootstrapEncoded(
        snapshot: Int64?, after: Int64, limit: Int, scope: ReadScope, for reader: ReplicaID?, knownSchema: Int,
        layout: PageLayout
    ) throws -> EncodedPage
    /// How far the hub has processed `replica`'s changes (sent with every pull page, so a laptop
    /// notices a server restored from a backup and pushes again what it lost).
    func highWater(of replica: ReplicaID) throws -> UInt64

    func conflicts(includeResolved: Bool) throws -> [QueuedConflict]
    func conflicts(matching filter: ConflictFilter) throws -> [QueuedConflict]
    func openConflictCount() throws -> Int
    func history(_ entity: String, id: String, scope: ReadScope) throws -> [HistoryEntry]?
    func notePulled(_ replica: ReplicaID, upTo position: Int64)
    func writePullMarksIfDue() throws
    @discardableResult
    func mergeRecords(_ entity: String, keep: String, merge other: String, take: [String], by admin: String, from device: String)
        throws -> MergeReport
    func conflict(_ id: String) throws -> QueuedConflict
    @discardableResult func resolve(_ id: String, choice: ConflictChoice, by resolver: String, from device: String) throws
        -> RowState?
    @discardableResult func transferAccount(_ id: String, to user: String, by admin: String, from device: String) throws
        -> RowState?
    @discardableResult
    func importRecords(_ records: [Hub.ImportRecord], by user: String, from device: String, skipBad: Bool) throws
        -> Hub.ImportReport
    func row(_ entity: String, id: String) throws -> RowState?
    func snapshot(_ entity: String, id: String) throws -> RowSnapshot?
    @discardableResult func compact(by actor: Actor) throws -> CompactionReport
    func retireDevice(_ replica: ReplicaID, by actor: Actor) throws

    func uploadStatus(attachment id: String, as writer: Writer, scope: ReadScope, limits: AttachmentLimits) throws -> UploadStatus
    func uploadChunk(attachment id: String, offset: Int64, bytes: Data, as writer: Writer, scope: ReadScope, limits: AttachmentLimits)
        throws -> UploadStatus
    func attachmentDownload(_ id: String, range: Range<Int64>?, scope: ReadScope) throws -> AttachmentDownload
    func attachmentBytes(_ blob: String, range: Range<Int64>) throws -> Data
    func blobStats() throws -> BlobStats

    func setPassword(hash: String?, for name: String, by actor: Actor) throws
    func passwordHash(of name: String) throws -> String?
    func openConsoleSession(_ session: ConsoleSession, from address: String) throws
    func consoleSession(idHash: String) throws -> (session: ConsoleSession, user: UserInfo)?
    func closeConsoleSession(idHash: String, by actor: Actor) throws
    func activity(days: Int) throws -> [ActivityDay]
    func mergePreview(_ entity: String, id: String) throws -> [String: Int]
    func covers(_ scope: ReadScope, entity: String, id: String) throws -> Bool
    func feedHead() throws -> Int64
}

extension HubService: ServerStore {}
