import Foundation
import HTTPTypes
import HubEngine
import HubStore
import Hummingbird
import SatchelModel
import SyncCore

/// The console's pages and actions. Each reads or does what the API's route of the same name
/// does, for the signed-in user's role and scope.
extension ConsoleController {
    /// What a finished action says on the page it leads to (`?done=…`; fixed texts, so a link
    /// cannot put words in the console's mouth).
    static let doneMessages = [
        "resolved": "Resolved. Laptops receive the value at their next sync.",
        "merged": "Merged. Laptops follow at their next sync.",
        "kept-both": "Kept both records; the candidate is settled.",
        "transferred": "Transferred. The former owner's laptop lets go of the account at its next sync.",
        "revoked": "Revoked. The laptop's next request is refused; its unsynced work stays on it.",
        "retired": "Retired from compaction.",
        "disabled": "Disabled. Every device of the user is refused from its next request.",
        "field-added": "Added. Laptops learn the field at their next sync.",
        "field-retired": "Retired. The field takes no more values; what it holds stays in the records and their history.",
        "choices-added": "Added. Laptops learn the new choices at their next sync.",
    ]

    func flash(_ request: Request) -> Any {
        request.uri.queryParameters.get("done").flatMap { Self.doneMessages[$0] } ?? false
    }

    /// The most items a list page shows.
    static let pageSize = 200

    // MARK: - Dashboard

    func dashboard(_ request: Request, _ user: ConsoleUser) throws -> Response {
        let open = try visibleConflicts(ConflictFilter(), for: user)
        let now = Self.now()
        var byRule: [String: Int] = [:]
        for item in open { byRule[item.conflict.rule, default: 0] += 1 }
        let day: Int64 = 86_400_000
        let ages: [(String, String, Int)] = [
            ("Under a day", "", open.filter { now - $0.createdAt < day }.count),
            ("Over a day", "1d", open.filter { now - $0.createdAt >= day }.count),
            ("Over a week", "1w", open.filter { now - $0.createdAt >= 7 * day }.count),
        ]
        var territories: [[String: Any]] = []
        var placed = 0
        for territory in try knownTerritories(for: user) {
            let count = try visibleConflicts(ConflictFilter(territory: territory), for: user).count
            placed += count
            if count > 0 {
                territories.append(["name": territory, "count": count, "href": "/admin/conflicts?territory=" + Self.queryValue(territory)])
            }
        }
        if open.count > placed { territories.append(["name": "no territory", "count": open.count - placed, "href": "/admin/conflicts"]) }

        // The tally covers every territory: admins only.
        let days = user.isAdmin ? try store.activity(days: 14) : []
        let staleDays = min(max(Int(request.uri.queryParameters.get("stale") ?? "") ?? 7, 1), 365)
        var stale: [[String: Any]] = []
        if user.isAdmin {
            let head = try store.feedHead()
            let cutoff = now - Int64(staleDays) * day
            for device in try store.devices() where device.revokedAt == nil && !device.retiredFromCompaction {
                guard Self.lastSync(device) ?? device.createdAt < cutoff else { continue }
                stale.append([
                    "user": device.user, "device": device.device,
                    "lastSync": Self.lastSync(device).map(Self.time) ?? "never", "lag": max(0, head - device.pulledTo),
                ])
            }
        }
        return render(
            "dashboard",
            [
                "title": "Dashboard", "section": "/admin", "flash": flash(request), "openTotal": open.count, "hasOpen": !open.isEmpty,
                "territories": territories,
                "rules": byRule.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map {
                    ["name": $0.key, "count": $0.value, "href": "/admin/conflicts?rule=" + Self.queryValue($0.key)]
                },
                "ages": ages.map { ["label": $0.0, "count": $0.2, "href": "/admin/conflicts" + ($0.1.isEmpty ? "" : "?age=" + $0.1)] },
                "showActivity": user.isAdmin, "days": days.count, "chart": user.isAdmin ? ConsoleChart.svg(days) : "", "pushTotal": days.reduce(0) { $0 + $1.pushes },
                "activity": days.reversed().map {
                    ["date": ConsoleChart.label($0), "pushes": $0.pushes, "applied": $0.applied, "merged": $0.merged,
                     "queued": $0.queued, "rejected": $0.rejected]
                },
                "showDevices": user.isAdmin, "staleDays": staleDays, "stale": stale, "hasStale": !stale.isEmpty,
            ],
            user: user)
    }

