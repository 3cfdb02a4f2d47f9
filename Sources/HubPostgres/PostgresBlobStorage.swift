import Foundation
import HubEngine
import HubStore
import Logging
import PostgresNIO
import SyncCore

/// Attachments' bytes in the hub's PostgreSQL database, so every server sharing it serves every
/// blob: uploads as chunks (`hub_upload_chunk`), complete blobs as chunks of their hash
/// (`hub_blob_chunk`) listed in `hub_blob`. An upload becomes a blob in one transaction.
public struct PostgresBlobStorage: BlobStorage {
    let storage: PostgresHubStorage

    /// Runs `body` on a connection in one transaction.
    func transaction<T>(_ body: (PostgresHubView) throws -> T) throws -> T {
        try storage.pool.with { connection in
            let view = PostgresHubView(
                connection: connection, schema: storage.schema, logger: storage.logger, location: storage.location)
            try view.execute("BEGIN")
            do {
                let result = try body(view)
                try view.execute("COMMIT")
                return result
            } catch {
                _ = try? view.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func size(of hash: String) throws -> Int64? {
        try transaction { view in
            try view.rows("SELECT size FROM hub_blob WHERE hash = \(hash)").first?.decode(Int64.self)
        }
    }

    static func received(_ key: String, view: PostgresHubView) throws -> Int64 {
        try view.rows("SELECT COALESCE(SUM(length(data)), 0)::bigint FROM hub_upload_chunk WHERE upload_key = \(key)")
            .first?.decode(Int64.self) ?? 0
    }

    public func received(_ key: String) throws -> Int64 {
        try transaction { try Self.received(key, view: $0) }
    }

    public func append(_ key: String, at offset: Int64, _ bytes: Data) throws {
        try transaction { view in
            // One appender per upload at a time, across servers.
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(key)))")
            let held = try Self.received(key, view: view)
            guard held == offset else { throw BlobStorageError.offsetMismatch(held: held) }
            try view.execute("INSERT INTO hub_upload_chunk (upload_key, start_at, data) VALUES (\(key), \(offset), \(bytes))")
            return ()
        }
    }

    /// The bytes in `range` of the chunks `table` holds under `name`.
    static func read(_ table: String, _ column: String, _ name: String, range: Range<Int64>, view: PostgresHubView) throws -> Data {
        let rows = try view.rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT start_at, data FROM \(table) WHERE \(column) = $1 AND start_at < $2
                        AND start_at + length(data) > $3 ORDER BY start_at
                    """,
                binds: {
                    var binds = PostgresBindings()
                    binds.append(name)
                    binds.append(range.upperBound)
                    binds.append(range.lowerBound)
                    return binds
                }()))
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
        try transaction { try Self.read("hub_upload_chunk", "upload_key", key, range: range, view: $0) }
    }

    public func keep(_ key: String, as hash: String) throws {
        try transaction { view in
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(hash)))")
            let held = try view.rows("SELECT 1 FROM hub_blob WHERE hash = \(hash)").isEmpty == false
            if !held {
                let size = try Self.received(key, view: view)
                try view.execute(
                    "INSERT INTO hub_blob_chunk (hash, start_at, data) SELECT \(hash), start_at, data FROM hub_upload_chunk WHERE upload_key = \(key)")
                try view.execute("INSERT INTO hub_blob (hash, size) VALUES (\(hash), \(size))")
            }
            try view.execute("DELETE FROM hub_upload_chunk WHERE upload_key = \(key)")
            return ()
        }
    }

    public func discard(_ key: String) throws {
        _ = try transaction { view in try view.execute("DELETE FROM hub_upload_chunk WHERE upload_key = \(key)") }
    }

    public func read(_ hash: String, range: Range<Int64>) throws -> Data {
        try transaction { try Self.read("hub_blob_chunk", "hash", hash, range: range, view: $0) }
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

    public func delete(_ hash: String, unless named: () throws -> Bool) throws -> Bool {
        let aside = "deleting:" + hash
        // Set aside in one transaction, under the lock keep() takes for the hash.
        let setAside = try transaction { view -> Bool in
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(hash)))")
            guard try view.execute("UPDATE hub_blob SET hash = \(aside) WHERE hash = \(hash)") == 1 else { return false }
            try view.execute("UPDATE hub_blob_chunk SET hash = \(aside) WHERE hash = \(hash)")
            return true
        }
        guard setAside else { return false }
        let restore = try named()
        return try transaction { view -> Bool in
            _ = try view.rows("SELECT pg_advisory_xact_lock(hashtext(\(hash)))")
            let kept = try view.rows("SELECT 1 FROM hub_blob WHERE hash = \(hash)").isEmpty == false
            if restore && !kept {
                try view.execute("UPDATE hub_blob SET hash = \(hash) WHERE hash = \(aside)")
                try view.execute("UPDATE hub_blob_chunk SET hash = \(hash) WHERE hash = \(aside)")
            } else {
                try view.execute("DELETE FROM hub_blob_chunk WHERE hash = \(aside)")
                try view.execute("DELETE FROM hub_blob WHERE hash = \(aside)")
            }
            return !restore
        }
    }
}
