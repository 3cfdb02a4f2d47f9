import Foundation
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// Every report's numbers against figures worked out by hand on a small book of business.
struct ReportTests {
    let clock = ManualClock()
    let day: Int64 = 86_400_000

    /// Four accounts, six opportunities, four visits; see each test for the hand computation.
    func makeBook() throws -> (Replica, [String: String]) {
        let replica = try Replica.inMemory(schema: CRMSchema.schema, clock: clock.wallClock)
        try replica.setWriter(user: "admin", device: "console", isPrivileged: true)
        var ids: [String: String] = [:]
        func account(_ key: String, _ values: [String: FieldValue]) throws {
            ids[key] = try replica.insert("account", values: values.merging(["name": .text(key)]) { $1 })
        }
        try account("A", ["value_tier": .text("key"), "man_code": .text("M+A+N"), "lifecycle_state": .text("opportunity"), "owner": .text("alice")])
        try account("B", ["value_tier": .text("development"), "man_code": .text("m+a+n"), "lifecycle_state": .text("potential"), "owner": .text("bob")])
        try account("C", ["value_tier": .text("key"), "lifecycle_state": .text("potential"), "owner": .text("alice")])
        try account("D", ["lifecycle_state": .text("order_customer")])
        func deal(_ key: String, _ stage: String, _ minor: Int64, _ probability: Int64) throws {
            var values: [String: FieldValue] = [
                "account_id": .text(ids[key]!), "name": .text("\(key) \(stage)"), "stage": .text(stage),
                "amount": .money(Money(minor: minor, currency: "EUR")), "probability": .integer(probability),
            ]
            if stage.hasPrefix("closed") { values["close_reason"] = .text("done"); values["lost_reason"] = .text("price") }
            try replica.insert("opportunity", values: values)
        }
        try deal("A", "negotiation", 10_000, 50)
        try deal("A", "prospecting", 2_000, 10)
        try deal("B", "negotiation", 5_000, 20)
        try deal("C", "closed_won", 30_000, 100)
        try deal("B", "closed_won", 10_000, 100)
        try deal("A", "closed_lost", 7_000, 0)
        func visit(_ key: String, _ rep: String, _ daysAgo: Int64, _ channel: String, met: Bool) throws {
            try replica.insert(
                "visit",
                values: [
                    "account_id": .text(ids[key]!), "rep": .text(rep), "started_at": .integer(clock.now - daysAgo * day),
                    "channel": .text(channel), "purpose": .text("check"), "met_decision_maker": .bool(met),
                ])
        }
        try visit("A", "alice", 2, "face_to_face", met: true)
        try visit("C", "alice", 5, "phone", met: false)
        try visit("B", "bob", 10, "face_to_face", met: true)
        try visit("B", "bob", 40, "email", met: false)
        return (replica, ids)
    }

    @Test func pipelineAndFunnel() throws {
        let (replica, _) = try makeBook()
        let report = try replica.pipelineReport()
        // Open deals only: alice has A's prospecting (2000, 10 %) and negotiation (10000, 50 %); bob B's negotiation (5000, 20 %).
        #expect(report.rows.map { "\($0.rep) \($0.stage) \($0.count) \($0.amount) \($0.weighted)" } == [
            "alice prospecting 1 2000 200", "alice negotiation 1 10000 5000", "bob negotiation 1 5000 1000",
        ])
        // At or beyond each stage (won beyond all, lost left out): 5, 4, 4, 2, 2, 2.
        #expect(report.funnel.map(\.reached) == [5, 4, 4, 2, 2, 2])
        #expect(report.funnel.map(\.conversionToNext) == [0.8, 1.0, 0.5, 1.0, 1.0, nil])
    }

    @Test func visitsByRepOverFourWeeks() throws {
        let (replica, _) = try makeBook()
        let rows = try replica.visitReport(since: clock.now - 28 * day, until: clock.now, by: .rep)
        // Bob's visit of 40 days ago is outside the period.
        #expect(rows.map(\.group) == ["alice", "bob"])
        #expect(rows.map(\.visits) == [2, 1])
        #expect(rows.map(\.perWeek) == [0.5, 0.25])
        #expect(rows.map(\.metDecisionMaker) == [0.5, 1.0])
        #expect(rows[0].channels == ["face_to_face": 1, "phone": 1])
        let weeks = try replica.visitReport(since: clock.now - 28 * day, until: clock.now, by: .week)
        #expect(weeks.map(\.visits).reduce(0, +) == 3)
        #expect(weeks.allSatisfy { $0.group.hasPrefix("week of ") && $0.perWeek == Double($0.visits) })
        let accounts = try replica.visitReport(since: 0, until: clock.now, by: .account)
        #expect(accounts.first.map { "\($0.group) \($0.visits)" } == "B 2")
    }

    @Test func overdueAndNotContacted() throws {
        let (replica, ids) = try makeBook()
        // Only D was never visited or contacted.
        #expect(try replica.notContacted(days: 30, asOf: clock.now).map(\.id) == [ids["D"]!])
        // Within a week: A (2 days ago) and C (5) were contacted; B (10 days ago) and D (never) were not.
        #expect(try replica.notContacted(days: 7, asOf: clock.now).map(\.name) == ["D", "B"])
        // Twenty days on: C (key, every 14 days, visited 5 days ago) is 11 days overdue, A (key, 2 days
        // ago) 8, B (development, every 30 days, 10 days ago) due today, D never visited.
        let overdue = try replica.overdueAccounts(asOf: clock.now + 20 * day)
        #expect(overdue.map(\.name) == ["C", "A", "B", "D"])
        #expect(overdue.map(\.daysOverdue) == [11, 8, 0, nil])
    }

    @Test func lifecycleCountsAndConversions() throws {
        let (replica, _) = try makeBook()
        let rows = try replica.lifecycleReport()
        // potential 2 → opportunity 1 → order_customer 1 → user 0.
        #expect(rows.map { "\($0.state) \($0.accounts)" } == [
            "to_be_identified 0", "potential 2", "opportunity 1", "order_customer 1", "user 0",
        ])
        #expect(rows.map(\.conversionToNext) == [nil, 0.5, 1.0, 0.0, nil])
    }

    @Test func tiersAndCodesWithRevenueShares() throws {
        let (replica, _) = try makeBook()
        let rows = try replica.tierReport()
        let tiers = rows.filter { $0.dimension == "value_tier" }
        // Won: C (key) 30000, B (development) 10000; total 40000.
        #expect(tiers.map { "\($0.value) \($0.accounts) \($0.revenue) \($0.share)" } == [
            "key 2 30000 0.75", "development 1 10000 0.25", "(unset) 1 0 0.0",
        ])
        let codes = rows.filter { $0.dimension == "man_code" }
        #expect(codes.map { "\($0.value) \($0.accounts) \($0.revenue)" } == ["(unset) 2 30000", "m+a+n 1 10000", "M+A+N 1 0"])
    }
}
