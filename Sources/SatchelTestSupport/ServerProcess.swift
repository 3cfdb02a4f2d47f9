import Foundation

/// The built `satchel-server` binary run as a process, the way an operator runs it.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int
    public let dataDirectory: String

    /// The binary next to the test bundle.
    public static var binary: URL { Executable.url("satchel-server") }

    /// Runs `satchel-server` with arguments and returns its exit status, standard output and error.
    public static func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String, error: String) {
        try Executable.run(binary, arguments, input: input)
    }

    /// Starts `satchel-server serve --port 0` on a data directory and waits for its "listening" line.
    public convenience init(dataDirectory: String, extraArguments: [String] = []) throws {
        try self.init(arguments: ["--data", dataDirectory] + extraArguments, dataDirectory: dataDirectory)
    }

    /// Starts `satchel-server serve --port 0` on a PostgreSQL database (its URL given through
    /// `SATCHEL_DATABASE_URL`, as an operator should, not in argv).
    public convenience init(database url: String, extraArguments: [String] = []) throws {
        try self.init(arguments: extraArguments, dataDirectory: "", environment: ["SATCHEL_DATABASE_URL": url])
    }

    init(arguments: [String], dataDirectory: String, environment: [String: String] = [:]) throws {
        self.dataDirectory = dataDirectory
        let process = Process()
        process.executableURL = Self.binary
        // A given --port (a restart on the same address) replaces the free one.
        process.arguments = ["serve"] + (arguments.contains("--port") ? [] : ["--port", "0"]) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        var buffer = ""
        let deadline = Date().addingTimeInterval(30)
        while !buffer.contains("\n"), Date() < deadline, process.isRunning {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
            buffer += String(decoding: data, as: UTF8.self)
        }
        guard let range = buffer.range(of: #"https?://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
            let port = Int(buffer[range].split(separator: ":").last ?? "")
        else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "satchel-server did not start: \(buffer)"])
        }
        self.port = port
        self.scheme = buffer.contains("https://") ? "https" : "http"
    }

    /// `https` when started with `--tls-cert`, else `http`.
    public let scheme: String

    public var url: URL { URL(string: "\(scheme)://127.0.0.1:\(port)")! }

    /// Asks the server to stop (SIGTERM) and waits; returns its exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
