import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore
import SyncServer
import Testing

/// How the simulated laptops reach the hub: in the same process, or over HTTP to a live server.
public enum SimulationNetwork {
    case inProcess
    case http
    /// In the same process, to the planner over an in-memory store (``MemoryHubStore``): the
    /// hub's policy with no SQL under it.
    case planner
}

/// How long a simulation runs, from the environment: `SATCHEL_SIM_SEEDS=100 SATCHEL_SIM_STEPS=3000`
/// runs longer, `SATCHEL_SIM_SEED=N` replays seed N alone (a failure's message names it). The
/// HTTP simulation reads `SATCHEL_HTTP_SIM_SEEDS` and `SATCHEL_HTTP_SIM_STEPS`.
public struct SimulationLength: Sendable {
    public var seeds: [UInt64]
    public var steps: Int

    public static let inProcess = SimulationLength(prefix: "SATCHEL_SIM", seeds: 4, steps: 400, stride: 7919)
    public static let http = SimulationLength(prefix: "SATCHEL_HTTP_SIM", seeds: 1, steps: 800, stride: 104_729)

    init(prefix: String, seeds defaultCount: Int, steps defaultSteps: Int, stride: UInt64) {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment[prefix + "_SEED"].flatMap(UInt64.init) {
            seeds = [seed]
        } else {
            let count = Int(environment[prefix + "_SEEDS"] ?? "") ?? defaultCount
            seeds = (1...UInt64(max(1, count))).map { $0 &* stride }
        }
        steps = Int(environment[prefix + "_STEPS"] ?? "") ?? defaultSteps
    }
}

/// What the simulation asks of a hub, whichever store holds it.
public protocol SimulationHub {
    var schema: Schema { get }
    /// The schema with every step the company has published.
    func currentSchema() throws -> Schema
    func push(_ changeset: Changeset, as writer: Writer, scope: ReadScope, homeTerritory: String?) throws -> PushResponse
    func pull(since cursor: Int64, limit: Int, scope: ReadScope, for reader: ReplicaID?, knownSchema: Int) throws
        -> PullResponse
    func conflicts(includeResolved: Bool) throws -> [QueuedConflict]
    @discardableResult
    func resolve(_ id: String, choice: ConflictChoice, by resolver: String, from device: String) throws -> RowState?
    func row(_ entity: String, id: String) throws -> RowState?
    func liveRows(_ entity: String) throws -> [RowState]
    func check() throws -> [String]
    func dump() throws -> String
}

extension Hub: SimulationHub {}

extension MemoryHubStore: SimulationHub {}

/// One simulated company: a hub, many laptops, random CRM work, random sync order, lost
/// answers, duplicated and reordered deliveries, interrupted pulls and clock skew. After a
/// quiet round every replica must equal the hub, every local write must have an outcome, every
/// applied write must survive unless something later superseded it, and every conflict must be
/// one the rules call for.
///
/// Seeded and reproducible: a failure names its seed and the last steps of its history.
public struct World {
    public let seed: UInt64
    var random: SeededGenerator
    let clock = ManualClock()
    let hub: any SimulationHub
    let network: SimulationNetwork
    /// Whether an admin adds, extends and retires fields of the company's own during the run.
    let evolvingSchema: Bool
    var server: LiveServer?
    var replicas: [Replica] = []
    var writers: [Writer] = []
    var credentials: [String] = []
    /// What each rep may see, as the directory answers it.
    var scopes: [ReadScope] = []
    /// Per-replica clock offset in milliseconds (skew), adjustable during the run.
    let offsets: [ManualClock]
    /// Every change a replica ever sent, by dot, to check conflicts against.
    var sent: [Dot: Change] = [:]
    /// Changesets captured earlier, delivered late (reordered) or twice (duplicated).
    var inFlight: [(replica: Int, changeset: Changeset)] = []
    var history: [String] = []
    let admin = Writer(user: "admin", device: "console", isPrivileged: true)

