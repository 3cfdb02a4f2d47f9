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

extension HubPlanner {
    /// Merges record `other` into record `keep` (two records of `entity` found to be the same
    /// customer, say):
    ///
    /// - the fields named in `take` get `other`'s values on `keep`; the others keep theirs;
    /// - every row whose reference names `other` is re-pointed to `keep` (contacts, visits,
    ///   opportunities, a ticket's contact, …) and, like everything under them, goes back into
    ///   the feed, so every replica that may see them receives the new parent;
    /// - `other` becomes a tombstone and its id (and every id that led to it) leads to `keep`:
    ///   changes pushed later to `other`, or naming it in a reference (a visit logged offline),
    ///   land on `keep`;
    /// - the duplicate-candidate items about the pair are closed as merged;
    /// - both records' histories say so.
    ///
    /// A merge never moves work between holders (that is what a transfer is for, and a transfer
    /// tells the laptops that lose the record): merging roots of different territories, taking a
    /// root's placing field, or merging away a root whose owner would lose it is refused.
    /// `territories` answers which territories a user holds (nil for no such user).
    @discardableResult
    public func mergeRecords(
        _ entity: String, keep: String, merge other: String, take: [String], by admin: String, now: Int64,
        territories: (String) throws -> [String]?, into draft: PlanDraft
    ) throws -> MergeReport {
        guard let type = schema.entity(entity) else {
            throw HubError.invalidResolution("there is no record type \(entity)")
        }
        guard keep != other else { throw HubError.invalidResolution("a record cannot be merged into itself") }
        for field in take where type.field(field) == nil {
            throw HubError.invalidResolution("\(type.labelWithArticle) has no field '\(field)'")
        }
        guard let kept = try draft.row(entity, id: keep), !kept.isDeleted else {
            throw HubError.invalidResolution("there is no \(type.label) \(keep) to keep")
        }
        guard let merged = try draft.row(entity, id: other), !merged.isDeleted else {
            throw HubError.invalidResolution("there is no \(type.label) \(other) to merge")
        }
        let keptTitle = type.title(of: kept.values, id: keep)
        let mergedTitle = type.title(of: merged.values, id: other)
        if let placement = schema.placement, entity == placement.root {
            for field in placement.rootFields where take.contains(field) {
                throw HubError.invalidResolution(
                    "\(type.labelWithArticle)'s \(field) moves only by transfer; merge without --take \(field), then transfer")
            }
            // Everyone who sees the merged root must still see the kept one: the same territory,
            // and a different owner only if the territory is one of theirs.
            let mergedPlace = placement.location(of: merged.values)
            let keptPlace = placement.location(of: kept.values)
            let territory = mergedPlace.territory
            guard keptPlace.territory == territory else {
                throw HubError.invalidResolution(
                    "\(mergedTitle) is in territory \(territory ?? "none") and \(keptTitle) in "
                        + "\(keptPlace.territory ?? "none"); transfer one to the other's holder first "
                        + "(satchel account transfer), then merge")
            }
            if let owner = mergedPlace.owner, owner != keptPlace.owner, let held = try territories(owner),
                !(territory.map(held.contains) ?? false)
            {
                throw HubError.invalidResolution(
                    "\(owner) owns \(mergedTitle) outside their territories and would lose it; "
                        + "transfer \(keptTitle) to \(owner) first (satchel account transfer), then merge")
            }
        } else {
            let keptRoot = try draft.storedRoot(entity, id: keep) ?? nil
            let mergedRoot = try draft.storedRoot(entity, id: other) ?? nil
            guard keptRoot == mergedRoot else {
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
        if !taken.isEmpty, let written = try writeAsHub(entity, id: keep, taken, by: admin, now: now, history: false, into: draft) {
            result = written
        }

        // Re-point every reference to the merged record, then feed everything under the kept
        // record again.
        var moved: [String: Int] = [:]
        for (child, field) in schema.references(to: entity, parentsOnly: false) {
            for id in try draft.rows(child.name, where: field.name, is: other) {
                guard var state = try draft.row(child.name, id: id) else { continue }
                let change = draft.hubChange(
                    child.name, id: id, now: now, context: state.version,
                    operation: .update(field: field.name, value: .text(keep), base: .text(other)))
                state.values[field.name] = .text(keep)
                state.stamps[field.name] = FieldStamp(dot: change.dot, hlc: change.hlc, wall: now, user: admin, device: "server")
                state.version.record(change.dot)
                try draft.save(state)
                draft.record(
                    HistoryEntry(
                        kind: .merge, at: now, user: admin, device: "server", wall: now, hlc: change.hlc, op: "update",
                        field: field.name, value: .text(keep),
                        detail: "moved from \(mergedTitle) (\(other)) to \(keptTitle) (\(keep)), which it duplicated"),
                    entity: child.name, id: id)
                moved[child.name, default: 0] += 1
            }
        }
        if entity == schema.placement?.root {
            // Rows further down (lines under a quote) name their root only through the chain:
            // they move with it, and back into the feed.
            for row in try draft.rows(under: other) { draft.resend(row.entity, id: row.id, movingTo: keep) }
        }

        // The merged-away record goes, and its id (and every id that led to it) means the kept one.
        let delete = draft.hubChange(entity, id: other, now: now, context: merged.version, operation: .delete)
        let gone = merger.merge(
            [delete], into: merged,
            environment: draft.environment(writer: Writer(user: admin, device: "server", isPrivileged: true)))
        if case .rejected(let rejection)? = gone.outcomes.first?.outcome {
            throw HubError.invalidResolution("\(mergedTitle) cannot be removed: \(rejection.reason)")
        }
        if let tombstone = gone.row { try draft.save(tombstone) }
        let earlier = try draft.redirects(entity, to: other)
        draft.redirect(Redirection(entity: entity, from: other, to: keep, mergedAt: now, mergedBy: admin))
        for var redirection in earlier {
            redirection.to = keep
            draft.redirect(redirection)
        }

        // The queue items that asked whether these two are the same are answered.
        var settled: [String] = []
        for item in try draft.view.openConflicts(entity, kind: .duplicateCandidate) {
            let pair = Set([item.conflict.rowID] + item.conflict.relatedRowIDs)
            guard pair.contains(keep), pair.contains(other) else { continue }
            draft.settle(item.conflict.id, choice: .merged(into: keep), by: admin, at: now)
            settled.append(item.conflict.id)
        }

        let takenText = taken.keys.sorted().joined(separator: ", ")
        let movedText = moved.keys.sorted().map { "\(moved[$0]!) \($0)\(moved[$0]! == 1 ? "" : "s")" }
            .joined(separator: ", ")
        draft.record(
            HistoryEntry(
                kind: .merge, at: now, user: admin, device: "server",
                detail: "merged \(mergedTitle) (\(other)) into this \(type.label)"
                    + (takenText.isEmpty ? "" : ", taking its \(takenText)")
                    + (movedText.isEmpty ? "" : "; moved here: \(movedText)")),
            entity: entity, id: keep)
        draft.record(
            HistoryEntry(
                kind: .merge, at: now, user: admin, device: "server", op: "delete",
                detail: "merged into \(keptTitle) (\(keep)); this id now leads there"),
            entity: entity, id: other)
        return MergeReport(kept: try draft.row(entity, id: keep) ?? result, moved: moved, settledConflicts: settled)
    }

    /// Imports records as the company's own data (privileged inserts by the hub).
    ///
    /// Every record is checked (its type, values, a free id, references to records that exist or
    /// come earlier, no natural-key duplicate). With `skipBad` false, any problem plans nothing
    /// more and throws ``HubError/invalidUser(_:)`` listing every problem (the caller writes
    /// nothing); with `skipBad` the good records are planned and the report lists the refused ones.
    public func importRecords(
        _ records: [ImportRecord], by user: String, now: Int64, skipBad: Bool, into draft: PlanDraft
    ) throws -> ImportReport {
        let environment = draft.environment(writer: Writer(user: user, device: "server", isPrivileged: true))
        var problems: [String] = []
        var imported = 0
        for record in records {
            if let problem = try importRecord(record, now: now, environment: environment, into: draft) {
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

    /// Plans one record's import; returns why not, or nil when it goes in.
    private func importRecord(_ record: ImportRecord, now: Int64, environment: MergeEnvironment, into draft: PlanDraft)
        throws -> String?
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
            guard let parent = try draft.row(target, id: id), !parent.isDeleted else {
                return "\(record.origin): \(field.name) names \(target) \(id), which does not exist"
            }
        }
        let change = draft.hubChange(
            entity.name, id: record.id, now: now, context: VersionVector(), operation: .insert(record.values))
        let merged = merger.merge([change], into: try draft.row(entity.name, id: record.id), environment: environment)
        switch merged.outcomes.first?.outcome {
        case .rejected(let rejection)?:
            return "\(record.origin): \(rejection.reason)"
        case .queued(let conflict)? where conflict.kind == .duplicateCandidate:
            let others = conflict.relatedRowIDs.map { id in "\(id) (\(conflict.reasons?[id] ?? conflict.rule))" }
            return "\(record.origin): \(entity.title(of: record.values, id: record.id)) may be the same \(entity.label) as "
                + others.joined(separator: ", ")
        default:
            if let row = merged.row { try draft.save(row) }
            draft.record(
                HistoryEntry(
                    kind: .import, at: now, user: environment.writer.user, device: "server", wall: now, hlc: change.hlc,
                    op: "insert", values: record.values, detail: "imported from \(record.origin)"),
                entity: entity.name, id: record.id)
            return nil
        }
    }
}
