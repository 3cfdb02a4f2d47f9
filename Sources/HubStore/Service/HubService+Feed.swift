import Foundation
import HubEngine
import SyncCore

/// A page of the change feed or of a bootstrap in its wire form.
public struct EncodedPage: Sendable {
    /// The page's JSON (a `PullResponse` or a `BootstrapResponse`).
    public var json: Data
    public var rowCount: Int
    public var hasMore: Bool
    /// Where the next page starts: a pull's `cursor`, a bootstrap's `after`.
    public var next: Int64
    /// A bootstrap's snapshot (nil for a pull).
    public var snapshot: Int64?

    /// The page's JSON with one more member at the end of its object (`value` is JSON already).
    public func appending(field name: String, value: String) -> Data {
        var json = self.json
        guard json.last == UInt8(ascii: "}") else { return json }
        json.removeLast()
        json.append(contentsOf: ",\"\(name)\":\(value)}".utf8)
        return json
    }
}

extension HubService {
    // MARK: - Pull

    /// Returns the rows in `scope` changed since `cursor`, each once with its latest state, at
    /// most `limit`.
    ///
    /// The page is read in one transaction, so it is consistent; `cursor` in the answer is the
    /// sequence number of its last row (or, when nothing in scope changed, the feed's end, so a
    /// reader does not scan the same out-of-scope rows again).
    ///
    /// `reader` is the replica the page goes to: the hub notes how far the feed was sent to it,
    /// which bounds what its next push may claim to have seen (``CausalBound``). Pass nil only
    /// for a reader that never pushes (an admin's listing, a test's look at the feed).
    ///
    /// `knownSchema` is the company schema revision the reader holds: a page carries the steps
    /// after it (read after the rows, so every field a row of the page holds is among them).
    public func pull(
        since cursor: Int64, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?, knownSchema: Int = 0
    ) throws -> PullResponse {
        let page = try pullPage(since: cursor, limit: limit, scope: scope, reader: reader, knownSchema: knownSchema)
        var response = PullResponse(
            rows: try page.rows.map(Self.snapshot), cursor: page.cursor, hasMore: page.hasMore,
            departed: page.departed.isEmpty ? nil : page.departed, redirects: page.redirects.isEmpty ? nil : page.redirects)
        response.schema = page.schema
        return response
    }

    /// The same page as ``pull(since:limit:scope:for:)``, as the JSON the wire carries. The stored
    /// states are spliced in as they are, with their sequence numbers, without being decoded.
    public func pullEncoded(
        since cursor: Int64, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?, knownSchema: Int = 0,
        layout: PageLayout = .rows
    ) throws -> EncodedPage {
        let page = try pullPage(since: cursor, limit: limit, scope: scope, reader: reader, knownSchema: knownSchema)
        var tail = "\"cursor\":\(page.cursor),\"hasMore\":\(page.hasMore)"
        if let schema = page.schema { tail += ",\"schema\":" + (try WireJSON.text(schema)) }
        if !page.departed.isEmpty {
            tail += ",\"departed\":" + String(decoding: try WireJSON.encoder.encode(page.departed), as: UTF8.self)
        }
        if !page.redirects.isEmpty {
            tail += ",\"redirects\":" + String(decoding: try WireJSON.encoder.encode(page.redirects), as: UTF8.self)
        }
        return EncodedPage(
            json: try Self.encodedPage(page.rows, tail: tail, layout: layout),
            rowCount: page.rows.count, hasMore: page.hasMore, next: page.cursor, snapshot: nil)
    }

    private func pullPage(since cursor: Int64, limit: Int, scope: ReadScope, reader: ReplicaID?, knownSchema: Int) throws
        -> (
            rows: [FeedRow], cursor: Int64, hasMore: Bool, departed: [Departure], redirects: [Redirect], schema: SchemaUpdate?
        )
    {
        let limit = max(1, limit)
        let page = try storage.read { store in
            // Checked in the page's own read: a compaction either happened before it (and the
            // reader is told to re-baseline) or did not touch what it reads.
            if cursor > 0, case let compacted = try store.compactedTo(), cursor < compacted {
                throw HubError.rebaselineRequired(cursor: cursor, compactedTo: compacted)
            }
            let rows = try store.feed(after: cursor, through: nil, liveOnly: false, scope: scope, limit: limit + 1)
            let hasMore = rows.count > limit
            let page = Array(rows.prefix(limit))
            let end = hasMore ? (page.last?.seq ?? cursor) : max(cursor, try store.meta().seq)
            return (
                rows: page, cursor: end, hasMore: hasMore,
                departed: try departures(scope, after: cursor, through: end, store: store),
                redirects: try redirects(scope, after: cursor, through: end, store: store),
                schema: try schemaUpdate(after: knownSchema, reader: store)
            )
        }
        try noteSent(reader, upTo: page.cursor)
        return page
    }

    // MARK: - Bootstrap

    /// One page of the live rows in `scope` as of `snapshot` (the feed's end when nil), after
    /// sequence number `after`. Tombstones are left out: a new replica needs no history.
    /// `reader` as for ``pull(since:limit:scope:for:)``.
    public func bootstrap(
        snapshot: Int64? = nil, after: Int64 = 0, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?,
        knownSchema: Int = 0
    ) throws -> BootstrapResponse {
        let page = try bootstrapPage(
            snapshot: snapshot, after: after, limit: limit, scope: scope, reader: reader, knownSchema: knownSchema)
        var response = BootstrapResponse(
            rows: try page.rows.map(Self.snapshot), snapshot: page.snapshot, after: page.after, hasMore: page.hasMore)
        response.schema = page.schema
        return response
    }

