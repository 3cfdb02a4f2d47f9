import Foundation
import HubEngine
import HubStore
import Logging
import PostgresNIO
import SyncCore

/// Attachments' bytes in the hub's PostgreSQL database, so every server sharing it serves every
/// blob. Chunks live in one table (`hub_blob_chunk`), owned by an upload (`upload:KEY`, its
/// length kept in `hub_upload`) or by a blob (its hash, listed in `hub_blob`): an upload becomes
/// a blob by renaming its chunks' owner in one transaction, and a blob is deleted the same way
/// (set aside as `deleting:HASH` first).
public struct PostgresBlobStorage: BlobStorage {
    let storage: PostgresHubStorage

    /// Runs `body` in one transaction of the hub's database.
    func transaction<T>(_ body: (PostgresHubView) throws -> T) throws -> T {
        try storage.transaction(body)
    }

    static func owner(upload key: String) -> String { "upload:" + key }

    public func size(of hash: String) throws -> Int64? {
        try transaction { view in
            try view.rows("SELECT size FROM hub_blob WHERE hash = \(hash)").first?.decode(Int64.self)
        }
    }

    static func received(_ key: String, view: PostgresHubView) throws -> Int64 {
        try view.rows("SELECT received FROM hub_upload WHERE upload_key = \(key)").first?.decode(Int64.self) ?? 0
    }

    public func received(_ key: String) throws -> Int64 {
        try transaction { try Self.received(key, view: $0) }
    }

