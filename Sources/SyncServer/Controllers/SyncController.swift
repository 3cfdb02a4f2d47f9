import Foundation
import HubEngine
import Hummingbird
import Prometheus
import HubStore
import SatchelModel
import SyncCore

/// Enrollment, push, pull and bootstrap.
struct SyncController: Sendable {
    let store: any ServerStore
    let limits: ServerLimits
    let metrics: ServerMetrics

    func addRoutes(to routes: RouteTable) {
        routes.post("/v1/enroll") { request, _ in try await enroll(request) }
        routes.post("/v1/device/rotate") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offloadWrite { try rotate(request, as: principal) }
        }
        routes.post("/v1/sync/push") { request, _ in try await push(request) }
        routes.get("/v1/sync/pull") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try pull(request, as: principal) }
        }
        routes.get("/v1/sync/bootstrap") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try bootstrap(request, as: principal) }
        }
        routes.get("/v1/history/:entity/:id") { request, context in
            let entity = AdminController.parameter(context, "entity") ?? ""
            let id = AdminController.parameter(context, "id") ?? ""
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try history(request, entity: entity, id: id, as: principal) }
        }
    }

    // MARK: - Enroll and credentials

    func enroll(_ request: Request) async throws -> Response {
        var small = limits
        small.maxBodyBytes = limits.maxUnauthenticatedBodyBytes
        small.maxInflatedBytes = limits.maxUnauthenticatedBodyBytes
        let body = try WireBody.decode(EnrollRequest.self, from: try await WireBody.read(request, limits: small))
        let device = body.device.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !device.isEmpty, device.utf8.count <= 64, TextHygiene.problem(in: device, multiline: false) == nil,
            !body.token.isEmpty, body.token.utf8.count <= 256
        else {
            throw ProtocolError(
                .invalidRequest, "give a device name of 1 to 64 bytes, without control characters, and the enrollment token")
        }
        let credential = Tokens.generate(prefix: "device")
        let enrolled: DeviceInfo?
        do {
            enrolled = try await offloadWrite {
                try store.enroll(enrollmentHash: Tokens.hash(body.token), device: device, credentialHash: Tokens.hash(credential))
            }
        } catch HubError.tokenExpired {
            throw ProtocolError(.tokenExpired, "the enrollment token has expired; ask an admin for a new one")
        } catch HubError.userDisabled {
            throw ProtocolError(.userDisabled, "this user is disabled; ask your admin")
        }
        guard let enrolled else {
            throw ProtocolError(
                .badToken, "the enrollment token is not valid (already used or never issued); ask an admin for a new one")
        }
        return try WireBody.respond(
            EnrollResponse(
                replica: enrolled.replicaID, credential: credential, user: enrolled.user.name,
                role: enrolled.user.role.rawValue, device: device, schema: store.schema.version),
            to: request)
    }

    /// Issues the calling device a new credential; the old one stops working when the new one
    /// is first used (``Hub/rotateCredential(of:newHash:)``).
    func rotate(_ request: Request, as principal: Principal) throws -> Response {
        let credential = Tokens.generate(prefix: "device")
        try store.rotateCredential(of: principal.device.replicaID, newHash: Tokens.hash(credential))
        return try WireBody.respond(RotateResponse(credential: credential), to: request)
    }

    // MARK: - Push

    /// Authenticates, then reads the body: a stranger cannot make the server inflate 32 MiB.
    func push(_ request: Request) async throws -> Response {
        let principal = try await Principal.authenticated(request, store: store)
        let data = try await WireBody.read(request, limits: limits)
        return try await offloadWrite { try push(request, data: data, as: principal) }
    }

    func push(_ request: Request, data: Data, as principal: Principal) throws -> Response {
        let changeset: Changeset
        do {
            changeset = try Changeset(jsonData: data)
        } catch {
            throw Self.protocolError(error)
        }
        guard changeset.replica == principal.device.replicaID else {
            throw ProtocolError(
                .forgedReplica,
                "this device is replica \(principal.device.replicaID), not \(changeset.replica.rawValue.prefix(64)); a device pushes only its own changes")
        }
        let schema = try store.currentSchema()
        guard changeset.schemaVersion <= schema.version else {
            throw ProtocolError(
                .unsupportedVersion,
                "the changes were written with schema \(changeset.schemaVersion), but this server knows schema "
                    + "\(schema.version); wait for the server's upgrade before this laptop syncs (its changes stay on it)")
        }
        guard changeset.changes.count <= limits.maxChangesPerPush else {
            throw ProtocolError(
                .tooManyChanges, "a push holds at most \(limits.maxChangesPerPush) changes; send the rest in another push")
        }
        do {
            try schema.validate(schema.mapped(changeset))
        } catch {
            throw Self.protocolError(error)
        }
        let response: PushResponse
        do {
            response = try store.push(
                changeset, as: principal.writer, scope: principal.scope, homeTerritory: principal.user.territories.first)
        } catch let error as HubError {
            throw Self.protocolError(error)
        } catch let error as ChangesetError {
            throw Self.protocolError(error)
        }
        metrics.recordPush(response)
        return try WireBody.respond(response, to: request)
    }

    // MARK: - Pull and bootstrap

    func pull(_ request: Request, as principal: Principal) throws -> Response {
        let since = try Self.integer(request, "since", default: 0)
        let limit = try pageSize(request)
        let knownSchema = try Self.knownSchema(request)
        let layout = try Self.layout(request)
        // The position is noted first, so a compaction from now on counts this device as active.
        store.notePulled(principal.device.replicaID, upTo: since)
        try store.writePullMarksIfDue()
        let page: EncodedPage
        let highWater: UInt64
        do {
            // Read before the page: the page then holds at least every change it counts.
            highWater = try store.highWater(of: principal.device.replicaID)
            page = try store.pullEncoded(
                since: since, limit: limit, scope: principal.scope, for: principal.device.replicaID,
                knownSchema: knownSchema, layout: layout)
        } catch let error as HubError {
            throw Self.protocolError(error)
        }
        metrics.pulledRows.increment(by: Int64(page.rowCount))
        return try WireBody.respond(json: page.appending(field: "highWater", value: String(highWater)), to: request)
    }

    func bootstrap(_ request: Request, as principal: Principal) throws -> Response {
        let snapshot = try request.uri.queryParameters.get("snapshot").map { _ in try Self.integer(request, "snapshot", default: 0) }
        let after = try Self.integer(request, "after", default: 0)
        let limit = try pageSize(request)
        let knownSchema = try Self.knownSchema(request)
        let layout = try Self.layout(request)
        let page = try store.bootstrapEncoded(
            snapshot: snapshot, after: after, limit: limit, scope: principal.scope,
            for: principal.device.replicaID, knownSchema: knownSchema, layout: layout)
        // A bootstrapping device needs no tombstone from before its snapshot.
        if let snapshot = page.snapshot { store.notePulled(principal.device.replicaID, upTo: snapshot) }
        metrics.pulledRows.increment(by: Int64(page.rowCount))
        return try WireBody.respond(json: page.json, to: request)
    }

    /// Every recorded event of one record the caller may see.
    func history(_ request: Request, entity: String, id: String, as principal: Principal) throws -> Response {
        guard store.schema.entity(entity) != nil else {
            throw ProtocolError(.notFound, "there is no record type '\(entity.prefix(40))'")
        }
        guard let entries = try store.history(entity, id: id, scope: principal.scope) else {
            throw ProtocolError(.notFound, "there is no \(entity) \(id.prefix(64)) in your scope")
        }
        return try WireBody.respond(HistoryResponse(entity: entity, id: id, entries: entries), to: request)
    }

    /// The company schema revision the laptop holds (`schema=N`; 0, all steps, when absent).
    static func knownSchema(_ request: Request) throws -> Int {
        Int(clamping: try integer(request, "schema", default: 0))
    }

    /// How the page lays out its rows (`layout=rows|table`; `rows` when absent).
    static func layout(_ request: Request) throws -> PageLayout {
        guard let text = request.uri.queryParameters.get("layout") else { return .rows }
        guard let layout = PageLayout(rawValue: String(text)) else {
            throw ProtocolError(.invalidRequest, "layout must be rows or table, not '\(text.prefix(40))'")
        }
        return layout
    }

    private func pageSize(_ request: Request) throws -> Int {
        let limit = try Self.integer(request, "limit", default: 500)
        guard (1...Int64(limits.maxPageSize)).contains(limit) else {
            throw ProtocolError(.invalidRequest, "limit must be between 1 and \(limits.maxPageSize)")
        }
        return Int(limit)
    }

    static func integer(_ request: Request, _ name: String, default value: Int64) throws -> Int64 {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int64(text), number >= 0 else {
            throw ProtocolError(.invalidRequest, "\(name) must be a non-negative integer, not '\(text.prefix(40))'")
        }
        return number
    }

    // MARK: - Errors

    static func protocolError(_ error: any Error) -> any Error {
        switch error {
        case let error as ChangesetError:
            switch error {
            case .unsupportedFormat: return ProtocolError(.unsupportedVersion, error.description)
            case .foreignDot: return ProtocolError(.forgedReplica, error.description)
            case .tooLarge: return ProtocolError(.tooLarge, error.description)
            case .malformed, .countersNotConsecutive, .compression: return ProtocolError(.malformed, error.description)
            }
        case let error as SchemaError:
            switch error {
            case .unknownEntity: return ProtocolError(.unknownEntity, error.description)
            case .unknownField: return ProtocolError(.unknownField, error.description)
            case let .invalidValue(_, reason) where reason.contains("longer than"):
                return ProtocolError(.fieldTooLong, error.description)
            case .invalidValue, .missingRequired, .retiredField: return ProtocolError(.invalidValue, error.description)
            }
        case let error as HubError:
            switch error {
            case .gap: return ProtocolError(.gap, error.description)
            case .schemaTooNew: return ProtocolError(.unsupportedVersion, error.description)
            case .unknownConflict, .unknownUser, .unknownDevice: return ProtocolError(.notFound, error.description)
            case .tokenExpired: return ProtocolError(.tokenExpired, error.description)
            case .userDisabled: return ProtocolError(.userDisabled, error.description)
            case .alreadyResolved, .userExists: return ProtocolError(.conflict, error.description)
            case .invalidResolution, .invalidUser, .invalidSchemaStep: return ProtocolError(.invalidRequest, error.description)
            case .storage: return ProtocolError(.internalError, error.description)
            case .rebaselineRequired: return ProtocolError(.rebaseline, error.description)
            }
        default:
            return error
        }
    }
}
