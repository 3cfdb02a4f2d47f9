import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SyncCore

/// Token buckets in memory, one per key. Losing them (a restart, another server) only forgives
/// some requests, so they need not be shared.
final class RateLimiter: @unchecked Sendable {
    /// A bucket of `burst` requests that refills at `perSecond`.
    struct Rule: Hashable, Sendable {
        var burst: Double
        var perSecond: Double
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private let now: @Sendable () -> Double

    init(now: @escaping @Sendable () -> Double = { Date().timeIntervalSinceReferenceDate }) {
        self.now = now
    }

    /// Takes one token from `key`'s bucket: nil when there was one, else the seconds until there is.
    func take(_ key: String, _ rule: Rule) -> Double? {
        withBucket(key, rule) { bucket in
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / rule.perSecond }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Puts back a token taken from `key`'s bucket (never above the burst).
    func giveBack(_ key: String, _ rule: Rule) {
        _ = withBucket(key, rule) { bucket in
            bucket.tokens = min(rule.burst, bucket.tokens + 1)
            return nil
        }
    }

    /// The seconds until `key`'s bucket holds a token (nil when it holds one now); takes nothing.
    func wait(_ key: String, _ rule: Rule) -> Double? {
        withBucket(key, rule) { bucket in bucket.tokens >= 1 ? nil : (1 - bucket.tokens) / rule.perSecond }
    }

    private func withBucket(_ key: String, _ rule: Rule, _ body: (inout Bucket) -> Double?) -> Double? {
        let time = now()
        lock.lock()
        defer { lock.unlock() }
        var bucket = buckets[key] ?? Bucket(tokens: rule.burst, updated: time)
        bucket.tokens = min(rule.burst, bucket.tokens + (time - bucket.updated) * rule.perSecond)
        bucket.updated = time
        let answer = body(&bucket)
        buckets[key] = bucket
        if buckets.count > 50_000 { prune(at: time) }
        return answer
    }

    /// Forgets buckets untouched for a minute (they would be full again anyway for every rule
    /// that refills within a minute); under a flood of new keys, forgets them all, so memory
    /// stays bounded at the price of forgiving some requests.
    private func prune(at time: Double) {
        buckets = buckets.filter { time - $0.value.updated < 60 }
        if buckets.count > 50_000 { buckets = [:] }
    }
}

/// The rate limits of `ServerLimits`, answered with 429 and `Retry-After`:
/// - enrollment attempts per address;
/// - failed authentications per address (a failed sign-in costs a token; with none left, the
///   next failure is answered 429 instead of 401; valid credentials are never held back);
/// - requests per device credential.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = SatchelRequestContext
    /// Buckets per address (enrollment, failed sign-ins).
    let addresses = RateLimiter()
    /// Buckets per credential presented, kept apart: a flood of made-up credentials can only
    /// make this one forget, never the addresses' limits.
    let credentials = RateLimiter()
    let limits: RateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        if path == "/health" || path == "/metrics" { return try await next(request, context) }
        let peer = context.peer
        if path == "/v1/enroll", let wait = addresses.take("enroll|" + peer, limits.enrollments) {
            throw RateLimited(retryAfter: wait, what: "too many enrollment attempts from this address")
        }
        if let credential = request.headers[.authorization],
            let wait = credentials.take(Tokens.hash(credential), limits.perCredential)
        {
            throw RateLimited(retryAfter: wait, what: "too many requests from this device")
        }
        do {
            return try await next(request, context)
        } catch let error as ProtocolError where error.status == .unauthorized {
            // A failed sign-in costs the address a token; with none left the answer is 429. A
            // valid credential is never held back, so a guesser behind an office's one address
            // does not lock the office out.
            if let wait = addresses.take("auth-failure|" + peer, limits.failedAuthentications) {
                throw RateLimited(retryAfter: wait, what: "too many failed sign-ins from this address")
            }
            throw error
        }
    }
}

/// The rules the rate limiter applies; `nil` rules turn limiting off (benchmarks).
public struct RateLimits: Hashable, Sendable {
    var enrollments: RateLimiter.Rule
    var failedAuthentications: RateLimiter.Rule
    var perCredential: RateLimiter.Rule
    /// Failed console sign-ins, per address and per user name alike.
    var failedSignIns: RateLimiter.Rule

    /// Enrollment: 20 at once, then one every 3 s per address. Failed authentications: 30, then
    /// one every 2 s per address. Each device: 200 requests at once, then 50 a second. Failed
    /// console sign-ins: 10, then one every 30 s, per address and per user name.
    public static let standard = RateLimits(
        enrollments: .init(burst: 20, perSecond: 1.0 / 3), failedAuthentications: .init(burst: 30, perSecond: 0.5),
        perCredential: .init(burst: 200, perSecond: 50), failedSignIns: .init(burst: 10, perSecond: 1.0 / 30))

    /// As good as no limit (a load generator on one address with a thousand devices).
    public static let unlimited = RateLimits(
        enrollments: .init(burst: 1e9, perSecond: 1e9), failedAuthentications: .init(burst: 1e9, perSecond: 1e9),
        perCredential: .init(burst: 1e9, perSecond: 1e9), failedSignIns: .init(burst: 1e9, perSecond: 1e9))

    /// Custom limits (tests use small ones); failed console sign-ins share `failedBurst`.
    public static func custom(enrollBurst: Double, failedBurst: Double, credentialBurst: Double, perSecond: Double) -> RateLimits {
        RateLimits(
            enrollments: .init(burst: enrollBurst, perSecond: perSecond),
            failedAuthentications: .init(burst: failedBurst, perSecond: perSecond),
            perCredential: .init(burst: credentialBurst, perSecond: perSecond),
            failedSignIns: .init(burst: failedBurst, perSecond: perSecond))
    }
}

/// A 429 with `Retry-After` and the protocol's JSON error body.
struct RateLimited: Error, HTTPResponseError {
    var retryAfter: Double
    var what: String

    var status: HTTPResponse.Status { .tooManyRequests }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let seconds = max(1, Int(retryAfter.rounded(.up)))
        let error = ProtocolError(.rateLimited, "\(what); try again in \(seconds) s")
        let body = (try? WireJSON.encoder.encode(ErrorResponse(error: error))) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.retryAfter] = String(seconds)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
