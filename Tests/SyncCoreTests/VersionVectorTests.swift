import Foundation
import SyncCore
import Testing

struct VersionVectorTests {
    let a = ReplicaID("a")
    let b = ReplicaID("b")

    @Test func comparesEqualBeforeAfterAndConcurrent() {
        let v1 = VersionVector([a: 2, b: 1])
        #expect(v1.compare(to: VersionVector([a: 2, b: 1])) == .equal)
        #expect(v1.compare(to: VersionVector([a: 3, b: 1])) == .before)
        #expect(v1.compare(to: VersionVector([a: 2])) == .after)
        #expect(v1.compare(to: VersionVector([a: 1, b: 2])) == .concurrent)
        #expect(VersionVector().compare(to: VersionVector()) == .equal)
    }

    @Test func coversEveryEarlierDotOfAReplica() {
        let vector = VersionVector([a: 3])
        #expect(vector.covers(Dot(replica: a, counter: 1)))
        #expect(vector.covers(Dot(replica: a, counter: 3)))
        #expect(!vector.covers(Dot(replica: a, counter: 4)))
        #expect(!vector.covers(Dot(replica: b, counter: 1)))
    }

    @Test func mergeIsThePointwiseMaximum() {
        var vector = VersionVector([a: 3, b: 1])
        vector.merge(VersionVector([a: 1, b: 5]))
        #expect(vector == VersionVector([a: 3, b: 5]))
        vector.record(Dot(replica: a, counter: 2))
        #expect(vector[a] == 3)
        vector.record(Dot(replica: a, counter: 7))
        #expect(vector[a] == 7)
    }

    @Test func zeroCountersAreDropped() {
        #expect(VersionVector([a: 0]) == VersionVector())
        #expect(VersionVector([a: 0]).isEmpty)
    }

    @Test func roundTripsThroughJSONAsAnObject() throws {
        let vector = VersionVector([a: 3, b: 9])
        let data = try WireJSON.encoder.encode(vector)
        #expect(String(decoding: data, as: UTF8.self) == #"{"a":3,"b":9}"#)
        #expect(try WireJSON.decoder.decode(VersionVector.self, from: data) == vector)
    }

    @Test func refusesAnEmptyReplicaIdInJSON() {
        #expect(throws: DecodingError.self) {
            try WireJSON.decoder.decode(VersionVector.self, from: Data(#"{"":1}"#.utf8))
        }
    }
}