    public init(seed: UInt64, replicaCount: Int, network: SimulationNetwork = .inProcess, evolvingSchema: Bool = false)
        async throws
    {
        self.seed = seed
        self.network = network
        self.evolvingSchema = evolvingSchema && network != .planner
        random = SeededGenerator(seed: seed)
        let sqlite =
            network == .planner
            ? nil
            : try Hub.inMemory(
                schema: CRMSchema.schema, clock: clock.wallClock, maxClockDrift: 5 * 60_000, replicaID: ReplicaID("hub"))
        hub =
            sqlite
            ?? MemoryHubStore(
                schema: CRMSchema.schema, replica: ReplicaID("hub"), maxClockDrift: 5 * 60_000, clock: clock.wallClock)
        offsets = (0..<replicaCount).map { _ in ManualClock(0) }
        if network == .http, let sqlite {
            server = try await LiveServer.start(hub: sqlite, clock: clock.wallClock)
        }

        // The company's starting book: accounts with contacts, opportunities and tasks.
        let setup = try Replica.inMemory(schema: CRMSchema.schema, replicaID: ReplicaID("setup"), clock: clock.wallClock)
        try setup.setWriter(user: "admin", device: "console", isPrivileged: true)
        for n in 0..<8 {
            let account = try setup.insert("account", id: nextID(),
                values: [
                    "name": .text("Customer \(n)"), "city": .text(["Lyon", "Lille", "Metz"][n % 3]), "territory": .text("north"),
                    "value_tier": .text(CRMSchema.valueTiers[n % 4]), "credit_rating": .text("A"),
                    "notes": .text("line one\nline two\nline three\nline four"), "tags": .stringSet(["base"]),
                ])
            try setup.insert("contact", id: nextID(), values: ["account_id": .text(account), "name": .text("Buyer \(n)")])
            try setup.insert("opportunity", id: nextID(),
                values: [
                    "account_id": .text(account), "name": .text("Deal \(n)"), "stage": .text("prospecting"),
                    "amount": .money(Money(minor: 100_000, currency: "EUR")), "probability": .integer(20),
                ])
            try setup.insert("task", id: nextID(), values: ["account_id": .text(account), "subject": .text("Call \(n)"), "status": .text("open")])
        }
        if let changeset = try setup.pendingChangeset() {
            try setup.acknowledge(try hub.push(changeset, as: admin, scope: .all, homeTerritory: nil))
        }

        for index in 0..<replicaCount {
            let offset = offsets[index]
            let replicaID = ReplicaID("rep-\(index)")
            // Each rep is a user of the north territory with an enrolled device, and sees what
            // the server's directory gives a rep: the territory and the accounts they own.
            let user = UserInfo(name: "rep\(index)", role: .rep, territories: ["north"])
            let credential = "sat_device_simulation_\(seed)_\(index)"
            if let sqlite {
                try sqlite.addUser(user, enrollmentHash: "enroll-\(index)")
                _ = try sqlite.enroll(
                    enrollmentHash: "enroll-\(index)", device: "laptop-\(index)", credentialHash: Tokens.hash(credential),
                    replicaID: replicaID)
                scopes.append(try sqlite.scope(of: user))
            } else {
                scopes.append(ReadScope(territories: Set(user.territories), owners: [user.name]))
            }
            let replica = try Replica.inMemory(
                schema: CRMSchema.schema, replicaID: replicaID, clock: { [clock] in clock.now + offset.now })
            try replica.setWriter(user: "rep\(index)", device: "laptop-\(index)")
            replicas.append(replica)
            writers.append(Writer(user: "rep\(index)", device: "laptop-\(index)", isPrivileged: false))
            credentials.append(credential)
            try await pullAll(index, pageSize: 100)
        }
    }

    // MARK: - The network

    /// Delivers a changeset as replica `index`'s device.
    func deliver(_ changeset: Changeset, from index: Int) async throws -> PushResponse {
        switch network {
        case .inProcess, .planner:
            return try hub.push(changeset, as: writers[index], scope: scopes[index], homeTerritory: "north")
        case .http:
            let response = try await send(
                TransportRequest(
                    method: "POST", path: "/v1/sync/push", headers: ["Content-Type": "application/json"],
                    body: try changeset.jsonData()),
                from: index)
            return try WireJSON.decoder.decode(PushResponse.self, from: response.body)
        }
    }

    /// Fetches one pull page as replica `index`'s device.
    func page(since cursor: Int64, limit: Int, for index: Int) async throws -> PullResponse {
        switch network {
        case .inProcess, .planner:
            return try hub.pull(
                since: cursor, limit: limit, scope: scopes[index], for: try replicas[index].identity().replicaID,
                knownSchema: try replicas[index].schemaRevision())
        case .http:
            let response = try await send(
                TransportRequest(
                    method: "GET",
                    path: "/v1/sync/pull?since=\(cursor)&limit=\(limit)&schema=\(try replicas[index].schemaRevision())"),
                from: index)
            return try WireJSON.decode(PullResponse.self, from: response.body)
        }
    }

