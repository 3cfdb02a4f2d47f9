import SyncCore
import Testing

struct HybridClockTests {
    @Test func tickFollowsWallTimeWhenItMovesForward() {
        var clock = HybridClock()
        #expect(clock.tick(wallMilliseconds: 1000) == HLCTimestamp(milliseconds: 1000))
        #expect(clock.tick(wallMilliseconds: 2000) == HLCTimestamp(milliseconds: 2000))
    }

    @Test func tickStaysMonotonicWhenWallTimeGoesBack() {
        var clock = HybridClock()
        let first = clock.tick(wallMilliseconds: 5000)
        let second = clock.tick(wallMilliseconds: 4000)
        let third = clock.tick(wallMilliseconds: 5000)
        #expect(first < second)
        #expect(second < third)
        #expect(second == HLCTimestamp(milliseconds: 5000, logical: 1))
    }

    @Test func logicalOverflowMovesToTheNextMillisecond() {
        var clock = HybridClock(last: HLCTimestamp(milliseconds: 10, logical: .max))
        #expect(clock.tick(wallMilliseconds: 10) == HLCTimestamp(milliseconds: 11))
    }

    @Test func receiveAdoptsARemoteReadingWithinTheBound() throws {
        var clock = HybridClock(maxForwardDrift: 1000)
        _ = clock.tick(wallMilliseconds: 1000)
        let received = try clock.receive(HLCTimestamp(milliseconds: 1800, logical: 4), wallMilliseconds: 1000)
        #expect(received == HLCTimestamp(milliseconds: 1800, logical: 5))
        #expect(clock.tick(wallMilliseconds: 1000) > received)
    }

    @Test func receiveRefusesAReadingTooFarAheadAndStaysUnchanged() {
        var clock = HybridClock(maxForwardDrift: 1000)
        _ = clock.tick(wallMilliseconds: 1000)
        let before = clock
        #expect(throws: ClockError.remoteTooFarAhead(remote: HLCTimestamp(milliseconds: 2001), local: 1000, bound: 1000)) {
            try clock.receive(HLCTimestamp(milliseconds: 2001), wallMilliseconds: 1000)
        }
        #expect(clock == before)
    }

    @Test func aLaptopWhoseClockWasCorrectedRestartsFromWallTime() {
        var clock = HybridClock(maxForwardDrift: 1000)
        _ = clock.tickRecovering(wallMilliseconds: 100_000)  // the clock ran far ahead
        #expect(clock.tickRecovering(wallMilliseconds: 99_500) == HLCTimestamp(milliseconds: 100_000, logical: 1))
        #expect(clock.tickRecovering(wallMilliseconds: 5_000) == HLCTimestamp(milliseconds: 5_000))
        #expect(clock.tickRecovering(wallMilliseconds: 5_000) == HLCTimestamp(milliseconds: 5_000, logical: 1))
    }

    @Test func packedFormSortsLikeTheReading() {
        let readings = [
            HLCTimestamp(milliseconds: 1, logical: 2), HLCTimestamp(milliseconds: 1, logical: 3),
            HLCTimestamp(milliseconds: 2, logical: 0), HLCTimestamp(milliseconds: 1_790_000_000_000, logical: 65535),
        ]
        for (x, y) in zip(readings, readings.dropFirst()) {
            #expect(x < y)
            #expect(x.packed < y.packed)
            #expect(HLCTimestamp(packed: y.packed) == y)
        }
    }
}
