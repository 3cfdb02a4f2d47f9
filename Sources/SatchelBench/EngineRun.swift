import Foundation
import HubEngine
import HubPostgres
import HubStore
import ReplicaStore
import SyncCore

/// A wall clock the benchmark moves by hand: each rep's laptop reads the workload's `ts` at
/// the moment of each edit, so the hybrid clocks carry the workload's wall time.
final class SettableClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    init(_ now: Int64) { self.now = now }

    func set(_ value: Int64) {
        lock.lock()
        now = value
        lock.unlock()
    }

    var read: Replica.WallClock {
        { [self] in
            lock.lock()
            defer { lock.unlock() }
            return now
        }
    }
}

/// What one run of the standard phases measured (WORKLOAD.md, "Phases that are measured").
public struct EngineSample: Sendable {
    public var load = Timing.zero
    public var capture = Timing.zero
    public var merge = Timing.zero
    public var export = Timing.zero
    public var bootstrap = Timing.zero
    public var probe = Timing.zero
}

/// Sizes, identical in every run.
public struct EngineSizes: Sendable, Codable {
    public var uploadBytesRaw = 0
    public var uploadBytesZlib = 0
    public var medianBlobBytesRaw = 0
    public var snapshotBytesRaw = 0
    public var snapshotBytesZlib = 0
    /// The same pages in the first layout, `rows` (what a laptop older than the table layout gets).
    public var snapshotBytesZlibRowsLayout = 0
    public var snapshotPages = 0
    /// The workload's live rows as plain JSON (one object per row, the workload's fields), and
    /// zlib'd: what any system must at least ship.
    public var rawDataBytes = 0
    public var rawDataBytesZlib = 0
}

/// The correctness checks of WORKLOAD.md, as Satchel answers them.
public struct EngineChecks: Sendable, Codable {
    public var accounts = 0
    public var visits = 0
    public var stateDigest = ""
    public var sequentialDigest = ""
    public var digestMatches = false
    /// For each of the 5 replicas (reps 0, 12, 24, 37, 49) that pushed and then pulled: cells ≠ hub.
    public var replicaCellsDiffering: [Int] = []
    /// Hubs that merged the 50 uploads in other orders (own first, then a seeded shuffle):
    /// cells ≠ the hub that merged them in arrival order, outside the cells waiting for review…
    public var otherOrderCellsDiffering: [Int] = []
    /// … and among them (a queued cell's provisional value is the first to arrive).
    public var otherOrderQueuedCellsDiffering: [Int] = []
    public var bootstrapEqualsHub = false
    public var contestedCells = 0
    public var contestedCellsQueued = 0
    public var contestedCellsMerged = 0
    /// Of the merged contested cells, how many hold the value of the latest wall-clock edit.
    public var mergedWinnerIsLatestEdit = 0
    public var conflictsQueued = 0
    public var outcomes: [String: Int] = [:]
    public var pointRead = ""

    public var converged: Bool {
        !replicaCellsDiffering.isEmpty && replicaCellsDiffering.allSatisfy { $0 == 0 } && bootstrapEqualsHub
    }
}

/// Runs the workload through Satchel's own engine in this process: a hub on an on-disk WAL
/// SQLite file, one replica file per rep, changesets as they travel (JSON + zlib).
public struct EngineRun {
    public let workload: Workload
    public let directory: String
    /// Rows per bootstrap page (the client's default).
    public var pageSize = 2000

