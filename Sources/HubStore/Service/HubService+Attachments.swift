import Foundation
import HubEngine
import SatchelModel
import SyncCore

/// How much a hub takes of attachments' bytes.
public struct AttachmentLimits: Hashable, Sendable {
    /// Bytes of one file.
    public var maxFileBytes: Int64
    /// Bytes of every file one user attached and uploaded.
    public var quotaBytes: Int64

    public init(maxFileBytes: Int64 = AttachmentMedia.defaultMaxBytes, quotaBytes: Int64 = 5_000_000_000) {
        self.maxFileBytes = maxFileBytes
        self.quotaBytes = quotaBytes
    }
}

/// Why the hub refused an attachment's bytes. Each says what to do; none names a record or a
/// file outside the asker's territories.
public enum AttachmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No attachment with this id that the asker may see (never pushed, deleted, or elsewhere).
    case notFound(String)
    /// The attachment's bytes have not arrived yet.
    case notUploaded(String)
    case tooLarge(size: Int64, limit: Int64)
    case quota(used: Int64, size: Int64, quota: Int64)
    /// A chunk that does not start where the held bytes end.
    case offsetMismatch(held: Int64)
    /// A chunk that would pass the declared size.
    case beyondSize(size: Int64)
    /// The whole upload does not hash to the attachment's SHA-256; it was dropped.
    case hashMismatch
    /// The bytes are not of the attachment's media type; they were dropped.
    case wrongMediaType(String)
    /// The requested byte range lies outside the file.
    case badRange(size: Int64)
    /// The hub has the record as uploaded but not all of its bytes (a restore without the files).
    case bytesMissing(String)

    public var description: String {
        switch self {
        case .notFound(let id):
            return "there is no attachment \(id.prefix(64)) that you can see; sync, or check the id"
        case .notUploaded(let id):
            return "the file of attachment \(id.prefix(64)) has not reached the server yet; try again after its owner syncs"
        case .tooLarge(let size, let limit):
            return "the file is \(size) bytes; this server takes at most \(limit) bytes per file; attach a smaller file"
        case .quota(let used, let size, let quota):
            return "your attachments, with the uploads under way, use \(used) of \(quota) bytes, and this file needs \(size) more; "
                + "ask an admin to raise the quota or delete attachments you no longer need"
        case .offsetMismatch(let held):
            return "the server holds \(held) bytes of this file; send the next chunk from there"
        case .beyondSize(let size):
            return "the chunk goes beyond the file's declared size of \(size) bytes; nothing was stored"
        case .hashMismatch:
            return "the bytes do not match the attachment's SHA-256; nothing was stored; attach the file again"
        case .wrongMediaType(let type):
            return "the bytes are not \(type), as the attachment says; nothing was stored"
        case .badRange(let size):
            return "the range lies outside the file's \(size) bytes"
        case .bytesMissing(let id):
            return "the server has lost the file of attachment \(id.prefix(64)); ask an admin to restore its files from the backup"
        }
    }
}

/// A download the hub allowed: which bytes, of which blob.
public struct AttachmentDownload: Hashable, Sendable {
    public var range: Range<Int64>
    /// The whole file's size.
    public var size: Int64
    public var mediaType: String
    /// The blob to read (``HubService/attachmentBytes(_:range:)``); not a capability on its own.
    public var blob: String
}

/// What the hub holds of attachments' bytes.
public struct BlobStats: Hashable, Sendable, Codable {
    public var blobs: Int
    public var bytes: Int64

    public init(blobs: Int, bytes: Int64) {
        self.blobs = blobs
        self.bytes = bytes
    }
}

extension HubService {
    /// Where the schema keeps files (``Schema/files``); a schema without files has no attachment.
    func fileFields(_ id: String) throws -> FileFields {
        guard let files = schema.files else { throw AttachmentError.notFound(id) }
        return files
    }

    /// The stored attachment `id` when it is live and in `scope`; the same error when it is
    /// missing, deleted or elsewhere, so the answer tells nothing about other territories.
    func attachment(_ id: String, scope: ReadScope, reader: Storage.Reader) throws -> RowState {
        let files = try fileFields(id)
        guard let row = try reader.row(files.entity, id: id), !row.isDeleted,
            let root = try reader.storedRoot(files.entity, id: id), try Self.scope(scope, covers: root, reader: reader)
        else { throw AttachmentError.notFound(id) }
        return row
    }

    /// What an attachment's record declares of its file.
    func declared(_ row: RowState) -> DeclaredFile {
        schema.files?.file(in: row.values) ?? DeclaredFile(hash: "", size: 0, mediaType: "", isUploaded: false, owner: "")
    }

