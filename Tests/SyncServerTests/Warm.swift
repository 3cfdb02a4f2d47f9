import Testing
@Test func warm() { #expect(Bool(true)) }