    public init(workload: Workload, directory: String) {
        self.workload = workload
        self.directory = directory
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Every replica id of a rep, fixed so that runs compare.
    static func replicaID(rep: Int) -> ReplicaID { ReplicaID(String(format: "bench-rep-%02d", rep)) }

    /// The records the hub starts from: every account placed in its territory.
    func baseRecords() -> [Hub.ImportRecord] {
        workload.accounts.enumerated().map { index, account in
            var values = account.values.mapValues(\.fieldValue)
            values["territory"] = .text(workload.territory(of: account))
            return Hub.ImportRecord(entity: "account", id: account.id, values: values, origin: "line \(index + 1)")
        }
    }

    /// A hub on disk holding the base accounts (timed as **load**).
    func loadHub(at file: String) throws -> (Hub, Timing) {
        try Timing.measure {
            let hub = try Hub.open(at: file, schema: WorkloadSchema.schema)
            try hub.importRecords(baseRecords())
            return hub
        }
    }

    /// The hub's full state as bootstrap pages, each JSON and gzip as the server sends it, in the
    /// layout a laptop asks for (``PageLayout/table``) unless told otherwise.
    func exportPages<S: HubStorage>(_ hub: HubService<S>, layout: PageLayout = .table) throws -> [Data] {
        var pages: [Data] = []
        var after: Int64 = 0
        var snapshot: Int64?
        while true {
            let page = try hub.bootstrapEncoded(snapshot: snapshot, after: after, limit: pageSize, for: nil, layout: layout)
            pages.append(try Compression.deflate(page.json, format: .gzip))
            guard page.hasMore else { break }
            snapshot = page.snapshot
            after = page.next
        }
        return pages
    }

    /// Turns exported pages into a replica at `file`.
    func bootstrap(_ pages: [Data], into file: String, replicaID: ReplicaID) throws -> Replica {
        let replica = try Replica.open(at: file, schema: WorkloadSchema.schema, replicaID: replicaID)
        for page in pages {
            let json = try Compression.inflate(page, limit: 256 << 20)
            try replica.apply(bootstrap: try WireJSON.decode(BootstrapResponse.self, from: json))
        }
        return replica
    }

    /// Rep `rep`'s replica, a copy of `base` at `file` whose clock reads the workload's times.
    func repReplica(_ rep: Int, from base: Replica, file: String) throws -> (Replica, SettableClock) {
        let clock = SettableClock(workload.ops[rep].first?.ts ?? 0)
        let replica = try base.clone(to: path(file), as: EngineRun.replicaID(rep: rep), clock: clock.read)
        try replica.setWriter(user: Workload.repName(rep), device: "laptop")
        return (replica, clock)
    }

    /// Performs one rep's operations, one transaction each, on its replica.
    static func perform(_ ops: [Workload.Op], on replica: Replica, clock: SettableClock) throws {
        for op in ops {
            clock.set(op.ts)
            switch op.kind {
            case .update:
                try replica.update("account", id: op.id, set: [op.field!: op.value!.fieldValue])
            case .insert:
                try replica.insert("visit", id: op.id, values: (op.row ?? [:]).mapValues(\.fieldValue))
            case .delete:
                try replica.delete("account", id: op.id)
            }
        }
    }

    /// The load and merge phases on PostgreSQL, in this process, on the empty database `url`
    /// names: the same base accounts, captures and pushes in arrival order as ``run(check:)``.
    /// Returns the two timings and the live accounts and visits after the merge.
    public func runOnPostgres(url: String) throws -> (load: Timing, merge: Timing, accounts: Int, visits: Int) {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let storage = try PostgresHubStorage.open(url: url, schema: WorkloadSchema.schema)
        defer { storage.close() }
        let (loaded, load) = try Timing.measure { () throws -> PostgresHub in
            let hub = try HubService(storage: storage, schema: WorkloadSchema.schema)
            try hub.importRecords(baseRecords())
            return hub
        }
        let base = try bootstrap(try exportPages(loaded), into: path("base.sqlite"), replicaID: ReplicaID("bench-base"))
        // As in `run`: the hub opened again counts all it held at load as sent to every laptop.
        let hub = try HubService(storage: storage, schema: WorkloadSchema.schema)
        var blobs: [Data] = []
        for rep in 0..<workload.reps {
            let (replica, clock) = try repReplica(rep, from: base, file: String(format: "pg-rep-%02d.sqlite", rep))
            try EngineRun.perform(workload.ops[rep], on: replica, clock: clock)
            blobs.append(try replica.pendingChangeset(limit: Int.max)?.compressedData() ?? Data())
        }
        let (_, merge) = try Timing.measure {
            for rep in workload.arrival where !blobs[rep].isEmpty {
                let changeset = try Changeset(compressedData: blobs[rep])
                _ = try hub.push(changeset, as: Writer(user: changeset.user, device: changeset.device, isPrivileged: false))
            }
        }
        return (load, merge, try hub.liveRows("account").count, try hub.liveRows("visit").count)
    }

    /// One run of every phase. With `check`, the correctness conditions are checked afterwards.
    public func run(check: Bool) throws -> (EngineSample, EngineSizes, EngineChecks?) {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var sample = EngineSample()
        var sizes = EngineSizes()

        // 1. load
        let (loaded, loadTiming) = try loadHub(at: path("hub.sqlite"))
        sample.load = loadTiming
        try loaded.backup(to: path("hub-base.sqlite"))

        // Not timed: the base replica every rep starts from, and one copy per rep.
        let basePages = try exportPages(loaded)
        let base = try bootstrap(basePages, into: path("base.sqlite"), replicaID: ReplicaID("bench-base"))
        var replicas: [Replica] = []
        var clocks: [SettableClock] = []
        for rep in 0..<workload.reps {
            let (replica, clock) = try repReplica(rep, from: base, file: String(format: "rep-%02d.sqlite", rep))
            replicas.append(replica)
            clocks.append(clock)
        }

        // The reps' replicas are copies of one bootstrap the hub never saw them take. Opened
        // again, as a server restarted after an import, the hub counts all it held at load as
        // sent to every laptop, so their contexts are believed as if each had bootstrapped.
        let hub = try Hub.open(at: path("hub.sqlite"), schema: WorkloadSchema.schema)

        // 2. capture: each rep's operations and the upload it produces.
        var blobs: [Data] = []
        var rawSizes: [Int] = []
        for rep in 0..<workload.reps {
            let (blob, timing) = try Timing.measure { () throws -> (Data, Int) in
                try EngineRun.perform(workload.ops[rep], on: replicas[rep], clock: clocks[rep])
                guard let changeset = try replicas[rep].pendingChangeset(limit: Int.max) else { return (Data(), 0) }
                // Encoded once: the upload is the zlib of this JSON (`Changeset.compressedData`).
                let json = try changeset.jsonData()
                return (try Compression.deflate(json, format: .zlib), json.count)
            }
            sample.capture = sample.capture + timing
            blobs.append(blob.0)
            rawSizes.append(blob.1)
        }
        sizes.uploadBytesZlib = blobs.reduce(0) { $0 + $1.count }
        sizes.uploadBytesRaw = rawSizes.reduce(0, +)
        sizes.medianBlobBytesRaw = Int(Spread(rawSizes.map(Double.init)).median)

        // 3. merge, in arrival order.
        var responses: [Int: PushResponse] = [:]
        let (_, mergeTiming) = try Timing.measure {
            for rep in workload.arrival {
                let changeset = try Changeset(compressedData: blobs[rep])
                responses[rep] = try hub.push(
                    changeset, as: Writer(user: changeset.user, device: changeset.device, isPrivileged: false))
            }
        }
        sample.merge = mergeTiming

        // 4. export, 5. bootstrap and point read.
        let (pages, exportTiming) = try Timing.measure { try exportPages(hub) }
        sample.export = exportTiming
        sizes.snapshotPages = pages.count
        sizes.snapshotBytesZlib = pages.reduce(0) { $0 + $1.count }
        sizes.snapshotBytesZlibRowsLayout = try exportPages(hub, layout: .rows).reduce(0) { $0 + $1.count }
        let (fresh, bootstrapTiming) = try Timing.measure { () throws -> (Replica, String) in
            let replica = try bootstrap(pages, into: path("fresh.sqlite"), replicaID: ReplicaID("bench-fresh"))
            let phone = try replica.row("account", id: workload.accounts[0].id)?["phone"]?.textValue ?? ""
            return (replica, phone)
        }
        sample.bootstrap = bootstrapTiming

        // 6. probe: one edit and its upload on a replica just opened from the base.
        let probeClock = SettableClock(Replica.systemClock())
        let probeReplica = try base.clone(to: path("probe.sqlite"), as: ReplicaID("bench-probe"), clock: probeClock.read)
        let (_, probeTiming) = try Timing.measure {
            try probeReplica.update("account", id: workload.accounts[0].id, set: ["phone": .text("+1-200-555-0000")])
            _ = try probeReplica.pendingChangeset()?.compressedData()
        }
        sample.probe = probeTiming

        let hubState = try EngineRun.state(of: pages)
        let rawJSON = try EngineRun.rawRows(hubState)
        sizes.snapshotBytesRaw = try pages.reduce(0) { $0 + (try Compression.inflate($1, limit: 256 << 20)).count }
        sizes.rawDataBytes = rawJSON.count
        sizes.rawDataBytesZlib = try Compression.deflate(rawJSON, format: .zlib).count

        guard check else { return (sample, sizes, nil) }
        var checks = EngineChecks()
        checks.pointRead = fresh.1
        checks.accounts = hubState.accounts.count
        checks.visits = hubState.visits.count
        checks.bootstrapEqualsHub = try EngineRun.state(of: fresh.0) == hubState
        let contested = workload.conflictedCells
        checks.contestedCells = contested.count
        checks.stateDigest = hubState.digest(outside: Set(contested.keys))
        for response in responses.values {
            for answer in response.outcomes { checks.outcomes[answer.outcome.kind, default: 0] += 1 }
        }

        // Which contested cells wait in the queue, and who won the others.
        checks.conflictsQueued = try hub.conflicts().count
        let queuedCells = try EngineRun.queuedCells(hub)
        for (cell, writes) in contested {
            if queuedCells.contains(cell) {
                checks.contestedCellsQueued += 1
            } else {
                checks.contestedCellsMerged += 1
                let latest = writes.values.max { ($0.ts, $0.rep) < ($1.ts, $1.rep) }
                if hubState.accounts[cell.account]?[cell.field] == latest?.value { checks.mergedWinnerIsLatestEdit += 1 }
            }
        }

        // Convergence: five reps acknowledge their push and pull everything since their base.
        for rep in [0, 12, 24, 37, 49] where rep < workload.reps {
            if let response = responses[rep] { try replicas[rep].acknowledge(response) }
            var cursor = try replicas[rep].identity().pullCursor
            while true {
                let page = try hub.pull(since: cursor, limit: 1000, for: try replicas[rep].identity().replicaID)
                try replicas[rep].apply(page)
                cursor = page.cursor
                if !page.hasMore { break }
            }
            checks.replicaCellsDiffering.append(try EngineRun.state(of: replicas[rep]).cellsDiffering(from: hubState))
        }

        // Order independence: the same uploads merged into fresh hubs in other orders.
        var generator = SplitMix(seed: 42)
        for rep in [0, 12, 24, 37, 49] where rep < workload.reps {
            let file = path("hub-order-\(rep).sqlite")
            try FileManager.default.copyItem(atPath: path("hub-base.sqlite"), toPath: file)
            let other = try Hub.open(at: file, schema: WorkloadSchema.schema)
            var order = workload.arrival.filter { $0 != rep }
            order.shuffle(using: &generator)
            for next in [rep] + order {
                let changeset = try Changeset(compressedData: blobs[next])
                _ = try other.push(changeset, as: Writer(user: changeset.user, device: changeset.device, isPrivileged: false))
            }
            // A cell waiting for review holds a provisional value (the one the hub had when the
            // disagreement arrived) until an admin decides; which one that is depends on arrival.
            let pending = queuedCells.union(try EngineRun.queuedCells(other))
            let differing = try EngineRun.state(of: try exportPages(other)).differingCells(from: hubState)
            checks.otherOrderCellsDiffering.append(differing.filter { !pending.contains($0) }.count)
            checks.otherOrderQueuedCellsDiffering.append(differing.filter { pending.contains($0) }.count)
        }

        // The plain sequential result outside the contested cells: raw SQLite in arrival order.
        let raw = try RawSQLite(workload: workload, file: path("raw-check.sqlite"))
        try raw.load()
        try raw.applyAll()
        checks.sequentialDigest = try raw.state().digest(outside: Set(contested.keys))
        checks.digestMatches = checks.stateDigest == checks.sequentialDigest
            && (!workload.isStandard || checks.stateDigest == Workload.standardStateDigest)
        return (sample, sizes, checks)
    }

    // MARK: - States

    /// The cells with an open conflict in the hub's queue.
    static func queuedCells(_ hub: Hub) throws -> Set<Workload.Cell> {
        Set(try hub.conflicts().compactMap { item in
            item.conflict.field.map { Workload.Cell(account: item.conflict.rowID, field: $0) }
        })
    }

    static func state(of pages: [Data]) throws -> WorkloadState {
        var state = WorkloadState()
        for page in pages {
            let response = try WireJSON.decode(
                BootstrapResponse.self, from: try Compression.inflate(page, limit: 256 << 20))
            for row in response.rows where !row.deleted { state.add(entity: row.entity, id: row.id, values: row.values) }
        }
        return state
    }

    static func state(of replica: Replica) throws -> WorkloadState {
        var state = WorkloadState()
        for entity in ["account", "visit"] {
            for row in try replica.rows(entity) { state.add(entity: entity, id: row.id, values: row.values) }
        }
        return state
    }

    /// The live rows as plain JSON lines with the workload's fields only.
    static func rawRows(_ state: WorkloadState) throws -> Data {
        var out = Data()
        for (table, rows) in [("accounts", state.accounts), ("visits", state.visits)] {
            for id in rows.keys.sorted() {
                var object: [String: Any] = ["id": id, "table": table]
                for (field, value) in rows[id]! {
                    switch value {
                    case let .integer(number): object[field] = number
                    case let .text(text): object[field] = text
                    }
                }
                out.append(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
                out.append(UInt8(ascii: "\n"))
            }
        }
        return out
    }
}

extension WorkloadState {
    /// Adds a row with the workload's fields (Satchel's own bookkeeping fields left out).
    mutating func add(entity: String, id: String, values: [String: FieldValue]) {
        let fields = entity == "account" ? WorkloadSchema.accountFields : WorkloadSchema.visitFields
        var row: [String: Workload.Value] = [:]
        for field in fields {
            if let value = values[field].flatMap(Workload.Value.init) { row[field] = value }
        }
        if entity == "account" { accounts[id] = row } else { visits[id] = row }
    }
}

/// A small seeded generator (SplitMix64), so shuffles repeat from run to run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