    // MARK: - Conflicts

    func conflictList(_ request: Request, _ user: ConsoleUser) throws -> Response {
        let query = request.uri.queryParameters
        func given(_ name: String) -> String? {
            query.get(name).map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : String($0.prefix(80)) }
        }
        let all = query.get("status") == "all"
        var filter = ConflictFilter(includeResolved: all, entity: given("entity"), rule: given("rule"), territory: given("territory"))
        if let entity = filter.entity, (try store.currentSchema()).entity(entity) == nil {
            throw ConsoleError(
                .badRequest,
                "There is no record type '\(entity)'; pick one of \(store.schema.entities.map(\.name).joined(separator: ", ")).")
        }
        if let age = given("age") {
            guard let milliseconds = AdminController.duration(age) else {
                throw ConsoleError(.badRequest, "Older than is a duration such as 30m, 12h, 3d or 2w, not '\(age)'.")
            }
            filter.queuedBefore = Self.now() - milliseconds
        }
        let matching = try visibleConflicts(filter, for: user)
        // A page stays readable: the oldest ones, and the count of the rest (filters narrow it).
        let items = Array(matching.prefix(Self.pageSize))
        // The rules to filter by: those of the open queue, and the one asked for.
        let rules = Set(try visibleConflicts(ConflictFilter(), for: user).map(\.conflict.rule) + [filter.rule].compactMap { $0 })
        func options(_ values: [String], _ selected: String?) -> [[String: Any]] {
            values.map { ["value": $0, "selected": $0 == selected] }
        }
        return render(
            "conflicts",
            [
                "title": "Conflicts", "section": "/admin/conflicts", "flash": flash(request), "all": all,
                "filtered": filter.entity != nil || filter.rule != nil || filter.territory != nil || filter.queuedBefore != nil || all,
                "territoryOptions": options(try knownTerritories(for: user), filter.territory),
                "ruleOptions": options(rules.sorted(), filter.rule),
                "entityOptions": options(store.schema.entities.map(\.name), filter.entity),
                "age": given("age") ?? "",
                "items": items.map { item -> [String: Any] in
                    let conflict = item.conflict
                    return [
                        "href": "/admin/conflicts/" + Self.pathComponent(conflict.id), "title": conflict.rowTitle,
                        "entity": conflict.entity, "field": conflict.field ?? Self.kindPhrase(conflict.kind), "rule": conflict.rule,
                        "contenders": conflict.contenders.count, "since": Self.time(item.createdAt),
                        "status": item.isOpen ? "open" : "resolved",
                    ]
                },
                "hasItems": !items.isEmpty, "itemCount": items.count, "matchCount": matching.count,
                "truncated": matching.count > items.count,
            ],
            user: user)
    }

    func conflictPage(_ request: Request, id: String, _ user: ConsoleUser) throws -> Response {
        let item = try visibleConflict(id, for: user)
        let conflict = item.conflict
        let type = (try store.currentSchema()).entity(conflict.entity)?.field(conflict.field ?? "")?.type
        func show(_ value: FieldValue) -> String { Self.display(value, type) }
        var choices: [String] = []
        if case .enumeration(let members)? = type { choices = members }
        let current = conflict.contenders.first(where: \.isCurrent)
        let incoming = conflict.contenders.first { !$0.isCurrent }
        var resolution: Any = false
        if let choice = item.resolution {
            resolution = "\(item.resolvedBy ?? "an admin") \(choice.phrase) "
                + (item.resolvedAt.map { "on " + Self.plainTime($0) } ?? "")
        }
        return render(
            "conflict",
            [
                "title": "Conflict on \(conflict.rowTitle)", "section": "/admin/conflicts", "flash": flash(request),
                "explanation": conflict.explanation, "entity": conflict.entity, "recordTitle": conflict.rowTitle,
                "recordHref": "/admin/records/\(Self.pathComponent(conflict.entity))/\(Self.pathComponent(conflict.rowID))",
                "field": conflict.field ?? false, "rule": conflict.rule, "queuedAt": Self.time(item.createdAt),
                "status": item.isOpen ? "open" : "resolved", "resolution": resolution,
                "base": conflict.kind == .field ? show(conflict.base) : "—",
                "contenders": conflict.contenders.map { contender -> [String: Any] in
                    [
                        "side": contender.isCurrent ? "Current" : "Incoming",
                        "value": Self.contenderValue(contender, show), "user": contender.stamp.user,
                        "device": contender.stamp.device, "when": Self.time(contender.stamp.wall), "current": contender.isCurrent,
                    ]
                },
                "duplicateHref": conflict.kind == .duplicateCandidate && item.isOpen && user.isAdmin
                    ? "/admin/duplicates/" + Self.pathComponent(conflict.id) : false,
                "canResolve": item.isOpen && user.isAdmin && conflict.kind != .duplicateCandidate,
                "readOnly": item.isOpen && !user.isAdmin,
                "action": "/admin/conflicts/\(Self.pathComponent(conflict.id))/resolve",
                "currentValue": current.map { Self.contenderValue($0, show) } ?? "—",
                "incomingValue": incoming.map { Self.contenderValue($0, show) } ?? "—",
                "acceptsValue": conflict.kind == .field, "fieldType": type?.phrase ?? "a value",
                "choices": choices, "hasChoices": !choices.isEmpty,
            ],
            user: user)
    }

    func resolve(id: String, form: ConsoleForm, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "resolving conflicts")
        let item = try visibleConflict(id, for: user)
        let conflict = item.conflict
        let choice: ConflictChoice
        switch form["choice"] {
        case "current": choice = .keepCurrent
        case "incoming": choice = .keepIncoming
        case "value":
            guard conflict.kind == .field, let name = conflict.field, let field = (try store.currentSchema()).entity(conflict.entity)?.field(name)
            else { throw ConsoleError(.badRequest, "Only a field conflict takes an entered value; keep one side instead.") }
            let text = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
            guard let value = field.type.parse(text, currency: CRMSchema.defaultCurrency) else {
                throw ConsoleError(.badRequest, "'\(text.prefix(80))' is not \(field.type.phrase); enter \(field.type.phrase) for \(name).")
            }
            choice = .value(value)
        default:
            throw ConsoleError(.badRequest, "Pick what to keep: the current value, the incoming one or an entered value.")
        }
        try store.resolve(conflict.id, choice: choice, by: user.user.name, from: user.actor.device)
        let done = conflict.kind == .duplicateCandidate ? "kept-both" : "resolved"
        return Self.redirect("/admin/conflicts/\(Self.pathComponent(conflict.id))?done=\(done)")
    }

    // MARK: - Duplicates

    func duplicateList(_ request: Request, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "merging duplicates")
        let candidates = try store.conflicts(matching: ConflictFilter()).filter { $0.conflict.kind == .duplicateCandidate }
        let items = Array(candidates.prefix(Self.pageSize))
        return render(
            "duplicates",
            [
                "title": "Duplicates", "section": "/admin/duplicates", "flash": flash(request),
                "items": try items.map { item -> [String: Any] in
                    let conflict = item.conflict
                    return [
                        "href": "/admin/duplicates/" + Self.pathComponent(conflict.id), "newTitle": conflict.rowTitle,
                        "entity": conflict.entity,
                        "sameAs": try conflict.relatedRowIDs.map { try title(conflict.entity, $0) }.joined(separator: ", "),
                        "why": conflict.relatedRowIDs.map { conflict.reasons?[$0] ?? conflict.rule }.joined(separator: "; "),
                        "since": Self.time(item.createdAt),
                    ]
                },
                "hasItems": !items.isEmpty, "truncated": candidates.count > items.count, "matchCount": candidates.count,
                "itemCount": items.count,
            ],
            user: user)
    }

    func duplicatePage(_ request: Request, id: String, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "merging duplicates")
        let (item, existing, new) = try duplicatePair(id)
        let conflict = item.conflict
        guard let type = (try store.currentSchema()).entity(conflict.entity) else { throw ConsoleError(.notFound, "There is no such record type.") }
        let records = [(existing, "existing", true), (new, "new", false)]
        // Where a root sits (territory, owner) changes only by transfer, never by a merge.
        let placed = store.schema.placement.map { $0.root == conflict.entity ? $0.rootFields : [] } ?? []
        let fields = type.fields.compactMap { field -> [String: Any]? in
            let left = existing.values[field.name] ?? .null
            let right = new.values[field.name] ?? .null
            guard !left.isNull || !right.isNull else { return nil }
            let fixed = placed.contains(field.name) && left != right
            return [
                "name": field.name, "left": Self.display(left, field.type), "right": Self.display(right, field.type),
                "differs": left != right && !fixed, "fixed": fixed,
            ]
        }
        return render(
            "duplicate",
            [
                "title": "Possible duplicate: \(type.title(of: new.values, id: new.id))", "section": "/admin/duplicates",
                "explanation": conflict.explanation,
                "why": conflict.relatedRowIDs.map { conflict.reasons?[$0] ?? conflict.rule }.joined(separator: "; "),
                "action": "/admin/duplicates/\(Self.pathComponent(conflict.id))/merge",
                "keepBothAction": "/admin/conflicts/\(Self.pathComponent(conflict.id))/resolve",
                "records": try records.map { record, label, kept -> [String: Any] in
                    [
                        "id": record.id, "shortID": String(record.id.prefix(8)), "title": type.title(of: record.values, id: record.id),
                        "label": label, "kept": kept, "under": Self.counts(try store.mergePreview(conflict.entity, id: record.id)),
                    ]
                },
                "leftTitle": type.title(of: existing.values, id: existing.id), "leftLabel": "existing",
                "rightTitle": type.title(of: new.values, id: new.id), "rightLabel": "new",
                "fields": fields,
            ],
            user: user)
    }

    func merge(id: String, form: ConsoleForm, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "merging records")
        let (item, existing, new) = try duplicatePair(id)
        let entity = item.conflict.entity
        let keepLeft: Bool
        switch form["keep"] {
        case existing.id?: keepLeft = true
        case new.id?: keepLeft = false
        default: throw ConsoleError(.badRequest, "Pick which of the two records to keep.")
        }
        // Each differing field says which side's value the kept record ends with; the fields
        // taken from the record merged away are the merge's `take`.
        var take: [String] = []
        for field in (try store.currentSchema()).entity(entity)?.fields ?? [] {
            guard let side = form["field." + field.name] else { continue }
            guard side == "left" || side == "right" else {
                throw ConsoleError(.badRequest, "Pick the existing or the new value for \(field.name).")
            }
            if (side == "left") != keepLeft { take.append(field.name) }
        }
        let keep = keepLeft ? existing.id : new.id
        let other = keepLeft ? new.id : existing.id
        try store.mergeRecords(entity, keep: keep, merge: other, take: take, by: user.user.name, from: user.actor.device)
        return Self.redirect("/admin/duplicates?done=merged")
    }

    /// An open duplicate candidate with its two live records: the one it probably duplicates
    /// and the new one.
    func duplicatePair(_ id: String) throws -> (QueuedConflict, RowSnapshot, RowSnapshot) {
        let item = try visibleConflict(id, for: nil)
        let conflict = item.conflict
        guard conflict.kind == .duplicateCandidate else {
            throw ConsoleError(.notFound, "That queue item is not a duplicate candidate; open it from the Conflicts page.")
        }
        guard item.isOpen else { throw ConsoleError(.conflict, "This candidate was already settled.") }
        guard let existingID = conflict.relatedRowIDs.first, let existing = try store.snapshot(conflict.entity, id: existingID),
            !existing.deleted, let new = try store.snapshot(conflict.entity, id: conflict.rowID), !new.deleted
        else {
            throw ConsoleError(
                .conflict, "One of the two records no longer exists, so there is nothing to merge; keep both to settle the candidate.")
        }
        return (item, existing, new)
    }

    // MARK: - Records

    func recordPage(_ request: Request, entity: String, id: String, _ user: ConsoleUser) throws -> Response {
        // The history answers nil for a record outside the scope, so it is asked first.
        guard let type = (try store.currentSchema()).entity(entity), let history = try store.history(entity, id: id, scope: user.scope),
            let snapshot = try store.snapshot(entity, id: id)
        else {
            throw ConsoleError(.notFound, "There is no such record in your scope.")
        }
        var transfer: Any = false
        if let placement = store.schema.placement, entity == placement.root, !snapshot.deleted, user.user.role != .rep {
            let candidates = try store.users().filter { candidate in
                candidate.role == .rep && candidate.disabled != true
                    && (user.isAdmin || candidate.manager == user.user.name)
            }
            transfer = [
                "action": "/admin/records/\(Self.pathComponent(entity))/\(Self.pathComponent(id))/transfer",
                "candidates": candidates.map { ["name": $0.name, "territories": $0.territories.joined(separator: ", ")] },
            ]
        }
        return render(
            "record",
            [
                "title": type.title(of: snapshot.values, id: id), "section": "", "flash": flash(request), "entity": entity, "id": id,
                "deleted": snapshot.deleted,
                "fields": type.fields.compactMap { field -> [String: Any]? in
                    guard let value = snapshot.values[field.name], !value.isNull else { return nil }
                    let stamp = snapshot.stamps?[field.name]
                    return [
                        "name": field.name, "value": Self.display(value, field.type),
                        "by": stamp.map { "\($0.user) (\($0.device))" } ?? "",
                    ]
                },
                "transfer": transfer,
                "history": history.reversed().map { entry -> [String: Any] in
                    ["when": Self.time(entry.at), "what": Self.phrase(entry, type), "user": entry.user, "device": entry.device,
                     "detail": entry.detail ?? false]
                },
            ],
            user: user)
    }

    func transfer(entity: String, id: String, form: ConsoleForm, _ user: ConsoleUser) throws -> Response {
        guard user.user.role == .admin || user.user.role == .manager else {
            throw ConsoleError(.forbidden, "Transferring an account needs an admin or a manager.")
        }
        guard entity == store.schema.placement?.root else {
            throw ConsoleError(.badRequest, "Only an account is transferred; what is under it moves with it.")
        }
        guard let to = form["to"], UserInfo.isValidName(to) else {
            throw ConsoleError(.badRequest, "Pick the user to transfer the account to.")
        }
        // A manager learns no more of the directory than their team: a name outside it, taken or
        // not, gets the same answer.
        let target = try store.user(to)
        if user.user.role == .manager, target?.manager != user.user.name, to != user.user.name {
            throw ConsoleError(.forbidden, "A manager transfers accounts within their team; pick one of your reps.")
        }
        guard target != nil else { throw ConsoleError(.badRequest, "Pick the user to transfer the account to.") }
        _ = try AdminController.transferAccount(id, to: to, store: store, by: user.user, scope: user.scope, from: user.actor.device)
        return Self.redirect("/admin/records/\(Self.pathComponent(entity))/\(Self.pathComponent(id))?done=transferred")
    }

    // MARK: - Devices, users and the audit trail

    func deviceList(_ request: Request, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "managing devices")
        let head = try store.feedHead()
        let devices = try store.devices()
        return render(
            "devices",
            [
                "title": "Devices", "section": "/admin/devices", "flash": flash(request),
                "devices": devices.map { device -> [String: Any] in
                    let status = device.revokedAt != nil ? "revoked" : device.retiredFromCompaction ? "retired" : "active"
                    return [
                        "user": device.user, "device": device.device, "replica": device.replicaID.rawValue,
                        "enrolled": Self.time(device.createdAt), "lastPush": device.lastPushAt.map(Self.time) ?? "never",
                        "lastPull": device.lastPullAt.map(Self.time) ?? "never",
                        "lag": max(0, head - device.pulledTo), "status": status,
                        "canRevoke": device.revokedAt == nil, "canRetire": device.revokedAt == nil && !device.retiredFromCompaction,
                        "revokeAction": "/admin/devices/\(Self.pathComponent(device.replicaID.rawValue))/revoke",
                        "retireAction": "/admin/devices/\(Self.pathComponent(device.replicaID.rawValue))/retire",
                    ]
                },
                "hasDevices": !devices.isEmpty,
            ],
            user: user)
    }

    func revoke(replica: String, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "revoking a device")
        guard TextHygiene.isSafeID(replica) else { throw ConsoleError(.notFound, "There is no such device.") }
        try store.revokeDevice(ReplicaID(replica), by: user.actor)
        return Self.redirect("/admin/devices?done=revoked")
    }

    func retire(replica: String, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "retiring a device")
        guard TextHygiene.isSafeID(replica) else { throw ConsoleError(.notFound, "There is no such device.") }
        try store.retireDevice(ReplicaID(replica), by: user.actor)
        return Self.redirect("/admin/devices?done=retired")
    }

    func userList(_ request: Request, _ user: ConsoleUser, token: (user: String, token: String)?) throws -> Response {
        try user.requireAdmin(to: "managing users")
        let users = try store.users()
        let withPasswords = Set(try users.filter { try store.passwordHash(of: $0.name) != nil }.map(\.name))
        return render(
            "users",
            [
                "title": "Users", "section": "/admin/users", "flash": flash(request),
                "token": token?.token ?? false, "tokenUser": token?.user ?? "",
                "users": users.map { listed -> [String: Any] in
                    [
                        "name": listed.name, "role": listed.role.rawValue, "territories": listed.territories.joined(separator: ", "),
                        "manager": listed.manager ?? "", "console": withPasswords.contains(listed.name) ? "password set" : "—",
                        "status": listed.disabled == true ? "disabled" : "active",
                        "canDisable": listed.disabled != true && listed.name != user.user.name,
                        "disableAction": "/admin/users/\(Self.pathComponent(listed.name))/disable",
                    ]
                },
                "managers": users.filter { $0.role != .rep && $0.disabled != true }.map(\.name),
            ],
            user: user)
    }

    func addUser(_ request: Request, form: ConsoleForm, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "adding a user")
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let role = Role(rawValue: form["role"] ?? "") else {
            throw ConsoleError(.badRequest, "Pick a role: rep, manager or admin.")
        }
        let territories = (form["territories"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let manager = form["manager"].flatMap { $0.isEmpty ? nil : $0 }
        let added = UserInfo(name: name, role: role, territories: territories, manager: manager)
        let token = Tokens.generate(prefix: "enroll")
        try store.addUser(
            added, enrollmentHash: Tokens.hash(token), expiresAt: Tokens.expiry(after: Tokens.defaultLifetime), by: user.actor)
        // The token is shown on this page once, never put in a URL.
        return try userList(request, user, token: (name, token))
    }

    func disable(name: String, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "disabling a user")
        guard name != user.user.name else { throw ConsoleError(.badRequest, "You cannot disable yourself; ask another admin.") }
        guard UserInfo.isValidName(name) else { throw ConsoleError(.notFound, "There is no such user.") }
        try store.disableUser(name, by: user.actor)
        return Self.redirect("/admin/users?done=disabled")
    }

    // MARK: - The company's fields

    func fieldList(_ request: Request, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "managing the company's fields")
        let schema = try store.currentSchema()
        let fields = FieldRecord.all(in: schema, customOnly: true)
        return render(
            "fields",
            [
                "title": "Fields", "section": "/admin/fields", "flash": flash(request), "revision": schema.revision,
                "fields": fields.map { field -> [String: Any] in
                    let path = "/admin/fields/\(Self.pathComponent(field.entity))/\(Self.pathComponent(field.name))"
                    return [
                        "field": "\(field.entity).\(field.name)", "label": field.label, "rule": field.rule,
                        "type": field.choices.map { "choice: " + $0.joined(separator: ", ") } ?? field.type,
                        "status": field.retired ?? "active", "active": field.retired == nil,
                        "isChoice": field.retired == nil && field.choices != nil,
                        "retireAction": path + "/retire", "choicesAction": path + "/choices",
                        "key": "\(field.entity)-\(field.name)",
                    ]
                },
                "hasFields": !fields.isEmpty,
                "entities": schema.entities.map(\.name),
                "kinds": CustomField.Kind.allCases.map(\.rawValue),
                "rules": [FieldRule.lastWriterWins, .review, .serverOwned, .max, .min, .textMerge].map(\.rawValue),
            ],
            user: user)
    }

    func addField(form: ConsoleForm, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "adding a field")
        guard let kind = CustomField.Kind(rawValue: form["kind"] ?? "") else {
            throw ConsoleError(.badRequest, "Pick a type: \(CustomField.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard let rule = FieldRule(rawValue: form["rule"] ?? "") else {
            throw ConsoleError(.badRequest, "Pick a rule from the list.")
        }
        let label = (form["label"] ?? "").trimmingCharacters(in: .whitespaces)
        let choices = (form["choices"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let field = CustomField(
            entity: form["entity"] ?? "", name: (form["name"] ?? "").trimmingCharacters(in: .whitespaces), kind: kind,
            choices: choices, label: label.isEmpty ? nil : label, rule: rule)
        try store.publish(.addField(field), by: user.actor)
        return Self.redirect("/admin/fields?done=field-added")
    }

    func retireField(entity: String, name: String, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "retiring a field")
        try store.publish(.retireField(entity: entity, field: name), by: user.actor)
        return Self.redirect("/admin/fields?done=field-retired")
    }

    func addChoices(entity: String, name: String, form: ConsoleForm, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "adding choices to a field")
        let choices = (form["add"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        try store.publish(.addChoices(entity: entity, field: name, choices: choices), by: user.actor)
        return Self.redirect("/admin/fields?done=choices-added")
    }

    func auditList(_ request: Request, _ user: ConsoleUser) throws -> Response {
        try user.requireAdmin(to: "reading the audit trail")
        let entries = try store.auditEntries(limit: 200)
        return render(
            "audit",
            [
                "title": "Audit trail", "section": "/admin/audit",
                "entries": entries.map {
                    ["when": Self.time($0.at), "actor": $0.actor, "device": $0.device, "action": $0.action, "target": $0.target,
                     "detail": $0.detail]
                },
                "hasEntries": !entries.isEmpty, "entryCount": entries.count,
            ],
            user: user)
    }

    // MARK: - Scope

    /// The queue items `filter` selects that `user` may see: all for an admin, those whose
    /// record is in a manager's scope.
    func visibleConflicts(_ filter: ConflictFilter, for user: ConsoleUser) throws -> [QueuedConflict] {
        let items = try store.conflicts(matching: filter)
        guard !user.scope.everything else { return items }
        return try items.filter { try Self.shows($0, to: user) && store.covers(user.scope, entity: $0.conflict.entity, id: $0.conflict.rowID) }
    }

    /// Whether an item is for someone of limited scope at all: a duplicate candidate is not (its
    /// explanation names the matching records, which may be in other territories, and only an
    /// admin settles it).
    static func shows(_ item: QueuedConflict, to user: ConsoleUser) -> Bool {
        user.scope.everything || item.conflict.kind != .duplicateCandidate
    }

    /// One queue item `user` may see (nil: any), else the same not-found whether it is missing
    /// or elsewhere.
    func visibleConflict(_ id: String, for user: ConsoleUser?) throws -> QueuedConflict {
        let missing = ConsoleError(.notFound, "There is no such conflict in your scope.")
        guard !id.isEmpty, id.count <= 200 else { throw missing }
        let item: QueuedConflict
        do {
            item = try store.conflict(id)
        } catch HubError.unknownConflict {
            throw missing
        }
        if let user, !user.scope.everything,
            try !Self.shows(item, to: user) || !store.covers(user.scope, entity: item.conflict.entity, id: item.conflict.rowID)
        {
            throw missing
        }
        return item
    }

    /// The territories a user's pages group by: every user's for an admin, their scope's else.
    func knownTerritories(for user: ConsoleUser) throws -> [String] {
        if user.scope.everything { return Set(try store.users().flatMap(\.territories)).sorted() }
        return user.scope.territories.sorted()
    }

    func title(_ entity: String, _ id: String) throws -> String {
        guard let type = (try store.currentSchema()).entity(entity), let row = try store.row(entity, id: id) else { return id }
        return type.title(of: row.values, id: id)
    }

    // MARK: - Formatting

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// When a device last talked to the hub: its last push or pull, whichever is later.
    static func lastSync(_ device: DeviceStatus) -> Int64? {
        [device.lastPushAt, device.lastPullAt].compactMap { $0 }.max()
    }

    /// A time as HTML: UTC in the text, and the script shows it in the browser's time zone.
    static func time(_ milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let iso = ISO8601DateFormatter().string(from: date)
        return "<time datetime=\"\(iso)\">\(plainTime(milliseconds))</time>"
    }

    static func plainTime(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func display(_ value: FieldValue, _ type: FieldType?) -> String {
        if value.isNull { return "(empty)" }
        if case .timestamp? = type, let milliseconds = value.integerValue { return plainTime(milliseconds) }
        return value.description
    }

    static func contenderValue(_ contender: Contender, _ show: (FieldValue) -> String) -> String {
        switch contender.action {
        case .write: show(contender.value)
        case .delete: "deleted the record"
        case .insert: "created the record"
        }
    }

    static func kindPhrase(_ kind: Conflict.Kind) -> String {
        switch kind {
        case .field: "a field"
        case .deleteVersusEdit: "delete vs edit"
        case .duplicateCandidate: "possible duplicate"
        case .transferred: "after a transfer"
        }
    }

    static func counts(_ counts: [String: Int]) -> String {
        guard !counts.isEmpty else { return "nothing" }
        return counts.keys.sorted().map { "\(counts[$0]!) \($0)\(counts[$0]! == 1 ? "" : "s")" }.joined(separator: ", ")
    }

    /// One history entry as a short phrase ("updated stage to Won, applied").
    static func phrase(_ entry: HistoryEntry, _ type: EntitySchema) -> String {
        switch entry.kind {
        case .change:
            let action: String
            switch entry.op {
            case "insert": action = "created"
            case "delete": action = "deleted"
            default:
                action = "set \(entry.field ?? "a field")"
                    + (entry.value.map { " to \(display($0, type.field(entry.field ?? "")?.type))" } ?? "")
            }
            return action + (entry.outcome.map { ", \($0)" } ?? "")
        case .resolution:
            return "resolved \(entry.field ?? "a conflict")" + (entry.value.map { " to \(display($0, type.field(entry.field ?? "")?.type))" } ?? "")
        case .transfer: return "transferred"
        case .merge: return "merged"
        case .import: return "imported"
        case .server: return "set by the server" + (entry.field.map { " (\($0))" } ?? "")
        }
    }
}
