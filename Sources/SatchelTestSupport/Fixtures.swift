import Foundation

/// Finds files under the package's `Fixtures/` folder (which sits outside every target).
public enum Fixtures {
    /// The package root, found from this file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ path: String) -> URL {
        packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(path)
    }

    public static func data(_ path: String) throws -> Data {
        try Data(contentsOf: url(path))
    }

    /// The files in a fixtures folder with the given extension, sorted.
    public static func files(in folder: String, withExtension ext: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(folder).path).filter { $0.hasSuffix("." + ext) }.sorted()
            .map { folder + "/" + $0 }
    }

    /// True when golden files should be re-recorded (`RECORD_FIXTURES=1`). A recording run still
    /// fails, so a new baseline is never committed silently.
    public static var isRecording: Bool {
        ProcessInfo.processInfo.environment["RECORD_FIXTURES"] == "1"
    }
}
