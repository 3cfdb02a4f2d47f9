import ArgumentParser
import Foundation
import HubPostgres
import SatchelBench
import SatchelModel

@main
struct SatchelBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satchel-bench",
        abstract: "Runs the standard workload (crm-50x200) through Satchel and prints every figure.",
        discussion: """
            Generate the workload first: python3 ../shared/bench/workload.py --out DIR
            Build in release: swift build -c release (satchel-bench, satchel and satchel-server side by side).
            See Docs/performance.md.
            """,
        subcommands: [Run.self, Duplicates.self, Attachments.self, Serve.self], defaultSubcommand: Run.self)
}

extension SatchelBenchCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the benchmark (the default).")

        @Option(help: "The directory the workload generator wrote (accounts.jsonl, ops.jsonl, meta.json).")
        var workload: String

        @Option(help: "Timed runs of the in-process phases (median, min and max are reported).")
        var runs = 5

        @Flag(help: "Skip the phases through the HTTP server (merge and bootstrap on loopback).")
        var noWire = false

        @Flag(help: "Add the load mode: many replicas pushing and pulling at once.")
        var load = false

        @Option(help: "Concurrent replicas in the load mode (1 to 1000).")
        var replicas = 200

        @Option(help: "Rounds of push + pull per replica in the load mode.")
        var rounds = 5

        @Option(help: "Mean pause between one replica's syncs in the load mode, in ms (0: sync again at once, the saturation test).")
        var interval = 1000

        @Option(help: "Whole-process samples of satchel visit log and satchel sync (0 skips them).")
        var cliSamples = 20

        @Option(help: "A scratch directory for the databases (default: a new one in the temporary directory, removed after).")
        var scratch: String?

        @Flag(help: "Print one JSON object with every figure instead of the table.")
        var json = false

        @Option(
            help: ArgumentHelp(
                "A PostgreSQL server (postgres://USER:PASSWORD@HOST:PORT/DB, a user with CREATEDB).",
                discussion: "The merge also runs in process on PostgreSQL, and the wire phases and the load run through two servers on one PostgreSQL database, each on a scratch database made there and dropped after."))
        var database: String?

        func validate() throws {
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
            guard (1...1000).contains(replicas) else { throw ValidationError("--replicas must be between 1 and 1000") }
            guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
            guard interval >= 0 else { throw ValidationError("--interval must be 0 or more milliseconds") }
            guard cliSamples >= 0 else { throw ValidationError("--cli-samples must be 0 or more") }
        }

        func run() async throws {
            let scratch = self.scratch ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("satchel-bench-\(getpid())")
            let workload = try Workload.load(directory: self.workload)
            var report = BenchReport(
                machine: .current(sqliteVersion: Bench.sqliteVersion()), workloadDigest: workload.digest,
                workloadIsStandard: workload.isStandard, operations: workload.opCount, runs: runs)
            let log: (String) -> Void = { FileHandle.standardError.write(Data(("satchel-bench: " + $0 + "\n").utf8)) }
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            try Bench.engine(workload: workload, runs: runs, scratch: scratch, into: &report, log: log)
            if let database {
                try Bench.postgresEngine(
                    workload: workload, runs: runs, serverURL: database, scratch: scratch, into: &report, log: log)
            }
            if !noWire || load {
                let wireDatabase = try database.map { try ScratchDatabase.create(on: $0, label: "bench_wire") }
                defer { wireDatabase?.drop() }
                try await Bench.wire(
                    workload: workload, scratch: scratch, executable: executable, loadClients: load ? replicas : 0,
                    rounds: rounds, interval: .milliseconds(interval), bootstrapRuns: runs, database: wireDatabase?.url,
                    into: &report, log: log)
            }
            if cliSamples > 0 {
                try Bench.cli(
                    binaries: (executable as NSString).deletingLastPathComponent, scratch: scratch, samples: cliSamples,
                    into: &report, log: log)
            }
            if self.scratch == nil { try? FileManager.default.removeItem(atPath: scratch) }
            print(json ? try report.json() : report.text())
        }
    }

    struct Attachments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload and download throughput of attachments through a server on loopback.",
            discussion: """
                One rep uploads --files files of --size-kb KB (random bytes, none shared) and a teammate downloads \
                them, through a satchel-bench server child with Satchel's own schema; each direction is timed \
                around the transfer alone.
                """)

        @Option(help: "How many files.") var files = 100
        @Option(name: .customLong("size-kb"), help: "The size of each file, in KB (1000 bytes).") var sizeKB = 1000
        @Option(help: "Timed runs (each on fresh stores; every run is printed).") var runs = 3
        @Option(help: "A PostgreSQL server (postgres://…, a user with CREATEDB): blobs in a scratch database there.")
        var database: String?
        @Flag(help: "Print one JSON array of the runs.") var json = false

        func validate() throws {
            guard (1...10_000).contains(files) else { throw ValidationError("--files is 1 to 10000") }
            guard (1...25_000).contains(sizeKB) else { throw ValidationError("--size-kb is 1 to 25000 (the default per-file limit)") }
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        }

        func run() async throws {
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let machine = MachineDescription.current(sqliteVersion: "")
            var results: [AttachmentRun.Result] = []
            for index in 0..<runs {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-bench-att-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let scratch = try database.map { try ScratchDatabase.create(on: $0, label: "bench_att") }
                defer { scratch?.drop() }
                let run = AttachmentRun(
                    executable: executable, directory: directory, files: files, bytesPerFile: sizeKB * 1000, database: scratch?.url)
                results.append(
                    try await run.run { line in
                        if !json { FileHandle.standardError.write(Data("run \(index + 1)/\(runs): \(line)\n".utf8)) }
                    })
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(results), as: UTF8.self))
                return
            }
            print("machine: \(machine.cpu), \(machine.cores) cores, load average \(machine.loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " "))")
            print("attachments: \(files) files of \(sizeKB) KB, one rep uploads, a teammate downloads, HTTP on loopback")
            for (index, result) in results.enumerated() {
                print(
                    String(
                        format: "run %d (%@): upload %.0f ms wall, %.0f ms CPU (this process), %.1f MB/s; download %.0f ms wall, %.0f ms CPU, %.1f MB/s; server holds %d blobs, %lld bytes",
                        index + 1, result.storage, result.upload.wallMS, result.upload.cpuMS, result.uploadMBps, result.download.wallMS,
                        result.download.cpuMS, result.downloadMBps, result.blobs, result.blobBytes))
            }
        }
    }

    struct Duplicates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge the labelled account pairs with the duplicate matcher: precision, recall, and its speed.")

        @Option(help: "A file of labelled pairs (JSON Lines, as in Fixtures/duplicates; repeat for more).")
        var pairs = ["Fixtures/duplicates/pairs.jsonl", "Fixtures/duplicates/holdout.jsonl", "Fixtures/duplicates/holdout2.jsonl"]

        @Option(help: "Timed passes over the pairs (median reported).")
        var runs = 20

        func validate() throws {
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
            for file in pairs where !FileManager.default.fileExists(atPath: file) {
                throw ValidationError("no file at \(file); run from the repository root or give --pairs FILE")
            }
        }

        func run() throws {
            let machine = MachineDescription.current(sqliteVersion: "")
            print("machine: \(machine.cpu), \(machine.cores) cores, load average \(machine.loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " "))")
            for file in pairs {
                let labelled = try LabelledPair.load(file)
                let score = DuplicateScore(pairs: labelled, matcher: CompanyMatcher())
                var seconds: [Double] = []
                for _ in 0..<runs {
                    let start = ContinuousClock.now
                    _ = DuplicateScore(pairs: labelled, matcher: CompanyMatcher())
                    let elapsed = ContinuousClock.now - start
                    seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                }
                let median = seconds.sorted()[seconds.count / 2]
                print("\nDuplicate detection over \(file) (\(labelled.count) pairs)")
                print(score.text())
                print(String(
                    format: "speed: %.1f µs per pair (the keys of both rows and the judgement), median of %d passes",
                    median / Double(labelled.count) * 1e6, runs))
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the workload's schema over HTTP (started by the wire phases; not for production).")

        @Option(help: "The data directory.") var data: String?
        @Option(help: "A PostgreSQL database instead of --data.") var database: String?
        @Option(help: "The port (0 picks a free one).") var port = 0
        @Option(help: "workload (the benchmark's schema) or crm (Satchel's own, for the attachment run).") var schema = "workload"

        func run() async throws {
            try await Bench.serve(
                data: data, database: database, port: port, schema: schema == "crm" ? CRMSchema.schema : WorkloadSchema.schema)
        }
    }
}
