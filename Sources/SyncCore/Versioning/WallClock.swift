import Foundation

/// The wall clock in Unix milliseconds, as replicas and stores take it: injected, so tests move
/// time by hand.
public typealias WallClock = @Sendable () -> Int64

/// The system's wall clock.
public let systemWallClock: WallClock = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
