import Foundation

/// A company with the real binaries: a `satchel-server` process on a data directory of its own,
/// users registered with the server's own command, and laptops logged in with `satchel login`,
/// each with its own home. Everything lives in a temporary folder removed with the office.
public final class Office: @unchecked Sendable {
    public let root: String
    public let data: String
    public private(set) var server: ServerProcess

    public init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-office-\(UUID().uuidString)").path
        data = root + "/server"
        server = try ServerProcess(dataDirectory: data)
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A page or route of the server.
    public func url(_ path: String) -> URL { URL(string: server.url.absoluteString + path)! }

    /// Registers a user with `satchel-server user add` and returns their enrollment token.
    @discardableResult
    public func addUser(_ name: String, role: String, territory: String? = nil) throws -> String {
        var arguments = ["user", "add", name, "--role", role, "--data", data, "--json"]
        if let territory { arguments += ["--territory", territory] }
        let added = try ServerProcess.run(arguments)
        guard added.status == 0, let object = try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any],
            let token = object["enrollmentToken"] as? String
        else { throw CocoaError(.coderReadCorrupt, userInfo: [NSLocalizedDescriptionKey: added.error]) }
        return token
    }

    /// Registers a user and logs a laptop of theirs in with `satchel login`.
    public func laptop(_ name: String, role: String, territory: String? = nil) throws -> CLI {
        let token = try addUser(name, role: role, territory: territory)
        let cli = CLI(home: root + "/" + name)
        try cli.ok(["login", "--server", server.url.absoluteString, "--token", token, "--device", "\(name)-laptop"])
        return cli
    }

    /// Stops the server, runs `work`, and starts it again on the same port (the laptops keep its address).
    public func goOffline(_ work: () throws -> Void) throws {
        let port = server.port
        server.stop()
        try work()
        server = try ServerProcess(dataDirectory: data, extraArguments: ["--port", String(port)])
    }
}
