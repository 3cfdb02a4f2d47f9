import Foundation
import HTTPTypes
import HubEngine
import HubStore
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SatchelModel
import SyncCore

/// Attachments' bytes: a resumable upload in chunks and a ranged download, each by the
/// attachment's id and only for an attachment the caller may see. There is no route by hash:
/// knowing a file's SHA-256 gives nothing.
struct AttachmentController: Sendable {
    let store: any ServerStore
    let limits: ServerLimits
    let metrics: ServerMetrics

    func addRoutes(to routes: RouteTable) {
        routes.get("/v1/attachments/:id/upload") { request, context in
            let id = try Self.id(context)
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload {
                try WireBody.respond(
                    try Self.answer {
                        try store.uploadStatus(attachment: id, as: principal.writer, scope: principal.scope, limits: limits.attachments)
                    },
                    to: request)
            }
        }
        routes.put("/v1/attachments/:id/content") { request, context in
            let id = try Self.id(context)
            let principal = try await Principal.authenticated(request, store: store)
            let offset = try SyncController.integer(request, "offset", default: 0)
            let bytes = try await Self.chunk(request, limit: limits.maxBodyBytes)
            let status = try await offload {
                try Self.answer {
                    try store.uploadChunk(
                        attachment: id, offset: offset, bytes: bytes, as: principal.writer, scope: principal.scope,
                        limits: limits.attachments)
                }
            }
            metrics.attachmentBytesIn.increment(by: Int64(bytes.count))
            return try WireBody.respond(status, to: request)
        }
        routes.get("/v1/attachments/:id/content") { request, context in
            let id = try Self.id(context)
            let principal = try await Principal.authenticated(request, store: store)
            let range = try Self.range(request)
            let download = try await offload {
                try Self.answer { try store.attachmentDownload(id, range: range, scope: principal.scope) }
            }
            var headers = HTTPFields()
            headers[.contentType] = download.mediaType
            headers[.acceptRanges] = "bytes"
            headers[.init("X-Content-Type-Options")!] = "nosniff"
            var status = HTTPResponse.Status.ok
            if range != nil {
                status = .partialContent
                headers[.contentRange] = "bytes \(download.range.lowerBound)-\(download.range.upperBound - 1)/\(download.size)"
            }
            // Sent 1 MiB at a time: an answer never holds a whole file in memory.
            let body = ResponseBody(contentLength: Int(download.range.count)) { [store, metrics] writer in
                var offset = download.range.lowerBound
                while offset < download.range.upperBound {
                    let piece = offset..<min(download.range.upperBound, offset + (1 << 20))
                    let data = try await offload { try store.attachmentBytes(download.blob, range: piece) }
                    try await writer.write(ByteBuffer(bytes: data))
                    metrics.attachmentBytesOut.increment(by: Int64(data.count))
                    offset = piece.upperBound
                }
                try await writer.finish(nil)
            }
            return Response(status: status, headers: headers, body: body)
        }
    }

    static func id(_ context: SatchelRequestContext) throws -> String {
        guard let id = AdminController.parameter(context, "id"), !id.isEmpty, id.utf8.count <= 128 else {
            throw ProtocolError(.invalidRequest, "give an attachment id of 1 to 128 bytes")
        }
        return id
    }

    /// The raw bytes of a chunk, at most `limit`.
    static func chunk(_ request: Request, limit: Int) async throws -> Data {
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            throw ProtocolError(.unsupportedEncoding, "send a chunk's bytes as they are, without Content-Encoding")
        }
        do {
            return Data(try await request.body.collect(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw ProtocolError(.tooLarge, "a chunk holds at most \(limit) bytes; send smaller chunks")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ProtocolError(.tooLarge, "a chunk holds at most \(limit) bytes; send smaller chunks")
        }
    }

    /// `Range: bytes=A-B` or `bytes=A-` (one range), as a half-open range; nil for the whole file.
    static func range(_ request: Request) throws -> Range<Int64>? {
        guard let header = request.headers[.range] else { return nil }
        let invalid = ProtocolError(.invalidRequest, "send one range as 'Range: bytes=START-END' or 'bytes=START-'")
        guard header.hasPrefix("bytes="), !header.contains(",") else { throw invalid }
        let parts = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int64(parts[0]), start >= 0 else { throw invalid }
        if parts[1].isEmpty { return start..<Int64.max }
        guard let end = Int64(parts[1]), end >= start else { throw invalid }
        // An END at the largest integer is as good as none (and must not overflow).
        return start..<(end == Int64.max ? end : end + 1)
    }

    /// Runs a store call, turning the hub's refusals into the protocol's errors.
    static func answer<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as AttachmentError {
            switch error {
            case .notFound: throw ProtocolError(.notFound, error.description)
            case .notUploaded, .offsetMismatch: throw ProtocolError(.conflict, error.description)
            case .tooLarge, .beyondSize: throw ProtocolError(.tooLarge, error.description)
            case .quota: throw ProtocolError(.quotaExceeded, error.description)
            case .hashMismatch: throw ProtocolError(.hashMismatch, error.description)
            case .wrongMediaType: throw ProtocolError(.unsupportedMediaType, error.description)
            case .badRange: throw ProtocolError(.rangeNotSatisfiable, error.description)
            case .bytesMissing: throw ProtocolError(.internalError, error.description)
            }
        } catch let error as BlobStorageError {
            // The details (paths, errno) go to the log, not to the laptop.
            Logger(label: "satchel-server").error("attachment storage failed", metadata: ["error": "\(error)"])
            throw ProtocolError(.internalError, "the server could not store or read the file; try again later")
        }
    }
}
