import Foundation
import SatchelTestSupport
import Testing

/// The fuzz target's corpus (seeded from the golden files, grown by scripts/fuzz.sh) replays
/// through the same entry point without a crash.
struct FuzzCorpusTests {
    @Test func theCorpusReplaysWithoutACrash() throws {
        let binary = CLI.binary.deletingLastPathComponent().appendingPathComponent("satchel-fuzz")
        let process = Process()
        process.executableURL = binary
        process.arguments = [Fixtures.url("fuzz/corpus").path, Fixtures.url("changesets").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let replayed = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(replayed >= 5, "\(text)")
    }
}
