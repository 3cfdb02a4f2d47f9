import Foundation
import HubEngine
import Hummingbird
import HubStore
import SatchelModel
import SyncCore

/// The company's own fields: listed by admins and managers, changed by admins only. Each change
/// is a published schema step that laptops learn from their next pull.
extension AdminController {
    func addFieldRoutes(to routes: RouteTable) {
        routes.get("/v1/admin/fields") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            return try await offload { try fields(request, as: principal) }
        }
        routes.post("/v1/admin/fields") { request, _ in
            let principal = try await Principal.authenticated(request, store: store)
            try principal.require([.admin], to: "adding a field")  // before the body is read
            let body = try await WireBody.read(request, limits: limits)
            return try await offload {
                let field = try WireBody.decode(AddFieldRequest.self, from: body)
                return try publish(.addField(field), request: request, as: principal, status: .created)
            }
        }
        routes.post("/v1/admin/fields/:entity/:name/retire") { request, context in
            let entity = Self.parameter(context, "entity") ?? ""
            let name = Self.parameter(context, "name") ?? ""
            let principal = try await Principal.authenticated(request, store: store)
            try principal.require([.admin], to: "retiring a field")
            return try await offload {
                try publish(.retireField(entity: entity, field: name), request: request, as: principal, status: .ok)
            }
        }
        routes.post("/v1/admin/fields/:entity/:name/choices") { request, context in
            let entity = Self.parameter(context, "entity") ?? ""
            let name = Self.parameter(context, "name") ?? ""
            let principal = try await Principal.authenticated(request, store: store)
            try principal.require([.admin], to: "adding choices to a field")  // before the body is read
            let body = try await WireBody.read(request, limits: limits)
            return try await offload {
                let choices = try WireBody.decode(AddChoicesRequest.self, from: body)
                return try publish(
                    .addChoices(entity: entity, field: name, choices: choices.add), request: request, as: principal, status: .ok)
            }
        }
    }

    func fields(_ request: Request, as principal: Principal) throws -> Response {
        try principal.require([.admin, .manager], to: "listing fields")
        let schema = try store.currentSchema()
        return try WireBody.respond(
            FieldListResponse(
                revision: schema.revision, fields: FieldRecord.all(in: schema, customOnly: true), steps: try store.schemaSteps()),
            to: request)
    }

    func publish(_ step: SchemaStep, request: Request, as principal: Principal, status: HTTPResponse.Status) throws -> Response {
        do {
            return try WireBody.respond(try store.publish(step, by: principal.actor), to: request, status: status)
        } catch {
            throw SyncController.protocolError(error)
        }
    }
}
