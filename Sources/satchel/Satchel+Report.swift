import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncCore

/// How a report is printed: a table for people, JSON, or CSV for spreadsheets.
struct ReportFormat: ParsableArguments {
    @Flag(help: "Print CSV (for spreadsheets) instead of a table.") var csv = false
}

/// A report's header: what it shows, over which period, for which scope.
struct ReportHeader: Encodable {
    var report: String
    var period: String
    var scope: String
    var generatedAt: Int64

    static func make(_ report: String, period: String, replica: Replica) throws -> ReportHeader {
        let me = try replica.identity()
        let accounts = try replica.rows("account").count
        return ReportHeader(
            report: report, period: period,
            scope: "the \(accounts) account\(accounts == 1 ? "" : "s") on \(me.user)'s laptop (\(me.device)), as of its last sync "
                + (me.lastSyncAt.map(Output.time) ?? "(never)"),
            generatedAt: Int64(Date().timeIntervalSince1970 * 1000))
    }
}

/// Prints a report in the chosen form.
struct ReportPrinter {
    let output: Output
    let csv: Bool

    /// - Parameter csvTable: the one table `--csv` prints, with plain numbers (amounts in major
    ///   units with a currency column, shares as fractions) so a spreadsheet can sum them.
    func print<Body: Encodable>(
        _ header: ReportHeader, body: Body, tables: [(title: String?, header: [String], rows: [[String]])],
        csvTable: (header: [String], rows: [[String]])? = nil
    ) throws {
        if output.json {
            try output.printJSON(Report(header: header, body: body))
            return
        }
        if csv {
            let table = csvTable ?? (tables[0].header, tables[0].rows)
            emit(([table.header] + table.rows).map { $0.map(CSV.quote).joined(separator: ",") }.joined(separator: "\n"))
            return
        }
        emit(output.bold(header.report))
        emit("Period: \(header.period)")
        emit("Scope:  \(header.scope)")
        for table in tables {
            emit("")
            if let title = table.title { emit(output.bold(title)) }
            output.table(table.header, table.rows)
        }
    }

    struct Report<Body: Encodable>: Encodable {
        var header: ReportHeader
        var body: Body
    }
}

enum CSV {
    static func quote(_ cell: String) -> String {
        cell.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
    }
}

enum Figures {
    /// An amount in major units as a plain number: 55055050 → "550550.50".
    static func number(_ minor: Int64) -> String { Money(minor: minor, currency: "").amountText }

    static func money(_ minor: Int64, _ currency: String) -> String {
        Money(minor: minor, currency: currency).description
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "" }
        return String(format: "%.1f%%", value * 100)
    }
}

extension Satchel {
    struct Reports: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report", abstract: "Reports computed on this laptop, offline, over what it holds.",
            subcommands: [Pipeline.self, VisitsReport.self, Overdue.self, Lifecycle.self, Tiers.self])
    }
}

