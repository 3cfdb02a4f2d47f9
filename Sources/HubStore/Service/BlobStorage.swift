import Crypto
import Foundation
import HubEngine
import SatchelModel
import SyncCore

/// Where a hub keeps attachments' bytes: complete blobs named by their SHA-256, and uploads in
/// progress named by the attachment they are for. It decides nothing (who may upload, whether
/// the bytes match, when a blob is garbage: ``HubService`` does); it stores and answers.
///
/// The SQLite deployment keeps files in the data directory (``FileBlobStorage``); PostgreSQL
/// keeps them in tables, so several servers share them; tests keep them in memory.
public protocol BlobStorage: Sendable {
    /// The size of the complete blob `hash`, or nil when it is not held.
    func size(of hash: String) throws -> Int64?
    /// Bytes received so far of the upload `key` (0 when none began).
    func received(_ key: String) throws -> Int64
    /// Appends `bytes` to the upload `key`, which must hold exactly `offset` bytes
    /// (``BlobStorageError/offsetMismatch(held:)`` otherwise). Durable when it returns.
    func append(_ key: String, at offset: Int64, _ bytes: Data) throws
    /// The bytes of the upload `key` in `range` (clamped to what it holds).
    func readUpload(_ key: String, range: Range<Int64>) throws -> Data
    /// Moves the upload `key` out of reach of appends, under a new key of its own (returned),
    /// so that what is checked is what is kept; nil when there is no such upload (another
    /// request sealed it first). `key` starts again empty.
    func seal(_ key: String) throws -> String?
    /// Makes the upload `key` the blob `hash`, or drops it when that blob is already held.
    /// The upload is gone afterwards.
    func keep(_ key: String, as hash: String) throws
    /// Drops the upload `key`.
    func discard(_ key: String) throws
    /// The bytes of blob `hash` in `range` (clamped to its size).
    func read(_ hash: String, range: Range<Int64>) throws -> Data
    /// Every complete blob, by hash.
    func blobs() throws -> [String: Int64]
    /// Deletes the blob `hash` unless `named` says a record names it. The blob is set aside
    /// first and `named` asked after, so an upload kept or a record written meanwhile is seen:
    /// when named, the blob is put back (or, when an upload was kept under its hash meanwhile,
    /// the set-aside copy is dropped). Returns whether the blob was deleted.
    func delete(_ hash: String, unless named: () throws -> Bool) throws -> Bool
    /// Drops the uploads no append has touched since `cutoff` (their laptops gave up, or their
    /// attachments went); returns how many and their bytes.
    func discardUploads(untouchedSince cutoff: Date) throws -> BlobStats
    /// Puts back the blobs a delete set aside and never finished (a crash between its two
    /// steps); the next collection decides them again.
    func restoreSetAside() throws
}

public enum BlobStorageError: Error, Hashable, Sendable {
    /// An append at an offset other than the bytes the upload holds.
    case offsetMismatch(held: Int64)
    /// The store failed (disk, database), said in a line.
    case failed(String)
}

extension BlobStorage {
    /// The hex SHA-256 of the upload `key`'s first `size` bytes, read 1 MiB at a time.
    public func digest(ofUpload key: String, size: Int64) throws -> String {
        var hasher = SHA256()
        var offset: Int64 = 0
        while offset < size {
            let chunk = try readUpload(key, range: offset..<min(size, offset + (1 << 20)))
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            offset += Int64(chunk.count)
        }
        return Hex.string(hasher.finalize())
    }
}

/// Blobs and uploads as files: `DIR/sha256/HASH` and `DIR/uploads/KEYHASH`. An upload becomes a
/// blob by a rename, so a blob file is always whole.
public struct FileBlobStorage: BlobStorage {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
        for folder in ["sha256", "uploads"] {
            do {
                try FileManager.default.createDirectory(
                    atPath: (directory as NSString).appendingPathComponent(folder), withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw BlobStorageError.failed("cannot create \(directory)/\(folder); check the data directory's permissions")
            }
        }
    }

    func blobPath(_ hash: String) throws -> String {
        // Names reach a path only as 64 hex digits.
        guard AttachmentMedia.isSHA256(hash) else { throw BlobStorageError.failed("'\(hash.prefix(70))' is not a SHA-256") }
        return "\(directory)/sha256/\(hash)"
    }

