import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import HubPostgres
import HubStore
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore
import SyncServer

/// The workload through the real HTTP server on loopback: `satchel-bench serve` (the server
/// library over the workload's schema) as a child process, and laptops using SyncClient.
public struct WireRun {
    public let workload: Workload
    public let directory: String
    /// This executable, started again as `serve` for the server process.
    public let executable: String

    public init(workload: Workload, directory: String, executable: String) {
        self.workload = workload
        self.directory = directory
        self.executable = executable
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    struct Device {
        var user: String
        var replicaID: ReplicaID
        var credential: String
    }

    struct Prepared {
        var admin: Device
        var reps: [Device]
        var loadClients: [Device]
        var basePages: [Data]
    }

    /// The server's store: the base accounts, an admin, the reps and the load users, each with
    /// one enrolled device (the enrollment the server would do, done in place). In the data
    /// directory's SQLite store, or in the PostgreSQL database `database` names.
    func prepare(loadClients: Int, database: String? = nil) throws -> Prepared {
        if let database {
            let hub = try PostgresServerStore.open(url: database, schema: WorkloadSchema.schema)
            defer { hub.storage.close() }
            return try prepare(hub, loadClients: loadClients)
        }
        return try prepare(try SQLiteServerStore.open(directory: path("server"), schema: WorkloadSchema.schema), loadClients: loadClients)
    }

    func prepare<S: HubStorage>(_ hub: HubService<S>, loadClients: Int) throws -> Prepared {
        let engine = EngineRun(workload: workload, directory: directory)
        try hub.importRecords(engine.baseRecords())
        func enroll(_ user: UserInfo, replica: String) throws -> Device {
            let token = Tokens.generate(prefix: "enr")
            let credential = Tokens.generate(prefix: "dev")
            try hub.addUser(user, enrollmentHash: Tokens.hash(token))
            _ = try hub.enroll(
                enrollmentHash: Tokens.hash(token), device: "laptop", credentialHash: Tokens.hash(credential),
                replicaID: ReplicaID(replica))
            return Device(user: user.name, replicaID: ReplicaID(replica), credential: credential)
        }
        let admin = try enroll(UserInfo(name: "bench-admin", role: .admin), replica: "bench-admin-laptop")
        var reps: [Device] = []
        for rep in 0..<workload.reps {
            let name = Workload.repName(rep)
            reps.append(
                try enroll(
                    UserInfo(name: name, role: .rep, territories: [name, "key-accounts"]),
                    replica: EngineRun.replicaID(rep: rep).rawValue))
        }
        var load: [Device] = []
        for index in 0..<loadClients {
            let name = String(format: "load-%04d", index)
            load.append(
                try enroll(
                    UserInfo(name: name, role: .rep, territories: [Workload.repName(index % max(1, workload.reps))]),
                    replica: "bench-" + name))
        }
        let pages = try engine.exportPages(hub)
        return Prepared(admin: admin, reps: reps, loadClients: load, basePages: pages)
    }

    /// Writes out the kernel's dirty pages before a timed phase, so that the writeback of what
    /// earlier phases wrote (hundreds of megabytes of scratch databases) does not land among the
    /// phase's own fsyncs. A server in use has no such backlog of someone else's writes.
    static func quietDisk() {
        sync()
    }

    /// One server on the data directory, or two on the PostgreSQL database.
    func startServers(database: String? = nil) throws -> [ServerChild] {
        guard let database else {
            return [try ServerChild(executable: executable, arguments: ["serve", "--data", path("server"), "--port", "0"])]
        }
        return try (0..<2).map { _ in
            try ServerChild(executable: executable, arguments: ["serve", "--database", database, "--port", "0"])
        }
    }

    // MARK: - Merge and bootstrap through the wire

    public struct WireSample: Sendable {
        public var merge: Timing
        /// One fresh replica's bootstrap per run.
        public var bootstraps: [Timing]
        public var pushed = 0
        public var rejected = 0
        public var bootstrapRows = 0
        public var pointRead = ""
    }

    /// The reps' uploads pushed by SyncClient in arrival order, then a fresh replica bootstrapped
    /// over HTTP, `bootstrapRuns` times (a new replica file each time). Capture happens first and
    /// is not timed here (it is the in-process figure). With several servers, rep i pushes
    /// through server i mod n, and bootstrap run k goes to server k mod n.
    func mergeAndBootstrap(_ prepared: Prepared, servers: [ServerChild], bootstrapRuns: Int) async throws -> WireSample {
        let engine = EngineRun(workload: workload, directory: directory)
        let base = try engine.bootstrap(prepared.basePages, into: path("base.sqlite"), replicaID: ReplicaID("bench-base"))
        var clients: [SyncClient] = []
        for (rep, device) in prepared.reps.enumerated() {
            let clock = SettableClock(workload.ops[rep].first?.ts ?? 0)
            let replica = try base.clone(
                to: path(String(format: "wire-rep-%02d.sqlite", rep)), as: device.replicaID, clock: clock.read)
            try replica.setWriter(user: device.user, device: "laptop")
            try EngineRun.perform(workload.ops[rep], on: replica, clock: clock)
            clients.append(
                SyncClient(
                    replica: replica,
                    configuration: .init(
                        server: servers[rep % servers.count].url, credential: device.credential, pushBatch: 5000)))
        }
        var pushed = 0
        var rejected = 0
        Self.quietDisk()
        let (_, merge) = try await Timing.measure {
            for rep in workload.arrival {
                let summary = try await clients[rep].push()
                pushed += summary.pushed
                rejected += summary.rejected
            }
        }
        var sample = WireSample(merge: merge, bootstraps: [], pushed: pushed, rejected: rejected)
        for run in 0..<max(1, bootstrapRuns) {
            let fresh = try Replica.open(
                at: path("wire-fresh-\(run).sqlite"), schema: WorkloadSchema.schema, replicaID: prepared.admin.replicaID)
            let admin = SyncClient(
                replica: fresh,
                configuration: .init(server: servers[run % servers.count].url, credential: prepared.admin.credential))
            Self.quietDisk()
            let ((rows, phone), bootstrap) = try await Timing.measure { () async throws -> (Int, String) in
                let rows = try await admin.bootstrap()
                return (rows, try fresh.row("account", id: workload.accounts[0].id)?["phone"]?.textValue ?? "")
            }
            sample.bootstraps.append(bootstrap)
            sample.bootstrapRows = rows
            sample.pointRead = phone
        }
        return sample
    }

    // MARK: - Load

    public struct LoadResult: Sendable {
        public var clients: Int
        public var rounds: Int
        public var pushMS: [Double]
        public var pullMS: [Double]
        public var errors: Int
        public var firstError: String?
        public var wallMS: Double
        public var serverPeakRSSMiB: Double?
    }

    /// `clients` laptops at once, each `rounds` times: push a small changeset (one visit on an
    /// account of its territory), then pull what changed since its cursor. Each laptop starts
    /// as if just bootstrapped (its cursor at the feed's end) at a random moment within the first
    /// `interval`, and waits a random 0.5–1.5 × `interval` between syncs; an interval of zero is
    /// the saturation test: every laptop syncs again the moment its last sync ends. With several
    /// servers, laptop i talks to server i mod n.
    func load(_ prepared: Prepared, servers: [ServerChild], rounds: Int, interval: Duration) async throws -> LoadResult {
        let transports = servers.map {
            HTTPTransport(baseURL: $0.url, timeout: 120, maximumConnections: prepared.loadClients.count / servers.count + 8)
        }
        let head = try await transports[0].send(
            TransportRequest(
                method: "GET", path: "/v1/sync/bootstrap?limit=1",
                headers: ["Authorization": "Bearer \(prepared.admin.credential)"]))
        let feedEnd = try WireJSON.decoder.decode(
            BootstrapResponse.self,
            from: head.body.starts(with: [0x1F, 0x8B]) ? try Compression.inflate(head.body, limit: 1 << 20) : head.body
        ).snapshot
        let byTerritory = Dictionary(grouping: workload.accounts.filter { workload.territory(of: $0) != "key-accounts" }) {
            workload.territory(of: $0)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let results = await withTaskGroup(of: ([Double], [Double], Int, String?).self) { group in
            for (index, device) in prepared.loadClients.enumerated() {
                let accounts = byTerritory[Workload.repName(index % max(1, workload.reps))]?.map(\.id) ?? []
                group.addTask {
                    await WireRun.loadClient(
                        device: device, accounts: accounts, rounds: rounds, interval: interval, cursor: feedEnd,
                        transport: transports[index % transports.count])
                }
            }
            var all: [([Double], [Double], Int, String?)] = []
            for await result in group { all.append(result) }
            return all
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        return LoadResult(
            clients: prepared.loadClients.count, rounds: rounds, pushMS: results.flatMap(\.0), pullMS: results.flatMap(\.1),
            errors: results.reduce(0) { $0 + $1.2 }, firstError: results.compactMap(\.3).first, wallMS: wall,
            serverPeakRSSMiB: servers.compactMap { peakRSSMiB(pid: $0.pid) }.max())
    }

    static func loadClient(
        device: Device, accounts: [String], rounds: Int, interval: Duration, cursor start: Int64,
        transport: HTTPTransport
    ) async -> ([Double], [Double], Int, String?) {
        var pushes: [Double] = []
        var pulls: [Double] = []
        var errors = 0
        var firstError: String?
        var cursor = start
        let auth = ["Authorization": "Bearer \(device.credential)", "Accept-Encoding": "gzip"]
        if interval > .zero { try? await Task.sleep(for: interval * Double.random(in: 0..<1)) }
        for round in 0..<rounds {
            if round > 0, interval > .zero { try? await Task.sleep(for: interval * Double.random(in: 0.5..<1.5)) }
            let now = Replica.systemClock()
            let id = "\(device.user)-visit-\(round)"
            let change = Change(
                dot: Dot(replica: device.replicaID, counter: UInt64(round + 1)), hlc: HLCTimestamp(milliseconds: now),
                wallTime: now, entity: "visit", rowID: id, context: VersionVector(),
                operation: .insert([
                    "account_id": .text(accounts.isEmpty ? "" : accounts[round % accounts.count]), "rep": .text(device.user),
                    "ts": .integer(now), "kind": .text("call"), "outcome": .text("positive"),
                    "notes": .text("load round \(round) from \(device.user)"),
                ]))
            let changeset = Changeset(
                replica: device.replicaID, user: device.user, device: "laptop", schemaVersion: WorkloadSchema.version,
                changes: [change])
            do {
                let body = try changeset.jsonData()
                var headers = auth
                headers["Content-Type"] = "application/json"
                let started = DispatchTime.now().uptimeNanoseconds
                let response = try await transport.send(
                    TransportRequest(method: "POST", path: "/v1/sync/push", headers: headers, body: body))
                pushes.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
                if response.status != 200 {
                    errors += 1
                    firstError = firstError ?? "push answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
                }
                let pullStarted = DispatchTime.now().uptimeNanoseconds
                let pulled = try await transport.send(
                    TransportRequest(method: "GET", path: "/v1/sync/pull?since=\(cursor)&limit=500", headers: auth))
                pulls.append(Double(DispatchTime.now().uptimeNanoseconds - pullStarted) / 1e6)
                if pulled.status == 200 {
                    let json = pulled.body.starts(with: [0x1F, 0x8B])
                        ? try Compression.inflate(pulled.body, limit: 64 << 20) : pulled.body
                    cursor = try WireJSON.decode(PullResponse.self, from: json).cursor
                } else {
                    errors += 1
                    firstError = firstError ?? "pull answered \(pulled.status)"
                }
            } catch {
                errors += 1
                firstError = firstError ?? "\(error)"
            }
        }
        return (pushes, pulls, errors, firstError)
    }
}
