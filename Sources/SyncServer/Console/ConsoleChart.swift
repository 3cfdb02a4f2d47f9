import Foundation
import HubStore

/// The dashboard's chart, drawn on the server as SVG from numbers alone (nothing a user typed
/// reaches it, so it needs no escaping): one stacked bar per day of what became of the changes
/// pushed that day.
enum ConsoleChart {
    struct Series: Sendable {
        var name: String
        var color: String
        var value: @Sendable (ActivityDay) -> Int
    }

    static let series = [
        Series(name: "applied", color: "#2e7d32") { $0.applied },
        Series(name: "merged", color: "#1f5fbf") { $0.merged },
        Series(name: "queued", color: "#e0a800") { $0.queued },
        Series(name: "rejected", color: "#b3261e") { $0.rejected },
    ]

    /// The chart of `days`, oldest first.
    static func svg(_ days: [ActivityDay]) -> String {
        let width = 720.0
        let height = 240.0
        let left = 48.0
        let bottom = 28.0
        let top = 28.0
        let plotHeight = height - bottom - top
        let total = { (day: ActivityDay) in series.reduce(0) { $0 + $1.value(day) } }
        let peak = max(1, days.map(total).max() ?? 0)
        let scale = niceCeiling(peak)
        let slot = (width - left - 8) / Double(max(days.count, 1))
        let barWidth = max(4, slot * 0.7)
        var parts: [String] = []
        parts.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" "
                + "aria-labelledby=\"chart-title\"><title id=\"chart-title\">Changes pushed per day, by outcome</title>")
        // Grid lines at whole numbers: 4 or 5 steps, or one per unit on a small scale.
        let steps = scale < 4 ? scale : scale % 4 == 0 ? 4 : 5
        for step in 0...steps {
            let value = scale * step / steps
            let y = top + plotHeight - plotHeight * Double(value) / Double(scale)
            parts.append(
                "<line x1=\"\(Int(left))\" y1=\"\(format(y))\" x2=\"\(Int(width - 8))\" y2=\"\(format(y))\" stroke=\"#d5dae1\"/>"
                    + "<text x=\"\(Int(left - 6))\" y=\"\(format(y + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#5a6472\">\(value)</text>")
        }
        for (index, day) in days.enumerated() {
            let x = left + slot * Double(index) + (slot - barWidth) / 2
            var y = top + plotHeight
            for item in series {
                let value = item.value(day)
                guard value > 0 else { continue }
                let barHeight = plotHeight * Double(value) / Double(scale)
                y -= barHeight
                parts.append(
                    "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(barWidth))\" height=\"\(format(barHeight))\" "
                        + "fill=\"\(item.color)\"><title>\(label(day)): \(value) \(item.name)</title></rect>")
            }
            if days.count <= 16 || index % 2 == 0 {
                parts.append(
                    "<text x=\"\(format(x + barWidth / 2))\" y=\"\(Int(height - 10))\" font-size=\"11\" text-anchor=\"middle\" "
                        + "fill=\"#5a6472\">\(shortLabel(day))</text>")
            }
        }
        var legendX = left
        for item in series {
            parts.append(
                "<rect x=\"\(format(legendX))\" y=\"8\" width=\"10\" height=\"10\" fill=\"\(item.color)\"/>"
                    + "<text x=\"\(format(legendX + 14))\" y=\"17\" font-size=\"12\" fill=\"#1d2430\">\(item.name)</text>")
            legendX += 90
        }
        parts.append("</svg>")
        return parts.joined()
    }

    /// The smallest of 1, 2, 5 × 10^n at or above `value` (so the grid reads in round numbers).
    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while true {
            for step in [1, 2, 5] where step * magnitude >= value { return step * magnitude }
            magnitude *= 10
        }
    }

    static func label(_ day: ActivityDay) -> String {
        date(day, format: "yyyy-MM-dd")
    }

    static func shortLabel(_ day: ActivityDay) -> String {
        date(day, format: "MMM d")
    }

    private static func date(_ day: ActivityDay, format: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter.string(from: Date(timeIntervalSince1970: Double(day.day) * 86_400))
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