extension Satchel.Reports {
    struct Pipeline: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pipeline",
            abstract: "Open opportunities by rep and stage (count, amount, weighted amount) and the funnel.")
        @OptionGroup var format: ReportFormat
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let replica = try options.openReplica()
            let report = try replica.pipelineReport()
            let header = try ReportHeader.make("Pipeline: open opportunities", period: "now (open deals as they stand)", replica: replica)
            struct Body: Encodable { var rows: [Replica.PipelineRow]; var funnel: [Replica.FunnelStep] }
            try ReportPrinter(output: Output(options), csv: format.csv).print(
                header, body: Body(rows: report.rows, funnel: report.funnel),
                tables: [
                    (nil, ["REP", "STAGE", "COUNT", "AMOUNT", "WEIGHTED"],
                     report.rows.map { [$0.rep, $0.stage, String($0.count), Figures.money($0.amount, $0.currency), Figures.money($0.weighted, $0.currency)] }),
                    ("Funnel (at this stage or beyond)", ["STAGE", "REACHED", "TO NEXT"],
                     report.funnel.map { [$0.stage, String($0.reached), Figures.percent($0.conversionToNext)] }),
                ],
                csvTable: (["rep", "stage", "count", "currency", "amount", "weighted"],
                           report.rows.map { [$0.rep, $0.stage, String($0.count), $0.currency, Figures.number($0.amount), Figures.number($0.weighted)] }))
        }
    }

    struct VisitsReport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "visits", abstract: "Visit counts and frequency, decision makers met, channels.")
        @Option(help: "From this date (YYYY-MM-DD, local; default 30 days ago).") var since: String?
        @Option(help: "Group by rep, account, week, or a field of the visited accounts (city, value_tier, a field of your company's).")
        var by: String = "rep"
        @OptionGroup var format: ReportFormat
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            if Replica.VisitGrouping(by) == nil {
                throw ValidationError("--by is rep, account, week or a field of accounts such as city or a field of your company's")
            }
            if let since, CalendarDate(since) == nil { throw ValidationError("--since '\(since)' is not a date; write it like 2026-11-01") }
        }

        func run() throws {
            let replica = try options.openReplica()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let from = try since.map { text -> Int64 in
                guard let value = FieldType.parseTimestamp(text, timeZone: .current) else { throw CLIError("--since '\(text)' is not a date") }
                return value
            } ?? now - 30 * 86_400_000
            let rows = try replica.visitReport(since: from, until: now, by: Replica.VisitGrouping(by)!)
            let header = try ReportHeader.make(
                "Visits by \(by)", period: "\(Output.time(from)) to \(Output.time(now))", replica: replica)
            let channels = Array(Set(rows.flatMap(\.channels.keys))).sorted()
            try ReportPrinter(output: Output(options), csv: format.csv).print(
                header, body: rows,
                tables: [
                    (nil, [by.uppercased(), "VISITS", "PER WEEK", "MET DECISION MAKER"] + channels.map { $0.uppercased() },
                     rows.map { row in
                         [row.group, String(row.visits), String(format: "%.1f", row.perWeek), Figures.percent(row.metDecisionMaker)]
                             + channels.map { String(row.channels[$0] ?? 0) }
                     })
                ])
        }
    }

    struct Overdue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "overdue",
            abstract: "Accounts due a visit by their interval (or tier), and accounts not contacted in N days.")
        @Option(help: "Also list accounts not contacted in this many days.") var days: Int = 60
        @OptionGroup var format: ReportFormat
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard days >= 1 else { throw ValidationError("--days must be 1 or more") }
        }

        func run() throws {
            let replica = try options.openReplica()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let overdue = try replica.overdueAccounts(asOf: now)
            let quiet = try replica.notContacted(days: days, asOf: now)
            let header = try ReportHeader.make(
                "Overdue visits", period: "as of \(Output.time(now)); not contacted: the last \(days) days", replica: replica)
            struct Body: Encodable { var overdue: [Overdue]; var notContacted: [Replica.QuietAccount] }
            struct Overdue: Encodable { var id: String; var name: String; var tier: String?; var intervalDays: Int; var lastVisitAt: Int64?; var daysOverdue: Int? }
            try ReportPrinter(output: Output(options), csv: format.csv).print(
                header,
                body: Body(
                    overdue: overdue.map { Overdue(id: $0.id, name: $0.name, tier: $0.valueTier, intervalDays: $0.intervalDays, lastVisitAt: $0.lastVisitAt, daysOverdue: $0.daysOverdue) },
                    notContacted: quiet),
                tables: [
                    ("Due a visit", ["ACCOUNT", "TIER", "EVERY", "LAST VISIT", "DAYS OVERDUE"],
                     overdue.map { [$0.name, $0.valueTier ?? "", "\($0.intervalDays) d", $0.lastVisitAt.map(Output.time) ?? "never", $0.daysOverdue.map(String.init) ?? "never visited"] }),
                    ("Not contacted in \(days) days", ["ACCOUNT", "LAST CONTACT"],
                     quiet.map { [$0.name, $0.lastContactAt.map(Output.time) ?? "never"] }),
                ],
                csvTable: (["account_id", "account", "tier", "interval_days", "last_visit", "days_overdue"],
                           overdue.map { [$0.id, $0.name, $0.valueTier ?? "", String($0.intervalDays), $0.lastVisitAt.map { FieldType.timestamp.format(.integer($0)) } ?? "", $0.daysOverdue.map(String.init) ?? ""] }))
        }
    }

    struct Lifecycle: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lifecycle",
            abstract: "Customers per lifecycle state and the conversion between states.")
        @Option(help: "Only accounts first contacted since this date (YYYY-MM-DD).") var since: String?
        @OptionGroup var format: ReportFormat
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            if let since, CalendarDate(since) == nil { throw ValidationError("--since '\(since)' is not a date; write it like 2026-01-01") }
        }

        func run() throws {
            let replica = try options.openReplica()
            let from = since.flatMap { FieldType.parseTimestamp($0, timeZone: .current) }
            let rows = try replica.lifecycleReport(firstContactedSince: from)
            let header = try ReportHeader.make(
                "Customer lifecycle", period: from.map { "accounts first contacted since \(Output.time($0))" } ?? "all accounts, now",
                replica: replica)
            try ReportPrinter(output: Output(options), csv: format.csv).print(
                header, body: rows,
                tables: [(nil, ["STATE", "ACCOUNTS", "NEXT ÷ THIS"], rows.map { [$0.state, String($0.accounts), Figures.percent($0.conversionToNext)] })])
        }
    }

    struct Tiers: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tiers",
            abstract: "Accounts and won revenue by value tier and by M+A+N code.")
        @OptionGroup var format: ReportFormat
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let replica = try options.openReplica()
            let rows = try replica.tierReport()
            let header = try ReportHeader.make("Value tiers and M+A+N codes", period: "won opportunities to date", replica: replica)
            try ReportPrinter(output: Output(options), csv: format.csv).print(
                header, body: rows,
                tables: ["value_tier", "man_code"].map { dimension in
                    (dimension == "value_tier" ? "By value tier" : "By M+A+N code", [dimension == "value_tier" ? "TIER" : "CODE", "ACCOUNTS", "REVENUE", "SHARE"],
                     rows.filter { $0.dimension == dimension }.map { [$0.value, String($0.accounts), $0.currency.isEmpty ? "" : Figures.money($0.revenue, $0.currency), Figures.percent($0.share)] })
                },
                csvTable: (["dimension", "value", "accounts", "currency", "revenue", "share"],
                           rows.map { [$0.dimension, $0.value, String($0.accounts), $0.currency, Figures.number($0.revenue), String(format: "%.4f", $0.share)] }))
        }
    }
}

