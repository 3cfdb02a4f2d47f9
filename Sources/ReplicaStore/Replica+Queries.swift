import Foundation
import GRDB
import SatchelModel
import SyncCore

/// An account that is due (or past due) for a visit.
public struct OverdueAccount: Hashable, Sendable {
    public var id: String
    public var name: String
    public var valueTier: String?
    public var intervalDays: Int
    /// The start of the latest visit, or nil when the account was never visited.
    public var lastVisitAt: Int64?
    /// Whole days past due (0 = due today); for never-visited accounts, nil.
    public var daysOverdue: Int?
}

/// Open opportunities in one stage.
public struct PipelineStage: Hashable, Sendable {
    public var stage: String
    public var count: Int
    /// Total amount per currency, in minor units.
    public var amount: [String: Int64]
    /// Amount weighted by probability, per currency, in minor units.
    public var weighted: [String: Int64]
}

extension Replica {
    /// The visit interval for a value tier when an account sets none: key customers every two
    /// weeks, development monthly, maintenance every two months, opportunity quarterly.
    public static let defaultVisitIntervals: [String: Int] = [
        "key": 14, "development": 30, "maintenance": 60, "opportunity": 90,
    ]
    public static let fallbackVisitInterval = 90

    /// Rows of `entity` matching an SQL condition on table alias `t`.
    func rows(
        _ entity: String, where condition: String = "1", arguments: StatementArguments = StatementArguments(),
        orderBy: String = "t.id", limit: Int? = nil
    ) throws -> [(id: String, values: [String: FieldValue])] {
        let schema = try self.schema.requireEntityOrThrow(entity)
        return try writer.read { db in
            let sql = """
                SELECT \(SQLMapping.selectList(schema, alias: "t")) FROM \(SQLMapping.quote(schema.name)) t
                WHERE \(condition) ORDER BY \(orderBy) \(limit.map { "LIMIT \($0)" } ?? "")
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { try SQLMapping.decodeRow($0, entity: schema) }
        }
    }

    /// Text made literal inside a LIKE pattern with `ESCAPE '\'`: `%`, `_` and `\` match themselves.
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    /// The ids of `entity` that start with `prefix` (for short ids typed by people).
    public func ids(_ entity: String, prefix: String) throws -> [String] {
        let schema = try self.schema.requireEntityOrThrow(entity)
        let escaped = Replica.likeEscaped(prefix)
        return try writer.read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM \(SQLMapping.quote(schema.name)) WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 10",
                arguments: [escaped + "%"])
        }
    }

    /// Accounts whose name or city contains `text` (ignoring case and accents), or, when `text`
    /// is a phone number (digits and phone punctuation only), whose phone digits contain it.
    public func searchAccounts(_ text: String, limit: Int? = nil) throws -> [(id: String, values: [String: FieldValue])] {
        let folded = Replica.fold(text)
        let pattern = "%" + Replica.likeEscaped(folded) + "%"
        let isPhone = !text.isEmpty && text.allSatisfy { $0.isNumber || " +-().".contains($0) } && text.contains(where: \.isNumber)
        let phone = isPhone ? "%" + String(text.filter(\.isNumber)) + "%" : ""
        return try rows(
            "account",
            where: """
                satchel_fold(t.name) LIKE ?1 ESCAPE '\\' OR satchel_fold(t.city) LIKE ?1 ESCAPE '\\'
                OR (?2 != '' AND replace(replace(replace(replace(replace(t.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', '') LIKE ?2)
                """,
            arguments: [pattern, phone], orderBy: "t.name COLLATE NOCASE, t.id", limit: limit)
    }

    /// The contacts of an account, by name.
    public func contacts(ofAccount accountID: String) throws -> [(id: String, values: [String: FieldValue])] {
        try rows("contact", where: "t.account_id = ?", arguments: [accountID], orderBy: "t.name COLLATE NOCASE, t.id")
    }

    /// The visits to an account (or all visits), newest first, optionally since a moment.
    public func visits(ofAccount accountID: String? = nil, since: Int64? = nil) throws -> [(
        id: String, values: [String: FieldValue]
    )] {
        try rows(
            "visit", where: "(?1 IS NULL OR t.account_id = ?1) AND (?2 IS NULL OR t.started_at >= ?2)",
            arguments: [accountID, since], orderBy: "t.started_at DESC, t.id")
    }

    /// Accounts due for a visit at `now` (Unix ms): the latest visit is older than the account's
    /// visit interval (or its tier's default), or there has never been one. Most overdue first,
    /// never-visited accounts last.
    public func overdueAccounts(asOf now: Int64) throws -> [OverdueAccount] {
        let defaults = Replica.defaultVisitIntervals
        return try writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.name, a.value_tier, a.visit_interval_days,
                        (SELECT MAX(v.started_at) FROM visit v WHERE v.account_id = a.id) AS last_visit
                    FROM account a
                    """)
            let day: Int64 = 86_400_000
            return rows.compactMap { row -> OverdueAccount? in
                let tier: String? = row["value_tier"]
                let interval = (row["visit_interval_days"] as Int?) ?? tier.flatMap { defaults[$0] }
                    ?? Replica.fallbackVisitInterval
                let last: Int64? = row["last_visit"]
                var overdue: Int?
                if let last {
                    let due = last + Int64(interval) * day
                    guard due <= now else { return nil }
                    overdue = Int((now - due) / day)
                }
                return OverdueAccount(
                    id: row["id"], name: row["name"] ?? "", valueTier: tier, intervalDays: interval, lastVisitAt: last,
                    daysOverdue: overdue)
            }.sorted {
                switch ($0.daysOverdue, $1.daysOverdue) {
                case let (a?, b?): return a != b ? a > b : $0.name < $1.name
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return $0.name < $1.name
                }
            }
        }
    }

    /// Open opportunities by stage, in funnel order, with amounts and probability-weighted amounts.
    public func openPipeline() throws -> [PipelineStage] {
        let order = CRMSchema.openStages
        return try writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT stage, amount_currency AS currency, COUNT(*) AS n, SUM(amount_minor) AS amount,
                        SUM(amount_minor * COALESCE(probability, 0) / 100) AS weighted
                    FROM opportunity WHERE stage IN (\(order.map(SQLMapping.literal).joined(separator: ", ")))
                    GROUP BY stage, amount_currency
                    """)
            var stages: [String: PipelineStage] = [:]
            for row in rows {
                let stage: String = row["stage"]
                var entry = stages[stage] ?? PipelineStage(stage: stage, count: 0, amount: [:], weighted: [:])
                entry.count += row["n"] as Int
                if let currency = row["currency"] as String? {
                    entry.amount[currency, default: 0] += (row["amount"] as Int64?) ?? 0
                    entry.weighted[currency, default: 0] += (row["weighted"] as Int64?) ?? 0
                }
                stages[stage] = entry
            }
            return order.compactMap { stages[$0] }
        }
    }
}
