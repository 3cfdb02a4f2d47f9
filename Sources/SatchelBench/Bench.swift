import Foundation
import HubPostgres
import Logging
import SyncCore
import SyncServer

/// The benchmark's phases, run in order and collected into one report.
public enum Bench {
    /// The standard phases in this process, `runs` times, plus the raw SQLite ceiling in each
    /// run, then the correctness checks once (on the last run's data).
    public static func engine(
        workload: Workload, runs: Int, scratch: String, into report: inout BenchReport, log: (String) -> Void
    ) throws {
        var samples: [EngineSample] = []
        var raws: [RawSample] = []
        var sizes = EngineSizes()
        var checks: EngineChecks?
        for index in 0..<runs {
            let last = index == runs - 1
            log("run \(index + 1)/\(runs): engine phases\(last ? " and correctness checks" : "")")
            let engine = EngineRun(workload: workload, directory: (scratch as NSString).appendingPathComponent("engine"))
            let (sample, runSizes, runChecks) = try engine.run(check: last)
            samples.append(sample)
            sizes = runSizes
            if let runChecks { checks = runChecks }
            log("run \(index + 1)/\(runs): raw SQLite ceiling")
            raws.append(try RawSQLite.run(workload: workload, file: (scratch as NSString).appendingPathComponent("raw.sqlite")))
        }
        report.phase("load (base accounts)", samples.map(\.load))
        report.phase("capture (all reps, sum)", samples.map(\.capture))
        report.phase("merge (all uploads)", samples.map(\.merge))
        report.phase("export (hub state)", samples.map(\.export))
        report.phase("bootstrap + point read", samples.map(\.bootstrap))
        report.phase("probe (1 edit + upload)", samples.map(\.probe))
        report.phase("raw SQLite load", raws.map(\.load))
        report.phase("raw SQLite upserts (one txn)", raws.map(\.apply))

        let operations = Double(workload.opCount)
        let mergeCPU = Spread(samples.map(\.merge.cpuMS)).median
        let rawCPU = Spread(raws.map(\.apply.cpuMS)).median
        let mergeWall = Spread(samples.map(\.merge.wallMS)).median
        let rawWall = Spread(raws.map(\.apply.wallMS)).median
        let mergeRate = operations / mergeCPU * 1000
        let rawRate = operations / rawCPU * 1000
        report.figure("merge_ops_per_s", rounded(mergeRate), "merge, ops/s (CPU time, median)")
        report.figure("raw_sqlite_ops_per_s", rounded(rawRate), "raw SQLite ceiling, ops/s (CPU time, median)")
        report.figure("merge_to_raw_ratio", rounded(mergeRate / rawRate, 3), "merge / raw ratio (CPU; target ≥ 0.3, goal 0.5)")
        report.figure("merge_ops_per_s_wall", rounded(operations / mergeWall * 1000), "merge, ops/s (wall time, median)")
        report.figure(
            "raw_sqlite_ops_per_s_wall", rounded(operations / rawWall * 1000), "raw SQLite ceiling, ops/s (wall time, median)")
        report.figure(
            "merge_to_raw_ratio_wall", rounded((operations / mergeWall) / (operations / rawWall), 3), "merge / raw ratio (wall)")
        report.figure(
            "bootstrap_in_process_ms", rounded(Spread(samples.map(\.bootstrap.wallMS)).median, 1),
            "bootstrap + point read, in process, ms (wall, median)")
        report.figure(
            "capture_ms", rounded(Spread(samples.map(\.capture.cpuMS)).median, 1), "capture, all reps, ms (CPU, median)")
        report.figure("upload_bytes_raw", sizes.uploadBytesRaw, "uploads, bytes raw (JSON)")
        report.figure("upload_bytes_zlib", sizes.uploadBytesZlib, "uploads, bytes zlib (as sent)")
        report.figure("blob_bytes_raw_median", sizes.medianBlobBytesRaw, "one rep's upload, bytes raw (median)")
        report.figure("snapshot_bytes_raw", sizes.snapshotBytesRaw, "hub state for bootstrap, bytes raw (\(sizes.snapshotPages) pages)")
        report.figure(
            "snapshot_bytes_zlib", sizes.snapshotBytesZlib, "hub state for bootstrap, bytes gzip (as sent, table layout)")
        report.figure(
            "snapshot_bytes_zlib_rows_layout", sizes.snapshotBytesZlibRowsLayout,
            "… the same pages in the rows layout (older laptops)")
        report.figure("raw_data_bytes_zlib", sizes.rawDataBytesZlib, "the live rows as plain JSON lines, bytes zlib")
        report.figure(
            "snapshot_to_raw_zlib_ratio", rounded(Double(sizes.snapshotBytesZlib) / Double(max(1, sizes.rawDataBytesZlib)), 3),
            "snapshot / zlib'd raw data (target ≤ 1.2)")
        guard let checks else { return }
        report.figure("accounts_after_merge", checks.accounts, "accounts after merge (expected \(workload.expectedAccounts))")
        report.figure("visits_after_merge", checks.visits, "visits after merge (expected \(workload.expectedVisits))")
        report.figure("counts_match", checks.accounts == workload.expectedAccounts && checks.visits == workload.expectedVisits,
            "counts match the ground truth")
        report.figure("state_digest", checks.stateDigest, "state digest outside the contested cells")
        report.figure("sequential_digest", checks.sequentialDigest, "… of the plain sequential result (raw SQLite)")
        report.figure("digest_matches", checks.digestMatches, "digests match")
        report.figure("replica_cells_differing", checks.replicaCellsDiffering, "5 replicas after push + pull: cells ≠ hub")
        report.figure(
            "other_order_cells_differing", checks.otherOrderCellsDiffering,
            "5 hubs merging in other orders: settled cells ≠ hub")
        report.figure(
            "other_order_queued_cells_differing", checks.otherOrderQueuedCellsDiffering,
            "… queued cells whose provisional value differs")
        report.figure("bootstrap_equals_hub", checks.bootstrapEqualsHub, "bootstrapped replica equals hub")
        report.figure("converged", checks.converged, "converged")
        report.figure("contested_cells", checks.contestedCells, "contested cells (expected \(workload.expectedConflictedCells))")
        report.figure("contested_cells_merged", checks.contestedCellsMerged, "… settled by their field's rule")
        report.figure("contested_cells_queued", checks.contestedCellsQueued, "… queued for review")
        report.figure(
            "merged_winner_is_latest_edit", checks.mergedWinnerIsLatestEdit,
            "… of the settled, holding the latest wall-clock edit")
        report.figure("conflicts_queued", checks.conflictsQueued, "conflicts in the queue after merge")
        report.figure("outcomes", checks.outcomes, "outcomes of the pushed changes")
        report.figure("point_read", checks.pointRead, "point read: phone of \(workload.accounts.first?.id ?? "")")
    }

