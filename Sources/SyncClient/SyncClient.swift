import Foundation
import ReplicaStore
import SyncCore

/// Pushes a replica's changes to the server and pulls what it may see, over HTTP.
///
/// Every step is safe to interrupt: a push whose answer is lost is sent again and the server
/// answers with the same outcomes; a pull or bootstrap applies page by page, each page with
/// its cursor in one transaction, and resumes from the last page applied. Network errors and
/// server errors (5xx) are retried with exponential backoff; refusals (4xx) are not.
///
/// ```swift
/// let client = SyncClient(replica: replica, configuration: .init(server: url, credential: credential))
/// let summary = try await client.sync { progress in print(progress) }
/// print(summary.queued, "changes wait for review")
/// ```
public struct SyncClient: Sendable {
    public struct Configuration: Sendable {
        public var server: URL
        public var credential: String
        /// Rows per pull or bootstrap page.
        public var pageSize: Int
        /// Rows per bootstrap page (the server allows up to 2000).
        public var bootstrapPageSize: Int
        /// Changes per push request.
        public var pushBatch: Int
        /// Attempts per request before giving up (1 = no retry).
        public var maxAttempts: Int
        /// The first retry's delay; each later one doubles, with jitter.
        public var initialBackoff: Duration
        /// Bytes per attachment upload chunk (a download range is four of them): what a cut
        /// connection costs at most.
        public var attachmentChunkBytes: Int

        public init(
            server: URL, credential: String, pageSize: Int = 500, bootstrapPageSize: Int = 2000, pushBatch: Int = 1000,
            maxAttempts: Int = 4, initialBackoff: Duration = .milliseconds(200), attachmentChunkBytes: Int = 1 << 20
        ) {
            self.server = server
            self.credential = credential
            self.pageSize = pageSize
            self.bootstrapPageSize = bootstrapPageSize
            self.pushBatch = pushBatch
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.attachmentChunkBytes = attachmentChunkBytes
        }
    }

    /// What a sync is doing, for a progress display.
    public enum Progress: Sendable, Equatable {
        case pushing(sent: Int, total: Int)
        case bootstrapping(rows: Int)
        case pulling(rows: Int)
        case uploading(file: String, sent: Int64, total: Int64)
        case downloading(file: String, received: Int64, total: Int64)
    }

    /// What a sync did: outcome counts of the pushed changes and rows pulled.
    public struct Summary: Sendable, Equatable, Codable {
        public var pushed = 0
        public var applied = 0
        public var merged = 0
        public var queued = 0
        public var rejected = 0
        public var pulled = 0
        /// What became of attachments' bytes.
        public var attachments = AttachmentSummary()

        public init() {}

        mutating func add(_ pushed: Summary) {
            self.pushed += pushed.pushed
            applied += pushed.applied
            merged += pushed.merged
            queued += pushed.queued
            rejected += pushed.rejected
        }
    }

    public let replica: Replica
    public let configuration: Configuration
    public let transport: any SyncTransport

    public init(replica: Replica, configuration: Configuration, transport: (any SyncTransport)? = nil) {
        self.replica = replica
        self.configuration = configuration
        self.transport = transport ?? Self.defaultTransport(for: configuration.server)
    }

    /// HTTP, or HTTPS verified against the system's trust store.
    static func defaultTransport(for server: URL) -> any SyncTransport {
        HTTPTransport(baseURL: server)
    }

    /// The transport for `server`: HTTPS verified against `certificateAuthority` (a PEM file)
    /// or the system's trust store; plain HTTP only to this machine unless `allowsInsecureHTTP`.
    ///
    /// - Throws: ``SyncClientError/insecure(_:)`` before any connection for `http://` to
    ///   another host; ``SyncClientError/untrusted(_:)`` for a CA file that cannot be read.
    public static func transport(
        for server: URL, certificateAuthority: String? = nil, allowsInsecureHTTP: Bool = false
    ) throws -> any SyncTransport {
        switch server.scheme?.lowercased() {
        case "https":
            return try HTTPTransport(baseURL: server, certificateAuthority: certificateAuthority)
        case "http":
            guard allowsInsecureHTTP || isLoopback(server.host ?? "") else {
                throw SyncClientError.insecure(
                    "refusing plain http:// to \(server.host ?? "?"), which is not this machine: use https://, or "
                        + "--insecure-http if you accept that anyone on the network can read and change what you sync")
            }
            return HTTPTransport(baseURL: server)
        default:
            throw SyncClientError.insecure("the server address must start with https:// (or http:// for this machine)")
        }
    }

    /// Whether `host` names this machine (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    // MARK: - Enrollment

    /// Trades a one-time enrollment token for this device's replica id and credential.
    public static func enroll(
        server: URL, token: String, device: String, transport: (any SyncTransport)? = nil
    ) async throws -> EnrollResponse {
        let transport = transport ?? HTTPTransport(baseURL: server)
        let body = try WireJSON.encoder.encode(EnrollRequest(token: token, device: device))
        let response = try await transport.send(
            TransportRequest(method: "POST", path: "/v1/enroll", headers: ["Content-Type": "application/json"], body: body))
        return try decode(EnrollResponse.self, from: response)
    }

