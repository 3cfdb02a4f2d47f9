import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Prometheus
import HubStore
import SyncCore

/// How to run the server.
///
/// - Configuration keys (command-line options of `satchel-server serve`):
///   - `--data DIR` (string, default `./satchel-data`): the data directory holding `satchel.sqlite`.
///   - `--host H` (string, default `127.0.0.1`): the address to listen on.
///   - `--port P` (integer, default `8417`; 0 picks a free port).
///   - `--tls-cert FILE`, `--tls-key FILE` (PEM): serve HTTPS; both or neither.
public struct ServerConfiguration: Sendable {
    public var dataDirectory: String
    public var host: String
    public var port: Int
    public var limits: ServerLimits
    /// The certificate chain and private key (PEM files) to serve HTTPS with; nil serves HTTP.
    public var tls: TLSFiles?

    public static let defaultPort = 8417

    public struct TLSFiles: Hashable, Sendable {
        public var certificateChain: String
        public var privateKey: String

        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    public init(
        dataDirectory: String = "./satchel-data", host: String = "127.0.0.1", port: Int = ServerConfiguration.defaultPort,
        limits: ServerLimits = ServerLimits(), tls: TLSFiles? = nil
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.limits = limits
        self.tls = tls
    }

    /// Whether the server listens only on the loopback interface.
    public var isLoopback: Bool {
        ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
    }

