import Crypto
import Foundation
import SyncCore

/// The standard workload as its generator wrote it (`python3 workload.py --out DIR`):
/// `accounts.jsonl`, `ops.jsonl` and `meta.json`, checked against the hashes in `meta.json`.
public struct Workload: Sendable {
    /// A value of the workload: the generator writes integers and text only.
    public enum Value: Hashable, Sendable, Comparable {
        case integer(Int64)
        case text(String)

        public var fieldValue: FieldValue {
            switch self {
            case let .integer(value): .integer(value)
            case let .text(value): .text(value)
            }
        }

        public init?(_ value: FieldValue) {
            switch value {
            case let .integer(value): self = .integer(value)
            case let .text(value): self = .text(value)
            default: return nil
            }
        }
    }

    public struct Account: Sendable {
        public var id: String
        public var values: [String: Value]
    }

    public struct Op: Sendable {
        public enum Kind: String, Sendable { case update, insert, delete }
        public var rep: Int
        public var seq: Int
        public var ts: Int64
        public var kind: Kind
        public var table: String
        public var id: String
        public var field: String?
        public var value: Value?
        public var row: [String: Value]?
    }

    /// The conflicted cells of the ground truth: an account and one of its fields.
    public struct Cell: Hashable, Sendable, Comparable {
        public var account: String
        public var field: String
        public static func < (lhs: Cell, rhs: Cell) -> Bool { (lhs.account, lhs.field) < (rhs.account, rhs.field) }
    }

    public var accounts: [Account]
    /// Each rep's operations, in the rep's order.
    public var ops: [[Op]]
    /// The order in which reps' uploads reach the hub.
    public var arrival: [Int]
    public var sharedAccounts: [String]
    /// The generator's digest of its parameters and data (reported, and compared with the
    /// standard one when the parameters are the defaults).
    public var digest: String
    public var parameters: [String: Double]
    public var expectedAccounts: Int
    public var expectedVisits: Int
    public var expectedConflictedCells: Int

    /// The digest of the default `crm-50x200` workload (WORKLOAD.md).
    public static let standardDigest = "1446f6c7bb28a6c3a8fbe098de2837708b43b5ba26167dbab391b399773a206d"
    /// The digest of the merged state outside the conflicted cells for the standard workload.
    public static let standardStateDigest = "92422f36f601fc24"

    public var isStandard: Bool { digest == Workload.standardDigest }
    public var opCount: Int { ops.reduce(0) { $0 + $1.count } }
    public var reps: Int { ops.count }

    public static func repName(_ rep: Int) -> String { String(format: "rep-%02d", rep) }

    // MARK: - Reading

