import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A browser's HTTP without the browser, for tests of the console's rules: it keeps cookies,
/// follows no redirect (the test reads `Location`), and sends forms as a browser does.
public final class WebClient: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// Every `Set-Cookie` value.
        public var setCookies: [String] { headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1) }

        /// The value of the first hidden `csrf` field of the page.
        public var csrf: String? {
            guard let range = body.range(of: #"name="csrf" value="[^"]+""#, options: .regularExpression) else { return nil }
            return String(body[range].dropLast().split(separator: "\"").last ?? "")
        }
    }

    public let base: URL
    /// The cookies held, by name.
    public var cookies: [String: String] = [:]
    private static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    public init(base: URL) {
        self.base = base
    }

    public func get(_ path: String) async throws -> Response {
        try await send("GET", path, body: nil)
    }

    /// POSTs `fields` as `application/x-www-form-urlencoded`.
    public func post(_ path: String, _ fields: [(String, String)]) async throws -> Response {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = fields.map {
            "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return try await send("POST", path, body: Data(encoded.utf8))
    }

    /// Signs in through the console's form (its token and cookie first, as a browser would).
    public func signIn(_ user: String, password: String, next: String = "/admin") async throws -> Response {
        let form = try await get("/admin/login")
        return try await post("/admin/login", [("csrf", form.csrf ?? ""), ("user", user), ("password", password), ("next", next)])
    }

    private func send(_ method: String, _ path: String, body: Data?) async throws -> Response {
        var request = HTTPClientRequest(url: base.absoluteString + path)
        request.method = .init(rawValue: method)
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "))
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        let headers = response.headers.map { ($0.name, $0.value) }
        for cookie in headers.filter({ $0.0.lowercased() == "set-cookie" }).map(\.1) {
            let pair = cookie.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[1].isEmpty || cookie.contains("Max-Age=0") { cookies[parts[0]] = nil } else { cookies[parts[0]] = parts[1] }
        }
        return Response(status: Int(response.status.code), headers: headers, body: text)
    }
}
