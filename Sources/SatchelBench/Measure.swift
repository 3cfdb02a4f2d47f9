import Foundation

/// CPU time of the whole process and wall-clock time around a piece of work.
public struct Timing: Sendable, Codable {
    public var cpuMS: Double
    public var wallMS: Double

    public static func measure<T>(_ body: () throws -> T) rethrows -> (T, Timing) {
        let cpu0 = Timing.processCPU()
        let wall0 = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e6
        return (result, Timing(cpuMS: (Timing.processCPU() - cpu0) * 1000, wallMS: wall))
    }

    public static func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Timing) {
        let cpu0 = Timing.processCPU()
        let wall0 = DispatchTime.now().uptimeNanoseconds
        let result = try await body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e6
        return (result, Timing(cpuMS: (Timing.processCPU() - cpu0) * 1000, wallMS: wall))
    }

    /// CPU seconds used by this process so far (all threads).
    public static func processCPU() -> Double {
        // clock(3) is the process's CPU time (CLOCK_PROCESS_CPUTIME_ID) in microseconds.
        Double(clock()) / Double(CLOCKS_PER_SEC)
    }

    public static func + (lhs: Timing, rhs: Timing) -> Timing {
        Timing(cpuMS: lhs.cpuMS + rhs.cpuMS, wallMS: lhs.wallMS + rhs.wallMS)
    }

    public static let zero = Timing(cpuMS: 0, wallMS: 0)
}

/// Median, minimum and maximum of repeated samples.
public struct Spread: Sendable, Codable {
    public var median: Double
    public var min: Double
    public var max: Double
    public var count: Int

    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        min = sorted.first ?? 0
        max = sorted.last ?? 0
        if sorted.isEmpty {
            median = 0
        } else if sorted.count % 2 == 1 {
            median = sorted[sorted.count / 2]
        } else {
            median = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
    }

    /// The `p`-th percentile (0...100), nearest rank.
    public static func percentile(_ p: Double, of samples: [Double]) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank))]
    }
}

/// The machine a figure was measured on: CPU model, cores, memory, load average.
public struct MachineDescription: Sendable, Codable {
    public var cpu: String
    public var cores: Int
    public var memoryGiB: Double
    public var loadAverage: [Double]
    public var sqliteVersion: String

    public static func current(sqliteVersion: String) -> MachineDescription {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown"
        var loads = [Double](repeating: 0, count: 3)
        _ = getloadavg(&loads, 3)
        return MachineDescription(
            cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: (Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824 * 10).rounded() / 10,
            loadAverage: loads.map { ($0 * 100).rounded() / 100 }, sqliteVersion: sqliteVersion)
    }
}

/// Peak resident memory of a process (VmHWM), in MiB, read from /proc.
public func peakRSSMiB(pid: Int32) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return nil }
    let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
    return kib / 1024
}
