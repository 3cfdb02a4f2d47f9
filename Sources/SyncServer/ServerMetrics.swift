import Prometheus
import SyncCore

/// The server's Prometheus metrics, served at `/metrics`.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let pushes: Counter
    let pulledRows: Counter
    let outcomes: [String: Counter]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        pushes = registry.makeCounter(name: "satchel_push_requests_total", help: "Pushes merged.")
        pulledRows = registry.makeCounter(name: "satchel_pulled_rows_total", help: "Rows sent by pull and bootstrap.")
        outcomes = Dictionary(
            uniqueKeysWithValues: ["applied", "merged", "queued", "rejected"].map { kind in
                (
                    kind,
                    registry.makeCounter(
                        name: "satchel_push_changes_total", labels: [("outcome", kind)], help: "Pushed changes by outcome.")
                )
            })
    }

    func recordPush(_ response: PushResponse) {
        pushes.increment()
        for item in response.outcomes {
            outcomes[item.outcome.kind]?.increment()
        }
    }
}
