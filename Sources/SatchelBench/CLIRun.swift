import Foundation

/// Wall time of whole `satchel` processes against a real `satchel-server` (the CRM), as a rep
/// feels them: `visit log` offline-capable and a `sync` with nothing to do.
public struct CLIRun {
    public let binaries: String
    public let directory: String
    public let samples: Int

    public init(binaries: String, directory: String, samples: Int) {
        self.binaries = binaries
        self.directory = directory
        self.samples = samples
    }

    public struct Result: Sendable {
        public var visitLogMS: [Double]
        public var noopSyncMS: [Double]
    }

    public static func available(in binaries: String) -> Bool {
        ["satchel", "satchel-server"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: (binaries as NSString).appendingPathComponent($0))
        }
    }

    public func run() throws -> Result {
        let satchel = (binaries as NSString).appendingPathComponent("satchel")
        let server = (binaries as NSString).appendingPathComponent("satchel-server")
        let data = (directory as NSString).appendingPathComponent("cli-server")
        let home = (directory as NSString).appendingPathComponent("cli-home")
        let environment = ["SATCHEL_HOME": home]
        func ok(_ executable: String, _ arguments: [String]) throws -> (output: String, ms: Double) {
            let result = try runCommand(executable, arguments, environment: environment)
            guard result.status == 0 else {
                throw BenchError("\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) failed: \(result.output)")
            }
            return (result.output, result.ms)
        }
        let added = try ok(server, ["user", "add", "bench-rep", "--role", "rep", "--territory", "north", "--data", data, "--json"])
        guard let object = try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any],
            let token = object["enrollmentToken"] as? String
        else { throw BenchError("satchel-server user add printed no enrollment token: \(added.output)") }
        let child = try ServerChild(executable: server, arguments: ["serve", "--data", data, "--port", "0"])
        defer { child.stop() }
        _ = try ok(satchel, ["login", "--server", child.url.absoluteString, "--token", token, "--device", "bench-laptop"])
        let account = try ok(satchel, ["account", "add", "--name", "Bench Account", "--city", "Lyon", "--json"])
        guard let id = (try JSONSerialization.jsonObject(with: Data(account.output.utf8)) as? [String: Any])?["id"] as? String
        else { throw BenchError("satchel account add printed no id: \(account.output)") }
        _ = try ok(satchel, ["sync"])
        func timed(_ arguments: [String]) throws -> Double {
            let (status, ms) = try timeProcess(satchel, arguments, environment: environment)
            guard status == 0 else { throw BenchError("satchel \(arguments.joined(separator: " ")) exited with \(status)") }
            return ms
        }
        var visits: [Double] = []
        for index in 0..<samples {
            visits.append(try timed(["visit", "log", "--account", id, "--purpose", "bench visit \(index)", "--outcome", "ok"]))
        }
        _ = try ok(satchel, ["sync"])
        var syncs: [Double] = []
        for _ in 0..<samples { syncs.append(try timed(["sync"])) }
        return Result(visitLogMS: visits, noopSyncMS: syncs)
    }
}
