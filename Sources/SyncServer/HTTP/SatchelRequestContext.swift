import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the peer's address, which
/// the rate limits key on.
public struct SatchelRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text ("unknown" when the channel has none).
    var peer: String { remoteAddress?.ipAddress ?? "unknown" }
}