extension Satchel {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write accounts, contacts, visits or opportunities to a CSV file (the format import reads).")
        @Argument(help: "accounts, contacts, visits or opportunities.") var what: String
        @Option(help: "The file to write.") var csv: String
        @OptionGroup var options: GlobalOptions

        static let entities = ["accounts": "account", "contacts": "contact", "visits": "visit", "opportunities": "opportunity"]

        func validate() throws {
            guard Self.entities[what] != nil else { throw ValidationError("export accounts, contacts, visits or opportunities, not '\(what)'") }
        }

        func run() throws {
            let entity = Self.entities[what]!
            let rows = try options.openReplica().rows(entity)
            let schema = Records.schema(entity)
            let header = ["record", "id"] + schema.fields.map(\.name)
            let lines = [header.joined(separator: ",")]
                + rows.map { row in
                    ([entity, row.id] + schema.fields.map { $0.type.format(row.values[$0.name] ?? .null) }).map(CSV.quote).joined(separator: ",")
                }
            guard FileManager.default.createFile(atPath: csv, contents: Data((lines.joined(separator: "\n") + "\n").utf8)) else {
                throw CLIError("cannot write \(csv); check the folder and its permissions")
            }
            let output = Output(options)
            if output.json {
                struct Result: Encodable { var file: String; var records: Int }
                try output.printJSON(Result(file: csv, records: rows.count))
            } else {
                print("Wrote \(rows.count) \(what) to \(csv).")
            }
        }
    }
}
