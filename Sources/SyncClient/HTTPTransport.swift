import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// HTTP and HTTPS through AsyncHTTPClient: the one transport of the sync client.
///
/// For `https://` the server's certificate is verified against the system's trust store or,
/// when given, only against a private CA (`satchel login --ca FILE`). Connecting may take
/// `timeout` (at most 10 s); the answer must start within `timeout` of the request's end
/// reaching the network, and a body of more than 64 KiB is given one more second for every
/// 8 KiB of it on top (the slowest upload the server itself waits for), since the network may
/// still be carrying it then. A refused connection fails at once: ``SyncClient`` retries.
/// Redirects are not followed (the protocol has none, and following one could carry a push
/// in the clear to another machine).
///
/// URLSession was the plain-HTTP transport until 2026-12-08. On Linux it cannot be told to
/// trust a private CA, and while a request with a body awaited its answer its event loop kept
/// two threads busy (the socket's write source stays armed after libcurl stops asking for it),
/// which took a core from a server on the same machine.
public struct HTTPTransport: SyncTransport {
    public let baseURL: URL
    let settings: Settings
    /// The client for requests without a large body (most of them).
    let client: HTTPClient

    /// - Parameters:
    ///   - certificateAuthority: a PEM file of the CA to trust instead of the system's (HTTPS).
    ///   - timeout: how long to wait for a connection or an answer, in seconds.
    ///   - maximumConnections: connections kept open to one server at once (one laptop needs
    ///     few; a load generator sharing one transport needs many). Default 8.
    /// - Throws: ``SyncClientError/untrusted(_:)`` when `certificateAuthority` cannot be read.
    public init(baseURL: URL, certificateAuthority: String?, timeout: TimeInterval = 30, maximumConnections: Int? = nil)
        throws
    {
        self.baseURL = baseURL
        let milliseconds = Int64((timeout * 1000).rounded())
        self.settings = Settings(
            certificateAuthority: certificateAuthority, timeoutMS: milliseconds, readMS: milliseconds,
            maximumConnections: max(1, maximumConnections ?? 8))
        self.client = try Self.client(settings)
    }

    /// Plain HTTP, or HTTPS trusting the system's store: nothing to read, nothing to fail.
    public init(baseURL: URL, timeout: TimeInterval = 30, maximumConnections: Int? = nil) {
        // Without a CA file there is nothing that can throw.
        try! self.init(baseURL: baseURL, certificateAuthority: nil, timeout: timeout, maximumConnections: maximumConnections)
    }

    struct Settings: Hashable {
        var certificateAuthority: String?
        var timeoutMS: Int64
        /// How long an answer may take to start once the request is handed to the network.
        var readMS: Int64
        var maximumConnections: Int
    }

    /// The slowest upload the server waits for (a body has 120 s: 1 MiB at about 8 KiB/s).
    static let slowestUpload = 8 << 10
    /// Bodies larger than this wait longer for their answer (``settings(forBodyOf:)``).
    static let largeBody = 64 << 10

    /// The settings for a request with a body of `bytes`: past 64 KiB, the answer may start
    /// later by the time the body takes at ``slowestUpload``, rounded up to 30 s (so a
    /// process makes few clients).
    func settings(forBodyOf bytes: Int) -> Settings {
        guard bytes > Self.largeBody else { return settings }
        let extra = Int64((bytes + Self.slowestUpload - 1) / Self.slowestUpload) * 1000
        var large = settings
        large.readMS = settings.timeoutMS + (extra + 29_999) / 30_000 * 30_000
        return large
    }

    /// One client per setting for the life of the process: a process makes few (an HTTPClient
    /// must be shut down before it is released; these never are, and they share NIO's
    /// singleton event loops).
    private static let lock = NSLock()
    nonisolated(unsafe) private static var clients: [Settings: HTTPClient] = [:]

    private static func client(_ settings: Settings) throws -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        if let client = clients[settings] { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let certificateAuthority = settings.certificateAuthority {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(certificateAuthority)
            } catch {
                throw SyncClientError.untrusted("cannot read the CA certificate \(certificateAuthority) as PEM; give the file your admin sent")
            }
            guard !certificates.isEmpty else {
                throw SyncClientError.untrusted("\(certificateAuthority) holds no certificate; give the file your admin sent")
            }
            tls.trustRoots = .certificates(certificates)
        }
        let wait = TimeAmount.milliseconds(settings.timeoutMS)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: min(wait, .seconds(10)), read: .milliseconds(settings.readMS), write: wait)
        // An idle connection is dropped before the server's own 30 s would close it under a
        // request just sent on it.
        configuration.connectionPool = .init(
            idleTimeout: .seconds(20), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maximumConnections)
        // A refused connection fails the request at once: the sync client has its own retries
        // with backoff, and a rep offline should hear so now, not after the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[settings] = client
        return client
    }

    /// A backstop on the wait for the answer's head; the timeouts above are what catch a dead
    /// connection.
    static let backstop = TimeAmount.hours(2)

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        guard let url = URL(string: request.path, relativeTo: baseURL) else {
            throw SyncClientError.transport("cannot form a URL from \(baseURL) and \(request.path)")
        }
        var outgoing = HTTPClientRequest(url: url.absoluteString)
        outgoing.method = .init(rawValue: request.method)
        outgoing.headers.add(name: "User-Agent", value: "satchel")
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let size = request.body?.count ?? 0
        let client = size > Self.largeBody ? try Self.client(settings(forBodyOf: size)) : self.client
        do {
            let response = try await client.execute(outgoing, deadline: .now() + Self.backstop)
            let body = try await response.body.collect(upTo: 512 << 20)
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return TransportResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
        } catch let error as SyncClientError {
            throw error
        } catch {
            throw Self.failure(error, reaching: baseURL)
        }
    }

    /// What went wrong on the way, in words: a certificate that could not be verified (not to be
    /// retried), or refused, timed out, cut off, or NIO's own text (retried).
    static func failure(_ error: any Error, reaching url: URL) -> SyncClientError {
        let place = "cannot reach \(url.absoluteString)"
        let text = String(describing: error)
        // Only a verdict on the certificate is "untrusted"; a connection cut during the handshake
        // or an unclean end of TLS is the network's doing, and worth trying again.
        let lowered = text.lowercased()
        if lowered.contains("certificate") || lowered.contains("hostname") {
            return untrusted(error)
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return .transport("\(place): no answer to the connection")
            case .readTimeout, .deadlineExceeded: return .transport("\(place): the server did not answer in time")
            case .writeTimeout: return .transport("\(place): the request could not be sent in time")
            case .remoteConnectionClosed: return .transport("\(place): the server closed the connection")
            case .cancelled: return .transport("\(place): the request was cancelled")
            default: break
            }
        }
        if let error = error as? NIOSSLError {
            return .transport("\(place): the secure connection broke (\(error))")
        }
        if text.contains("Connection refused") || text.contains("errno: 111") {
            return .transport("\(place): nothing answers at that address (connection refused)")
        }
        if let error = error as? NIOConnectionError, let dns = error.dnsAAAAError ?? error.dnsAError {
            return .transport("\(place): the host name did not resolve (\(dns))")
        }
        return .transport("\(place): \(text)")
    }

    private static func untrusted(_ error: any Error) -> SyncClientError {
        .untrusted(
            "the server's certificate could not be verified (\(error)); if your company uses its own CA, "
                + "log in again with 'satchel login --ca FILE'")
    }
}
