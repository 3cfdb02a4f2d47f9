import Foundation
import ReplicaStore
import SatchelModel
import SyncCore

extension SyncClient {
    /// What a sync did with attachments' bytes.
    public struct AttachmentSummary: Sendable, Equatable, Codable {
        /// Uploads finished, and the bytes this sync sent for them.
        public var uploaded = 0
        public var uploadedBytes: Int64 = 0
        /// Uploads still pending after this sync (waiting for their record, or refused).
        public var waiting = 0
        /// Files downloaded, and their bytes.
        public var downloaded = 0
        public var downloadedBytes: Int64 = 0
        /// Files of the book left on the server because they are larger than the cap.
        public var skipped = 0
        /// Files whose download failed this time (tried again at the next sync), with why.
        public var failed: [String] = []

        public init() {}
    }

    /// Sends the bytes of every pending upload whose record the server has, each from where the
    /// server's copy stops (an interrupted upload resumes; bytes the server already holds for a
    /// record in scope are not sent again). A refusal or a server error is kept on the upload for
    /// `satchel status` and the next upload is tried; only a connection that cannot be made stops
    /// the loop (the next sync resumes).
    public func uploadPending(progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> AttachmentSummary {
        var summary = AttachmentSummary()
        for upload in try replica.pendingUploads() {
            let id = upload.attachmentID
            if try replica.attachmentWasRejected(id) {
                // Refused: the bytes have nowhere to go, but the file stays on the laptop (its
                // upload names it) until the rep deletes the attachment.
                try replica.noteUploadFailure(
                    id, "the server refused this attachment (satchel status says why); the file stays on this laptop "
                        + "until you delete the attachment with 'satchel attachment delete \(id.prefix(8))'")
                summary.waiting += 1
                continue
            }
            if try replica.row("attachment", id: id) == nil {
                // Deleted since, here or by someone else.
                try replica.finishUpload(id)
                continue
            }
            if try replica.attachmentIsUnpushed(id) {
                summary.waiting += 1
                continue
            }
            guard let file = replica.attachmentFile(sha256: upload.sha256) else {
                try replica.noteUploadFailure(id, "this laptop's copy of the file is missing; attach the file again")
                summary.waiting += 1
                continue
            }
            do {
                var status = try await uploadStatus(id)
                while !status.complete {
                    // At the end already (the answer to the last chunk was lost): an empty chunk finishes it.
                    let chunk =
                        status.received == status.size
                        ? Data() : try Self.read(file, from: status.received, count: configuration.attachmentChunkBytes)
                    guard !chunk.isEmpty || status.received == status.size else {
                        try replica.noteUploadFailure(id, "this laptop's copy of the file is shorter than recorded; attach the file again")
                        summary.waiting += 1
                        break
                    }
                    do {
                        let request = TransportRequest(
                            method: "PUT", path: "/v1/attachments/\(Self.pathComponent(id))/content?offset=\(status.received)",
                            headers: ["Content-Type": "application/octet-stream"], body: chunk)
                        status = try Self.decode(UploadStatus.self, from: try await send(request))
                        summary.uploadedBytes += Int64(chunk.count)
                    } catch SyncClientError.refused(let error, _) where error.code == .conflict {
                        // Another device (or a retried request) moved the upload on: ask where it stands.
                        status = try await uploadStatus(id)
                    }
                    progress(.uploading(file: upload.fileName, sent: status.received, total: status.size))
                }
                guard status.complete else { continue }
                try replica.finishUpload(id)
                summary.uploaded += 1
            } catch SyncClientError.refused(let error, _) {
                try replica.noteUploadFailure(id, error.message)
                summary.waiting += 1
            }
        }
        return summary
    }

    private func uploadStatus(_ id: String) async throws -> UploadStatus {
        try Self.decode(
            UploadStatus.self,
            from: try await send(TransportRequest(method: "GET", path: "/v1/attachments/\(Self.pathComponent(id))/upload")))
    }

    /// Downloads the bytes of attachment `id` unless this laptop has them, resuming a download
    /// that was cut, and checks them against the attachment's SHA-256. Returns the local file.
    public func download(attachment id: String, progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws
        -> String
    {
        guard let row = try replica.row("attachment", id: id) else { throw ReplicaError.unknownRecord(entity: "attachment", id: id) }
        let sha256 = row["sha256"]?.textValue ?? ""
        let size = row["size"]?.integerValue ?? 0
        let name = row["file_name"]?.textValue ?? id
        if let file = replica.attachmentFile(sha256: sha256) { return file }
        guard let partial = replica.partialDownload(sha256: sha256) else {
            throw ReplicaError.notAllowed(reason: "this replica has no folder for files", remedy: "open a replica file")
        }
        let manager = FileManager.default
        if !manager.fileExists(atPath: partial) {
            try manager.createDirectory(
                atPath: (partial as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            guard manager.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ReplicaError.notAllowed(reason: "cannot write \(partial)", remedy: "check the folder's permissions and free space")
            }
        }
        guard let output = FileHandle(forWritingAtPath: partial) else {
            throw ReplicaError.notAllowed(reason: "cannot write \(partial)", remedy: "check the folder's permissions")
        }
        defer { try? output.close() }
        var offset = Int64(try output.seekToEnd())
        if offset >= size {
            // A whole partial that was not kept did not match: fetch it again from the start.
            try output.truncate(atOffset: 0)
            offset = 0
        }
        while offset < size {
            let end = min(size, offset + Int64(4 * configuration.attachmentChunkBytes)) - 1
            let response = try await send(
                TransportRequest(
                    method: "GET", path: "/v1/attachments/\(Self.pathComponent(id))/content", headers: ["Range": "bytes=\(offset)-\(end)"]))
            guard response.status == 206 || response.status == 200 else { throw Self.refusal(response) }
            // A server that ignores the range sends the whole file: keep what follows the offset.
            let bytes = response.status == 200 ? response.body.dropFirst(Int(offset)) : response.body[...]
            guard !bytes.isEmpty else { throw SyncClientError.unreadable(status: response.status, detail: "an empty range") }
            try output.write(contentsOf: bytes)
            offset += Int64(bytes.count)
            progress(.downloading(file: name, received: offset, total: size))
        }
        try output.synchronize()
        return try replica.keepDownload(sha256: sha256)
    }

    /// Downloads the bytes of every uploaded attachment of the book this laptop lacks, up to
    /// `maxBytes` each (larger ones wait for `satchel attachment get`).
    public func downloadAttachments(maxBytes: Int64, progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws
        -> AttachmentSummary
    {
        var summary = AttachmentSummary()
        for (id, values) in try replica.rows("attachment") {
            guard !(values["uploaded_at"]?.isNull ?? true), let sha256 = values["sha256"]?.textValue,
                replica.attachmentFile(sha256: sha256) == nil
            else { continue }
            let size = values["size"]?.integerValue ?? 0
            guard size <= maxBytes else {
                summary.skipped += 1
                continue
            }
            do {
                _ = try await download(attachment: id, progress: progress)
                summary.downloaded += 1
                summary.downloadedBytes += size
            } catch let error as SyncClientError where !Self.isUnreachable(error) {
                summary.failed.append("\(values["file_name"]?.textValue ?? id): \(error)")
            } catch let error as ReplicaError {
                summary.failed.append("\(values["file_name"]?.textValue ?? id): \(error)")
            }
        }
        return summary
    }

    /// Whether the server cannot be reached at all (then the rest cannot be fetched either).
    static func isUnreachable(_ error: SyncClientError) -> Bool {
        if case .transport = error { return true }
        return false
    }

    static func read(_ path: String, from offset: Int64, count: Int) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SyncClientError.transport("cannot read \(path)")
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: count) ?? Data()
    }

    /// An id as one path segment (ids are generated, but a path must never be steered by one).
    static func pathComponent(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? id
    }
}
