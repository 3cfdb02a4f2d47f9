import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The folder of this laptop's replica (default: $SATCHEL_HOME or ~/.satchel).")
    var home: String?

    @Flag(name: .long, help: "Print exactly one JSON document on standard output.")
    var json = false

    /// The replica folder: --home, then SATCHEL_HOME, then ~/.satchel.
    var directory: String {
        if let home, !home.isEmpty { return (home as NSString).expandingTildeInPath }
        if let env = ProcessInfo.processInfo.environment["SATCHEL_HOME"], !env.isEmpty {
            return (env as NSString).expandingTildeInPath
        }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".satchel")
    }

    var replicaPath: String { (directory as NSString).appendingPathComponent("replica.sqlite") }
    var credentialsPath: String { (directory as NSString).appendingPathComponent("credentials.json") }

    /// Opens this laptop's replica, or explains how to get one.
    func openReplica() throws -> Replica {
        guard FileManager.default.fileExists(atPath: replicaPath) else {
            throw CLIError("no replica in \(directory); run 'satchel login --server URL --token TOKEN' first")
        }
        let replica = try Replica.open(at: replicaPath, schema: CRMSchema.schema, concurrentReads: false)
        Records.known = replica.schema
        return replica
    }

    func credentials() throws -> Credentials {
        guard let data = FileManager.default.contents(atPath: credentialsPath) else {
            throw CLIError("this laptop is not enrolled (no \(credentialsPath)); run 'satchel login --server URL --token TOKEN'")
        }
        do {
            return try JSONDecoder().decode(Credentials.self, from: data)
        } catch {
            throw CLIError(
                "\(credentialsPath) is damaged; move \(directory) aside (it still holds your unsynced changes) "
                    + "and run 'satchel login' again")
        }
    }

    /// A sync client for this laptop's replica and server.
    func client() throws -> SyncClient {
        let credentials = try credentials()
        guard let url = URL(string: credentials.server) else { throw CLIError("the saved server address is not a URL") }
        // SATCHEL_PAGE_SIZE sets the rows per page of pulls and bootstrap alike (defaults 500 and
        // 2000), for slow links and for tests.
        let override = ProcessInfo.processInfo.environment["SATCHEL_PAGE_SIZE"].flatMap(Int.init).map { min(max($0, 1), 2000) }
        // SATCHEL_CHUNK_KB sets the bytes per attachment upload chunk (default 1024 KiB; a
        // download range is four chunks): smaller on a link that drops often.
        let chunk = ProcessInfo.processInfo.environment["SATCHEL_CHUNK_KB"].flatMap(Int.init).map { min(max($0, 16), 8192) * 1024 }
        let ca = credentials.ca.map { $0.hasPrefix("/") ? $0 : (directory as NSString).appendingPathComponent($0) }
        let transport = try SyncClient.transport(
            for: url, certificateAuthority: ca, allowsInsecureHTTP: credentials.insecureHTTP == true)
        return SyncClient(
            replica: try openReplica(),
            configuration: .init(
                server: url, credential: credentials.credential, pageSize: override ?? 500,
                bootstrapPageSize: override ?? 2000, attachmentChunkBytes: chunk ?? 1 << 20),
            transport: transport)
    }
}

/// `--limit N` of every list command.
struct LimitOption: ParsableArguments {
    @Option(help: "At most this many (every match when left out).") var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }
}

/// What `satchel login` keeps (mode 0600): the server, the device credential and who we are.
struct Credentials: Codable {
    var server: String
    var credential: String
    var replica: String
    var user: String
    var role: String
    var device: String
    /// The CA certificate trusted for the server, if any: a file name in the replica folder.
    var ca: String?
    static let caFileName = "ca.pem"
    /// Plain HTTP to another machine was explicitly allowed at login (`--insecure-http`).
    var insecureHTTP: Bool?

    func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(path); check the folder's permissions")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}

/// A failure the user can fix, said in one sentence.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
