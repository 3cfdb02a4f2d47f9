import Foundation
import HTTPTypes
import HubEngine
import Hummingbird
import HubStore
import SatchelModel
import SyncCore

/// The authenticated caller of a request: a device of a user, with what they may see now.
struct Principal: Sendable {
    var device: DeviceInfo
    var scope: ReadScope

    var user: UserInfo { device.user }

    /// Who acts, for the audit trail.
    var actor: Actor { Actor(user: device.user.name, device: device.device) }

    var writer: Writer {
        Writer(user: device.user.name, device: device.device, isPrivileged: device.user.role.isPrivileged)
    }

    /// Authenticates the bearer credential of a request with the store's current permissions.
    static func authenticate(_ request: Request, store: any ServerStore) throws -> Principal {
        guard let header = request.headers[.authorization] else {
            throw ProtocolError(.unauthenticated, "this request needs a device credential; log in with 'satchel login'")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty, parts[1].count <= 256 else {
            throw ProtocolError(.unauthenticated, "send the device credential as 'Authorization: Bearer <credential>'")
        }
        guard let device = try store.device(credentialHash: Tokens.hash(String(parts[1]))) else {
            throw ProtocolError(
                .badCredential, "the device credential is not valid (replaced or never issued); log in again with 'satchel login'")
        }
        if device.revokedAt != nil {
            // An operator at the server's command line is "an admin" to a rep; a named admin is named.
            let who = device.revokedBy.flatMap { $0 == Actor.serverOperator.user ? nil : $0 }
            throw ProtocolError(
                .revoked,
                "this laptop (\(device.device)) was revoked by \(who ?? "an admin"); ask \(who ?? "your admin") "
                    + "what to do. Its unsynced changes stay on it ('satchel status' lists them)")
        }
        if device.user.disabled == true {
            throw ProtocolError(
                .userDisabled,
                "the user \(device.user.name) is disabled; ask your admin. Unsynced changes stay on this laptop "
                    + "('satchel status' lists them)")
        }
        return Principal(device: device, scope: try store.scope(of: device.user))
    }

    /// Authenticates off the async executor (the store call blocks).
    static func authenticated(_ request: Request, store: any ServerStore) async throws -> Principal {
        try await offload { try authenticate(request, store: store) }
    }

    /// Requires one of `roles`.
    func require(_ roles: Set<Role>, to action: String) throws {
        guard roles.contains(user.role) else {
            throw ProtocolError(
                .forbidden,
                "\(user.name) is a \(user.role.rawValue); \(action) needs \(roles.map(\.rawValue).sorted().joined(separator: " or "))")
        }
    }
}