    /// Whether a push is refused for a gap, whichever network carried it.
    func isRefusedAsGap(_ changeset: Changeset, from index: Int) async -> Bool {
        do {
            _ = try await deliver(changeset, from: index)
            return false
        } catch let error as HubError {
            if case .gap = error { return true }
            return false
        } catch let error as SyncClientError {
            if case let .refused(refusal, status) = error { return refusal.code == .gap && status == 409 }
            return false
        } catch {
            return false
        }
    }

    private func send(_ request: TransportRequest, from index: Int) async throws -> TransportResponse {
        var request = request
        request.headers["Authorization"] = "Bearer \(credentials[index])"
        let response = try await HTTPTransport(baseURL: server!.url).send(request)
        guard response.status == 200 else {
            let error = try? WireJSON.decoder.decode(ErrorResponse.self, from: response.body).error
            throw SyncClientError.refused(error ?? ProtocolError(.internalError, "status \(response.status)"), status: response.status)
        }
        return response
    }

    /// Pulls every page for replica `index`.
    func pullAll(_ index: Int, pageSize: Int) async throws {
        while true {
            let page = try await page(since: try replicas[index].identity().pullCursor, limit: pageSize, for: index)
            try replicas[index].apply(page)
            if !page.hasMore { return }
        }
    }

    /// Stops the live server, if any.
    public func stop() async {
        await server?.stop()
    }

    mutating func log(_ line: String) {
        history.append(line)
    }

    public var failureContext: Comment { note("") }

    /// A failure message with the seed and the last steps of the history.
    public func note(_ message: String) -> Comment {
        Comment(rawValue: "\(message)\nseed \(seed); last steps:\n" + history.suffix(40).joined(separator: "\n"))
    }

    // MARK: - Steps

    public mutating func step() async throws {
        clock.advance(by: Int64.random(in: 1...30_000, using: &random))
        let index = Int.random(in: 0..<replicas.count, using: &random)
        if evolvingSchema && random.chance(0.01) {
            try evolveSchema()
            return
        }
        let roll = Double.random(in: 0..<1, using: &random)
        switch roll {
        case ..<0.6: try localWork(index)
        case ..<0.78: try await push(index)
        case ..<0.95: try await pull(index)
        case ..<0.98: try resolveSomething()
        default: skewClock(index)
        }
    }

    /// A record id drawn from the seeded generator, so a seed replays exactly.
    mutating func nextID() -> String {
        String(format: "%016llx", random.next())
    }

