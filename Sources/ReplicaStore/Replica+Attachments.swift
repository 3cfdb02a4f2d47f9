import Crypto
import Foundation
import GRDB
import SatchelModel
import SyncCore

/// An attachment's bytes this laptop still has to send.
public struct PendingUpload: Hashable, Sendable {
    public var attachmentID: String
    public var sha256: String
    public var size: Int64
    public var fileName: String
    /// The last refusal or failure, for `satchel status`.
    public var lastError: String?
}

/// Where an attachment's bytes are, as its rep sees them.
public enum AttachmentState: String, Hashable, Sendable, Codable {
    /// This laptop still has to send them.
    case sending = "uploading (from this laptop)"
    /// Their owner's laptop has not sent them yet.
    case uploading
    /// Here, in the attachments folder.
    case here = "on this laptop"
    /// On the server, fetched on demand.
    case onServer = "on the server"
}

extension Replica {
    // MARK: - Attachments

    /// The folder beside the replica file where attachments' bytes are kept, each named by its
    /// SHA-256 (nil for a replica in memory).
    public var attachmentsFolder: String? {
        let path = writer.path
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file::memory:") else { return nil }
        return ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("attachments")
    }

    /// Where the bytes named `sha256` are on this laptop, when they are.
    public func attachmentFile(sha256: String) -> String? {
        guard AttachmentMedia.isSHA256(sha256), let folder = attachmentsFolder else { return nil }
        let path = (folder as NSString).appendingPathComponent(sha256)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Attaches the file at `path` to record `entity/id`, offline: the file is checked (readable,
    /// not empty, at most `maxBytes`, a kind Satchel carries by its name and its first bytes),
    /// copied into ``attachmentsFolder`` under its SHA-256, and recorded with its upload pending,
    /// in one transaction. Returns the attachment's id.
    ///
    /// The copy is the laptop's from then on: editing or deleting the original changes nothing.
    @discardableResult
    public func attach(
        file path: String, to entity: String, id ownerID: String, caption: String? = nil,
        maxBytes: Int64 = AttachmentMedia.defaultMaxBytes
    ) throws -> String {
        guard let owner = CRMSchema.attachmentOwners.first(where: { $0.entity == entity }) else {
            throw ReplicaError.notAllowed(
                reason: "files are not attached to \(entity) records",
                remedy: "attach them to a visit, account, opportunity, ticket or order")
        }
        guard let folder = attachmentsFolder else {
            throw ReplicaError.notAllowed(reason: "this replica has no folder for files", remedy: "open a replica file")
        }
        guard let record = try row(entity, id: ownerID) else { throw ReplicaError.unknownRecord(entity: entity, id: ownerID) }
        let accountID = entity == "account" ? ownerID : record["account_id"]?.textValue
        guard let accountID else {
            throw ReplicaError.notAllowed(reason: "the \(entity) \(ownerID) has no account", remedy: "give it an account first")
        }
        let copied = try Self.copyIntoFolder(path, folder: folder, maxBytes: maxBytes)
        let id = UUID().uuidString.lowercased()
        do {
            guard copied.size > 0 else {
                throw ReplicaError.notAllowed(reason: "\(path) is empty", remedy: "attach a file with something in it")
            }
            let name = (path as NSString).lastPathComponent
            let mediaType: String
            switch AttachmentMedia.mediaType(fileName: name, prefix: copied.prefix) {
            case .success(let type): mediaType = type
            case .failure(let problem): throw ReplicaError.notAllowed(reason: problem.description, remedy: "choose another file")
            }
            let attachment = try schema.requireEntityOrThrow("attachment")
            let user = try identity().user
            guard !user.isEmpty else {
                throw ReplicaError.notAllowed(
                    reason: "this laptop is not logged in, so nobody could be charged for the file",
                    remedy: "log in with 'satchel login' first")
            }
            var values: [String: FieldValue] = [
                "account_id": .text(accountID), "file_name": .text(String(name.prefix(255))),
                "media_type": .text(mediaType), "size": .integer(copied.size), "sha256": .text(copied.sha256),
                "attached_by": .text(user), "attached_at": .integer(clock()),
            ]
            if owner.entity != "account" { values[owner.field] = .text(ownerID) }
            if let caption, !caption.isEmpty { values["caption"] = .text(caption) }
            let row: [String: FieldValue]
            do {
                row = try attachment.validateInsert(values)
            } catch {
                throw ReplicaError.invalid(error)
            }
            try writer.write { db in
                try insertChecked(attachment, id: id, row: row, db: db)
                try db.cachedStatement(
                    sql: "INSERT INTO _upload (attachment_id, sha256, size, file_name) VALUES (?, ?, ?, ?)"
                ).execute(arguments: [id, copied.sha256, copied.size, name])
            }
        } catch {
            // Refused: the copy goes, and nothing else was touched.
            try? FileManager.default.removeItem(atPath: copied.temporary)
            throw error
        }
        // Recorded first, named after: a sync pruning files meanwhile finds this one's hash recorded.
        let target = (folder as NSString).appendingPathComponent(copied.sha256)
        if FileManager.default.fileExists(atPath: target) {
            try? FileManager.default.removeItem(atPath: copied.temporary)
        } else if rename(copied.temporary, target) != 0 {
            throw ReplicaError.notAllowed(
                reason: "the attachment is recorded but its copy could not take its name in \(folder) (errno \(errno))",
                remedy: "check the folder's permissions, then delete the attachment and attach the file again")
        }
        return id
    }

    /// Copies a file into `folder` under a temporary name, hashing it on the way; returns the
    /// copy's path, its hash, size and first bytes. The caller records it, then renames it to its
    /// hash (so a file named by a hash is always whole and recorded).
    static func copyIntoFolder(_ path: String, folder: String, maxBytes: Int64) throws
        -> (temporary: String, sha256: String, size: Int64, prefix: Data)
    {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let input = FileHandle(forReadingAtPath: path)
        else {
            throw ReplicaError.notAllowed(reason: "cannot read \(path)", remedy: "check the file's name and permissions")
        }
        defer { try? input.close() }
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = (folder as NSString).appendingPathComponent(".incoming-" + UUID().uuidString)
        guard manager.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
            let output = FileHandle(forWritingAtPath: temporary)
        else {
            throw ReplicaError.notAllowed(reason: "cannot write in \(folder)", remedy: "check the folder's permissions and free space")
        }
        var hasher = SHA256()
        var size: Int64 = 0
        var prefix = Data()
        do {
            defer { try? output.close() }
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                size += Int64(chunk.count)
                guard size <= maxBytes else {
                    throw ReplicaError.notAllowed(
                        reason: "\(path) is larger than \(maxBytes / 1_000_000) MB, the most a file may be",
                        remedy: "attach a smaller file")
                }
                if prefix.count < AttachmentMedia.sniffLength { prefix.append(chunk.prefix(AttachmentMedia.sniffLength - prefix.count)) }
                hasher.update(data: chunk)
                try output.write(contentsOf: chunk)
            }
            try output.synchronize()
        } catch {
            try? manager.removeItem(atPath: temporary)
            if let error = error as? ReplicaError { throw error }
            throw ReplicaError.notAllowed(reason: "cannot copy \(path) (\(error))", remedy: "check the file and the free space")
        }
        return (temporary, Hex.string(hasher.finalize()), size, prefix)
    }

    /// Deletes attachment `id` (a tombstone travels to the hub) and, in the same transaction,
    /// its upload when its bytes were still to send. The laptop's copy of the bytes stays: other
    /// attachments may name them.
    ///
    /// An attachment the server refused has no record any more, only its waiting upload (which
    /// keeps its file on the laptop): deleting it drops that upload.
    public func deleteAttachment(_ id: String) throws {
        let schema = try self.schema.requireEntityOrThrow("attachment")
        try writer.write { db in
            let waiting = try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM _upload WHERE attachment_id = ?)"), arguments: [id]) ?? false
            if try !waiting || Replica.row(schema, id: id, db: db) != nil { try deleteChecked(schema, id: id, db: db) }
            try db.cachedStatement(sql: "DELETE FROM _upload WHERE attachment_id = ?").execute(arguments: [id])
        }
    }

