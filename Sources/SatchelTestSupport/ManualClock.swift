import ReplicaStore
import Synchronization

/// A wall clock that tests move by hand.
public final class ManualClock: Sendable {
    private let milliseconds: Mutex<Int64>

    public init(_ start: Int64 = 1_790_000_000_000) {
        milliseconds = Mutex(start)
    }

    public var now: Int64 { milliseconds.withLock { $0 } }

    public func advance(by delta: Int64) {
        milliseconds.withLock { $0 += delta }
    }

    public func set(_ value: Int64) {
        milliseconds.withLock { $0 = value }
    }

    /// This clock as the replicas and hubs take it.
    public var wallClock: Replica.WallClock { { [self] in self.now } }
}