    mutating func pick<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &random)]
    }

    /// One thing a rep does offline. Refusals by the replica (bad moves) are fine: they write nothing.
    mutating func localWork(_ index: Int) throws {
        let replica = replicas[index]
        let accounts = try replica.rows("account")
        guard let account = pick(accounts) else { return }
        let id = account.id
        if evolvingSchema && random.chance(0.2) {
            try customFieldWork(index, account: id)
            return
        }
        let kind = Int.random(in: 0..<14, using: &random)
        do {
            switch kind {
            case 0: try replica.update("account", id: id, set: ["phone": .text("+33 \(Int.random(in: 100...999, using: &random))")])
            case 1: try replica.update("account", id: id, set: ["credit_rating": .text(pick(CRMSchema.creditRatings)!)])
            case 2: try replica.update("account", id: id, set: ["value_tier": .text(pick(CRMSchema.valueTiers)!)])
            case 3:
                var lines = (account.values["notes"]?.textValue ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let line = Int.random(in: 0...lines.count, using: &random)
                if line == lines.count { lines.append("added by rep\(index)") } else { lines[line] = "rep\(index) edited line \(line)" }
                try replica.update("account", id: id, set: ["notes": .text(lines.joined(separator: "\n"))])
            case 4:
                var tags = Set(account.values["tags"]?.setValue ?? [])
                if random.chance(0.5), let tag = pick(tags.sorted()) { tags.remove(tag) } else { tags.insert("t\(Int.random(in: 0..<6, using: &random))") }
                try replica.update("account", id: id, set: ["tags": .stringSet(Array(tags))])
            case 5: try replica.update("account", id: id, set: ["mass_mail_opt_out": .bool(random.chance(0.5))])
            case 6:
                try replica.insert("visit", id: nextID(),
                    values: [
                        "account_id": .text(id), "rep": .text("rep\(index)"), "started_at": .integer(clock.now),
                        "channel": .text(pick(CRMSchema.visitChannels)!), "purpose": .text("check-in"),
                    ])
            case 7:
                try replica.insert("contact", id: nextID(), values: ["account_id": .text(id), "name": .text("Person \(Int.random(in: 0..<1000, using: &random))")])
            case 8:
                if let contact = pick(try replica.contacts(ofAccount: id)) {
                    if random.chance(0.3) { try replica.delete("contact", id: contact.id) } else { try replica.update("contact", id: contact.id, set: ["title": .text("Title \(index)")]) }
                }
            case 9:
                let opportunities = try replica.rows("opportunity")
                if let opportunity = pick(opportunities) {
                    let stage = pick(CRMSchema.openStages + CRMSchema.closedStages)!
                    try replica.update(
                        "opportunity", id: opportunity.id,
                        set: ["stage": .text(stage), "close_reason": .text("reason \(index)"), "lost_reason": .text("price")])
                }
            case 10:
                let tasks = try replica.rows("task")
                if let task = pick(tasks) {
                    if random.chance(0.3) { try replica.delete("task", id: task.id) } else { try replica.update("task", id: task.id, set: ["subject": .text("Follow up \(index)")]) }
                } else {
                    try replica.insert("task", id: nextID(), values: ["account_id": .text(id), "subject": .text("New task"), "status": .text("open")])
                }
            case 11:
                // The same new customer typed on two laptops becomes a duplicate candidate.
                try replica.insert("account", id: nextID(), values: ["name": .text("Newco \(Int.random(in: 0..<3, using: &random))"), "city": .text("Lyon")])
            case 12:
                // Another tool on the laptop writes a field the company owns, behind satchel's back.
                try replica.execute(sql: "UPDATE account SET credit_status = 'hold' WHERE id = ?", arguments: [id])
            default:
                if random.chance(0.2) { try replica.delete("account", id: id) } else { try replica.update("account", id: id, set: ["name": .text("Customer \(id.prefix(4)) by rep\(index)")]) }
            }
            log("rep\(index) local op \(kind) on \(id.prefix(8))")
        } catch let error as ReplicaError {
            log("rep\(index) local op \(kind) refused: \(error)")
        }
    }

    /// Pushes with faults: a lost answer, a duplicate, a late (reordered) copy, a gap.
    mutating func push(_ index: Int) async throws {
        let replica = replicas[index]
        guard let changeset = try replica.pendingChangeset() else { return }
        for change in changeset.changes { sent[change.dot] = change }
        let fault = Double.random(in: 0..<1, using: &random)
        if fault < 0.1 {
            _ = try await deliver(changeset, from: index)
            log("rep\(index) push \(changeset.counterRange!) answer lost")
            return
        }
        if fault < 0.2 { inFlight.append((index, changeset)) }
        let response = try await deliver(changeset, from: index)
        if fault >= 0.2 && fault < 0.3 {
            let again = try await deliver(changeset, from: index)
            #expect(again == response, note("a duplicated push must answer the same"))
        }
        try replica.acknowledge(response)
        log("rep\(index) push \(changeset.counterRange!) → \(response.outcomes.map(\.outcome.kind))")
        if fault >= 0.3 && fault < 0.4, let late = inFlight.first {
            inFlight.removeFirst()
            let before = try hub.dump()
            _ = try await deliver(late.changeset, from: late.replica)
            #expect(try hub.dump() == before, note("a late duplicate must change nothing"))
            log("rep\(late.replica) late copy of \(late.changeset.counterRange!) delivered: no-op")
        }
        if fault >= 0.4 && fault < 0.45 {
            // Two new changes, the first withheld: the second alone leaves a gap.
            try replica.insert("account", id: nextID(), values: ["name": .text("gap probe \(index) a")])
            try replica.insert("account", id: nextID(), values: ["name": .text("gap probe \(index) b")])
            guard let next = try replica.pendingChangeset(), next.changes.count > 1 else {
                Issue.record(note("the gap probe found fewer than two pending changes"))
                return
            }
            var gapped = next
            gapped.changes.removeFirst()
            let refused = await isRefusedAsGap(gapped, from: index)
            #expect(refused, note("a push that skips changes must be refused as a gap"))
        }
    }

    /// Pulls in pages of random size; sometimes stops early (an interrupted pull) and resumes later.
    mutating func pull(_ index: Int) async throws {
        let replica = replicas[index]
        let pageSize = Int.random(in: 1...25, using: &random)
        let interruptAfter = random.chance(0.2) ? Int.random(in: 1...3, using: &random) : Int.max
        var pages = 0
        while pages < interruptAfter {
            let page = try await page(since: try replica.identity().pullCursor, limit: pageSize, for: index)
            try replica.apply(page)
            pages += 1
            if !page.hasMore { break }
        }
        log("rep\(index) pulled \(pages) page(s) of \(pageSize)\(pages == interruptAfter ? " (interrupted)" : "")")
    }

    /// The admin changes the company's schema: a review choice field on accounts, then a text
    /// field on contacts, choices added, the text field retired while laptops still write it.
    mutating func evolveSchema() throws {
        guard let hub = hub as? Hub else { return }
        let schema = try hub.currentSchema()
        func known(_ entity: String, _ field: String) -> Bool {
            schema.entity(entity).map { $0.field(field) != nil || $0.retiredField(field) != nil } ?? false
        }
        let step: SchemaStep
        if !known("account", "sim_segment") {
            step = .addField(CustomField(entity: "account", name: "sim_segment", kind: .choice, choices: ["a", "b"], rule: .review))
        } else if !known("contact", "sim_code") {
            step = .addField(CustomField(entity: "contact", name: "sim_code", kind: .text, rule: .lastWriterWins))
        } else if random.chance(0.7), case .enumeration(let members)? = schema.entity("account")?.field("sim_segment")?.type,
            members.count < 6
        {
            step = .addChoices(entity: "account", field: "sim_segment", choices: ["c\(members.count)"])
        } else if schema.entity("contact")?.field("sim_code") != nil {
            step = .retireField(entity: "contact", field: "sim_code")
        } else {
            return
        }
        let published = try hub.publish(step, by: Actor(user: "admin", device: "console"))
        log("admin published \(step.summary) (revision \(published.revision))")
    }

    /// A rep writes the company's fields their laptop knows (it may not know them yet).
    mutating func customFieldWork(_ index: Int, account id: String) throws {
        let replica = replicas[index]
        do {
            if random.chance(0.5), case .enumeration(let members)? = replica.schema.entity("account")?.field("sim_segment")?.type {
                let value = pick(members)!
                try replica.update("account", id: id, set: ["sim_segment": .text(value)])
                log("rep\(index) sets sim_segment of \(id.prefix(8)) to \(value)")
            } else if replica.schema.entity("contact")?.field("sim_code") != nil, let contact = pick(try replica.rows("contact")) {
                let value = "code \(Int.random(in: 0..<5, using: &random))"
                try replica.update("contact", id: contact.id, set: ["sim_code": .text(value)])
                log("rep\(index) sets sim_code of \(contact.id.prefix(8)) to \(value)")
            }
        } catch let error as ReplicaError {
            log("rep\(index) custom field write refused: \(error)")
        }
    }

    mutating func resolveSomething() throws {
        guard let item = pick(try hub.conflicts(includeResolved: false)) else { return }
        let choices: [ConflictChoice] = [.keepCurrent, .keepIncoming]
        let choice = pick(choices)!
        do {
            try hub.resolve(item.conflict.id, choice: choice, by: "admin", from: "console")
            log("admin resolved \(item.conflict.id) (\(item.conflict.kind.rawValue)) with \(choice)")
        } catch let error as HubError {
            // A choice that breaks a rule (reopening a closed deal, say) is refused; the item stays open.
            guard case .invalidResolution = error else { throw error }
            let after = try hub.conflicts(includeResolved: true).first { $0.conflict.id == item.conflict.id }
            #expect(after?.isOpen == true, note("a refused resolution must leave the item open"))
            log("admin's \(choice) for \(item.conflict.id) refused: \(error)")
        }
    }

    /// Moves a laptop's clock: usually a little skew, sometimes far beyond the HLC bound, then back.
    mutating func skewClock(_ index: Int) {
        let skew: Int64 = random.chance(0.3) ? 20 * 60_000 : Int64.random(in: -60_000...60_000, using: &random)
        offsets[index].set(skew)
        log("rep\(index) clock skew \(skew) ms")
    }

    // MARK: - The end

    /// Everyone fixes their clock, pushes until the outbox is empty, then pulls everything.
    /// Over HTTP the real ``SyncClient`` does it, with its batching and retries.
    public mutating func quietRound() async throws {
        for offset in offsets { offset.set(0) }
        clock.advance(by: 30 * 60_000)
        for (index, replica) in replicas.enumerated() {
            for change in try replica.pendingChangeset(limit: 100_000)?.changes ?? [] { sent[change.dot] = change }
            switch network {
            case .inProcess, .planner:
                while let changeset = try replica.pendingChangeset() {
                    try replica.acknowledge(try await deliver(changeset, from: index))
                }
            case .http:
                let client = SyncClient(
                    replica: replica,
                    configuration: .init(
                        server: server!.url, credential: credentials[index], pageSize: 37, bootstrapPageSize: 37, pushBatch: 50))
                _ = try await client.push()
            }
        }
        for index in replicas.indices {
            try await pullAll(index, pageSize: 37)
        }
    }

    /// That a run with ``evolvingSchema`` did change the schema, and the laptops wrote the new
    /// fields (so ``check()`` judged something).
    public func checkSchemaChanged() throws {
        let schema = try hub.currentSchema()
        #expect(schema.revision >= 2, note("the run published \(schema.revision) step(s)"))
        let written = try hub.liveRows("account").contains { !($0.values["sim_segment"] ?? .null).isNull }
        #expect(written, note("no laptop's value of sim_segment reached the hub"))
        for replica in replicas {
            #expect(try replica.schemaRevision() == schema.revision, note("a laptop did not learn every step"))
        }
    }

    public func check() throws {
        let expected = try InProcessSync.state(of: hub)
        let schema = try hub.currentSchema()
        #expect(expected["visit"]?.isEmpty == false, note("the run did some work"))
        let problems = try hub.check()
        #expect(problems.isEmpty, note("the hub's invariants: " + problems.prefix(5).joined(separator: "; ")))
        for replica in replicas {
            let identity = try replica.identity()
            // Convergence.
            let state = try InProcessSync.state(of: replica)
            var differences: [String] = []
            for entity in schema.entities {
                let mine = state[entity.name] ?? [:]
                let hubs = expected[entity.name] ?? [:]
                for id in Set(mine.keys).union(hubs.keys).sorted() {
                    guard let a = mine[id], let b = hubs[id] else {
                        differences.append("\(entity.name) \(id): \(mine[id] == nil ? "missing on the replica" : "missing on the hub")")
                        continue
                    }
                    for field in entity.fields where a[field.name] != b[field.name] {
                        differences.append("\(entity.name) \(id).\(field.name): replica \(a[field.name] ?? .null) hub \(b[field.name] ?? .null)")
                        let row = try hub.row(entity.name, id: id)
                        differences.append("  hub stamp \(row?.stamps[field.name].map { "\($0.dot)" } ?? "none"), version \(row?.version.description ?? "")")
                        differences.append("  replica version \(try replica.version(entity.name, id: id))")
                        for outcome in try replica.outcomes() where outcome.rowID == id {
                            differences.append("  own change \(outcome.counter) \(outcome.op) \(outcome.field ?? "") → \(outcome.outcome.kind)")
                        }
                    }
                }
            }
            #expect(differences.isEmpty, note("\(identity.replicaID) differs from the hub:\n" + differences.prefix(10).joined(separator: "\n")))
            // Every local write has exactly one outcome.
            #expect(try replica.pendingCount() == 0, failureContext)
            let outcomes = try replica.outcomes()
            #expect(Set(outcomes.map(\.counter)) == Set(1...max(1, identity.counter)).filter { _ in identity.counter > 0 }, failureContext)
            #expect(outcomes.count == Int(identity.counter), failureContext)
            // Rejections come only from rules that reject.
            // `scope`: a change to a record the hub never held (its insert was refused) is answered
            // like one outside the writer's scope.
            let rejecting: Set<String> = [
                "server-owned", "clock", "append-only", "deleted", "delete-wins", "identity", "scope", "retired",
            ]
            for outcome in outcomes {
                guard case let .rejected(rejection) = outcome.outcome else { continue }
                #expect(
                    rejecting.contains(rejection.rule) || rejection.rule.contains("."), note("unexpected rejection rule \(rejection.rule): \(rejection.reason)"))
            }
        }
        // No applied write is lost: its value is the field's final value, or the write that
        // replaced it had seen it (directly or through a chain of writes that each saw the one
        // before: a covering context, or a base equal to that value), or a rule settled it
        // (merged), or the hub itself wrote the final value (a resolution), or the record is gone.
        var outcomeByDot: [Dot: MergeOutcome] = [:]
        for replica in replicas {
            let me = try replica.identity().replicaID
            for recorded in try replica.outcomes() { outcomeByDot[Dot(replica: me, counter: recorded.counter)] = recorded.outcome }
        }
        for (dot, outcome) in outcomeByDot where outcome == .applied {
            guard let change = sent[dot], case let .update(field, value, _) = change.operation,
                let row = try hub.row(change.entity, id: change.rowID), !row.isDeleted
            else { continue }
            guard let stamp = row.stamps[field], stamp.dot != dot, row.values[field] != value else { continue }
            let writes = sent.values.filter { $0.rowID == change.rowID && $0.entity == change.entity && $0.fields == [field] }
            // A write a rule settled (merged) absorbed the concurrent ones before it.
            let settled = writes.filter { outcomeByDot[$0.dot].map { $0.kind == "merged" } == true }
            var seen = Set([dot] + settled.map(\.dot))
            var frontier = [change] + settled
            while let current = frontier.popLast() {
                guard case let .update(_, currentValue, _) = current.operation else { continue }
                for next in writes where !seen.contains(next.dot) {
                    guard case let .update(_, _, base) = next.operation else { continue }
                    if next.context.covers(current.dot) || base == currentValue {
                        seen.insert(next.dot)
                        frontier.append(next)
                    }
                }
            }
            let superseded =
                stamp.dot.replica == ReplicaID("hub") || seen.contains(stamp.dot)
                || outcomeByDot[stamp.dot].map { ["merged", "queued"].contains($0.kind) } == true
            #expect(
                superseded,
                note(
                    "applied \(dot) (\(change.entity) \(change.rowID).\(field) = \(value)) was lost to \(stamp.dot), "
                        + "which never saw it; writes of that field:\n"
                        + writes.sorted { $0.hlc < $1.hlc }
                        .map { "  \($0.dot) ctx \($0.context) → \(outcomeByDot[$0.dot].map(\.kind) ?? "?")" }
                        .joined(separator: "\n")))
        }
        // Conflicts appear only where the rules call for one.
        for item in try hub.conflicts(includeResolved: true) {
            let conflict = item.conflict
            let entity = try #require(schema.entity(conflict.entity))
            guard let incoming = conflict.contenders.first(where: { !$0.isCurrent }),
                let change = sent[incoming.stamp.dot]
            else {
                Issue.record(note("conflict \(conflict.id) has no incoming contender that was sent"))
                continue
            }
            switch conflict.kind {
            case .field:
                let name = conflict.field ?? ""
                let rule = try #require((entity.field(name) ?? entity.retiredField(name)?.field)?.rule)
                #expect([.review, .textMerge].contains(rule), note("a \(rule.rawValue) field was queued"))
                let current = try #require(conflict.contenders.first { $0.isCurrent })
                // Causally later means the writer saw the current value whole: its dot and, for a
                // value the rules combined (a text merge), every write it holds.
                #expect(
                    !current.stamp.isCovered(by: change.context),
                    note(
                        "queued a causally later write: \(conflict.entity).\(conflict.field ?? "") current \(current.stamp.dot) "
                            + "holding \(current.stamp.merged), incoming \(incoming.stamp.dot) with context \(change.context)"))
                #expect(current.value != incoming.value, note("queued two equal values"))
            case .deleteVersusEdit:
                #expect(entity.deleteRule == .editWinsAndQueue, failureContext)
                let current = try #require(conflict.contenders.first { $0.isCurrent })
                #expect(!current.stamp.isCovered(by: change.context), note("queued a delete that had seen the edit"))
            case .transferred:
                Issue.record(note("a transfer conflict without any transfer in the run"))
            case .duplicateCandidate:
                #expect(entity.duplicates != nil && !conflict.relatedRowIDs.isEmpty, failureContext)
            }
        }
    }
}