    static func rounded(_ value: Double, _ places: Int = 0) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}

extension Bench {
    public static func sqliteVersion() -> String { RawSQLite.sqliteVersion() }
}

extension Bench {
    /// The wire phases: merge and bootstrap through the HTTP server, and with `loadClients` > 0
    /// the load mode.
    ///
    /// With `database` (a scratch PostgreSQL database's URL), the store is there and two servers
    /// share it: the reps' pushes and the load's laptops are spread over both.
    public static func wire(
        workload: Workload, scratch: String, executable: String, loadClients: Int, rounds: Int, interval: Duration,
        bootstrapRuns: Int = 1, database: String? = nil, into report: inout BenchReport, log: (String) -> Void
    ) async throws {
        let directory = (scratch as NSString).appendingPathComponent("wire")
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let wire = WireRun(workload: workload, directory: directory, executable: executable)
        log("wire: preparing the server's store (\(workload.reps) reps, \(loadClients) load users)\(database == nil ? "" : " on PostgreSQL")")
        let prepared = try wire.prepare(loadClients: loadClients, database: database)
        let servers = try wire.startServers(database: database)
        defer { for server in servers { server.stop() } }
        report.figure(
            "wire_servers", database == nil ? "1 on SQLite" : "\(servers.count) on one PostgreSQL database",
            "wire: servers and their store")
        log("wire: servers on ports \(servers.map { String($0.port) }.joined(separator: ", ")); merging and bootstrapping over HTTP")
        let sample = try await wire.mergeAndBootstrap(prepared, servers: servers, bootstrapRuns: bootstrapRuns)
        let operations = Double(workload.opCount)
        let wireRate = operations / sample.merge.wallMS * 1000
        report.figure("wire_merge_ms", rounded(sample.merge.wallMS, 1), "wire: \(workload.reps) pushes in arrival order, ms (wall)")
        report.figure("wire_merge_ops_per_s", rounded(wireRate), "wire: merge, ops/s (wall)")
        // Against the in-process merge on the same storage.
        if let inProcess = report.value(of: database == nil ? "merge_ops_per_s_wall" : "pg_merge_ops_per_s_wall") {
            report.figure(
                "wire_to_in_process_merge_ratio", rounded(wireRate / inProcess, 3),
                "wire merge / in-process merge\(database == nil ? "" : " on PostgreSQL") (wall; target ≥ 0.7)")
        }
        report.figure("wire_pushed_changes", sample.pushed, "wire: changes pushed (rejected \(sample.rejected))")
        let bootstraps = sample.bootstraps.map { rounded($0.wallMS, 1) }
        let slowest = bootstraps.max() ?? 0
        report.figure("bootstrap_ms", slowest, "wire: bootstrap + point read, ms (wall, slowest of \(bootstraps.count); target < 700)")
        report.figure("bootstrap_ms_runs", bootstraps, "wire: … every run, ms")
        report.figure("bootstrap_rows", sample.bootstrapRows, "wire: rows bootstrapped")
        report.figure(
            "bootstrap_ms_per_1k_rows", rounded(slowest / Double(max(1, sample.bootstrapRows)) * 1000, 2),
            "wire: … ms per 1,000 rows (slowest run)")
        report.figure("wire_point_read", sample.pointRead, "wire: point read")
        guard loadClients > 0 else { return }
        log("wire: load mode, \(loadClients) replicas × \(rounds) rounds of push + pull, \(interval) between syncs")
        let load = try await wire.load(prepared, servers: servers, rounds: rounds, interval: interval)
        let requests = Double(load.pushMS.count + load.pullMS.count)
        report.figure("load_clients", load.clients, "load: concurrent replicas")
        report.figure("load_rounds", load.rounds, "load: rounds of push + pull each")
        report.figure(
            "load_interval_ms", Double(interval.components.seconds * 1000) + Double(interval.components.attoseconds) / 1e15,
            "load: mean pause between a replica's syncs, ms (0: saturation)")
        report.figure("push_p50_ms", rounded(Spread.percentile(50, of: load.pushMS), 1), "load: push p50, ms")
        report.figure("push_p99_ms", rounded(Spread.percentile(99, of: load.pushMS), 1), "load: push p99, ms (target < 500)")
        report.figure("pull_p50_ms", rounded(Spread.percentile(50, of: load.pullMS), 1), "load: pull p50, ms")
        report.figure("pull_p99_ms", rounded(Spread.percentile(99, of: load.pullMS), 1), "load: pull p99, ms")
        report.figure("load_requests_per_s", rounded(requests / load.wallMS * 1000), "load: requests/s")
        report.figure("errors", load.errors, "load: errors\(load.firstError.map { " (first: \($0))" } ?? "")")
        report.figure(
            "server_peak_rss_mb", rounded(load.serverPeakRSSMiB ?? -1, 1), "load: server peak RSS, MiB (the largest server; target < 200)")
    }

