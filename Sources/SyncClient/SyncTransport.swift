import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

/// How the sync client reaches the server. ``URLSessionTransport`` is the real one; tests may
/// wrap it to drop answers or cut connections.
public protocol SyncTransport: Sendable {
    func send(_ request: TransportRequest) async throws -> TransportResponse
}

/// HTTP over URLSession (FoundationNetworking on Linux).
public struct URLSessionTransport: SyncTransport {
    public let baseURL: URL
    let session: URLSession

    /// - Parameter maximumConnections: connections kept open to the server at once (one
    ///   laptop needs few; a load generator sharing one transport needs many).
    public init(baseURL: URL, timeout: TimeInterval = 30, maximumConnections: Int? = nil) {
        self.baseURL = baseURL
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        if let maximumConnections { configuration.httpMaximumConnectionsPerHost = maximumConnections }
        configuration.httpAdditionalHeaders = ["User-Agent": "satchel"]
        self.session = URLSession(configuration: configuration)
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        guard let url = URL(string: request.path, relativeTo: baseURL) else {
            throw SyncClientError.transport("cannot form a URL from \(baseURL) and \(request.path)")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch {
            throw SyncClientError.transport("cannot reach \(baseURL.absoluteString): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw SyncClientError.transport("the server's answer was not HTTP")
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return TransportResponse(status: http.statusCode, headers: headers, body: data)
    }
}
