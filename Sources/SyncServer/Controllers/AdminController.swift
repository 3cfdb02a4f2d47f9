import Foundation
import HubEngine
import Hummingbird
import HubStore
import SatchelModel
import SyncCore

/// Users, the conflict queue and account transfers.
struct AdminController: Sendable {
    let store: any ServerStore
    let limits: ServerLimits

    /// Every route authenticates before it reads a body: a stranger's request costs a header's
    /// worth of work, never an inflated body.
    func addRoutes(to routes: RouteTable) {
        routes.get("/v1/admin/users") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try users(request, as: principal) }
        }
        routes.post("/v1/admin/users") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            try principal.require([.admin], to: "adding a user")  // before the body is read
            let body = try await WireBody.read(request, limits: limits)
            return try await offload { try addUser(request, body: body, as: principal) }
        }
        routes.post("/v1/admin/users/:name/disable") { request, context in
            let name = Self.parameter(context, "name") ?? ""
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try disableUser(request, name: name, as: principal) }
        }
        routes.get("/v1/admin/devices") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try devices(request, as: principal) }
        }
        routes.post("/v1/admin/devices/:replica/revoke") { request, context in
            let replica = Self.parameter(context, "replica") ?? ""
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try revokeDevice(request, replica: replica, as: principal) }
        }
        routes.get("/v1/admin/audit") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try audit(request, as: principal) }
        }
        routes.get("/v1/admin/conflicts") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try conflicts(request, as: principal) }
        }
        routes.get("/v1/admin/conflicts/:id") { request, context in
            let id = Self.parameter(context, "id")
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try conflict(request, id: id, as: principal) }
        }
        routes.post("/v1/admin/conflicts/:id/resolve") { request, context in
            let id = Self.parameter(context, "id")
            let principal = try await Principal.authenticated(request, store: store)
            try principal.require([.admin], to: "resolving conflicts")  // before the body is read
            let body = try await WireBody.read(request, limits: limits)
            return try await offload { try resolve(request, id: id, body: body, as: principal) }
        }
        routes.post("/v1/admin/accounts/:id/transfer") { request, context in
            let id = Self.parameter(context, "id")
            let principal = try await Principal.authenticated(request, store: store)
            try principal.require([.admin, .manager], to: "transferring an account")  // before the body is read
            let body = try await WireBody.read(request, limits: limits)
            return try await offload { try transfer(request, id: id, body: body, as: principal) }
        }
        routes.post("/v1/admin/records/:entity/:id/merge") { request, context in
            let entity = Self.parameter(context, "entity") ?? ""
            let keep = Self.parameter(context, "id") ?? ""
            let principal = try await Principal.authenticated(request, store: store)
            try principal.require([.admin], to: "merging records")  // before the body is read
            let body = try await WireBody.read(request, limits: limits)
            return try await offload { try merge(request, entity: entity, keep: keep, body: body, as: principal) }
        }
        addFieldRoutes(to: routes)
    }

    func users(_ request: Request, as principal: Principal) throws -> Response {
        try principal.require([.admin, .manager], to: "listing users")
        var users = try store.users()
        if principal.user.role == .manager {
            users = users.filter { $0.name == principal.user.name || $0.manager == principal.user.name }
        }
        return try WireBody.respond(UserListResponse(users: users), to: request)
    }

    func addUser(_ request: Request, body data: Data, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "adding a user")
        var user = try WireBody.decode(AddUserRequest.self, from: data)
        user.disabled = nil
        let token = Tokens.generate(prefix: "enroll")
        do {
            try store.addUser(
                user, enrollmentHash: Tokens.hash(token), expiresAt: Tokens.expiry(after: Tokens.defaultLifetime),
                by: principal.actor)
        } catch {
            throw SyncController.protocolError(error)
        }
        return try WireBody.respond(AddUserResponse(user: user, enrollmentToken: token), to: request, status: .created)
    }

    func disableUser(_ request: Request, name: String, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "disabling a user")
        do {
            return try WireBody.respond(try store.disableUser(name, by: principal.actor), to: request)
        } catch {
            throw SyncController.protocolError(error)
        }
    }

    func devices(_ request: Request, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "listing devices")
        return try WireBody.respond(DeviceListResponse(devices: try store.devices().map(Self.record)), to: request)
    }

    func revokeDevice(_ request: Request, replica: String, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "revoking a device")
        guard TextHygiene.isSafeID(replica) else {
            throw ProtocolError(.notFound, "there is no device \(replica.prefix(64)); GET /v1/admin/devices lists them")
        }
        do {
            return try WireBody.respond(Self.record(try store.revokeDevice(ReplicaID(replica), by: principal.actor)), to: request)
        } catch {
            throw SyncController.protocolError(error)
        }
    }

    func audit(_ request: Request, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "reading the audit trail")
        let limit = try SyncController.integer(request, "limit", default: 200)
        guard (1...1000).contains(limit) else { throw ProtocolError(.invalidRequest, "limit must be between 1 and 1000") }
        return try WireBody.respond(AuditListResponse(entries: try store.auditEntries(limit: Int(limit))), to: request)
    }

    static func record(_ device: DeviceStatus) -> DeviceRecord {
        DeviceRecord(
            replica: device.replicaID.rawValue, user: device.user, device: device.device, createdAt: device.createdAt,
            lastPushAt: device.lastPushAt, pulledTo: device.pulledTo,
            status: device.revokedAt != nil ? "revoked" : device.retiredFromCompaction ? "retired" : "active",
            lastPullAt: device.lastPullAt)
    }

    func conflicts(_ request: Request, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "reading the conflict queue")
        let query = request.uri.queryParameters
        let status = query.get("status") ?? "open"
        guard ["open", "all"].contains(status) else {
            throw ProtocolError(.invalidRequest, "status is open or all")
        }
        var filter = ConflictFilter(
            includeResolved: status == "all", entity: query.get("entity"), rule: query.get("rule"),
            territory: query.get("territory"))
        if let entity = filter.entity, store.schema.entity(entity) == nil {
            throw ProtocolError(
                .invalidRequest,
                "there is no record type '\(entity.prefix(40))'; use one of \(store.schema.entities.map(\.name).joined(separator: ", "))")
        }
        if let age = query.get("olderThan") {
            guard let milliseconds = Self.duration(age) else {
                throw ProtocolError(
                    .invalidRequest, "olderThan is a duration such as 30m, 12h or 3d, not '\(age.prefix(40))'")
            }
            filter.queuedBefore = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) - milliseconds
        }
        let items = try store.conflicts(matching: filter).map(Self.record)
        return try WireBody.respond(ConflictListResponse(conflicts: items), to: request)
    }

    func conflict(_ request: Request, id: String?, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "reading the conflict queue")
        do {
            return try WireBody.respond(Self.record(try store.conflict(id ?? "")), to: request)
        } catch {
            throw SyncController.protocolError(error)
        }
    }

    func resolve(_ request: Request, id: String?, body data: Data, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "resolving conflicts")
        let body = try WireBody.decode(ResolveRequest.self, from: data)
        let choice: ConflictChoice
        switch (body.keep, body.value) {
        case ("current", nil): choice = .keepCurrent
        case ("incoming", nil): choice = .keepIncoming
        case (nil, let value?): choice = .value(value)
        default:
            throw ProtocolError(.invalidRequest, "send {\"keep\": \"current\"}, {\"keep\": \"incoming\"} or {\"value\": …}")
        }
        do {
            try store.resolve(id ?? "", choice: choice, by: principal.user.name, from: principal.device.device)
            return try WireBody.respond(Self.record(try store.conflict(id ?? "")), to: request)
        } catch {
            throw SyncController.protocolError(error)
        }
    }

    func transfer(_ request: Request, id: String?, body data: Data, as principal: Principal) throws -> Response {
        try principal.require([.admin, .manager], to: "transferring an account")
        let body = try WireBody.decode(TransferRequest.self, from: data)
        let snapshot = try Self.transferAccount(
            id ?? "", to: body.to, store: store, by: principal.user, scope: principal.scope, from: principal.device.device)
        return try WireBody.respond(snapshot, to: request)
    }

    /// Transfers account `id` to user `to` for `user` (an admin, or a manager within their team),
    /// if the account is in `scope`; the API and the console both come here.
    static func transferAccount(
        _ id: String, to: String, store: any ServerStore, by user: UserInfo, scope: ReadScope, from device: String
    ) throws -> RowSnapshot {
        guard let placement = store.schema.placement else {
            throw ProtocolError(.notFound, "this server's schema places no record, so none can be transferred")
        }
        do {
            guard let account = try store.row(placement.root, id: id), !account.isDeleted,
                scope.contains(placement.location(of: account.values))
            else {
                throw ProtocolError(.notFound, "there is no account \(id.prefix(64)) in your scope")
            }
            if user.role == .manager {
                guard let target = try store.user(to), target.manager == user.name || target.name == user.name
                else {
                    throw ProtocolError(.forbidden, "a manager transfers accounts within their team; \(to) is not in it")
                }
            }
            try store.transferAccount(id, to: to, by: user.name, from: device)
            guard let snapshot = try store.snapshot(placement.root, id: id) else {
                throw ProtocolError(.notFound, "there is no account \(id)")
            }
            return snapshot
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw SyncController.protocolError(error)
        }
    }

    /// A path parameter, percent-decoded (a conflict id holds a colon).
    func merge(_ request: Request, entity: String, keep: String, body data: Data, as principal: Principal) throws -> Response {
        try principal.require([.admin], to: "merging records")
        let body = try WireBody.decode(MergeRequest.self, from: data)
        guard store.schema.entity(entity) != nil else {
            throw ProtocolError(.notFound, "there is no record type '\(entity.prefix(40))'")
        }
        do {
            let report = try store.mergeRecords(
                entity, keep: keep, merge: body.from, take: body.take, by: principal.user.name, from: principal.device.device)
            guard let kept = try store.snapshot(entity, id: keep) else {
                throw ProtocolError(.notFound, "there is no \(entity) \(keep.prefix(64))")
            }
            return try WireBody.respond(
                MergeResponse(kept: kept, moved: report.moved, settledConflicts: report.settledConflicts), to: request)
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw SyncController.protocolError(error)
        }
    }

    /// "30m", "12h", "3d" or "2w" in milliseconds.
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 0, count < 100_000 else { return nil }
        let minute: Int64 = 60_000
        switch unit {
        case "m": return count * minute
        case "h": return count * 60 * minute
        case "d": return count * 24 * 60 * minute
        case "w": return count * 7 * 24 * 60 * minute
        default: return nil
        }
    }

    static func parameter(_ context: SatchelRequestContext, _ name: String) -> String? {
        context.parameters.get(name).map { $0.removingPercentEncoding ?? $0 }
    }

    static func record(_ item: QueuedConflict) -> ConflictRecord {
        var resolution: String?
        var value: FieldValue?
        switch item.resolution {
        case .keepCurrent?: resolution = "keep-current"
        case .keepIncoming?: resolution = "keep-incoming"
        case let .value(entered)?:
            resolution = "value"
            value = entered
        case let .merged(into)?:
            resolution = "merged"
            value = .text(into)
        case nil: break
        }
        return ConflictRecord(
            conflict: item.conflict, status: item.isOpen ? "open" : "resolved", createdAt: item.createdAt,
            resolution: resolution, resolutionValue: value, resolvedBy: item.resolvedBy, resolvedAt: item.resolvedAt)
    }
}
