import Foundation

/// Runs a built executable of the package to completion and collects what it printed.
public enum Executable {
    /// A binary next to the test bundle (SwiftPM builds them into the same folder).
    public static func url(_ name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Runs `binary` with `arguments`, reading standard output and error at the same time (so a
    /// chatty process cannot fill one pipe and stall), and returns the exit status and both texts.
    public static func run(
        _ binary: URL, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil
    ) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let errorText = ErrorText()
        let reader = Thread { errorText.data = error.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorText.isDone { Thread.sleep(forTimeInterval: 0.001) }
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: errorText.data ?? Data(), as: UTF8.self))
    }

    private final class ErrorText: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Data?
        var data: Data? {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
        var isDone: Bool { data != nil }
    }
}
