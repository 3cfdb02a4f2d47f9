import ArgumentParser
import Foundation
import HubPostgres
import HubStore
import SatchelModel
import SyncServer

extension SatchelServer {
    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy the SQLite store in --data into an empty PostgreSQL database (--database), verified equal.",
            discussion: """
                Stop the server on --data first (copy refuses while it runs), copy, then start the servers on \
                --database. Every laptop keeps its credential and its place in the feed: nobody enrolls again. \
                The copy is one transaction, committed only when it reads back equal to the SQLite store; \
                attachments' files are copied before it, each checked against its SHA-256.
                """)

        @OptionGroup var data: DataOptions

        func run() throws {
            guard let url = data.databaseURL else {
                throw CommandError("copy needs the PostgreSQL database to copy into: --database URL or SATCHEL_DATABASE_URL")
            }
            let file = (data.data as NSString).appendingPathComponent(SQLiteServerStore.fileName)
            guard FileManager.default.fileExists(atPath: file) else {
                throw CommandError("there is no SQLite store in \(data.data) (no \(SQLiteServerStore.fileName)); name it with --data")
            }
            // A server still serving the directory would go on taking pushes the copy misses.
            try SQLiteServerStore.lockForServing(directory: data.data)
            let source = try SQLiteServerStore.open(directory: data.data)
            let tables = try source.storage.exportTables()
            let target = try PostgresHubStorage.open(url: url, schema: CRMSchema.schema)
            defer { target.close() }
            // Attachments' files first: a failed copy of the records then leaves only files no
            // record names, and copying again skips them.
            let files = try target.blobs.copyBlobs(from: source.storage.blobs)
            let counts = try target.importTables(tables)
            print("Copied \(data.data) into \(target.location), verified equal:")
            for (table, rows) in counts { print("  \(table): \(rows) row\(rows == 1 ? "" : "s")") }
            print("  attachment files: \(files.blobs) (\(files.bytes) bytes), each checked against its SHA-256")
            print("Start the servers with --database (or SATCHEL_DATABASE_URL); stop using \(data.data).")
        }
    }
}
