import Crypto
import Foundation
import HubPostgres
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// What every place attachments' bytes are kept must do, alike: appends only where the upload
/// ends, an upload becoming a blob once, ranges, and a delete that looks again once the blob
/// is set aside (a record written meanwhile keeps it).
struct BlobStorageTests {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case memory, files, postgres
        var description: String { rawValue }
        static var available: [Kind] { TestDatabase.isConfigured ? allCases : [.memory, .files] }
    }

    /// A storage of `kind`, and what to call when done.
    static func make(_ kind: Kind) throws -> (storage: any BlobStorage, done: () -> Void) {
        switch kind {
        case .memory:
            return (MemoryBlobStorage(), {})
        case .files:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)").path
            return (try FileBlobStorage(directory: folder), { try? FileManager.default.removeItem(atPath: folder) })
        case .postgres:
            let database = try TestDatabase.create("blobs")
            let hub = try PostgresHubStorage.open(url: database.url, schema: CRMSchema.schema)
            return (hub.blobs, {
                hub.close()
                database.drop()
            })
        }
    }

    static func hash(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: Kind.available)
    func uploadsBecomeBlobsOnceAndDeletesLookAgain(kind: Kind) throws {
        let (blobs, done) = try Self.make(kind)
        defer { done() }
        let bytes = Data((0..<3000).map { UInt8($0 % 251) })
        let hash = Self.hash(bytes)

        try blobs.append("a1", at: 0, bytes.prefix(1000))
        #expect(throws: BlobStorageError.offsetMismatch(held: 1000)) { try blobs.append("a1", at: 500, bytes.prefix(10)) }
        try blobs.append("a1", at: 1000, bytes.dropFirst(1000))
        #expect(try blobs.received("a1") == 3000)
        #expect(try blobs.readUpload("a1", range: 2990..<4000) == bytes.suffix(10))
        #expect(try blobs.digest(ofUpload: "a1", size: 3000) == hash)
        #expect(try blobs.size(of: hash) == nil)
        try blobs.keep("a1", as: hash)
        #expect(try blobs.received("a1") == 0)
        #expect(try blobs.size(of: hash) == 3000)
        #expect(try blobs.read(hash, range: 100..<200) == bytes.subdata(in: 100..<200))

        // A second upload of the same bytes is dropped: one blob.
        try blobs.append("a2", at: 0, bytes)
        try blobs.keep("a2", as: hash)
        #expect(try blobs.blobs() == [hash: 3000])
        try blobs.append("a3", at: 0, Data("partial".utf8))
        try blobs.discard("a3")
        #expect(try blobs.received("a3") == 0)

        // Named when looked at again: it stays.
        #expect(try blobs.delete(hash, unless: { true }) == false)
        #expect(try blobs.read(hash, range: 0..<3000) == bytes)
        // An upload kept under the hash while it was set aside: one copy stays, whole.
        let kept = try blobs.delete(hash, unless: {
            try blobs.append("a4", at: 0, bytes)
            try blobs.keep("a4", as: hash)
            return true
        })
        #expect(kept == false)
        #expect(try blobs.blobs() == [hash: 3000])
        #expect(try blobs.read(hash, range: 0..<3000) == bytes)
        // Named by nothing: gone.
        #expect(try blobs.delete(hash, unless: { false }))
        #expect(try blobs.blobs().isEmpty)
        #expect(try blobs.size(of: hash) == nil)
    }

    @Test(arguments: Kind.available)
    func blobsCopyFromOneStorageToAnotherCheckedAgainstTheirHashes(kind: Kind) throws {
        let (target, done) = try Self.make(kind)
        defer { done() }
        let source = MemoryBlobStorage()
        var expected: [String: Int64] = [:]
        for n in 1...3 {
            let bytes = Data(repeating: UInt8(n), count: n * 1_500_000)
            let hash = Self.hash(bytes)
            try source.append("u\(n)", at: 0, bytes)
            try source.keep("u\(n)", as: hash)
            expected[hash] = Int64(bytes.count)
        }
        #expect(try target.copyBlobs(from: source) == BlobStats(blobs: 3, bytes: 9_000_000))
        #expect(try target.blobs() == expected)
        #expect(try target.copyBlobs(from: source) == BlobStats(blobs: 0, bytes: 0))
    }
}

extension BlobStorageTests {
    @Test(arguments: Kind.available)
    func appendsAtOneOffsetRaceAndOneWinsAndASealedUploadTakesNoMore(kind: Kind) async throws {
        let (blobs, done) = try Self.make(kind)
        defer { done() }
        // Eight appends at offset 0 at once: exactly one lands.
        let results = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<8 {
                group.addTask { (try? blobs.append("race", at: 0, Data(repeating: UInt8(n), count: 50_000))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        #expect(try blobs.received("race") == 50_000)
        let written = try blobs.readUpload("race", range: 0..<50_000)
        #expect(Set(written).count == 1, "one append's bytes, not a mix")

        // Sealed: the bytes move under a key of their own, the upload starts again empty, and a
        // second seal finds nothing.
        let sealed = try #require(try blobs.seal("race"))
        #expect(try blobs.received("race") == 0)
        #expect(try blobs.seal("race") == nil)
        #expect(try blobs.readUpload(sealed, range: 0..<50_000) == written)
        #expect(throws: BlobStorageError.offsetMismatch(held: 0)) { try blobs.append("race", at: 50_000, Data([1])) }
        try blobs.keep(sealed, as: Self.hash(written))
        #expect(try blobs.blobs() == [Self.hash(written): 50_000])
    }
}

extension BlobStorageTests {
    @Test(arguments: Kind.available)
    func idleUploadsExpireAndBlobsLeftAsideComeBack(kind: Kind) throws {
        let (blobs, done) = try Self.make(kind)
        defer { done() }
        try blobs.append("idle", at: 0, Data(repeating: 7, count: 1234))
        // Touched after the cutoff: stays.
        #expect(try blobs.discardUploads(untouchedSince: Date().addingTimeInterval(-3600)) == BlobStats(blobs: 0, bytes: 0))
        #expect(try blobs.received("idle") == 1234)
        // Not touched since a cutoff in the future: dropped, bytes and all.
        #expect(try blobs.discardUploads(untouchedSince: Date().addingTimeInterval(3600)) == BlobStats(blobs: 1, bytes: 1234))
        #expect(try blobs.received("idle") == 0)
        #expect(try blobs.readUpload("idle", range: 0..<10).isEmpty)

        // A delete that fails between its two steps (the question of names throws, as a crash
        // would end it) leaves the blob where the next collection finds it.
        let bytes = Data(repeating: 9, count: 4000)
        try blobs.append("b", at: 0, bytes)
        try blobs.keep("b", as: Self.hash(bytes))
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) { _ = try blobs.delete(Self.hash(bytes), unless: { throw Interrupted() }) }
        try blobs.restoreSetAside()
        #expect(try blobs.blobs() == [Self.hash(bytes): 4000])
        #expect(try blobs.read(Self.hash(bytes), range: 0..<4000) == bytes)
    }
}
