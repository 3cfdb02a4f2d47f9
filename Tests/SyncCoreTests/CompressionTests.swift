import Foundation
import SyncCore
import Testing

struct CompressionTests {
    let text = Data(String(repeating: "Acme Ltd, Lyon; ", count: 2000).utf8)

    @Test func zlibAndGzipRoundTrip() throws {
        for format in [Compression.Format.zlib, .gzip] {
            let packed = try Compression.deflate(text, format: format)
            #expect(packed.count < text.count / 10)
            #expect(try Compression.inflate(packed, limit: text.count) == text)
        }
    }

    @Test func gzipHasItsMagicNumber() throws {
        let packed = try Compression.deflate(text, format: .gzip)
        #expect(packed.prefix(2) == Data([0x1F, 0x8B]))
    }

    @Test func refusesOutputBeyondTheLimit() throws {
        let bomb = try Compression.deflate(Data(count: 10 << 20), format: .gzip)
        #expect(bomb.count < 20_000)
        #expect(throws: ChangesetError.tooLarge(limit: 1 << 20)) { try Compression.inflate(bomb, limit: 1 << 20) }
    }

    @Test func refusesTruncatedAndGarbageInput() throws {
        let packed = try Compression.deflate(text, format: .zlib)
        #expect(throws: ChangesetError.self) { try Compression.inflate(packed.prefix(packed.count / 2), limit: 1 << 20) }
        #expect(throws: ChangesetError.self) { try Compression.inflate(Data("not compressed".utf8), limit: 1 << 20) }
        #expect(throws: ChangesetError.self) { try Compression.inflate(Data(), limit: 1 << 20) }
    }
}