    func uploadPath(_ key: String) -> String {
        "\(directory)/uploads/" + Hex.string(SHA256.hash(data: Data(key.utf8)))
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    public func size(of hash: String) throws -> Int64? { Self.fileSize(try blobPath(hash)) }

    public func received(_ key: String) throws -> Int64 { Self.fileSize(uploadPath(key)) ?? 0 }

    public func append(_ key: String, at offset: Int64, _ bytes: Data) throws {
        let path = uploadPath(key)
        let descriptor = open(path, O_WRONLY | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw BlobStorageError.failed("cannot write \(path): errno \(errno)") }
        defer { close(descriptor) }
        // One appender at a time, in this process or another: the length checked is the length written after.
        guard flock(descriptor, LOCK_EX) == 0 else { throw BlobStorageError.failed("cannot lock \(path): errno \(errno)") }
        let held = Int64(lseek(descriptor, 0, SEEK_END))
        guard held == offset else { throw BlobStorageError.offsetMismatch(held: held) }
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                guard count > 0 else {
                    // Leave the upload as it was: a short write must not count as received.
                    _ = ftruncate(descriptor, off_t(held))
                    throw BlobStorageError.failed("cannot write \(path): errno \(errno)")
                }
                written += count
            }
        }
        guard fsync(descriptor) == 0 else { throw BlobStorageError.failed("cannot sync \(path): errno \(errno)") }
    }

    static func read(_ path: String, range: Range<Int64>) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(range.lowerBound))
        return try handle.read(upToCount: Int(range.count)) ?? Data()
    }

    public func readUpload(_ key: String, range: Range<Int64>) throws -> Data { try Self.read(uploadPath(key), range: range) }

    public func seal(_ key: String) throws -> String? {
        let sealed = "sealed-" + UUID().uuidString
        // An appender holds the file's lock while it checks and writes; taking it here waits
        // for one in flight, and the rename leaves later ones an empty upload.
        let path = uploadPath(key)
        let descriptor = open(path, O_WRONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw BlobStorageError.failed("cannot lock \(path): errno \(errno)") }
        guard rename(path, uploadPath(sealed)) == 0 else { return nil }
        return sealed
    }

    public func keep(_ key: String, as hash: String) throws {
        let target = try blobPath(hash)
        let source = uploadPath(key)
        if Self.fileSize(target) != nil {
            unlink(source)
            return
        }
        guard rename(source, target) == 0 else {
            throw BlobStorageError.failed("cannot move \(source) to \(target): errno \(errno)")
        }
        // The rename reaches the disk before the record says the bytes arrived.
        let folder = open("\(directory)/sha256", O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    public func discard(_ key: String) throws { unlink(uploadPath(key)) }

    public func read(_ hash: String, range: Range<Int64>) throws -> Data { try Self.read(try blobPath(hash), range: range) }

    public func blobs() throws -> [String: Int64] {
        let folder = "\(directory)/sha256"
        var result: [String: Int64] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where !name.hasPrefix(".") {
            if let size = Self.fileSize("\(folder)/\(name)") { result[name] = size }
        }
        return result
    }

    public func discardUploads(untouchedSince cutoff: Date) throws -> BlobStats {
        let folder = "\(directory)/uploads"
        var dropped = BlobStats(blobs: 0, bytes: 0)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = "\(folder)/\(name)"
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let modified = attributes[.modificationDate] as? Date, modified < cutoff, unlink(path) == 0
            else { continue }
            dropped.blobs += 1
            dropped.bytes += (attributes[.size] as? Int64) ?? 0
        }
        return dropped
    }

    public func restoreSetAside() throws {
        let folder = "\(directory)/sha256"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".deleting-") {
            let target = "\(folder)/\(name.dropFirst(".deleting-".count))"
            if Self.fileSize(target) != nil || rename("\(folder)/\(name)", target) != 0 { unlink("\(folder)/\(name)") }
        }
    }

    public func delete(_ hash: String, unless named: () throws -> Bool) throws -> Bool {
        let path = try blobPath(hash)
        let aside = "\(directory)/sha256/.deleting-\(hash)"
        guard rename(path, aside) == 0 else { return false }
        if try named() {
            // Back, unless an upload was kept under the hash meanwhile (then the two are the same bytes).
            if Self.fileSize(path) != nil || rename(aside, path) != 0 { unlink(aside) }
            return false
        }
        unlink(aside)
        return true
    }
}

