import Foundation
import HubEngine
import SatchelModel
import SyncCore
import Testing

@testable import HubStore

/// SQLite's group commit: writes that arrive while another commits share the next commit, and
/// each stays whole or nothing.
struct CommitGroupTests {
    struct Refused: Error {}

    @Test func writesArrivingDuringACommitShareTheNextAndEachStaysWhole() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = try SQLiteHubStorage.open(at: directory + "/hub.sqlite", schema: CRMSchema.schema)
        let before = storage.commitCounts

        @Sendable func user(_ name: String) -> DirectoryWrite {
            .addUser(UserInfo(name: name, role: .rep, territories: ["north"]), enrollmentHash: "hash-" + name, expiresAt: nil, at: 1)
        }
        // The first write holds its commit open until the others are waiting.
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        let results = Results()
        func start(_ name: String, _ body: @escaping @Sendable () throws -> HubWrites) {
            done.enter()
            Thread {
                do {
                    try storage.write { _ in ((), try body()) }
                    results.set(name, "ok")
                } catch {
                    results.set(name, "\(type(of: error))")
                }
                done.leave()
            }.start()
        }
        start("first") {
            entered.signal()
            release.wait()
            return HubWrites(directory: [user("first")])
        }
        entered.wait()
        for index in 0..<8 {
            let name = "w\(index)"
            start(name) {
                switch index {
                case 3: throw Refused()  // the operation itself refuses
                case 5:
                    // The second write fails when applied (a device of no user): the first,
                    // already written in the same savepoint, goes too.
                    return HubWrites(directory: [
                        user(name), .addDevice(ReplicaID("dev-5"), user: "nobody", device: "laptop", credentialHash: "c5", at: 1),
                    ])
                default: return HubWrites(directory: [user(name)])
                }
            }
        }
        let deadline = Date().addingTimeInterval(30)
        while storage.commits.waitingCount < 8, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(storage.commits.waitingCount == 8)
        release.signal()
        done.wait()

        let after = storage.commitCounts
        #expect(after.operations - before.operations == 9)
        #expect(after.commits - before.commits == 2, "the first alone, then the eight waiting together")
        #expect(results.all["first"] == "ok" && results.all["w3"] == "Refused")
        #expect(results.all["w5"] != "ok" && results.all["w5"] != nil)
        #expect(results.all.filter { $0.value == "ok" }.count == 7)
        let names = try storage.read { try $0.users().map(\.name) }
        #expect(Set(names) == ["first", "w0", "w1", "w2", "w4", "w6", "w7"], "nothing of w3 or w5")

        // Reopened, the file holds the same: every acknowledged write reached the disk.
        let reopened = try SQLiteHubStorage.open(at: directory + "/hub.sqlite", schema: CRMSchema.schema)
        #expect(Set(try reopened.read { try $0.users().map(\.name) }) == Set(names))
    }
    /// A write that publishes a schema step (or a release) ends its group's transaction: the
    /// writes after it start a new one, so none reads the step (which the hub caches) before it
    /// committed.
    @Test func aSchemaStepEndsItsGroupsTransaction() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = try SQLiteHubStorage.open(at: directory + "/hub.sqlite", schema: CRMSchema.schema)
        let before = storage.commitCounts
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        func start(_ body: @escaping @Sendable () -> HubWrites) {
            done.enter()
            Thread {
                _ = try? storage.write { _ in ((), body()) }
                done.leave()
            }.start()
        }
        start {
            entered.signal()
            release.wait()
            return HubWrites()
        }
        entered.wait()
        // Three arrive in this order while the first commits: a plain write, a release, a plain write.
        for index in 0..<3 {
            start {
                var writes = HubWrites()
                if index == 1 { writes.schemaVersion = CRMSchema.schema.version }
                return writes
            }
            let deadline = Date().addingTimeInterval(30)
            while storage.commits.waitingCount < index + 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(storage.commits.waitingCount == 3)
        release.signal()
        done.wait()
        let after = storage.commitCounts
        #expect(after.operations - before.operations == 4)
        #expect(after.commits - before.commits == 3, "the first; the plain write and the release; the last")
    }
}

/// A new, empty directory for a store file (the caller removes it).
func scratchDirectory() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-store-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// What each thread's write answered.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String] = [:]

    func set(_ name: String, _ value: String) {
        lock.lock()
        values[name] = value
        lock.unlock()
    }

    var all: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