    /// The same page as ``bootstrap(snapshot:after:limit:scope:for:)``, as the JSON the wire carries.
    public func bootstrapEncoded(
        snapshot: Int64? = nil, after: Int64 = 0, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?,
        knownSchema: Int = 0, layout: PageLayout = .rows
    ) throws -> EncodedPage {
        let page = try bootstrapPage(
            snapshot: snapshot, after: after, limit: limit, scope: scope, reader: reader, knownSchema: knownSchema)
        var tail = "\"snapshot\":\(page.snapshot),\"after\":\(page.after),\"hasMore\":\(page.hasMore)"
        if let schema = page.schema { tail += ",\"schema\":" + (try WireJSON.text(schema)) }
        return EncodedPage(
            json: try Self.encodedPage(page.rows, tail: tail, layout: layout),
            rowCount: page.rows.count, hasMore: page.hasMore, next: page.after, snapshot: page.snapshot)
    }

    private func bootstrapPage(
        snapshot: Int64?, after: Int64, limit: Int, scope: ReadScope, reader: ReplicaID?, knownSchema: Int
    ) throws -> (rows: [FeedRow], snapshot: Int64, after: Int64, hasMore: Bool, schema: SchemaUpdate?) {
        let limit = max(1, limit)
        let page = try storage.read { store in
            let snapshot = try snapshot ?? store.meta().seq
            let rows = try store.feed(after: after, through: snapshot, liveOnly: true, scope: scope, limit: limit + 1)
            let hasMore = rows.count > limit
            let page = Array(rows.prefix(limit))
            return (
                rows: page, snapshot: snapshot, after: hasMore ? (page.last?.seq ?? after) : snapshot, hasMore: hasMore,
                schema: try schemaUpdate(after: knownSchema, reader: store)
            )
        }
        // Every row of the snapshot may arrive, whichever page carries it.
        try noteSent(reader, upTo: page.snapshot)
        return page
    }

    // MARK: - What a page tells besides rows

    /// The roots that left `scope` in the feed positions `(after, end]`: a transfer moved them
    /// from a placement the scope covered to one it does not.
    func departures(_ scope: ReadScope, after cursor: Int64, through end: Int64, store: Storage.Reader) throws
        -> [Departure]
    {
        guard !scope.everything, end > cursor, let placement = schema.placement else { return [] }
        let moves = try store.moves(after: cursor, through: end)
        // A root moved more than once in the range left the reader if the reader held it at any
        // of those moves and does not hold it now; the last move says where it went.
        let heldBefore = Set(moves.filter { scope.contains($0.from) }.map(\.root))
        var departures: [Departure] = []
        var seen: Set<String> = []
        for move in moves.reversed() where seen.insert(move.root).inserted && heldBefore.contains(move.root) {
            if let now = try store.location(ofRoot: move.root), scope.contains(now) { continue }
            let title = try store.row(placement.root, id: move.root)
                .map { schema.entity(placement.root)?.title(of: $0.values, id: move.root) ?? move.root } ?? move.root
            departures.append(
                Departure(entity: placement.root, id: move.root, title: title, to: move.newOwner, by: move.movedBy, seq: move.seq))
        }
        return departures.sorted { $0.seq < $1.seq }
    }

    /// The merges in feed positions `(after, end]` whose kept record `scope` may see.
    func redirects(_ scope: ReadScope, after cursor: Int64, through end: Int64, store: Storage.Reader) throws -> [Redirect] {
        guard end > cursor else { return [] }
        return try store.redirects(after: cursor, through: end).filter { merge in
            guard let root = try store.storedRoot(merge.entity, id: merge.to) else { return scope.everything }
            return try Self.scope(scope, covers: root, reader: store)
        }.map { Redirect(entity: $0.entity, from: $0.from, to: $0.to) }
    }

    /// `{"rows":[…],<tail>}` with each stored state turned into a row snapshot by putting its
    /// `seq` in front (a stored state is a snapshot without it; see ``RowState``).
    static func encodedPage(_ rows: [FeedRow], tail: String, layout: PageLayout) throws -> Data {
        if layout == .table {
            // The table is written from the stored states, each read once here; a state only
            // the decoder reads (a visit's location, say) goes through its decoded snapshot.
            let table = try RowTable.json(states: rows.map { (seq: $0.seq, state: $0.state) }) { seq, state in
                try Self.snapshot(FeedRow(seq: seq, state: state))
            }
            var json = Data(#"{"table":"#.utf8)
            json.append(contentsOf: table.utf8)
            json.append(UInt8(ascii: ","))
            json.append(contentsOf: tail.utf8)
            json.append(UInt8(ascii: "}"))
            return json
        }
        var json = Data()
        json.reserveCapacity(rows.reduce(64 + tail.utf8.count) { $0 + $1.state.utf8.count + 32 })
        json.append(contentsOf: #"{"rows":["#.utf8)
        for (index, row) in rows.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json.append(contentsOf: #"{"seq":"#.utf8)
            json.append(contentsOf: String(row.seq).utf8)
            json.append(UInt8(ascii: ","))
            json.append(contentsOf: row.state.utf8.dropFirst())
        }
        json.append(contentsOf: "],".utf8)
        json.append(contentsOf: tail.utf8)
        json.append(UInt8(ascii: "}"))
        return json
    }
}
