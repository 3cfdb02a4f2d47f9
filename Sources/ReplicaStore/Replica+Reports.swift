import Foundation
import GRDB
import SatchelModel
import SyncCore

/// Reports managers ask for, computed from the replica alone (offline), over whatever this
/// laptop holds: for a rep their territories, for a manager their team's.
extension Replica {
    // MARK: - Pipeline

    public struct PipelineRow: Hashable, Sendable, Codable {
        public var rep: String
        public var stage: String
        public var count: Int
        public var currency: String
        /// Minor units.
        public var amount: Int64
        /// Minor units, each amount times its probability.
        public var weighted: Int64
    }

    public struct FunnelStep: Hashable, Sendable, Codable {
        public var stage: String
        /// Opportunities at this stage or beyond (won counts as beyond every open stage).
        public var reached: Int
        /// reached(next) / reached(this); nil for the last step or when nothing reached this one.
        public var conversionToNext: Double?
    }

    /// Open opportunities by rep (the opportunity's owner, else its account's) and stage, per currency.
    public func pipelineReport() throws -> (rows: [PipelineRow], funnel: [FunnelStep]) {
        try writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(o.owner, a.owner, '(unassigned)') AS rep, o.stage, COUNT(*) AS n,
                        COALESCE(o.amount_currency, '') AS currency, COALESCE(SUM(o.amount_minor), 0) AS amount,
                        COALESCE(SUM(o.amount_minor * COALESCE(o.probability, 0) / 100), 0) AS weighted
                    FROM opportunity o LEFT JOIN account a ON a.id = o.account_id
                    WHERE o.stage IN (\(CRMSchema.openStages.map(SQLMapping.literal).joined(separator: ", ")))
                    GROUP BY rep, o.stage, currency
                    """
            ).map {
                PipelineRow(rep: $0["rep"], stage: $0["stage"], count: $0["n"], currency: $0["currency"], amount: $0["amount"], weighted: $0["weighted"])
            }
            let order = CRMSchema.openStages
            let sorted = rows.sorted {
                ($0.rep, order.firstIndex(of: $0.stage) ?? 0, $0.currency) < ($1.rep, order.firstIndex(of: $1.stage) ?? 0, $1.currency)
            }
            let stages = order + ["closed_won"]
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT stage, COUNT(*) AS n FROM opportunity GROUP BY stage") {
                counts[row["stage"] ?? ""] = row["n"]
            }
            let reached = stages.indices.map { index in stages[index...].reduce(0) { $0 + (counts[$1] ?? 0) } }
            let funnel = stages.indices.map { index in
                FunnelStep(
                    stage: stages[index], reached: reached[index],
                    conversionToNext: index + 1 < stages.count && reached[index] > 0
                        ? Double(reached[index + 1]) / Double(reached[index]) : nil)
            }
            return (sorted, funnel)
        }
    }

    // MARK: - Visits

    public enum VisitGrouping: Hashable, Sendable {
        case rep, account, week
        /// A field of the visited account (built in or the company's own).
        case accountField(String)

        /// "rep", "account", "week", or any other word as a field of accounts (checked when run).
        public init?(_ text: String) {
            switch text {
            case "rep": self = .rep
            case "account": self = .account
            case "week": self = .week
            case let name where !name.isEmpty && name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }): self = .accountField(name)
            default: return nil
            }
        }
    }

    public struct VisitRow: Hashable, Sendable, Codable {
        public var group: String
        public var visits: Int
        /// Visits per week over the period.
        public var perWeek: Double
        /// Share of visits that met a decision maker (0…1).
        public var metDecisionMaker: Double
        /// Visits per channel.
        public var channels: [String: Int]
    }

    /// Visits since `since` (Unix ms) up to `until`, grouped. Weeks start on Monday (UTC) and are
    /// named by that day; for a week, "per week" is its own count.
    public func visitReport(since: Int64, until: Int64, by grouping: VisitGrouping) throws -> [VisitRow] {
        let weeks = max(Double(until - since) / 604_800_000, 1.0 / 7)
        let key: String
        switch grouping {
        case .rep: key = "v.rep"
        case .account: key = "COALESCE(a.name, v.account_id)"
        case .week: key = "'week of ' || date(v.started_at / 1000, 'unixepoch', 'weekday 0', '-6 days')"
        case .accountField(let name):
            let grouped = schema.entity("account")?.fields.filter { SQLMapping.columns($0).count == 1 } ?? []
            guard let field = grouped.first(where: { $0.name == name }) else {
                throw ReplicaError.notAllowed(
                    reason: "visits cannot be grouped by '\(name)'",
                    remedy: "group by rep, account, week or one of " + grouped.map(\.name).joined(separator: ", "))
            }
            key = "CAST(a.\(SQLMapping.quote(field.name)) AS TEXT)"
        }
        return try writer.read { db in
            var groups: [String: VisitRow] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT \(key) AS grp, v.channel, COUNT(*) AS n, SUM(COALESCE(v.met_decision_maker, 0)) AS met
                    FROM visit v LEFT JOIN account a ON a.id = v.account_id
                    WHERE v.started_at >= ? AND v.started_at < ?
                    GROUP BY grp, v.channel
                    """,
                arguments: [since, until])
            {
                let group: String = row["grp"] ?? "(none)"
                var entry = groups[group] ?? VisitRow(group: group, visits: 0, perWeek: 0, metDecisionMaker: 0, channels: [:])
                entry.visits += row["n"] as Int
                entry.metDecisionMaker += Double(row["met"] as Int)
                entry.channels[row["channel"] ?? "other", default: 0] += row["n"] as Int
                groups[group] = entry
            }
            return groups.values.map { row in
                var row = row
                row.perWeek = grouping == .week ? Double(row.visits) : Double(row.visits) / weeks
                row.metDecisionMaker = row.visits == 0 ? 0 : row.metDecisionMaker / Double(row.visits)
                return row
            }.sorted { grouping == .week ? $0.group < $1.group : ($0.visits, $1.group) > ($1.visits, $0.group) }
        }
    }

    // MARK: - Not contacted

    public struct QuietAccount: Hashable, Sendable, Codable {
        public var id: String
        public var name: String
        /// The latest visit or recorded contact, or nil when there has been none.
        public var lastContactAt: Int64?
    }

    /// Accounts with no visit or recorded contact in the last `days` days before `now`.
    public func notContacted(days: Int, asOf now: Int64) throws -> [QuietAccount] {
        let cutoff = now - Int64(days) * 86_400_000
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.name, MAX(COALESCE(a.last_contacted_at, 0), COALESCE((SELECT MAX(v.started_at) FROM visit v WHERE v.account_id = a.id), 0)) AS last
                    FROM account a
                    """
            ).compactMap { row -> QuietAccount? in
                let last: Int64 = row["last"]
                guard last < cutoff else { return nil }
                return QuietAccount(id: row["id"], name: row["name"] ?? "", lastContactAt: last == 0 ? nil : last)
            }.sorted { ($0.lastContactAt ?? 0, $0.name) < ($1.lastContactAt ?? 0, $1.name) }
        }
    }

    // MARK: - Lifecycle and tiers

    public struct LifecycleRow: Hashable, Sendable, Codable {
        public var state: String
        public var accounts: Int
        /// accounts(next state) / accounts(this state), along the lifecycle's main path.
        public var conversionToNext: Double?
    }

    /// Accounts per lifecycle state (those first contacted since `since`, when given), with the
    /// conversion between consecutive states of the main path as count ratios, the way the
    /// customer-resource plan of the domain notes computes them.
    public func lifecycleReport(firstContactedSince since: Int64? = nil) throws -> [LifecycleRow] {
        let path = ["to_be_identified", "potential", "opportunity", "order_customer", "user"]
        return try writer.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(lifecycle_state, '(unset)') AS state, COUNT(*) AS n FROM account
                    WHERE ?1 IS NULL OR first_contacted_at >= ?1 GROUP BY state
                    """,
                arguments: [since])
            {
                counts[row["state"]] = row["n"]
            }
            var rows = path.indices.map { index in
                LifecycleRow(
                    state: path[index], accounts: counts[path[index]] ?? 0,
                    conversionToNext: index + 1 < path.count && (counts[path[index]] ?? 0) > 0
                        ? Double(counts[path[index + 1]] ?? 0) / Double(counts[path[index]]!) : nil)
            }
            for extra in ["lost", "(unset)"] where counts[extra] != nil {
                rows.append(LifecycleRow(state: extra, accounts: counts[extra]!, conversionToNext: nil))
            }
            return rows
        }
    }

    public struct TierRow: Hashable, Sendable, Codable {
        public var dimension: String
        public var value: String
        public var accounts: Int
        public var currency: String
        /// Won opportunities' amounts, minor units.
        public var revenue: Int64
        /// revenue / all revenue in this currency (0…1).
        public var share: Double
    }

    /// Accounts and won revenue by value tier and by M+A+N code.
    public func tierReport() throws -> [TierRow] {
        try writer.read { db in
            var rows: [TierRow] = []
            for (dimension, column) in [("value_tier", "value_tier"), ("man_code", "man_code")] {
                let fetched = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT COALESCE(a.\(column), '(unset)') AS value, COUNT(DISTINCT a.id) AS accounts,
                            COALESCE(o.amount_currency, '') AS currency, COALESCE(SUM(o.amount_minor), 0) AS revenue
                        FROM account a LEFT JOIN opportunity o ON o.account_id = a.id AND o.stage = 'closed_won'
                        GROUP BY value, currency
                        """)
                var totals: [String: Int64] = [:]
                for row in fetched { totals[row["currency"], default: 0] += row["revenue"] as Int64 }
                var accounts: [String: Int] = [:]
                for row in try Row.fetchAll(
                    db, sql: "SELECT COALESCE(\(column), '(unset)') AS value, COUNT(*) AS n FROM account GROUP BY value")
                {
                    accounts[row["value"]] = row["n"]
                }
                for row in fetched {
                    let currency: String = row["currency"]
                    let revenue: Int64 = row["revenue"]
                    guard !currency.isEmpty || revenue == 0 else { continue }
                    let value: String = row["value"]
                    if currency.isEmpty, fetched.contains(where: { ($0["value"] as String) == value && !($0["currency"] as String).isEmpty }) {
                        continue
                    }
                    rows.append(
                        TierRow(
                            dimension: dimension, value: value, accounts: accounts[value] ?? 0, currency: currency, revenue: revenue,
                            share: (totals[currency] ?? 0) > 0 ? Double(revenue) / Double(totals[currency]!) : 0))
                }
            }
            return rows.sorted { ($0.dimension, $1.revenue, $0.value) < ($1.dimension, $0.revenue, $1.value) }
        }
    }
}
