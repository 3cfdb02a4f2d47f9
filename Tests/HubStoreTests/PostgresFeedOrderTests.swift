import Foundation
import HubEngine
import HubPostgres
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// Feed positions on PostgreSQL commit in the order they are handed out, so a reader's pull
/// never passes over a change (Docs/decisions/0007-postgres-feed-order.md).
@Suite(.enabled(if: TestDatabase.isConfigured, Comment(rawValue: TestDatabase.skipReason)))
struct PostgresFeedOrderTests {
    static func insert(_ replica: String, _ id: String, at now: Int64) -> Changeset {
        Changeset(
            replica: ReplicaID(replica), user: "admin", device: replica, schemaVersion: CRMSchema.version,
            changes: [
                Change(
                    dot: Dot(replica: ReplicaID(replica), counter: 1), hlc: HLCTimestamp(milliseconds: now), wallTime: now,
                    entity: "account", rowID: id, context: VersionVector(),
                    operation: .insert(["name": .text("Account \(id)"), "territory": .text("north")]))
            ])
    }

    /// Two writers race: the first takes its position and holds its transaction open; the
    /// second, which would take the next position, cannot commit before the first, so no reader
    /// ever sees the later position without the earlier one.
    @Test func aLaterPositionNeverCommitsBeforeAnEarlierOne() throws {
        let database = try TestDatabase.create("feed order")
        defer { database.drop() }
        let storage = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema, replicaID: ReplicaID("hub"))
        defer { storage.close() }
        let hub = try HubService(storage: storage, schema: CRMSchema.schema)
        let admin = Writer(user: "admin", device: "office", isPrivileged: true)
        let now = Int64(Date().timeIntervalSince1970 * 1000)

        let planned = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let events = EventLog()
        // The first writer plans its push (taking the next feed position) and then waits,
        // transaction open, until the test lets it commit.
        let firstDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do {
                let position: Int64 = try storage.write { reader in
                    let draft = try PlanDraft(view: reader, schema: CRMSchema.schema, wallMicros: 0)
                    _ = try HubPlanner(schema: CRMSchema.schema).push(
                        Self.insert("first", "acc-first", at: now), as: admin, now: now, sentTo: .max, into: draft)
                    let position = try #require(draft.plan.rows.first?.seq)
                    planned.signal()
                    release.wait()
                    events.note("first commits")
                    return (position, HubWrites(plan: draft.plan))
                }
                events.note("first committed at \(position)")
            } catch {
                events.note("first failed: \(error)")
            }
            firstDone.signal()
        }
        planned.wait()
        // The second writer starts now; it must wait for the first.
        let secondDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do {
                _ = try hub.push(Self.insert("second", "acc-second", at: now), as: admin)
                events.note("second committed")
            } catch {
                events.note("second failed: \(error)")
            }
            secondDone.signal()
        }
        // While the first holds its position uncommitted, a reader sees neither row, and the
        // second has not committed (it waits on the first, however long).
        Thread.sleep(forTimeInterval: 0.5)
        let during = try hub.pull(since: 0, limit: 100, for: nil)
        #expect(during.rows.isEmpty, "a reader saw a row while an earlier position was uncommitted")
        #expect(!events.lines.contains("second committed"), "the second writer committed before the first")

        release.signal()
        firstDone.wait()
        secondDone.wait()
        let lines = events.lines
        #expect(lines.count == 3 && lines[0] == "first commits" && lines[1].hasPrefix("first committed") && lines[2] == "second committed", "\(lines)")
        // The feed holds both, the first's position below the second's: a reader whose cursor
        // passed the first's end finds the second after it.
        let after = try hub.pull(since: 0, limit: 100, for: nil)
        let first = try #require(after.rows.first { $0.id == "acc-first" })
        let second = try #require(after.rows.first { $0.id == "acc-second" })
        #expect(first.seq < second.seq)
        #expect(try hub.pull(since: first.seq, limit: 100, for: nil).rows.map(\.id) == ["acc-second"])
    }
}

/// Lines noted by several threads, in the order they happened.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var noted: [String] = []

    func note(_ line: String) {
        lock.lock()
        noted.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return noted
    }
}
