import Foundation
import HTTPTypes
import Hummingbird
import SyncCore

extension ProtocolError: HTTPResponseError {
    /// The HTTP status of each code (Protocol/README.md lists them).
    public var status: HTTPResponse.Status {
        switch code {
        case .unauthenticated, .badCredential, .badToken, .revoked, .userDisabled, .tokenExpired: return .unauthorized
        case .rateLimited: return .tooManyRequests
        case .forbidden, .forgedReplica, .outOfScope: return .forbidden
        case .notFound: return .notFound
        case .gap, .conflict: return .conflict
        case .rebaseline: return .gone
        case .tooLarge, .tooManyChanges, .quotaExceeded: return .contentTooLarge
        case .unsupportedEncoding, .unsupportedMediaType: return .unsupportedMediaType
        case .hashMismatch: return .unprocessableContent
        case .rangeNotSatisfiable: return .rangeNotSatisfiable
        case .internalError: return .internalServerError
        default: return .badRequest
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = (try? WireJSON.encoder.encode(ErrorResponse(error: self))) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
