import Foundation

/// Runs the built `satchel` binary the way a rep does, with its own home folder.
public struct CLI: Sendable {
    public let home: String

    public init(home: String) {
        self.home = home
    }

    public static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("satchel")
    }

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
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SATCHEL_HOME"] = home
        environment["TZ"] = "UTC"
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
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