/// Blobs in memory, for hubs in memory (tests and simulations).
public final class MemoryBlobStorage: BlobStorage, @unchecked Sendable {
    private let lock = NSLock()
    private var uploads: [String: Data] = [:]
    private var touched: [String: Date] = [:]
    private var stored: [String: Data] = [:]

    public init() {}

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    static func slice(_ data: Data?, _ range: Range<Int64>) -> Data {
        guard let data else { return Data() }
        let lower = Int(min(range.lowerBound, Int64(data.count)))
        let upper = Int(min(range.upperBound, Int64(data.count)))
        return data.subdata(in: lower..<upper)
    }

    public func size(of hash: String) throws -> Int64? { locked { stored[hash].map { Int64($0.count) } } }
    public func received(_ key: String) throws -> Int64 { locked { Int64(uploads[key]?.count ?? 0) } }

    public func append(_ key: String, at offset: Int64, _ bytes: Data) throws {
        try locked {
            let held = Int64(uploads[key]?.count ?? 0)
            guard held == offset else { throw BlobStorageError.offsetMismatch(held: held) }
            uploads[key, default: Data()].append(bytes)
            touched[key] = Date()
        }
    }

    public func readUpload(_ key: String, range: Range<Int64>) throws -> Data { locked { Self.slice(uploads[key], range) } }

    public func seal(_ key: String) throws -> String? {
        locked {
            guard let upload = uploads.removeValue(forKey: key) else { return nil }
            let sealed = "sealed-" + UUID().uuidString
            uploads[sealed] = upload
            touched[sealed] = touched.removeValue(forKey: key)
            return sealed
        }
    }

    public func keep(_ key: String, as hash: String) throws {
        locked {
            let upload = uploads.removeValue(forKey: key)
            if stored[hash] == nil, let upload { stored[hash] = upload }
        }
    }

    public func discard(_ key: String) throws {
        locked {
            uploads.removeValue(forKey: key)
            touched.removeValue(forKey: key)
        }
    }
    public func read(_ hash: String, range: Range<Int64>) throws -> Data { locked { Self.slice(stored[hash], range) } }
    public func blobs() throws -> [String: Int64] { locked { stored.mapValues { Int64($0.count) } } }
    public func delete(_ hash: String, unless named: () throws -> Bool) throws -> Bool {
        guard let aside = locked({ stored.removeValue(forKey: hash) }) else { return false }
        let keep: Bool
        do {
            keep = try named()
        } catch {
            locked { if stored[hash] == nil { stored[hash] = aside } }
            throw error
        }
        if keep {
            locked { if stored[hash] == nil { stored[hash] = aside } }
            return false
        }
        return true
    }

    public func discardUploads(untouchedSince cutoff: Date) throws -> BlobStats {
        locked {
            var dropped = BlobStats(blobs: 0, bytes: 0)
            for (key, date) in touched where date < cutoff {
                dropped.blobs += 1
                dropped.bytes += Int64(uploads.removeValue(forKey: key)?.count ?? 0)
                touched.removeValue(forKey: key)
            }
            return dropped
        }
    }

    /// Nothing is ever left aside in memory (a delete puts the blob back when it throws).
    public func restoreSetAside() throws {}
}

extension BlobStorage {
    /// Copies every blob of `source` that this storage lacks, each checked against its hash on
    /// the way in (a damaged one stops the copy); returns what was copied. Running it again
    /// copies nothing twice.
    public func copyBlobs(from source: any BlobStorage) throws -> BlobStats {
        var copied = BlobStats(blobs: 0, bytes: 0)
        for (hash, size) in try source.blobs().sorted(by: { $0.key < $1.key }) where try self.size(of: hash) == nil {
            let key = "copy-" + hash
            try discard(key)
            var offset: Int64 = 0
            while offset < size {
                let chunk = try source.read(hash, range: offset..<min(size, offset + (1 << 20)))
                guard !chunk.isEmpty else { break }
                try append(key, at: offset, chunk)
                offset += Int64(chunk.count)
            }
            guard offset == size, try digest(ofUpload: key, size: size) == hash else {
                try discard(key)
                throw BlobStorageError.failed("the attachment file \(hash) does not read back whole; check the source's disk")
            }
            try keep(key, as: hash)
            copied.blobs += 1
            copied.bytes += size
        }
        return copied
    }
}
