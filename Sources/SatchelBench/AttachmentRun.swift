import Foundation
import HubPostgres
import HubStore
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore
import SyncServer

/// Attachments' bytes through a real server on loopback: one rep attaches `files` files of
/// `bytesPerFile` random bytes (so none is shared) to an account and uploads them; a teammate
/// downloads them all. Each direction is timed around the transfer alone (the records are
/// pushed and pulled first).
public struct AttachmentRun {
    public let executable: String
    public let directory: String
    public let files: Int
    public let bytesPerFile: Int
    /// A PostgreSQL database instead of the data directory's SQLite store (blobs in its tables).
    public let database: String?

    public init(executable: String, directory: String, files: Int, bytesPerFile: Int, database: String? = nil) {
        self.executable = executable
        self.directory = directory
        self.files = files
        self.bytesPerFile = bytesPerFile
        self.database = database
    }

    public struct Result: Sendable, Codable {
        public var files: Int
        public var bytesPerFile: Int
        public var storage: String
        public var upload: Timing
        public var download: Timing
        /// The server's blobs after both transfers (each file once).
        public var blobs: Int
        public var blobBytes: Int64

        public var uploadMBps: Double { Double(files * bytesPerFile) / 1e6 / (upload.wallMS / 1000) }
        public var downloadMBps: Double { Double(files * bytesPerFile) / 1e6 / (download.wallMS / 1000) }
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Users and devices made in place, as the server would on enrollment; returns the credentials.
    func prepare<S: HubStorage>(_ hub: HubService<S>) throws -> [String: (replica: ReplicaID, credential: String)] {
        var devices: [String: (ReplicaID, String)] = [:]
        for (name, role) in [("bench-admin", Role.admin), ("ana", .rep), ("ben", .rep)] {
            let token = Tokens.generate(prefix: "enr")
            let credential = Tokens.generate(prefix: "dev")
            try hub.addUser(
                UserInfo(name: name, role: role, territories: role == .admin ? [] : ["north"]), enrollmentHash: Tokens.hash(token))
            let replica = ReplicaID("bench-\(name)")
            _ = try hub.enroll(
                enrollmentHash: Tokens.hash(token), device: "laptop", credentialHash: Tokens.hash(credential), replicaID: replica)
            devices[name] = (replica, credential)
        }
        return devices
    }

    public func run(log: (String) -> Void) async throws -> Result {
        let devices: [String: (replica: ReplicaID, credential: String)]
        if let database {
            let hub = try PostgresServerStore.open(url: database, schema: CRMSchema.schema)
            defer { hub.storage.close() }
            devices = try prepare(hub)
        } else {
            devices = try prepare(try SQLiteServerStore.open(directory: path("server"), schema: CRMSchema.schema))
        }
        let server = try ServerChild(
            executable: executable,
            arguments: ["serve", "--schema", "crm", "--port", "0"]
                + (database.map { ["--database", $0] } ?? ["--data", path("server")]))
        defer { server.stop() }
        func laptop(_ name: String) throws -> SyncClient {
            let device = devices[name]!
            let replica = try Replica.open(at: path("\(name)/replica.sqlite"), schema: CRMSchema.schema, replicaID: device.replica)
            try replica.setWriter(user: name, device: "laptop", isPrivileged: name == "bench-admin")
            return SyncClient(replica: replica, configuration: .init(server: server.url, credential: device.credential))
        }
        let admin = try laptop("bench-admin")
        let account = try admin.replica.insert("account", values: ["name": .text("Bench Photos Ltd"), "territory": .text("north")])
        _ = try await admin.sync()
        let ana = try laptop("ana")
        let ben = try laptop("ben")
        _ = try await ana.sync()

        log("attaching \(files) files of \(bytesPerFile) bytes")
        try FileManager.default.createDirectory(atPath: path("files"), withIntermediateDirectories: true)
        // Random words from a seeded xorshift (a system call per byte would dwarf the transfer).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in 0..<files {
            var bytes = Data([0xFF, 0xD8, 0xFF, 0xE0])
            var words = [UInt64](repeating: 0, count: (bytesPerFile - 4 + 7) / 8)
            for word in words.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[word] = state
            }
            words.withUnsafeBytes { bytes.append(contentsOf: $0.prefix(bytesPerFile - 4)) }
            let file = path("files/photo-\(index).jpg")
            try bytes.write(to: URL(fileURLWithPath: file))
            try ana.replica.attach(file: file, to: "account", id: account)
        }
        _ = try await ana.push()
        log("uploading")
        let (sent, upload) = try await Timing.measure { try await ana.uploadPending() }
        guard sent.uploaded == files, sent.uploadedBytes == Int64(files * bytesPerFile) else {
            throw BenchError("the upload sent \(sent.uploaded) files and \(sent.uploadedBytes) bytes, not \(files) and \(files * bytesPerFile)")
        }
        _ = try await ben.sync()
        log("downloading")
        let (fetched, download) = try await Timing.measure { try await ben.downloadAttachments(maxBytes: .max) }
        guard fetched.downloaded == files else { throw BenchError("the download fetched \(fetched.downloaded) files, not \(files)") }

        let stats: BlobStats
        if let database {
            let hub = try PostgresServerStore.open(url: database, schema: CRMSchema.schema)
            defer { hub.storage.close() }
            stats = try hub.blobStats()
        } else {
            stats = try SQLiteServerStore.open(directory: path("server"), schema: CRMSchema.schema).blobStats()
        }
        return Result(
            files: files, bytesPerFile: bytesPerFile, storage: database == nil ? "SQLite (files)" : "PostgreSQL (bytea chunks)",
            upload: upload, download: download, blobs: stats.blobs, blobBytes: stats.bytes)
    }
}
