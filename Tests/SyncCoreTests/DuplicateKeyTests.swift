import Testing

@testable import SyncCore

/// How many rows one key brings to the judgement: bounded, and nothing from a crowded broad key.
struct DuplicateKeyTests {
    @Test func aKeyGathersAtMostACrowdAndACrowdedBroadKeyNothing() {
        let few = (0..<10).map { "r\($0)" }
        let many = (0...DuplicateKey.crowd).map { "r\($0)" }
        #expect(DuplicateKey("word", "cust|lille", broad: true).candidates(among: few) == few[...])
        #expect(DuplicateKey("word", "cust|lille", broad: true).candidates(among: many).isEmpty)
        #expect(DuplicateKey("phone", "320112233").candidates(among: many) == many.prefix(DuplicateKey.crowd))
    }
}
