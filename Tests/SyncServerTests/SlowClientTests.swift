import Foundation
import SatchelTestSupport
import SyncClient
import SyncServer
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A client that trickles a request head byte by byte (slowloris) is cut off, though each byte
/// would reset an idle timeout; an honest client is served.
struct SlowClientTests {
    @Test func aTrickledRequestHeadIsCutOff() async throws {
        var limits = ServerLimits()
        limits.headTimeout = .milliseconds(600)
        let server = try await LiveServer.start(limits: limits)
        defer { Task { await server.stop() } }
        let port = try #require(server.url.port)

        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)

        func send(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } > 0
        }
        func closedByServer() -> Bool {
            var byte: UInt8 = 0
            return recv(socket, &byte, 1, Int32(MSG_DONTWAIT)) == 0
        }
        #expect(send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
        var cut = false
        // One header line every 100 ms, never the blank line that ends the head: 5 s at most.
        for index in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            if closedByServer() || !send("X-Slow-\(index): a\r\n") {
                cut = true
                break
            }
        }
        #expect(cut, "the server kept a trickling connection open for 5 s")

        // An honest request on a new connection is answered.
        let health = try await HTTPTransport(baseURL: server.url).send(TransportRequest(method: "GET", path: "/health"))
        #expect(health.status == 200)
    }
}