    /// How much of attachment `id`'s bytes the hub holds. When its bytes are not in yet but an
    /// attachment the asker may see already brought the same bytes (the same hash, size and
    /// media type), it is complete at once: nothing is sent twice. Knowing a hash alone gives
    /// nothing: the bytes must have come with a record in the asker's scope.
    ///
    /// An upload not begun is refused here already when the file is over the per-file limit or
    /// the quota, so no byte is sent for nothing. A record marked uploaded whose bytes the hub
    /// no longer holds (a restore without its files) reads as not uploaded, so its laptop sends
    /// them again.
    public func uploadStatus(attachment id: String, as writer: Writer, scope: ReadScope, limits: AttachmentLimits) throws
        -> UploadStatus
    {
        let (row, shared) = try storage.read { reader -> (RowState, Bool) in
            let row = try attachment(id, scope: scope, reader: reader)
            let file = declared(row)
            guard !file.isUploaded, try storage.blobs.size(of: file.hash) == file.size else { return (row, false) }
            let files = try fileFields(id)
            for other in try reader.rows(files.entity, where: files.hashField, is: file.hash) where other != id {
                guard let twin = try? attachment(other, scope: scope, reader: reader) else { continue }
                let theirs = declared(twin)
                if theirs.isUploaded, theirs.size == file.size, theirs.mediaType == file.mediaType { return (row, true) }
            }
            return (row, false)
        }
        let file = declared(row)
        let uploaded = try isUploaded(file)
        if !uploaded, try storage.blobs.received(id) == 0 { try checkLimits(row, limits: limits) }
        if shared {
            try storage.blobs.discard(id)
            try markUploaded(id, by: writer)
            return UploadStatus(attachment: id, size: file.size, received: file.size, complete: true)
        }
        let received = uploaded ? file.size : try storage.blobs.received(id)
        return UploadStatus(attachment: id, size: file.size, received: received, complete: uploaded)
    }

    /// Whether the record says its bytes arrived and the hub still holds them.
    func isUploaded(_ file: DeclaredFile) throws -> Bool {
        guard file.isUploaded else { return false }
        return try storage.blobs.size(of: file.hash) == file.size
    }

    /// Appends a chunk of attachment `id`'s bytes at `offset`. The first chunk is checked against
    /// the per-file limit, the writer's quota and the declared media type. The chunk that makes
    /// the upload whole (or an empty one at its end, to finish an upload whose last answer was
    /// lost) completes it: the upload is sealed (no later append reaches those bytes), checked
    /// (media type, SHA-256, quota again), and only then kept under its hash; the attachment's
    /// uploaded field (``FileFields/uploadedField``) is set and reaches every replica by the feed.
    public func uploadChunk(
        attachment id: String, offset: Int64, bytes: Data, as writer: Writer, scope: ReadScope, limits: AttachmentLimits
    ) throws -> UploadStatus {
        let row = try storage.read { try attachment(id, scope: scope, reader: $0) }
        let file = declared(row)
        if try isUploaded(file) { return UploadStatus(attachment: id, size: file.size, received: file.size, complete: true) }
        guard file.size <= limits.maxFileBytes else { throw AttachmentError.tooLarge(size: file.size, limit: limits.maxFileBytes) }
        // Compared without adding, so no offset can overflow.
        guard offset <= file.size, Int64(bytes.count) <= file.size - offset else { throw AttachmentError.beyondSize(size: file.size) }
        if offset == 0 {
            try checkLimits(row, limits: limits)
            guard AttachmentMedia.content(bytes.prefix(AttachmentMedia.sniffLength), matches: file.mediaType) else {
                throw AttachmentError.wrongMediaType(file.mediaType)
            }
        }
        do {
            if bytes.isEmpty {
                let held = try storage.blobs.received(id)
                guard held == offset else { throw BlobStorageError.offsetMismatch(held: held) }
            } else {
                try storage.blobs.append(id, at: offset, bytes)
            }
        } catch BlobStorageError.offsetMismatch(let held) {
            throw AttachmentError.offsetMismatch(held: held)
        }
        let received = offset + Int64(bytes.count)
        guard received == file.size else {
            return UploadStatus(attachment: id, size: file.size, received: received, complete: false)
        }
        // Whole: sealed first, so what is checked is exactly what is kept.
        guard let sealed = try storage.blobs.seal(id) else {
            // Another request sealed it first: ask again where it stands.
            throw AttachmentError.offsetMismatch(held: try storage.blobs.received(id))
        }
        do {
            let prefix = try storage.blobs.readUpload(sealed, range: 0..<Int64(AttachmentMedia.sniffLength))
            guard AttachmentMedia.content(prefix, matches: file.mediaType) else { throw AttachmentError.wrongMediaType(file.mediaType) }
            guard try storage.blobs.digest(ofUpload: sealed, size: file.size) == file.hash else { throw AttachmentError.hashMismatch }
            try checkLimits(row, limits: limits)
            try storage.blobs.keep(sealed, as: file.hash)
        } catch {
            try storage.blobs.discard(sealed)
            throw error
        }
        try markUploaded(id, by: writer)
        return UploadStatus(attachment: id, size: file.size, received: file.size, complete: true)
    }

