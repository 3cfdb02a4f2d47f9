import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// HTTPS through AsyncHTTPClient, verifying the server's certificate against the system's trust
/// store or, when given, only against a private CA (`satchel login --ca FILE`). URLSession on
/// Linux cannot be told to trust a private CA, hence a second transport for HTTPS.
public struct HTTPSTransport: SyncTransport {
    public let baseURL: URL
    let client: HTTPClient
    let timeout: TimeAmount

    /// - Parameter certificateAuthority: a PEM file of the CA to trust instead of the system's.
    public init(baseURL: URL, certificateAuthority: String? = nil, timeout: TimeInterval = 30) throws {
        self.baseURL = baseURL
        self.timeout = .milliseconds(Int64(timeout * 1000))
        self.client = try Self.client(certificateAuthority: certificateAuthority)
    }

    /// One client per trust setting for the life of the process (an HTTPClient must be shut down
    /// before it is released; these never are).
    private static let lock = NSLock()
    nonisolated(unsafe) private static var clients: [String: HTTPClient] = [:]

    private static func client(certificateAuthority: String?) throws -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        let key = certificateAuthority ?? ""
        if let client = clients[key] { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let certificateAuthority {
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
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[key] = client
        return client
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        guard let url = URL(string: request.path, relativeTo: baseURL) else {
            throw SyncClientError.transport("cannot form a URL from \(baseURL) and \(request.path)")
        }
        var outgoing = HTTPClientRequest(url: url.absoluteString)
        outgoing.method = .init(rawValue: request.method)
        outgoing.headers.add(name: "User-Agent", value: "satchel")
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(outgoing, timeout: timeout)
            let body = try await response.body.collect(upTo: 512 << 20)
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return TransportResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
        } catch let error as NIOSSLError {
            throw Self.untrusted(error)
        } catch let error as BoringSSLError {
            throw Self.untrusted(error)
        } catch let error as SyncClientError {
            throw error
        } catch {
            let text = String(describing: error)
            if text.contains("certificate") || text.contains("handshake") || text.contains("SSL") {
                throw Self.untrusted(error)
            }
            throw SyncClientError.transport("cannot reach \(baseURL.absoluteString): \(text)")
        }
    }

    private static func untrusted(_ error: any Error) -> SyncClientError {
        .untrusted(
            "the server's certificate could not be verified (\(error)); if your company uses its own CA, "
                + "log in again with 'satchel login --ca FILE'")
    }
}
