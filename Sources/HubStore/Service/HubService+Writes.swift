import HubEngine
import SatchelModel
import SyncCore

/// Who did an admin action, and from where: a user and their device, or an operator at the
/// server's own command line.
public struct Actor: Hashable, Sendable {
    public var user: String
    public var device: String

    public init(user: String, device: String) {
        self.user = user
        self.device = device
    }

    /// Someone at the server machine's command line (`satchel-server user add …`).
    public static let serverOperator = Actor(user: "operator", device: "satchel-server")
}

extension HubService {
    // MARK: - Push

    /// Merges a replica's changeset, exactly once, in one transaction: the planner decides every
    /// write (``HubPlanner/push(_:as:scope:homeTerritory:now:sentTo:into:)`` says how), and the
    /// storage writes the plan whole, with the pull marks that are due, or nothing.
    ///
    /// Each change's causal context is believed only up to the feed position the hub had sent
    /// this device (``sentBound(_:reader:)``).
    public func push(
        _ changeset: Changeset, as writer: Writer, scope: ReadScope = .all, homeTerritory: String? = nil
    ) throws -> PushResponse {
        let now = clock()
        return try storage.write { reader in
            let draft = try draft(reader)
            let response = try planner(draft).push(
                changeset, as: writer, scope: scope, homeTerritory: homeTerritory, now: now,
                sentTo: try sentBound(changeset.replica, reader: reader), into: draft)
            var writes = HubWrites(plan: draft.plan)
            if !writes.plan.isEmpty { takeMarks(into: &writes) }
            // Only the laptop's changes answered for the first time count: a replay, the part of
            // a push the hub had seen, and the hub's own writes (placing a new account) do not.
            let answered = writes.plan.outcomes.filter { $0.replica == changeset.replica }
            if !answered.isEmpty { writes.activity = ActivityDay(push: answered.map(\.outcome), at: now) }
            return (response, writes)
        }
    }

    /// The furthest feed position `replica` may have seen: what this process sent it, what an
    /// earlier one wrote down, and at least the feed's end when the hub was opened (a mark lost
    /// in a crash must not make a laptop's honest context look forged).
    func sentBound(_ replica: ReplicaID, reader: Storage.Reader) throws -> Int64 {
        max(pullMarks.sentMark(replica) ?? 0, try reader.sentMark(of: replica), openedAt)
    }

    // MARK: - Admin actions on records

    /// Merges record `other` into record `keep`, in one transaction, with an audit entry: the
    /// planner decides every write (``HubPlanner/mergeRecords(_:keep:merge:take:by:now:territories:into:)``
    /// says what a merge does and refuses), and the storage writes the plan whole or nothing.
    @discardableResult
    public func mergeRecords(
        _ entity: String, keep: String, merge other: String, take: [String], by admin: String,
        from device: String = Actor.serverOperator.device
    ) throws -> MergeReport {
        let now = clock()
        let audit = AuditWrite(
            "record.merge", target: "\(entity) \(keep)",
            detail: "merged \(other) into it" + (take.isEmpty ? "" : ", taking \(take.sorted().joined(separator: ", "))"),
            by: Actor(user: admin, device: device), at: now)
        return try planned(audit: audit) { draft, reader in
            try planner(draft).mergeRecords(
                entity, keep: keep, merge: other, take: take, by: admin, now: now,
                territories: { try reader.user($0)?.territories }, into: draft)
        }
    }

    /// Resolves a conflict with a change that dominates every contender, so it reaches every
    /// replica and wins everywhere (``HubPlanner/resolve(_:choice:by:now:into:)`` decides it;
    /// the audit entry is written in the same transaction). Returns the row's new state.
    @discardableResult
    public func resolve(
        _ id: String, choice: ConflictChoice, by resolver: String, from device: String = Actor.serverOperator.device
    ) throws -> RowState? {
        let now = clock()
        let audit = AuditWrite(
            "conflict.resolve", target: id, detail: choice.phrase, by: Actor(user: resolver, device: device), at: now)
        return try planned(audit: audit) { draft, _ in
            try planner(draft).resolve(id, choice: choice, by: resolver, now: now, into: draft)
        }
    }

    /// Gives a root record (an account) to another user: the owner changes, and the territory
    /// follows the new owner's first territory when the record's is not one of theirs. The rows
    /// under it move with it (visibility follows the root).
    @discardableResult
    public func transferAccount(
        _ id: String, to user: String, by admin: String, from device: String = Actor.serverOperator.device
    ) throws -> RowState? {
        let now = clock()
        let audit = AuditWrite(
            "account.transfer", target: "\(schema.placement?.root ?? "") \(id)", detail: "to \(user)",
            by: Actor(user: admin, device: device), at: now)
        return try planned(audit: audit) { draft, reader in
            guard let target = try reader.user(user) else { throw HubError.unknownUser(user) }
            return try planner(draft).transfer(id, to: user, territories: target.territories, by: admin, now: now, into: draft)
        }
    }

    public typealias ImportRecord = HubEngine.ImportRecord
    public typealias ImportReport = HubEngine.ImportReport

    /// Imports records as the company's own data (privileged inserts by the hub), in one
    /// transaction with an audit entry.
    ///
    /// Every record is checked (``HubPlanner/importRecords(_:by:now:skipBad:into:)`` says how).
    /// With `skipBad` false, any problem imports nothing and throws ``HubError/invalidUser(_:)``
    /// listing every problem; with `skipBad` the good records go in and the report lists the
    /// refused ones.
    @discardableResult
    public func importRecords(
        _ records: [ImportRecord], by user: String = "import", from device: String = Actor.serverOperator.device,
        skipBad: Bool = false
    ) throws -> ImportReport {
        let now = clock()
        let audit = AuditWrite(
            "import", target: "\(records.count) records", detail: skipBad ? "bad records skipped" : "all or nothing",
            by: Actor(user: user, device: device), at: now)
        return try planned(audit: audit) { draft, _ in
            try planner(draft).importRecords(records, by: user, now: now, skipBad: skipBad, into: draft)
        }
    }
}
