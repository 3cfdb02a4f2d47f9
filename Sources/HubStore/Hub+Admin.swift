import Foundation
import GRDB
import HubEngine
import SatchelModel
import SyncCore

extension Hub {
    // MARK: - Import

    /// A record to import: an entity, an id and its values.
    public struct ImportRecord: Hashable, Sendable {
        public var entity: String
        public var id: String
        public var values: [String: FieldValue]
        /// Where it came from ("line 12"), for error messages.
        public var origin: String

        public init(entity: String, id: String, values: [String: FieldValue], origin: String) {
            self.entity = entity
            self.id = id
            self.values = values
            self.origin = origin
        }
    }

    /// What an import did: how many records went in, and every record refused, with why.
    public struct ImportReport: Hashable, Sendable {
        public var imported: Int
        public var problems: [String]
    }

    /// Imports records as the company's own data (privileged inserts by the hub), in one
    /// transaction.
    ///
    /// Every record is checked (its type, values, a free id, references to records that exist or
    /// come earlier, no natural-key duplicate). With `skipBad` false, any problem imports nothing
    /// and throws ``HubError/invalidUser(_:)`` listing every problem; with `skipBad` the good
    /// records go in and the report lists the refused ones.
    @discardableResult
    public func importRecords(
        _ records: [ImportRecord], by user: String = "import", from device: String = Actor.serverOperator.device,
        skipBad: Bool = false
    ) throws -> ImportReport {
        let now = clock()
        return try writer.write { db in
            try Hub.audit(
                "import", target: "\(records.count) records",
                detail: skipBad ? "bad records skipped" : "all or nothing", by: Actor(user: user, device: device), at: now,
                db: db)
            let environment = try environment(writer: Writer(user: user, device: "server", isPrivileged: true), db: db)
            var problems: [String] = []
            var imported = 0
            for record in records {
                if let problem = try importOne(record, now: now, environment: environment, db: db) {
                    problems.append(problem)
                } else {
                    imported += 1
                }
            }
            if !problems.isEmpty && !skipBad {
                throw HubError.invalidUser(
                    "nothing was imported; \(problems.count) record\(problems.count == 1 ? "" : "s") refused "
                        + "(use --skip-bad to import the rest):\n"
                        + problems.joined(separator: "\n"))
            }
            return ImportReport(imported: imported, problems: problems)
        }
    }

    /// Imports one record; returns why not, or nil when it went in.
    private func importOne(_ record: ImportRecord, now: Int64, environment: MergeEnvironment, db: Database) throws
        -> String?
    {
        guard let entity = schema.entity(record.entity) else {
            return "\(record.origin): there is no record type '\(record.entity)'"
        }
        guard TextHygiene.isSafeID(record.id) else {
            return "\(record.origin): the id '\(record.id.prefix(64))' is not 1 to 64 letters, digits, '-', '_', '.' or ':'"
        }
        for field in entity.fields {
            guard case .reference(let target) = field.type, let id = record.values[field.name]?.textValue else {
                continue
            }
            guard let parent = try Hub.row(target, id: id, db: db), !parent.isDeleted else {
                return "\(record.origin): \(field.name) names \(target) \(id), which does not exist"
            }
        }
        let change = try hubChange(
            entity.name, id: record.id, now: now, context: VersionVector(), operation: .insert(record.values), db: db)
        let merged = merger.merge(
            [change], into: try Hub.row(entity.name, id: record.id, db: db), environment: environment)
        switch merged.outcomes.first?.outcome {
        case .rejected(let rejection)?:
            return "\(record.origin): \(rejection.reason)"
        case .queued(let conflict)? where conflict.kind == .duplicateCandidate:
            let others = conflict.relatedRowIDs.map { id in "\(id) (\(conflict.reasons?[id] ?? conflict.rule))" }
            return "\(record.origin): \(entity.title(of: record.values, id: record.id)) may be the same \(entity.label) as "
                + others.joined(separator: ", ")
        default:
            if let row = merged.row { try save(row, db: db) }
            try Hub.record(
                HistoryEntry(
                    kind: .import, at: now, user: environment.writer.user, device: "server", wall: now, hlc: change.hlc,
                    op: "insert", values: record.values, detail: "imported from \(record.origin)"),
                entity: entity.name, id: record.id, db: db)
            return nil
        }
    }

    // MARK: - Transfer

    /// Gives an account to another user: the owner changes, and the territory follows the new
    /// owner's first territory when the account's is not one of theirs. The rows under the
    /// account move with it (visibility follows the account).
    @discardableResult
    public func transferAccount(
        _ id: String, to user: String, by admin: String, from device: String = Actor.serverOperator.device
    ) throws -> RowState? {
        let now = clock()
        return try writer.write { db in
            guard let target = try Hub.user(user, db: db) else { throw HubError.unknownUser(user) }
            let root = schema.placement?.root ?? ""
            try Hub.audit("account.transfer", target: "\(root) \(id)", detail: "to \(user)", by: Actor(user: admin, device: device), at: now, db: db)
            return try planned(db) { draft in
                try planner.transfer(id, to: user, territories: target.territories, by: admin, now: now, into: draft)
            }
        }
    }

    /// The stored row as replicas receive it, with its sequence number in the feed.
    public func snapshot(_ entity: String, id: String) throws -> RowSnapshot? {
        try writer.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT seq, state FROM hub_row WHERE entity = ? AND row_id = ?"),
                arguments: [entity, id]
            ).map(Hub.snapshot)
        }
    }
}