    public func append(_ key: String, at offset: Int64, _ bytes: Data) throws {
        let owner = Self.owner(upload: key)
        try transaction { view in
            // One appender per upload at a time, across servers.
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(owner)))")
            let held = try Self.received(key, view: view)
            guard held == offset else { throw BlobStorageError.offsetMismatch(held: held) }
            try view.execute("INSERT INTO hub_blob_chunk (owner, start_at, data) VALUES (\(owner), \(offset), \(bytes))")
            try view.execute(
                """
                INSERT INTO hub_upload (upload_key, received) VALUES (\(key), \(offset + Int64(bytes.count)))
                ON CONFLICT (upload_key) DO UPDATE SET received = EXCLUDED.received, touched_at = now()
                """)
            return ()
        }
    }

    /// The bytes in `range` of the chunks `owner` holds.
    static func read(_ owner: String, range: Range<Int64>, view: PostgresHubView) throws -> Data {
        let rows = try view.rows(
            """
            SELECT start_at, data FROM hub_blob_chunk WHERE owner = \(owner) AND start_at < \(range.upperBound)
                AND start_at + length(data) > \(range.lowerBound) ORDER BY start_at
            """)
        var result = Data()
        for row in rows {
            let (start, data) = try row.decode((Int64, Data).self)
            let lower = Int(max(range.lowerBound - start, 0))
            let upper = Int(min(range.upperBound - start, Int64(data.count)))
            if lower < upper { result.append(data.subdata(in: lower..<upper)) }
        }
        return result
    }

    public func readUpload(_ key: String, range: Range<Int64>) throws -> Data {
        try transaction { try Self.read(Self.owner(upload: key), range: range, view: $0) }
    }

    public func seal(_ key: String) throws -> String? {
        let owner = Self.owner(upload: key)
        let sealed = "sealed-" + UUID().uuidString
        return try transaction { view -> String? in
            // The lock append() takes: an append in flight finishes first, a later one finds no upload.
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(owner)))")
            guard try view.execute("UPDATE hub_upload SET upload_key = \(sealed) WHERE upload_key = \(key)") == 1 else { return nil }
            try view.execute("UPDATE hub_blob_chunk SET owner = \(Self.owner(upload: sealed)) WHERE owner = \(owner)")
            return sealed
        }
    }

    public func keep(_ key: String, as hash: String) throws {
        let owner = Self.owner(upload: key)
        try transaction { view in
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(hash)))")
            let held = try view.rows("SELECT 1 FROM hub_blob WHERE hash = \(hash)").isEmpty == false
            if held {
                try view.execute("DELETE FROM hub_blob_chunk WHERE owner = \(owner)")
            } else {
                let size = try Self.received(key, view: view)
                try view.execute("UPDATE hub_blob_chunk SET owner = \(hash) WHERE owner = \(owner)")
                try view.execute("INSERT INTO hub_blob (hash, size) VALUES (\(hash), \(size))")
            }
            try view.execute("DELETE FROM hub_upload WHERE upload_key = \(key)")
            return ()
        }
    }

    public func discard(_ key: String) throws {
        let owner = Self.owner(upload: key)
        try transaction { view in
            try view.execute("DELETE FROM hub_blob_chunk WHERE owner = \(owner)")
            try view.execute("DELETE FROM hub_upload WHERE upload_key = \(key)")
            return ()
        }
    }

    public func read(_ hash: String, range: Range<Int64>) throws -> Data {
        try transaction { try Self.read(hash, range: range, view: $0) }
    }

    public func blobs() throws -> [String: Int64] {
        try transaction { view in
            var result: [String: Int64] = [:]
            for row in try view.rows("SELECT hash, size FROM hub_blob WHERE hash NOT LIKE 'deleting:%'") {
                let (hash, size) = try row.decode((String, Int64).self)
                result[hash] = size
            }
            return result
        }
    }

    public func discardUploads(untouchedSince cutoff: Date) throws -> BlobStats {
        try transaction { view in
            let stale = try view.rows(
                "SELECT upload_key, received FROM hub_upload WHERE touched_at < to_timestamp(\(cutoff.timeIntervalSince1970))"
            ).map { try $0.decode((String, Int64).self) }
            for (key, _) in stale {
                try view.execute("DELETE FROM hub_blob_chunk WHERE owner = \(Self.owner(upload: key))")
                try view.execute("DELETE FROM hub_upload WHERE upload_key = \(key)")
            }
            return BlobStats(blobs: stale.count, bytes: stale.reduce(0) { $0 + $1.1 })
        }
    }

    public func restoreSetAside() throws {
        try transaction { view in
            for aside in try view.rows("SELECT hash FROM hub_blob WHERE hash LIKE 'deleting:%'").map({ try $0.decode(String.self) }) {
                let hash = String(aside.dropFirst("deleting:".count))
                _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(hash)))")
                if try view.rows("SELECT 1 FROM hub_blob WHERE hash = \(hash)").isEmpty {
                    try view.execute("UPDATE hub_blob SET hash = \(hash) WHERE hash = \(aside)")
                    try view.execute("UPDATE hub_blob_chunk SET owner = \(hash) WHERE owner = \(aside)")
                } else {
                    try view.execute("DELETE FROM hub_blob_chunk WHERE owner = \(aside)")
                    try view.execute("DELETE FROM hub_blob WHERE hash = \(aside)")
                }
            }
            return ()
        }
    }

    public func delete(_ hash: String, unless named: () throws -> Bool) throws -> Bool {
        let aside = "deleting:" + hash
        // Set aside in one transaction, under the lock keep() takes for the hash.
        let setAside = try transaction { view -> Bool in
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(hash)))")
            guard try view.execute("UPDATE hub_blob SET hash = \(aside) WHERE hash = \(hash)") == 1 else { return false }
            try view.execute("UPDATE hub_blob_chunk SET owner = \(aside) WHERE owner = \(hash)")
            return true
        }
        guard setAside else { return false }
        let restore = try named()
        return try transaction { view -> Bool in
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(hash)))")
            let kept = try view.rows("SELECT 1 FROM hub_blob WHERE hash = \(hash)").isEmpty == false
            if restore && !kept {
                try view.execute("UPDATE hub_blob SET hash = \(hash) WHERE hash = \(aside)")
                try view.execute("UPDATE hub_blob_chunk SET owner = \(hash) WHERE owner = \(aside)")
            } else {
                try view.execute("DELETE FROM hub_blob_chunk WHERE owner = \(aside)")
                try view.execute("DELETE FROM hub_blob WHERE hash = \(aside)")
            }
            return !restore
        }
    }
}