    public static func load(directory: String) throws -> Workload {
        func read(_ name: String) throws -> Data {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BenchError("cannot read \(path); generate the workload with "
                    + "`python3 ../shared/bench/workload.py --out \(directory)`")
            }
            return data
        }
        let metaData = try read("meta.json")
        guard let meta = try JSONSerialization.jsonObject(with: metaData) as? [String: Any] else {
            throw BenchError("meta.json is not a JSON object; generate the workload again")
        }
        let accountsData = try read("accounts.jsonl")
        let opsData = try read("ops.jsonl")
        let hashes = meta["files_sha256"] as? [String: String] ?? [:]
        for (name, data) in [("accounts.jsonl", accountsData), ("ops.jsonl", opsData)] {
            let actual = Hex.string(SHA256.hash(data: data))
            guard hashes[name] == actual else {
                throw BenchError("\(name) does not match the sha256 in meta.json (\(hashes[name] ?? "none") vs \(actual)); "
                    + "generate the workload again instead of editing it")
            }
        }
        var accounts: [Account] = []
        for line in lines(accountsData) {
            guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any], let id = object["id"] as? String
            else { throw BenchError("accounts.jsonl holds a line that is not an account object") }
            var values: [String: Value] = [:]
            for field in WorkloadSchema.accountFields {
                values[field] = try value(object[field], what: "\(id).\(field)")
            }
            accounts.append(Account(id: id, values: values))
        }
        var ops: [[Op]] = []
        for line in lines(opsData) {
            guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any],
                let rep = object["rep"] as? Int, let seq = object["seq"] as? Int, let ts = object["ts"] as? Int,
                let kindText = object["op"] as? String, let kind = Op.Kind(rawValue: kindText),
                let table = object["table"] as? String, let id = object["id"] as? String
            else { throw BenchError("ops.jsonl holds a line that is not an operation") }
            var op = Op(rep: rep, seq: seq, ts: Int64(ts), kind: kind, table: table, id: id)
            if kind == .update {
                op.field = object["field"] as? String
                op.value = try value(object["value"], what: "\(id) op \(seq)")
            }
            if kind == .insert, let row = object["row"] as? [String: Any] {
                op.row = try row.mapValues { try value($0, what: "\(id) row") }
            }
            while ops.count <= rep { ops.append([]) }
            ops[rep].append(op)
        }
        let parameters = (meta["params"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        return Workload(
            accounts: accounts, ops: ops, arrival: meta["arrival"] as? [Int] ?? Array(ops.indices),
            sharedAccounts: meta["shared"] as? [String] ?? [], digest: meta["digest"] as? String ?? "",
            parameters: parameters, expectedAccounts: meta["accounts_after_merge"] as? Int ?? 0,
            expectedVisits: meta["visits_after_merge"] as? Int ?? 0,
            expectedConflictedCells: meta["conflicted_cells"] as? Int ?? 0)
    }

    private static func lines(_ data: Data) -> [Data] {
        data.split(separator: UInt8(ascii: "\n")).filter { !$0.isEmpty }.map { Data($0) }
    }

    private static func value(_ any: Any?, what: String) throws -> Value {
        if let text = any as? String { return .text(text) }
        if let number = any as? NSNumber { return .integer(number.int64Value) }
        throw BenchError("\(what) is neither text nor an integer")
    }

    // MARK: - Ground truth

    /// Cells written by two or more reps, each with the last write of every rep on it.
    public var conflictedCells: [Cell: [Int: Op]] {
        var writes: [Cell: [Int: Op]] = [:]
        for repOps in ops {
            for op in repOps where op.kind == .update {
                writes[Cell(account: op.id, field: op.field ?? ""), default: [:]][op.rep] = op
            }
        }
        return writes.filter { $0.value.count > 1 }
    }

    /// The territory an account is placed in: its rep's, or `key-accounts` for shared ones.
    public func territory(of account: Account) -> String {
        if case let .text(owner)? = account.values["owner"], owner.hasPrefix("rep-") { return owner }
        return "key-accounts"
    }
}

/// A state of the workload's tables, as the bench compares them.
public struct WorkloadState: Equatable, Sendable {
    public var accounts: [String: [String: Workload.Value]] = [:]
    public var visits: [String: [String: Workload.Value]] = [:]

    public init() {}

    /// The generator's digest of this state outside the conflicted cells: the first 16 hex
    /// digits of the sha256 of Python's `json.dumps(…, sort_keys=True)` of it.
    public func digest(outside cells: Set<Workload.Cell>) -> String {
        var text = "{\"accounts\": {"
        text += accounts.keys.sorted().map { id in
            let fields = accounts[id]!.filter { !cells.contains(Workload.Cell(account: id, field: $0.key)) }
            return WorkloadState.quoted(id) + ": " + WorkloadState.object(fields)
        }.joined(separator: ", ")
        text += "}, \"visits\": {"
        text += visits.keys.sorted().map { WorkloadState.quoted($0) + ": " + WorkloadState.object(visits[$0]!) }
            .joined(separator: ", ")
        text += "}}"
        return String(Hex.string(SHA256.hash(data: Data(text.utf8))).prefix(16))
    }

    /// How many cells (row, field), including whole rows present on one side only, differ.
    public func cellsDiffering(from other: WorkloadState) -> Int { differingCells(from: other).count }

    /// The cells (row, field) that differ, visits' cells named by the visit id.
    public func differingCells(from other: WorkloadState) -> [Workload.Cell] {
        func cells(_ a: [String: [String: Workload.Value]], _ b: [String: [String: Workload.Value]]) -> [Workload.Cell] {
            var differing: [Workload.Cell] = []
            for id in Set(a.keys).union(b.keys) {
                let left = a[id] ?? [:]
                let right = b[id] ?? [:]
                for field in Set(left.keys).union(right.keys) where left[field] != right[field] {
                    differing.append(Workload.Cell(account: id, field: field))
                }
            }
            return differing
        }
        return cells(accounts, other.accounts) + cells(visits, other.visits)
    }

    private static func object(_ fields: [String: Workload.Value]) -> String {
        "{" + fields.keys.sorted().map { key in
            let value: String
            switch fields[key]! {
            case let .integer(number): value = String(number)
            case let .text(text): value = quoted(text)
            }
            return quoted(key) + ": " + value
        }.joined(separator: ", ") + "}"
    }

    /// A string as Python's json module writes it with `ensure_ascii`.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out + "\""
    }
}

/// A benchmark that cannot run, with what to do about it.
public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
