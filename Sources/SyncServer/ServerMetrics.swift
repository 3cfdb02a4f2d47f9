import Prometheus
import SyncCore

/// The server's Prometheus metrics, served at `/metrics`.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let pushes: Counter
    let pulledRows: Counter
    let attachmentBytesIn: Counter
    let attachmentBytesOut: Counter
    let outcomes: [String: Counter]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        pushes = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "satchel", metricName: "push_requests", unitName: "total", helpText: "Pushes merged."))
        pulledRows = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "satchel", metricName: "pulled_rows", unitName: "total", helpText: "Rows sent by pull and bootstrap."))
        attachmentBytesIn = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "satchel", metricName: "attachment_bytes_received", unitName: "total",
                helpText: "Bytes of attachment chunks received."))
        attachmentBytesOut = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "satchel", metricName: "attachment_bytes_sent", unitName: "total",
                helpText: "Bytes of attachments sent."))
        outcomes = Dictionary(
            uniqueKeysWithValues: ["applied", "merged", "queued", "rejected"].map { kind in
                (
                    kind,
                    registry.makeCounter(
                        descriptor: MetricNameDescriptor(
                            namespace: "satchel", metricName: "push_changes", unitName: "total",
                            helpText: "Pushed changes by outcome."),
                        labels: [("outcome", kind)])
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
