import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ReplicaStore
import SyncCore

/// How to run the server.
///
/// - Configuration keys (command-line options of `satchel-server serve`):
///   - `--data DIR` (string, default `./satchel-data`): the data directory holding `satchel.sqlite`.
///   - `--host H` (string, default `127.0.0.1`): the address to listen on.
///   - `--port P` (integer, default `8417`; 0 picks a free port).
public struct ServerConfiguration: Sendable {
    public var dataDirectory: String
    public var host: String
    public var port: Int
    public var limits: ServerLimits

    public static let defaultPort = 8417

    public init(
        dataDirectory: String = "./satchel-data", host: String = "127.0.0.1", port: Int = ServerConfiguration.defaultPort,
        limits: ServerLimits = ServerLimits()
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.limits = limits
    }
}

/// Builds the server application over a store.
///
/// ```swift
/// let store = try SQLiteServerStore.open(directory: "./satchel-data")
/// let app = buildApplication(store: store, configuration: ServerConfiguration())
/// try await app.runService()
/// ```
///
/// - Parameter onServerRunning: called with the bound port once the server listens (useful with port 0).
public func buildApplication(
    store: any ServerStore, configuration: ServerConfiguration, logger: Logger = Logger(label: "satchel-server"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let router = buildRouter(store: store, limits: configuration.limits, metrics: metrics)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "satchel-server"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Builds the application and runs it until the process is asked to stop (SIGINT or SIGTERM,
/// when `handlesSignals`) or the task running it is cancelled.
public func runServer(
    store: any ServerStore, configuration: ServerConfiguration, logger: Logger, handlesSignals: Bool = true,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws {
    let app = buildApplication(store: store, configuration: configuration, logger: logger, onServerRunning: onServerRunning)
    if handlesSignals {
        try await app.runService()
    } else {
        try await app.runService(gracefulShutdownSignals: [])
    }
}

/// The routes: `/health`, `/metrics`, `/v1/enroll`, `/v1/sync/…` and `/v1/admin/…`.
public func buildRouter(store: any ServerStore, limits: ServerLimits, metrics: ServerMetrics) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: ErrorMiddleware())
    router.get("/health") { request, _ -> Response in
        try WireBody.respond(HealthResponse(status: "ok", schema: store.schema.version), to: request)
    }
    router.get("/metrics") { _, _ -> Response in
        let open = (try? store.conflicts(includeResolved: false).count) ?? 0
        let text = metrics.registry.emitToString() + "# TYPE satchel_open_conflicts gauge\nsatchel_open_conflicts \(open)\n"
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    SyncController(store: store, limits: limits, metrics: metrics).addRoutes(to: router)
    AdminController(store: store, limits: limits).addRoutes(to: router)
    return router
}

/// `GET /health`.
public struct HealthResponse: Hashable, Sendable, Codable {
    public var status: String
    public var schema: Int
}

/// Turns any error a handler throws into the protocol's JSON error: a user never sees a stack
/// trace, and an unexpected failure is logged and answered with a 500 that says so.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as ProtocolError {
            throw error
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw ProtocolError(.notFound, "there is no \(request.method) \(request.uri.path); see Protocol/README.md")
            case .contentTooLarge: throw ProtocolError(.tooLarge, "the request body is too large")
            default: throw ProtocolError(.invalidRequest, error.body ?? "the request was not understood")
            }
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw ProtocolError(.internalError, "the server failed to handle this request; it has been logged")
        }
    }
}