    /// The live attachments of record `entity/id`, oldest first.
    public func attachments(of entity: String, id: String) throws -> [(id: String, values: [String: FieldValue])] {
        guard let owner = CRMSchema.attachmentOwners.first(where: { $0.entity == entity }) else { return [] }
        let condition = owner.entity == "account" ? "t.account_id = ?" : "t.\(SQLMapping.quote(owner.field)) = ?"
        return try rows("attachment", where: condition, arguments: [id], orderBy: "t.attached_at, t.id")
    }

    /// The live attachments of record `entity/id`, oldest first, each with where its bytes are.
    public func attachmentsWithState(of entity: String, id: String) throws
        -> [(id: String, values: [String: FieldValue], state: AttachmentState)]
    {
        let sending = Set(try pendingUploads().map(\.attachmentID))
        return try attachments(of: entity, id: id).map { row in
            let state: AttachmentState
            if sending.contains(row.id) {
                state = .sending
            } else if row.values["uploaded_at"]?.isNull ?? true {
                state = .uploading
            } else {
                state = attachmentFile(sha256: row.values["sha256"]?.textValue ?? "") != nil ? .here : .onServer
            }
            return (row.id, row.values, state)
        }
    }

    /// Puts back the uploads of attachments whose insert is in the outbox again (a server
    /// restored from a backup lost them, and lost their bytes with them), in the caller's
    /// transaction. Their bytes are sent again from this laptop's copy.
    func reopenUploads(_ db: Database) throws {
        guard schema.entity("attachment") != nil else { return }
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO _upload (attachment_id, sha256, size, file_name)
                SELECT a.id, a.sha256, a.size, a.file_name FROM attachment a
                WHERE a.id IN (SELECT row_id FROM _outbox WHERE entity = 'attachment' AND op = 'insert')
                """
        ).execute()
    }

    /// The uploads still to send, oldest first.
    public func pendingUploads() throws -> [PendingUpload] {
        try writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM _upload ORDER BY rowid")).map { row in
                PendingUpload(
                    attachmentID: row["attachment_id"], sha256: row["sha256"], size: row["size"], fileName: row["file_name"],
                    lastError: row["last_error"])
            }
        }
    }

    /// Whether the hub refused the insert of attachment `id` (its bytes then have nowhere to go).
    public func attachmentWasRejected(_ id: String) throws -> Bool {
        try writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT detail FROM _outcome WHERE entity = 'attachment' AND row_id = ? AND op = 'insert'"),
                arguments: [id]
            ).contains { row in
                if case .rejected = try WireJSON.decode(MergeOutcome.self, fromText: row["detail"]) { return true }
                return false
            }
        }
    }

    /// Whether attachment `id`'s insert still waits in the outbox.
    public func attachmentIsUnpushed(_ id: String) throws -> Bool {
        try writer.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM _outbox WHERE entity = 'attachment' AND row_id = ?)"),
                arguments: [id]) ?? false
        }
    }

    /// The upload of attachment `id` is over: sent whole, or never to be sent.
    public func finishUpload(_ id: String) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM _upload WHERE attachment_id = ?").execute(arguments: [id])
        }
    }

    /// Notes why the upload of attachment `id` did not finish (shown by `satchel status`).
    public func noteUploadFailure(_ id: String, _ detail: String) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE _upload SET attempts = attempts + 1, last_error = ? WHERE attachment_id = ?")
                .execute(arguments: [String(detail.prefix(500)), id])
        }
    }

    /// Deletes the files in ``attachmentsFolder`` that no attachment on this laptop names any
    /// more (deleted here or elsewhere, or gone with an account that moved to another rep), and
    /// downloads left unfinished for them. Returns how many files went.
    @discardableResult
    public func pruneAttachmentFiles() throws -> Int {
        guard let folder = attachmentsFolder, schema.entity("attachment") != nil else { return 0 }
        let names = try writer.read { db in
            Set(
                try String.fetchAll(db, sql: "SELECT sha256 FROM attachment")
                    + String.fetchAll(db, sql: "SELECT sha256 FROM _upload"))
        }
        let manager = FileManager.default
        var removed = 0
        // (An attach records its file before the file takes its name: no file named here is
        // about to be recorded.)
        for file in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] {
            let hash = file.hasPrefix(".partial-") ? String(file.dropFirst(9)) : file
            let path = (folder as NSString).appendingPathComponent(file)
            guard AttachmentMedia.isSHA256(hash), !names.contains(hash) else { continue }
            try? manager.removeItem(atPath: path)
            removed += 1
        }
        return removed
    }

    /// Where a download of the bytes named `sha256` is written until it is whole.
    public func partialDownload(sha256: String) -> String? {
        guard AttachmentMedia.isSHA256(sha256), let folder = attachmentsFolder else { return nil }
        return (folder as NSString).appendingPathComponent(".partial-" + sha256)
    }

    /// Keeps a finished download as the bytes named `sha256`, when it hashes to that; otherwise
    /// deletes it and throws.
    public func keepDownload(sha256: String) throws -> String {
        guard let partial = partialDownload(sha256: sha256), let folder = attachmentsFolder else {
            throw ReplicaError.notAllowed(reason: "this replica has no folder for files", remedy: "open a replica file")
        }
        guard let input = FileHandle(forReadingAtPath: partial) else {
            throw ReplicaError.notAllowed(reason: "the download is missing", remedy: "run the command again")
        }
        var hasher = SHA256()
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        try input.close()
        guard Hex.string(hasher.finalize()) == sha256 else {
            try? FileManager.default.removeItem(atPath: partial)
            throw ReplicaError.notAllowed(
                reason: "the downloaded file does not match its SHA-256 (it was damaged on the way)", remedy: "run the command again")
        }
        let target = (folder as NSString).appendingPathComponent(sha256)
        guard rename(partial, target) == 0 else {
            throw ReplicaError.notAllowed(reason: "cannot store the file in \(folder)", remedy: "check the folder's permissions")
        }
        return target
    }
}
