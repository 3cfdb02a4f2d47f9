/// The outcome of one pushed change, named by its counter.
public struct ChangeOutcome: Hashable, Sendable, Codable {
    public var counter: UInt64
    public var outcome: MergeOutcome

    public init(counter: UInt64, outcome: MergeOutcome) {
        self.counter = counter
        self.outcome = outcome
    }
}

/// The hub's answer to a push: one outcome per change, in counter order.
///
/// A replayed push gets the same outcomes again; `highWater` is the highest counter of this
/// replica the hub has now processed.
public struct PushResponse: Hashable, Sendable, Codable {
    public var outcomes: [ChangeOutcome]
    public var highWater: UInt64

    public init(outcomes: [ChangeOutcome], highWater: UInt64) {
        self.outcomes = outcomes
        self.highWater = highWater
    }
}