    /// Whole-process latency of `satchel visit log` and a no-op `satchel sync`.
    public static func cli(
        binaries: String, scratch: String, samples: Int, into report: inout BenchReport, log: (String) -> Void
    ) throws {
        guard CLIRun.available(in: binaries) else {
            log("cli: satchel and satchel-server are not next to satchel-bench in \(binaries); skipped "
                + "(build them: swift build -c release)")
            return
        }
        let directory = (scratch as NSString).appendingPathComponent("cli")
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        log("cli: \(samples) × satchel visit log, \(samples) × no-op satchel sync")
        let result = try CLIRun(binaries: binaries, directory: directory, samples: samples).run()
        let visit = Spread(result.visitLogMS)
        let sync = Spread(result.noopSyncMS)
        report.figure("visit_log_ms", rounded(visit.median, 1), "cli: satchel visit log, ms (median; target < 50)")
        report.figure("visit_log_ms_range", [rounded(visit.min, 1), rounded(visit.max, 1)], "cli: … min, max")
        report.figure("noop_sync_ms", rounded(sync.median, 1), "cli: no-op satchel sync, ms (median; target < 30)")
        report.figure("noop_sync_ms_range", [rounded(sync.min, 1), rounded(sync.max, 1)], "cli: … min, max")
    }

