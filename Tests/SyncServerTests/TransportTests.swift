import AsyncHTTPClient
import Foundation
import NIOSSL
import SatchelTestSupport
import SyncCore
import Testing

@testable import SyncClient

/// The laptop's one HTTP transport: how it fails, and how long it waits.
struct TransportTests {
    /// Nothing listens on port 1 of this machine: the request fails in words, and may be tried
    /// again (the sync client's own retries).
    @Test func aRefusedConnectionFailsInWords() async throws {
        let transport = HTTPTransport(baseURL: URL(string: "http://127.0.0.1:1")!)
        do {
            _ = try await transport.send(TransportRequest(method: "GET", path: "/health"))
            Issue.record("a request to a closed port was answered")
        } catch let error as SyncClientError {
            #expect(error.description.hasPrefix("cannot reach http://127.0.0.1:1: nothing answers at that address"))
            #expect(error.isRetryable)
        }
    }

    /// Only a verdict on the certificate is "untrusted" (final, and the rep is told about
    /// `--ca`); a TLS connection the network cut is worth another try.
    @Test func onlyACertificateVerdictIsUntrusted() {
        let url = URL(string: "https://sync.example.com")!
        let cut = HTTPTransport.failure(NIOSSLError.uncleanShutdown, reaching: url)
        #expect(cut.isRetryable)
        #expect(cut.description.contains("the secure connection broke"))
        let quiet = HTTPTransport.failure(HTTPClientError.readTimeout, reaching: url)
        #expect(quiet.isRetryable)
        #expect(quiet.description.contains("did not answer in time"))
        struct Verdict: Error, CustomStringConvertible {
            var description: String { "handshakeFailed(sslError([error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED]))" }
        }
        let untrusted = HTTPTransport.failure(Verdict(), reaching: url)
        #expect(!untrusted.isRetryable)
        #expect(untrusted.description.contains("satchel login --ca FILE"))
    }

    /// The answer to a large body may start later, by the time the body takes at the slowest
    /// rate the server waits for; a small one waits `timeout`, and so does every connection.
    @Test func aLargeBodyWaitsLongerForItsAnswer() {
        let transport = HTTPTransport(baseURL: URL(string: "http://127.0.0.1:8080")!, timeout: 30)
        #expect(transport.settings(forBodyOf: 0).readMS == 30_000)
        #expect(transport.settings(forBodyOf: 64 << 10).readMS == 30_000)
        // 1 MiB at 8 KiB/s is 128 s, rounded up to 150 s.
        let chunk = transport.settings(forBodyOf: 1 << 20)
        #expect(chunk.readMS == 180_000)
        #expect(chunk.timeoutMS == 30_000)
        #expect(transport.settings(forBodyOf: (1 << 20) + 1).readMS == 180_000)
    }
}