    /// The per-file limit and the quota of the user who attached the file
    /// (``chargedBytes(to:besides:)``: their finished files and their uploads under way).
    func checkLimits(_ row: RowState, limits: AttachmentLimits) throws {
        let size = declared(row).size
        guard size <= limits.maxFileBytes else { throw AttachmentError.tooLarge(size: size, limit: limits.maxFileBytes) }
        let used = try chargedBytes(to: declared(row).owner, besides: row.id)
        guard used + size <= limits.quotaBytes else { throw AttachmentError.quota(used: used, size: size, quota: limits.quotaBytes) }
    }

    /// Sets the uploaded field as the hub: the attachment's bytes are in.
    func markUploaded(_ id: String, by writer: Writer) throws {
        let files = try fileFields(id)
        let now = clock()
        _ = try planned { draft, _ in
            try planner(draft).writeAsHub(files.entity, id: id, [files.uploadedField: .integer(now)], by: writer.user, now: now, into: draft)
        }
    }

    /// Bytes counted against `user`'s quota, but attachment `besides`'s: each uploaded file's size,
    /// and the declared size of each upload under way (bytes received, not yet whole), so a
    /// laptop cannot hold more than the quota in uploads it never finishes.
    func chargedBytes(to user: String, besides id: String) throws -> Int64 {
        guard let files = schema.files else { return 0 }
        let rows = try storage.read { reader in
            try reader.rows(files.entity, where: files.ownerField, is: user).compactMap { try reader.row(files.entity, id: $0) }
        }
        var total: Int64 = 0
        for row in rows where row.id != id {
            let file = declared(row)
            if try file.isUploaded || storage.blobs.received(row.id) > 0 { total += file.size }
        }
        return total
    }

    /// What a download of attachment `id` sends, when it is in `scope` and uploaded: the range
    /// (the whole file when nil; an end past the file, or none, stops at its end), the file's
    /// size and media type, and the blob to read it from with ``attachmentBytes(_:range:)``.
    public func attachmentDownload(_ id: String, range: Range<Int64>?, scope: ReadScope) throws -> AttachmentDownload {
        let row = try storage.read { try attachment(id, scope: scope, reader: $0) }
        let file = declared(row)
        guard file.isUploaded else { throw AttachmentError.notUploaded(id) }
        guard try storage.blobs.size(of: file.hash) == file.size else { throw AttachmentError.bytesMissing(id) }
        let requested = range ?? 0..<file.size
        guard requested.lowerBound < file.size else { throw AttachmentError.badRange(size: file.size) }
        return AttachmentDownload(
            range: requested.lowerBound..<min(requested.upperBound, file.size), size: file.size, mediaType: file.mediaType,
            blob: file.hash)
    }

    /// Bytes of a blob a download was allowed (``attachmentDownload(_:range:scope:)``): the
    /// caller reads it piece by piece, so no answer holds a whole file in memory.
    public func attachmentBytes(_ blob: String, range: Range<Int64>) throws -> Data {
        let data = try storage.blobs.read(blob, range: range)
        guard data.count == range.count else { throw AttachmentError.bytesMissing(blob) }
        return data
    }

    /// How many blobs the hub holds and their bytes (each distinct file once).
    public func blobStats() throws -> BlobStats {
        let blobs = try storage.blobs.blobs()
        return BlobStats(blobs: blobs.count, bytes: blobs.values.reduce(0, +))
    }

    /// Deletes the blobs no stored attachment names, tombstones included: a blob goes only once
    /// the deletes of its attachments were purged by compaction (every active laptop had them).
    func collectBlobs() throws -> BlobStats {
        // What a crash left set aside is decided again, like any other blob.
        try storage.blobs.restoreSetAside()
        guard let files = schema.files else { return BlobStats(blobs: 0, bytes: 0) }
        func named() throws -> Set<String> { try storage.read { try $0.values(files.entity, field: files.hashField) } }
        let namedNow = try named()
        let candidates = try storage.blobs.blobs().filter { !namedNow.contains($0.key) }
        var collected = BlobStats(blobs: 0, bytes: 0)
        for (hash, size) in candidates {
            // Asked again once the blob is set aside: a record pushed meanwhile keeps it.
            guard try storage.blobs.delete(hash, unless: { try named().contains(hash) }) else { continue }
            collected.blobs += 1
            collected.bytes += size
        }
        return collected
    }
}