    /// `satchel-bench serve`: the server library over the workload's schema, for the wire phases,
    /// on a data directory or a PostgreSQL database.
    public static func serve(data: String?, database: String?, port: Int, schema: Schema = WorkloadSchema.schema) async throws {
        let store: any ServerStore
        if let database {
            store = try PostgresServerStore.open(url: database, schema: schema)
        } else {
            let data = data ?? "./satchel-data"
            try SQLiteServerStore.lockForServing(directory: data)
            store = try SQLiteServerStore.open(directory: data, schema: schema)
        }
        var logger = Logger(label: "satchel-bench-server")
        logger.logLevel = .warning
        let configuration = ServerConfiguration(dataDirectory: data ?? "", host: "127.0.0.1", port: port)
        try await runServer(store: store, configuration: configuration, logger: logger) { port in
            FileHandle.standardOutput.write(Data("satchel-bench server listening on http://127.0.0.1:\(port)\n".utf8))
        }
    }
}

extension Bench {
    /// The in-process load and merge on PostgreSQL, `runs` times, each on a scratch database made
    /// in the server `serverURL` names and dropped after.
    public static func postgresEngine(
        workload: Workload, runs: Int, serverURL: String, scratch: String, into report: inout BenchReport,
        log: (String) -> Void
    ) throws {
        var loads: [Timing] = []
        var merges: [Timing] = []
        var counts: (accounts: Int, visits: Int) = (0, 0)
        for index in 0..<runs {
            log("run \(index + 1)/\(runs): load and merge on PostgreSQL, in process")
            let database = try ScratchDatabase.create(on: serverURL, label: "bench")
            defer { database.drop() }
            let engine = EngineRun(workload: workload, directory: (scratch as NSString).appendingPathComponent("engine-pg"))
            let result = try engine.runOnPostgres(url: database.url)
            loads.append(result.load)
            merges.append(result.merge)
            counts = (result.accounts, result.visits)
        }
        report.phase("load (base accounts), PostgreSQL", loads)
        report.phase("merge (all uploads), PostgreSQL", merges)
        let operations = Double(workload.opCount)
        report.figure(
            "pg_merge_ops_per_s_wall", rounded(operations / Spread(merges.map(\.wallMS)).median * 1000),
            "PostgreSQL: merge in process, ops/s (wall, median)")
        if let sqlite = report.value(of: "merge_ops_per_s_wall") {
            report.figure(
                "pg_to_sqlite_merge_ratio", rounded(operations / Spread(merges.map(\.wallMS)).median * 1000 / sqlite, 3),
                "PostgreSQL merge / SQLite merge (wall)")
        }
        report.figure(
            "pg_counts_match", counts.accounts == workload.expectedAccounts && counts.visits == workload.expectedVisits,
            "PostgreSQL: accounts and visits after merge match the ground truth")
    }
}
