import GRDB
import HubEngine
import SatchelModel
import SyncCore

/// What a merge of two records did.
public struct MergeReport: Hashable, Sendable {
    /// The kept record, after the merge.
    public var kept: RowState
    /// Rows moved from the merged-away record to the kept one, by record type.
    public var moved: [String: Int]
    /// Queue items about the pair that the merge settled.
    public var settledConflicts: [String]
}

extension Hub {
    /// Merges record `other` into record `keep` (two records of `entity` found to be the same
    /// customer, say), in one transaction:
    ///
    /// - the fields named in `take` get `other`'s values on `keep`; the others keep theirs;
    /// - every row whose parent reference names `other` is re-parented to `keep` (contacts,
    ///   visits, opportunities, …) and, like everything under them, goes back into the feed, so
    ///   every replica that may see them receives the new parent;
    /// - `other` becomes a tombstone and its id redirects to `keep`: changes pushed later to
    ///   `other`, or naming it in a reference (a visit logged offline), land on `keep`;
    /// - the duplicate-candidate items about the pair are closed as merged;
    /// - both records' histories say so.
    @discardableResult
    public func mergeRecords(
        _ entity: String, keep: String, merge other: String, take: [String], by admin: String,
        from device: String = Actor.serverOperator.device
    ) throws -> MergeReport {
        guard let schema = self.schema.entity(entity) else {
            throw HubError.invalidResolution("there is no record type \(entity)")
        }
        guard keep != other else { throw HubError.invalidResolution("a record cannot be merged into itself") }
        for field in take where schema.field(field) == nil {
            throw HubError.invalidResolution("\(schema.labelWithArticle) has no field '\(field)'")
        }
        let now = clock()
        return try writer.write { db in
            try Hub.audit(
                "record.merge", target: "\(entity) \(keep)",
                detail: "merged \(other) into it" + (take.isEmpty ? "" : ", taking \(take.sorted().joined(separator: ", "))"),
                by: Actor(user: admin, device: device), at: now, db: db)
            guard let kept = try Hub.row(entity, id: keep, db: db), !kept.isDeleted else {
                throw HubError.invalidResolution("there is no \(schema.label) \(keep) to keep")
            }
            guard let merged = try Hub.row(entity, id: other, db: db), !merged.isDeleted else {
                throw HubError.invalidResolution("there is no \(schema.label) \(other) to merge")
            }
            let keptTitle = schema.title(of: kept.values, id: keep)
            let mergedTitle = schema.title(of: merged.values, id: other)
            // A merge never moves work between holders: that is what a transfer is for, and a
            // transfer tells the laptops that lose the record.
            if let placement = self.schema.placement, entity == placement.root {
                for field in placement.rootFields where take.contains(field) {
                    throw HubError.invalidResolution(
                        "\(schema.labelWithArticle)'s \(field) moves only by transfer; merge without --take \(field), then transfer")
                }
                // Everyone who sees the merged root must still see the kept one: the same
                // territory, and a different owner only if the territory is one of theirs.
                let mergedPlace = placement.location(of: merged.values)
                let keptPlace = placement.location(of: kept.values)
                let territory = mergedPlace.territory
                guard keptPlace.territory == territory else {
                    throw HubError.invalidResolution(
                        "\(mergedTitle) is in territory \(territory ?? "none") and \(keptTitle) in "
                            + "\(keptPlace.territory ?? "none"); transfer one to the other's holder first "
                            + "(satchel account transfer), then merge")
                }
                if let owner = mergedPlace.owner, owner != keptPlace.owner,
                    let holder = try Hub.user(owner, db: db), !(territory.map(holder.territories.contains) ?? false)
                {
                    throw HubError.invalidResolution(
                        "\(owner) owns \(mergedTitle) outside their territories and would lose it; "
                            + "transfer \(keptTitle) to \(owner) first (satchel account transfer), then merge")
                }
            } else {
                let accounts = try String.fetchAll(
                    db.cachedStatement(
                        sql:
                            "SELECT DISTINCT coalesce(account_id, '') FROM hub_row WHERE entity = ? AND row_id IN (?, ?)"
                    ),
                    arguments: [entity, keep, other])
                guard accounts.count == 1 else {
                    throw HubError.invalidResolution(
                        "\(mergedTitle) and \(keptTitle) belong to different accounts; move one first, then merge")
                }
            }

            // The fields taken from the merged-away record.
            var taken: [String: FieldValue] = [:]
            for field in take where merged.values[field] != kept.values[field] {
                taken[field] = merged.values[field] ?? .null
            }
            var result = kept
            if !taken.isEmpty,
                let written = try writeAsHub(entity, id: keep, taken, by: admin, now: now, db: db, history: false)
            {
                result = written
            }

            // Re-point every reference to the merged record (the parent of contacts, visits and
            // the rest, and other references such as a ticket's contact), then feed everything
            // under the kept record again.
            var moved: [String: Int] = [:]
            for (child, field) in self.schema.references(to: entity, parentsOnly: false) {
                let parentField = field.name
                let ids = try String.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT row_id FROM hub_row WHERE entity = ? AND deleted = 0
                                AND json_extract(state, '$.values.' || ?) = ? ORDER BY row_id
                            """),
                    arguments: [child.name, parentField, other])
                for id in ids {
                    guard var state = try Hub.row(child.name, id: id, db: db) else { continue }
                    let change = try hubChange(
                        child.name, id: id, now: now, context: state.version,
                        operation: .update(field: parentField, value: .text(keep), base: .text(other)), db: db)
                    state.values[parentField] = .text(keep)
                    state.stamps[parentField] = FieldStamp(
                        dot: change.dot, hlc: change.hlc, wall: now, user: admin, device: "server")
                    state.version.record(change.dot)
                    try save(state, db: db)
                    try Hub.record(
                        HistoryEntry(
                            kind: .merge, at: now, user: admin, device: "server", wall: now, hlc: change.hlc,
                            op: "update",
                            field: parentField, value: .text(keep),
                            detail:
                                "moved from \(mergedTitle) (\(other)) to \(keptTitle) (\(keep)), which it duplicated"
                        ),
                        entity: child.name, id: id, db: db)
                    moved[child.name, default: 0] += 1
                }
            }
            if entity == self.schema.placement?.root {
                // Rows further down (lines under a quote) name their root only through the
                // chain: move them with it, and back into the feed.
                let deeper = try Row.fetchAll(
                    db.cachedStatement(
                        sql:
                            "SELECT entity, row_id FROM hub_row WHERE account_id = ? AND NOT (entity = ? AND row_id = ?)"
                    ),
                    arguments: [other, entity, other])
                for row in deeper {
                    try db.cachedStatement(
                        sql: "UPDATE hub_row SET account_id = ?, seq = ? WHERE entity = ? AND row_id = ?"
                    )
                    .execute(arguments: [keep, try Hub.nextSeq(db), row["entity"] as String, row["row_id"] as String])
                }
            }

            // The merged-away record goes, and its id now means the kept one.
            let delete = try hubChange(entity, id: other, now: now, context: merged.version, operation: .delete, db: db)
            let gone = try merger.merge(
                [delete], into: merged,
                environment: environment(writer: Writer(user: admin, device: "server", isPrivileged: true), db: db))
            if case .rejected(let rejection)? = gone.outcomes.first?.outcome {
                throw HubError.invalidResolution("\(mergedTitle) cannot be removed: \(rejection.reason)")
            }
            if let tombstone = gone.row { try save(tombstone, db: db) }
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO hub_redirect (entity, from_id, to_id, merged_at, merged_by, seq)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [entity, other, keep, now, admin, try Hub.nextSeq(db)])
            // Anything that redirected to the merged-away record now goes to the kept one.
            try db.cachedStatement(sql: "UPDATE hub_redirect SET to_id = ?, seq = ? WHERE entity = ? AND to_id = ?")
                .execute(arguments: [keep, try Hub.nextSeq(db), entity, other])

            // The queue items that asked whether these two are the same are answered.
            var settled: [String] = []
            for item in try Row.fetchAll(
                db.cachedStatement(
                    sql:
                        "SELECT id, body FROM hub_conflict WHERE status = 'open' AND kind = 'duplicate-candidate' AND entity = ?"
                ),
                arguments: [entity])
            {
                let conflict = try WireJSON.decode(Conflict.self, fromText: item["body"] as String)
                let pair = Set([conflict.rowID] + conflict.relatedRowIDs)
                guard pair.contains(keep), pair.contains(other) else { continue }
                try db.cachedStatement(
                    sql: """
                        UPDATE hub_conflict SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ?
                        """
                ).execute(arguments: [try WireJSON.text(ConflictChoice.merged(into: keep)), admin, now, conflict.id])
                settled.append(conflict.id)
            }

            let takenText = taken.keys.sorted().joined(separator: ", ")
            let movedText = moved.keys.sorted().map { "\(moved[$0]!) \($0)\(moved[$0]! == 1 ? "" : "s")" }.joined(
                separator: ", ")
            try Hub.record(
                HistoryEntry(
                    kind: .merge, at: now, user: admin, device: "server",
                    detail: "merged \(mergedTitle) (\(other)) into this \(schema.label)"
                        + (takenText.isEmpty ? "" : ", taking its \(takenText)")
                        + (movedText.isEmpty ? "" : "; moved here: \(movedText)")),
                entity: entity, id: keep, db: db)
            try Hub.record(
                HistoryEntry(
                    kind: .merge, at: now, user: admin, device: "server", op: "delete",
                    detail: "merged into \(keptTitle) (\(keep)); this id now leads there"),
                entity: entity, id: other, db: db)
            return MergeReport(
                kept: try Hub.row(entity, id: keep, db: db) ?? result, moved: moved, settledConflicts: settled)
        }
    }

    /// The merges in feed positions `(cursor, end]` whose kept record `scope` may see.
    static func redirects(_ scope: ReadScope, after cursor: Int64, upTo end: Int64, db: Database) throws -> [Redirect] {
        guard end > cursor else { return [] }
        return try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT d.entity, d.from_id, d.to_id, r.account_id FROM hub_redirect d
                    LEFT JOIN hub_row r ON r.entity = d.entity AND r.row_id = d.to_id
                    WHERE d.seq > ? AND d.seq <= ? ORDER BY d.seq
                    """),
            arguments: [cursor, end]
        ).filter { try Hub.scope(scope, covers: $0["account_id"] as String?, db: db) }
            .map { Redirect(entity: $0["entity"], from: $0["from_id"], to: $0["to_id"]) }
    }

    /// Where a merged-away record's id leads now (nil when it was never merged).
    public func redirect(_ entity: String, id: String) throws -> String? {
        try writer.read { db in try Hub.redirect(entity, id: id, db: db) }
    }

    static func redirect(_ entity: String, id: String, db: Database) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT to_id FROM hub_redirect WHERE entity = ? AND from_id = ?"),
            arguments: [entity, id])
    }
}
