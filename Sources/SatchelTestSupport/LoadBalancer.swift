import Foundation

/// nginx from the system's packages, run as a round-robin load balancer in front of servers on
/// loopback, the way `Docs/operations.md` sets one up.
public final class LoadBalancer: @unchecked Sendable {
    public let port: Int
    let process: Process
    let directory: String

    /// The nginx binary, when the machine has one.
    public static var binary: String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether the load-balanced tests run here: nginx is installed, or it is required (CI, where
    /// `.ci/run` installs it and its absence is a failure).
    public static var isAvailable: Bool {
        binary != nil || ProcessInfo.processInfo.environment["SATCHEL_REQUIRE_POSTGRES"] == "1"
    }

    public static let skipReason = "no nginx: install Debian's nginx to run the load-balanced tests (.ci/run does)"

    /// Starts nginx on a free port, passing requests in turn to each of `upstreams` (ports on
    /// 127.0.0.1).
    public init(upstreams: [Int]) throws {
        guard let binary = Self.binary else {
            throw CocoaError(.executableNotLoadable, userInfo: [NSLocalizedDescriptionKey: Self.skipReason])
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-nginx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        let servers = upstreams.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=2s;" }.joined(separator: "\n")
        // As root (CI), the workers would otherwise run as nobody; everything stays in memory, so
        // no temporary file needs a writable folder.
        let user = getuid() == 0 ? "user root;\n" : ""
        let configuration = """
            \(user)worker_processes 1;
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                client_max_body_size 64m;
                client_body_buffer_size 64m;
                proxy_buffering off;
                upstream satchel {
            \(servers)
                }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://satchel;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                    }
                }
            }
            """
        let file = directory + "/nginx.conf"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-c", file, "-p", directory, "-e", directory + "/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when it accepts a connection.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port) { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
        process.terminate()
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "nginx did not start: \(log)"])
    }

    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "no free port"]) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
