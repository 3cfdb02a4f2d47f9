import SyncCore

/// Errors of the sync client. Each description says what to do next.
public enum SyncClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server refused the request with a protocol error.
    case refused(ProtocolError, status: Int)
    /// The server could not be reached or the connection broke.
    case transport(String)
    /// The server answered something the client cannot read.
    case unreadable(status: Int, detail: String)
    /// The server's certificate could not be verified (or the CA file could not be read).
    case untrusted(String)
    /// Plain HTTP to a host that is not this machine, refused before connecting.
    case insecure(String)

    public var description: String {
        switch self {
        case let .refused(error, _) where [.revoked, .userDisabled, .tokenExpired].contains(error.code):
            return error.message
        case let .refused(error, status):
            return "the server refused the request (\(status) \(error.code)): \(error.message)"
        case let .untrusted(detail), let .insecure(detail):
            return detail
        case let .transport(detail):
            return "\(detail); check the network and the server address, then try again"
        case let .unreadable(status, detail):
            return "the server's answer (\(status)) could not be read: \(detail); check the server address"
        }
    }

    /// Whether trying again later may succeed (network trouble, server errors, overload).
    public var isRetryable: Bool {
        switch self {
        case .transport: return true
        case let .refused(_, status): return status >= 500 || status == 429
        case let .unreadable(status, _): return status >= 500
        case .untrusted, .insecure: return false
        }
    }
}