    /// The warning to print at start, if any: plain HTTP on an address other machines reach.
    public var exposureWarning: String? {
        guard tls == nil, !isLoopback else { return nil }
        return "warning: serving plain HTTP on \(host), which other machines can reach: credentials and customer "
            + "data cross the network unencrypted; give --tls-cert and --tls-key"
    }
}

/// Builds the server application over a store.
///
/// ```swift
/// let store = try SQLiteServerStore.open(directory: "./satchel-data")
/// let app = try buildApplication(store: store, configuration: ServerConfiguration())
/// try await app.runService()
/// ```
///
/// - Parameter onServerRunning: called with the bound port once the server listens (useful with port 0).
/// - Throws: ``ProtocolError`` when the TLS files cannot be read.
public func buildApplication(
    store: any ServerStore, configuration: ServerConfiguration, logger: Logger = Logger(label: "satchel-server"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let router = buildRouter(store: store, limits: configuration.limits, metrics: metrics)
    let limits = configuration.limits
    let http = HTTP1Channel.Configuration(
        additionalChannelHandlers: [
            RequestDeadline(headTimeout: TimeAmount(limits.headTimeout), bodyTimeout: TimeAmount(limits.bodyTimeout))
        ],
        idleTimeout: TimeAmount(limits.idleTimeout))
    let server: HTTPServerBuilder
    if let tls = configuration.tls {
        server = try .tls(.http1(configuration: http), tlsConfiguration: try tlsConfiguration(tls))
    } else {
        server = .http1(configuration: http)
    }
    return Application(
        router: router, server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "satchel-server"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The server's TLS settings from PEM files, with a clear error for a file that cannot be read.
func tlsConfiguration(_ files: ServerConfiguration.TLSFiles) throws -> TLSConfiguration {
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey
    do {
        chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain)
    } catch {
        throw ProtocolError(.invalidRequest, "cannot read the certificate chain \(files.certificateChain) as PEM (\(error)); check --tls-cert")
    }
    guard !chain.isEmpty else {
        throw ProtocolError(.invalidRequest, "\(files.certificateChain) holds no certificate; check --tls-cert")
    }
    do {
        key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
    } catch {
        throw ProtocolError(.invalidRequest, "cannot read the private key \(files.privateKey) as PEM (\(error)); check --tls-key")
    }
    var configuration = TLSConfiguration.makeServerConfiguration(
        certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    configuration.minimumTLSVersion = .tlsv12
    return configuration
}

/// Builds the application and runs it until the process is asked to stop (SIGINT or SIGTERM,
/// when `handlesSignals`) or the task running it is cancelled.
public func runServer(
    store: any ServerStore, configuration: ServerConfiguration, logger: Logger, handlesSignals: Bool = true,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws {
    let app = try buildApplication(store: store, configuration: configuration, logger: logger, onServerRunning: onServerRunning)
    if handlesSignals {
        try await app.runService()
    } else {
        try await app.runService(gracefulShutdownSignals: [])
    }
}

/// The routes: `/health`, `/metrics`, `/v1/enroll`, `/v1/device/…`, `/v1/sync/…`, `/v1/attachments/…`, `/v1/admin/…`
/// and the admin console's pages under `/admin`.
public func buildRouter(store: any ServerStore, limits: ServerLimits, metrics: ServerMetrics) -> Router<SatchelRequestContext> {
    let router = buildRoutes(store: store, limits: limits, metrics: metrics).router
    // The console's pages are not part of the wire protocol (Protocol/openapi.yaml); Docs/console.md describes them.
    ConsoleController(store: store, limits: limits).addRoutes(to: router)
    return router
}

/// Every route the server answers, as `METHOD /path/{parameter}`: what `Protocol/openapi.yaml`
/// must describe (a test holds the two together).
public func routeList(store: any ServerStore) -> [String] {
    buildRoutes(store: store, limits: ServerLimits(), metrics: ServerMetrics()).routes.sorted()
}

private func buildRoutes(store: any ServerStore, limits: ServerLimits, metrics: ServerMetrics) -> RouteTable {
    let router = Router(context: SatchelRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: RateLimitMiddleware(limits: limits.rates))
    let routes = RouteTable(router: router)
    routes.get("/health") { request, _ -> Response in
        try WireBody.respond(HealthResponse(status: "ok", schema: store.schema.version), to: request)
    }
    // Cheap by design: counters in memory, and the open-conflict gauge from an indexed count.
    routes.get("/metrics") { _, _ -> Response in
        let open = (try? await offload { try store.openConflictCount() }) ?? 0
        let text = metrics.registry.emitToString() + "# TYPE satchel_open_conflicts gauge\nsatchel_open_conflicts \(open)\n"
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    SyncController(store: store, limits: limits, metrics: metrics).addRoutes(to: routes)
    AdminController(store: store, limits: limits).addRoutes(to: routes)
    AttachmentController(store: store, limits: limits, metrics: metrics).addRoutes(to: routes)
    return routes
}

/// The router, and the list of what was added to it.
final class RouteTable: @unchecked Sendable {
    let router: Router<SatchelRequestContext>
    private(set) var routes: [String] = []

    init(router: Router<SatchelRequestContext>) {
        self.router = router
    }

    func get(
        _ path: String, use handler: @escaping @Sendable (Request, SatchelRequestContext) async throws -> some ResponseGenerator
    ) {
        add("GET", path)
        router.get(RouterPath(path), use: handler)
    }

    func post(
        _ path: String, use handler: @escaping @Sendable (Request, SatchelRequestContext) async throws -> some ResponseGenerator
    ) {
        add("POST", path)
        router.post(RouterPath(path), use: handler)
    }

    func put(
        _ path: String, use handler: @escaping @Sendable (Request, SatchelRequestContext) async throws -> some ResponseGenerator
    ) {
        add("PUT", path)
        router.put(RouterPath(path), use: handler)
    }

    private func add(_ method: String, _ path: String) {
        let spec = path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
        routes.append(method + " " + spec)
    }
}

/// Runs blocking store work on NIO's thread pool, off the async executor, so a large push does
/// not stall `/health` or other requests.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}

/// Runs a laptop's write (a push, an enrollment, a credential's rotation) on threads of its own,
/// more than the cores: on a busy server most of a push's time is spent waiting for the commit
/// it shares with others (SQLite's group commit), and those waits must not hold back the pulls
/// on the pool above, which mostly only read.
func offloadWrite<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await writeThreads.runIfActive(work)
}

private let writeThreads: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 16)
    pool.start()
    return pool
}()

/// `GET /health`.
public struct HealthResponse: Hashable, Sendable, Codable {
    public var status: String
    public var schema: Int
}

/// Turns any error a handler throws into the protocol's JSON error: a user never sees a stack
/// trace, and an unexpected failure is logged and answered with a 500 that says so.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = SatchelRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as ProtocolError {
            throw error
        } catch let error as RateLimited {
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
