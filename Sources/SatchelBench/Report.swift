import Foundation

/// Every figure of one `satchel-bench` invocation, printed as a table or as one JSON object.
public struct BenchReport {
    public var machine: MachineDescription
    public var workloadDigest: String
    public var workloadIsStandard: Bool
    public var operations: Int
    public var runs: Int
    /// Phase name → CPU and wall spreads (ms).
    public var phases: [(name: String, cpu: Spread, wall: Spread)] = []
    public var figures: [(key: String, value: Any, label: String)] = []

    public init(machine: MachineDescription, workloadDigest: String, workloadIsStandard: Bool, operations: Int, runs: Int) {
        self.machine = machine
        self.workloadDigest = workloadDigest
        self.workloadIsStandard = workloadIsStandard
        self.operations = operations
        self.runs = runs
    }

    mutating func phase(_ name: String, _ timings: [Timing]) {
        phases.append((name, Spread(timings.map(\.cpuMS)), Spread(timings.map(\.wallMS))))
    }

    mutating func figure(_ key: String, _ value: Any, _ label: String) {
        figures.append((key, value, label))
    }

    /// A numeric figure already reported.
    func value(of key: String) -> Double? {
        figures.last { $0.key == key }?.value as? Double
    }

    public func text() -> String {
        var lines: [String] = []
        lines.append("satchel-bench: workload \(workloadDigest.prefix(16))… (\(workloadIsStandard ? "crm-50x200, standard" : "non-standard parameters")), \(operations) operations, \(runs) run(s)")
        lines.append("machine: \(machine.cpu), \(machine.cores) cores, \(machine.memoryGiB) GiB, load average \(machine.loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " ")), SQLite \(machine.sqliteVersion)")
        if !phases.isEmpty {
            lines.append("")
            lines.append(pad("phase", 34) + pad("cpu ms median (min–max)", 30) + "wall ms median (min–max)")
            for phase in phases {
                lines.append(pad(phase.name, 34) + pad(BenchReport.spread(phase.cpu), 30) + BenchReport.spread(phase.wall))
            }
        }
        lines.append("")
        for figure in figures {
            lines.append(pad(figure.label, 58) + BenchReport.format(figure.value))
        }
        return lines.joined(separator: "\n")
    }

    public func json() throws -> String {
        var object: [String: Any] = [
            "machine": [
                "cpu": machine.cpu, "cores": machine.cores, "memory_gib": machine.memoryGiB,
                "load_average": machine.loadAverage, "sqlite": machine.sqliteVersion,
            ],
            "workload_digest": workloadDigest, "workload_standard": workloadIsStandard, "operations": operations, "runs": runs,
        ]
        var phaseObject: [String: Any] = [:]
        for phase in phases {
            phaseObject[phase.name] = [
                "cpu_ms": ["median": phase.cpu.median, "min": phase.cpu.min, "max": phase.cpu.max],
                "wall_ms": ["median": phase.wall.median, "min": phase.wall.min, "max": phase.wall.max],
            ]
        }
        if !phaseObject.isEmpty { object["phases"] = phaseObject }
        for figure in figures { object[figure.key] = figure.value }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    static func spread(_ spread: Spread) -> String {
        "\(number(spread.median)) (\(number(spread.min))–\(number(spread.max)))"
    }

    static func number(_ value: Double) -> String {
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    static func format(_ value: Any) -> String {
        switch value {
        case let value as Double: return number(value)
        case let value as Bool: return value ? "yes" : "no"
        case let value as [Int]: return value.map(String.init).joined(separator: ", ")
        case let value as [Double]: return value.map(number).joined(separator: ", ")
        default: return "\(value)"
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
