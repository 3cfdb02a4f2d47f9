import Foundation
import SyncCore
import Testing

struct FieldTypeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var type: FieldType
        var value: FieldValue
        var valid: Bool
        var testDescription: String { "\(type.name) \(value) → \(valid ? "valid" : "invalid")" }
    }

    static let cases: [Case] = [
        Case(type: .text(maxLength: 3), value: .text("abc"), valid: true),
        Case(type: .text(maxLength: 3), value: .text("abcd"), valid: false),
        Case(type: .text(maxLength: 10), value: .text("a\u{0}b"), valid: false),
        Case(type: .text(maxLength: 3), value: .integer(1), valid: false),
        Case(type: .integer(range: 0...10), value: .integer(10), valid: true),
        Case(type: .integer(range: 0...10), value: .integer(11), valid: false),
        Case(type: .money, value: .money(Money(minor: 1250, currency: "EUR")), valid: true),
        Case(type: .money, value: .money(Money(minor: 1250, currency: "eur")), valid: false),
        Case(type: .bool, value: .bool(true), valid: true),
        Case(type: .bool, value: .integer(1), valid: false),
        Case(type: .timestamp, value: .integer(1_790_000_000_000), valid: true),
        Case(type: .timestamp, value: .integer(-1), valid: false),
        Case(type: .date, value: .text("2026-02-28"), valid: true),
        Case(type: .date, value: .text("2026-02-29"), valid: false),
        Case(type: .date, value: .text("2024-02-29"), valid: true),
        Case(type: .date, value: .text("28.02.2026"), valid: false),
        Case(type: .enumeration(["a", "b"]), value: .text("b"), valid: true),
        Case(type: .enumeration(["a", "b"]), value: .text("c"), valid: false),
        Case(type: .reference(entity: "x"), value: .text("0b1e"), valid: true),
        Case(type: .reference(entity: "x"), value: .text(""), valid: false),
        Case(type: .stringSet, value: .stringSet(["b", "a"]), valid: true),
        Case(type: .stringSet, value: .stringSet([""]), valid: false),
        Case(type: .location, value: .location(Location(lat: 48.85, lon: 2.35)), valid: true),
        Case(type: .location, value: .location(Location(lat: 91, lon: 0)), valid: false),
        Case(type: .location, value: .null, valid: true),
    ]

    @Test(arguments: cases)
    func validatesEachType(_ testCase: Case) {
        let result = Result { () throws(SchemaError) in try testCase.type.validate(testCase.value) }
        switch result {
        case .success: #expect(testCase.valid)
        case .failure: #expect(!testCase.valid)
        }
    }

    @Test func setsAreSortedAndDeduplicated() throws {
        #expect(try FieldType.stringSet.validate(.stringSet(["b", "a", "b"])) == .stringSet(["a", "b"]))
    }

    @Test func valuesRoundTripThroughTheirNaturalJSON() throws {
        let values: [FieldValue] = [
            .null, .text("x"), .integer(-4), .bool(false), .money(Money(minor: 5, currency: "USD")),
            .location(Location(lat: 1.5, lon: -2.25)), .stringSet(["a", "b"]),
        ]
        let data = try WireJSON.encoder.encode(values)
        #expect(
            String(decoding: data, as: UTF8.self)
                == #"[null,"x",-4,false,{"currency":"USD","minor":5},{"lat":1.5,"lon":-2.25},["a","b"]]"#)
        #expect(try WireJSON.decoder.decode([FieldValue].self, from: data) == values)
    }

    @Test func anUnknownObjectShapeIsNotAValue() {
        #expect(throws: DecodingError.self) {
            try WireJSON.decoder.decode(FieldValue.self, from: Data(#"{"minor":1}"#.utf8))
        }
    }
}
