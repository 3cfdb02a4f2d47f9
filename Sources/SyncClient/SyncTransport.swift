import Foundation

/// One HTTP request as the sync client sends it.
public struct TransportRequest: Sendable {
    public var method: String
    /// Path and query, e.g. `/v1/sync/pull?since=10`.
    public var path: String
    public var headers: [String: String]
    public var body: Data?

    public init(method: String, path: String, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// One HTTP response.
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How the sync client reaches the server. ``HTTPTransport`` is the real one; tests may wrap it
/// to drop answers or cut connections.
public protocol SyncTransport: Sendable {
    func send(_ request: TransportRequest) async throws -> TransportResponse
}
