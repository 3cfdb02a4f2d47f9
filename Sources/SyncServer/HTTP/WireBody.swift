import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SyncCore

/// Reading and writing JSON bodies with gzip in both directions and the limits enforced.
enum WireBody {
    /// Reads the request body, inflating gzip, within the limits.
    static func read(_ request: Request, limits: ServerLimits) async throws -> Data {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw ProtocolError(.tooLarge, "the request body is larger than \(limits.maxBodyBytes) bytes; send fewer changes at a time")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ProtocolError(.tooLarge, "the request body is larger than \(limits.maxBodyBytes) bytes; send fewer changes at a time")
        }
        let data = Data(buffer.readableBytesView)
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity":
            return data
        case "gzip", "deflate":
            do {
                return try Compression.inflate(data, limit: limits.maxInflatedBytes)
            } catch ChangesetError.tooLarge {
                throw ProtocolError(
                    .tooLarge, "the body inflates to more than \(limits.maxInflatedBytes) bytes; send fewer changes at a time")
            } catch {
                throw ProtocolError(.malformed, "the gzip body could not be read (\(error)); send valid gzip or plain JSON")
            }
        case let other?:
            throw ProtocolError(.unsupportedEncoding, "Content-Encoding \(other) is not supported; use gzip or none")
        }
    }

    /// Decodes a JSON request body into `type`, with a clear error.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try WireJSON.decode(type, from: data)
        } catch {
            throw ProtocolError(.malformed, "the request body is not a valid \(T.self): \(WireJSON.describe(error))")
        }
    }

    /// Encodes a JSON response, gzipped when the client accepts it and it is worth it.
    static func respond(_ value: some Encodable, to request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        try respond(json: try WireJSON.data(value), to: request, status: status)
    }

    /// Sends JSON that is already encoded, gzipped when the client accepts it and it is worth it.
    static func respond(json: Data, to request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        var body = json
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if body.count > 1024, request.headers[.acceptEncoding]?.lowercased().contains("gzip") == true {
            body = try Compression.deflate(body, format: .gzip)
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
