/// A hybrid logical clock reading: wall-clock milliseconds plus a logical counter.
///
/// Readings order first by milliseconds, then by the logical part. The packed form
/// (`milliseconds << 16 | logical`) is what the wire and the stores carry: one integer that
/// sorts the same way.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64
    public var logical: UInt16

    public init(milliseconds: Int64, logical: UInt16 = 0) {
        self.milliseconds = milliseconds
        self.logical = logical
    }

    /// Unpacks the single-integer form.
    public init(packed: Int64) {
        self.milliseconds = packed >> 16
        self.logical = UInt16(truncatingIfNeeded: packed & 0xFFFF)
    }

    /// The single-integer form: milliseconds in the high 48 bits, the logical counter in the low 16.
    public var packed: Int64 { milliseconds << 16 | Int64(logical) }

    public static let zero = HLCTimestamp(milliseconds: 0)

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool {
        (lhs.milliseconds, lhs.logical) < (rhs.milliseconds, rhs.logical)
    }

    public var description: String { "\(packed)" }
}

extension HLCTimestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let packed = try decoder.singleValueContainer().decode(Int64.self)
        guard packed >= 0 else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "an HLC timestamp is a non-negative integer"))
        }
        self.init(packed: packed)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(packed)
    }
}

/// A hybrid logical clock (Kulkarni et al.): monotonic, close to wall time, and causal.
///
/// The clock only orders writes that a rule has already declared safe to order
/// (last-writer-wins); concurrency is decided by version vectors. A remote reading more than
/// ``maxForwardDrift`` milliseconds ahead of the local wall clock is refused with
/// ``ClockError/remoteTooFarAhead(remote:local:bound:)`` instead of being adopted, so one
/// laptop with a wrong clock cannot drag every replica into the future.
public struct HybridClock: Sendable, Hashable {
    /// The last reading this clock issued or absorbed.
    public private(set) var last: HLCTimestamp
    /// How far ahead of local wall time a remote reading may be, in milliseconds.
    public let maxForwardDrift: Int64

    /// The default bound: 5 minutes.
    public static let defaultMaxForwardDrift: Int64 = 5 * 60 * 1000

    public init(last: HLCTimestamp = .zero, maxForwardDrift: Int64 = HybridClock.defaultMaxForwardDrift) {
        self.last = last
        self.maxForwardDrift = maxForwardDrift
    }

    /// Issues a reading for a local event at wall time `wallMilliseconds`.
    public mutating func tick(wallMilliseconds: Int64) -> HLCTimestamp {
        let next: HLCTimestamp
        if wallMilliseconds > last.milliseconds {
            next = HLCTimestamp(milliseconds: wallMilliseconds)
        } else if last.logical == UInt16.max {
            next = HLCTimestamp(milliseconds: last.milliseconds + 1)
        } else {
            next = HLCTimestamp(milliseconds: last.milliseconds, logical: last.logical + 1)
        }
        last = next
        return next
    }

    /// Issues a reading like ``tick(wallMilliseconds:)``, except that when the last reading is
    /// more than ``maxForwardDrift`` ahead of the wall clock, the clock restarts from wall time.
    ///
    /// That happens when a device's clock was wrong and has been corrected: carrying the old
    /// reading forward would keep every later write "in the future", and the hub refuses those.
    /// A replica's own writes are ordered by their dots, not by this clock, so restarting it never
    /// reorders them.
    public mutating func tickRecovering(wallMilliseconds: Int64) -> HLCTimestamp {
        if last.milliseconds - wallMilliseconds > maxForwardDrift {
            last = HLCTimestamp(milliseconds: wallMilliseconds)
            return last
        }
        return tick(wallMilliseconds: wallMilliseconds)
    }

    /// Absorbs a remote reading, returning the local reading for the receive event.
    ///
    /// - Throws: ``ClockError/remoteTooFarAhead(remote:local:bound:)`` when `remote` is more
    ///   than ``maxForwardDrift`` ahead of `wallMilliseconds`; the clock is then unchanged.
    public mutating func receive(_ remote: HLCTimestamp, wallMilliseconds: Int64) throws(ClockError) -> HLCTimestamp {
        guard remote.milliseconds - wallMilliseconds <= maxForwardDrift else {
            throw .remoteTooFarAhead(remote: remote, local: wallMilliseconds, bound: maxForwardDrift)
        }
        let physical = max(last.milliseconds, remote.milliseconds, wallMilliseconds)
        var logical: UInt32
        if physical == last.milliseconds && physical == remote.milliseconds {
            logical = UInt32(max(last.logical, remote.logical)) + 1
        } else if physical == last.milliseconds {
            logical = UInt32(last.logical) + 1
        } else if physical == remote.milliseconds {
            logical = UInt32(remote.logical) + 1
        } else {
            logical = 0
        }
        var next = HLCTimestamp(milliseconds: physical, logical: UInt16(truncatingIfNeeded: logical))
        if logical > UInt32(UInt16.max) {
            next = HLCTimestamp(milliseconds: physical + 1)
        }
        last = next
        return next
    }
}

/// Errors of the hybrid logical clock.
public enum ClockError: Error, Equatable, Sendable, CustomStringConvertible {
    case remoteTooFarAhead(remote: HLCTimestamp, local: Int64, bound: Int64)

    public var description: String {
        switch self {
        case let .remoteTooFarAhead(remote, local, bound):
            let ahead = remote.milliseconds - local
            return "a clock reading is \(ahead) ms ahead of this machine's clock (the limit is \(bound) ms); "
                + "check the date and time on the device that made it, then sync again"
        }
    }
}