    // MARK: - Sync

    /// Bootstraps if the replica never has, then pushes, sends attachments' pending bytes, and
    /// pulls (so the server's note that the bytes arrived comes back in the same sync); then,
    /// when `downloadingAttachmentsUpTo` is given, fetches the book's files up to that size.
    public func sync(
        downloadingAttachmentsUpTo cap: Int64? = nil, progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Summary {
        var summary = Summary()
        if try !replica.identity().isBootstrapped {
            summary.pulled += try await bootstrap(progress: progress)
        }
        summary.add(try await push(progress: progress))
        summary.attachments = try await uploadPending(progress: progress)
        // Applying the last pulled page records the sync time in the same transaction.
        let pulled = try await pullReportingHighWater(progress: progress)
        summary.pulled += pulled.rows
        // A server restored from a backup holds fewer of our changes than it acknowledged: push
        // the kept ones again, then pull what that changed.
        if let highWater = pulled.highWater, try replica.acknowledgedThrough() > highWater,
            try replica.requeueAcknowledged(after: highWater) > 0
        {
            summary.add(try await push(progress: progress))
            summary.pulled += try await pull(progress: progress)
        }
        // Files of attachments that left this laptop (deleted, or with an account that moved) go too.
        try replica.pruneAttachmentFiles()
        if let cap {
            let fetched = try await downloadAttachments(maxBytes: cap, progress: progress)
            summary.attachments.downloaded = fetched.downloaded
            summary.attachments.downloadedBytes = fetched.downloadedBytes
            summary.attachments.skipped = fetched.skipped
        }
        return summary
    }

    /// Pushes the outbox in batches until it is empty, recording every outcome on the replica.
    ///
    /// When the server answers `gap` (it holds fewer of this laptop's changes than it once
    /// acknowledged: it was restored from a backup), the kept acknowledged changes after its
    /// high-water mark go back in the outbox and the push starts again from there.
    public func push(progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> Summary {
        do {
            return try await pushOutbox(progress: progress)
        } catch SyncClientError.refused(let error, _) where error.code == .gap {
            guard let highWater = try await serverHighWater(), try replica.requeueAcknowledged(after: highWater) > 0 else {
                throw SyncClientError.refused(error, status: 409)
            }
            return try await pushOutbox(progress: progress)
        }
    }

    /// The server's high-water mark of this replica, from a one-row pull page that is not applied.
    private func serverHighWater() async throws -> UInt64? {
        let cursor = try replica.identity().pullCursor
        let request = TransportRequest(
            method: "GET", path: "/v1/sync/pull?since=\(cursor)&limit=1&schema=\(try replica.schemaRevision())",
            headers: ["Accept-Encoding": "gzip"])
        return try Self.decode(PullResponse.self, from: try await send(request)).highWater
    }

    private func pushOutbox(progress: @escaping @Sendable (Progress) -> Void) async throws -> Summary {
        var summary = Summary()
        let total = try replica.pendingCount()
        while let changeset = try replica.pendingChangeset(limit: configuration.pushBatch) {
            var body = try changeset.jsonData()
            var headers = ["Content-Type": "application/json", "Accept-Encoding": "gzip"]
            if body.count > 1024 {
                body = try Compression.deflate(body, format: .gzip)
                headers["Content-Encoding"] = "gzip"
            }
            let request = TransportRequest(method: "POST", path: "/v1/sync/push", headers: headers, body: body)
            let response = try Self.decode(PushResponse.self, from: try await send(request))
            try replica.acknowledge(response)
            for item in response.outcomes {
                summary.pushed += 1
                switch item.outcome {
                case .applied: summary.applied += 1
                case .merged: summary.merged += 1
                case .queued: summary.queued += 1
                case .rejected: summary.rejected += 1
                }
            }
            progress(.pushing(sent: summary.pushed, total: total))
            if response.outcomes.isEmpty { break }
        }
        return summary
    }

    /// Pulls every page since the replica's cursor; returns the rows applied.
    ///
    /// When the server has compacted its history past the cursor (the laptop was retired from
    /// compaction while away), the replica downloads a fresh copy instead, once nothing of its
    /// own is waiting to be pushed.
    public func pull(progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> Int {
        try await pullReportingHighWater(progress: progress).rows
    }

    /// Pulls like ``pull(progress:)``; also returns the server's high-water mark of this replica
    /// from the last page (nil after a re-baseline, or from a server that does not send it).
    func pullReportingHighWater(progress: @escaping @Sendable (Progress) -> Void) async throws -> (rows: Int, highWater: UInt64?) {
        var rows = 0
        while true {
            let cursor = try replica.identity().pullCursor
            // The company schema revision this laptop holds: the page brings the steps after it.
            let request = TransportRequest(
                method: "GET",
                path: "/v1/sync/pull?since=\(cursor)&limit=\(configuration.pageSize)&schema=\(try replica.schemaRevision())"
                    + "&layout=table",
                headers: ["Accept-Encoding": "gzip"])
            let page: PullResponse
            do {
                page = try Self.decode(PullResponse.self, from: try await send(request))
            } catch SyncClientError.refused(let error, _) where error.code == .rebaseline {
                try replica.startRebaseline()
                return (rows + (try await bootstrap(progress: progress)), nil)
            }
            try replica.apply(page)
            rows += page.rows.count
            progress(.pulling(rows: rows))
            // A field learned from this page that the laptop had pulled past unknowingly (an
            // older binary) moved the cursor back: pull again from there.
            let rewound = try replica.identity().pullCursor < page.cursor
            if !page.hasMore && !rewound { return (rows, page.highWater) }
        }
    }

    /// Downloads the live rows this device may see, resuming an interrupted bootstrap; returns the rows applied.
    ///
    /// The next page is fetched and decoded while the current one is written, so the network,
    /// the server and the decoding overlap with the replica's SQLite work.
    public func bootstrap(progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> Int {
        var rows = 0
        var page = try await bootstrapPage(at: try replica.identity().bootstrapProgress)
        while true {
            let following = page.hasMore ? Task { [position = (page.snapshot, page.after)] in
                try await bootstrapPage(at: position)
            } : nil
            do {
                try replica.apply(bootstrap: page)
            } catch {
                following?.cancel()
                throw error
            }
            rows += page.rows.count
            progress(.bootstrapping(rows: rows))
            guard let following else { return rows }
            page = try await following.value
        }
    }

    private func bootstrapPage(at position: (snapshot: Int64, after: Int64)?) async throws -> BootstrapResponse {
        // The columnar layout (``RowTable``): a server too old to know it answers rows, which reads the same.
        var path =
            "/v1/sync/bootstrap?limit=\(configuration.bootstrapPageSize)&schema=\(try replica.schemaRevision())&layout=table"
        if let position { path += "&snapshot=\(position.snapshot)&after=\(position.after)" }
        return try Self.decode(
            BootstrapResponse.self,
            from: try await send(TransportRequest(method: "GET", path: path, headers: ["Accept-Encoding": "gzip"])))
    }

    // MARK: - Admin

    /// Sends an authenticated JSON request and decodes the answer (used by the admin commands).
    public func request<Response: Decodable>(
        _ method: String, _ path: String, body: (some Encodable)? = Optional<String>.none, as type: Response.Type
    ) async throws -> Response {
        var request = TransportRequest(method: method, path: path, headers: ["Accept-Encoding": "gzip"])
        if let body {
            request.body = try WireJSON.encoder.encode(body)
            request.headers["Content-Type"] = "application/json"
        }
        return try Self.decode(type, from: try await send(request))
    }

    // MARK: - Transport

    /// Sends with the credential, retrying what may succeed later.
    func send(_ request: TransportRequest) async throws -> TransportResponse {
        var request = request
        request.headers["Authorization"] = "Bearer \(configuration.credential)"
        var delay = configuration.initialBackoff
        var attempt = 1
        while true {
            do {
                let response = try await transport.send(request)
                if response.status == 429, attempt < configuration.maxAttempts,
                    let seconds = response.headers["retry-after"].flatMap(Int.init), seconds <= 60
                {
                    // The server says when; waiting less only spends another attempt.
                    attempt += 1
                    try await Task.sleep(for: .seconds(seconds))
                    continue
                }
                if response.status >= 500 || response.status == 429 {
                    throw Self.refusal(response)
                }
                return response
            } catch let error as SyncClientError where error.isRetryable && attempt < configuration.maxAttempts {
                attempt += 1
                let jitter = Double.random(in: 0.8...1.2)
                try await Task.sleep(for: delay * jitter)
                delay *= 2
            }
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from response: TransportResponse) throws -> T {
        guard (200..<300).contains(response.status) else { throw refusal(response) }
        do {
            return try WireJSON.decode(type, from: try body(of: response))
        } catch let error as SyncClientError {
            throw error
        } catch {
            throw SyncClientError.unreadable(status: response.status, detail: WireJSON.describe(error))
        }
    }

    static func refusal(_ response: TransportResponse) -> SyncClientError {
        if let body = try? body(of: response), let error = try? WireJSON.decoder.decode(ErrorResponse.self, from: body) {
            return .refused(error.error, status: response.status)
        }
        return .unreadable(status: response.status, detail: String(decoding: response.body.prefix(200), as: UTF8.self))
    }

    /// The body, inflated when it is gzip (the transport leaves bodies as they came).
    static func body(of response: TransportResponse) throws -> Data {
        guard response.body.starts(with: [0x1F, 0x8B]) else { return response.body }
        do {
            return try Compression.inflate(response.body, limit: 512 << 20)
        } catch {
            throw SyncClientError.unreadable(status: response.status, detail: "bad gzip: \(error)")
        }
    }
}
