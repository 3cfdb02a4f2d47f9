import Foundation

/// Runs the built `satchel` binary the way a rep does, with its own home folder.
public struct CLI: Sendable {
    public let home: String

    public init(home: String) {
        self.home = home
    }

    public static var binary: URL { Executable.url("satchel") }

    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var error: String

        /// The standard output parsed as JSON.
        public func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(output.utf8), options: [.fragmentsAllowed])
        }

        public func object() throws -> [String: Any] {
            guard let object = try json() as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
            return object
        }

        public func array() throws -> [[String: Any]] {
            guard let array = try json() as? [[String: Any]] else { throw CocoaError(.coderReadCorrupt) }
            return array
        }
    }

    /// Runs `satchel ARGS` with SATCHEL_HOME set to this CLI's home and the time zone UTC.
    @discardableResult
    public func run(_ arguments: [String]) throws -> Result {
        var environment = ProcessInfo.processInfo.environment
        environment["SATCHEL_HOME"] = home
        environment["TZ"] = "UTC"
        let result = try Executable.run(Self.binary, arguments, environment: environment)
        return Result(status: result.status, output: result.output, error: result.error)
    }

    /// Starts `satchel ARGS` in the background (with `environment` added), for a test that acts
    /// while it runs; standard output and error are discarded.
    public func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["SATCHEL_HOME"] = home
        environment["TZ"] = "UTC"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs and requires success; returns the result.
    @discardableResult
    public func ok(_ arguments: [String]) throws -> Result {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw CocoaError(
                .executableLoad,
                userInfo: [NSLocalizedDescriptionKey: "satchel \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.error)"])
        }
        return result
    }
}
