import Foundation

extension FieldType {
    /// Parses a value typed by a person (a command-line argument, a CSV cell) as this type.
    ///
    /// Texts, enumeration members, references and dates are taken as written (and checked by
    /// ``validate(_:)`` afterwards); integers are whole numbers; timestamps are Unix
    /// milliseconds or ISO 8601 (`2026-11-22T09:30:00Z`, or without a zone in `timeZone`);
    /// booleans are true/false, yes/no or 1/0; money is read by ``Money/parse(_:defaultCurrency:)``
    /// (`1250.00 EUR`, `€1,250.50`, or a bare `1250` in `currency`); sets are `a;b;c`;
    /// locations `lat,lon`. The empty string is no value (null).
    ///
    /// - Returns: nil when the text is not of this type; ``phrase`` says what was expected.
    public func parse(_ text: String, timeZone: TimeZone = .gmt, currency: String? = nil) -> FieldValue? {
        if text.isEmpty { return .null }
        switch self {
        case .text, .enumeration, .reference, .date:
            return .text(text)
        case .integer:
            return Int64(text).map(FieldValue.integer)
        case .timestamp:
            return FieldType.parseTimestamp(text, timeZone: timeZone).map(FieldValue.integer)
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "1": return .bool(true)
            case "false", "no", "0": return .bool(false)
            default: return nil
            }
        case .money:
            return (try? Money.parse(text, defaultCurrency: currency)).map(FieldValue.money)
        case .stringSet:
            return .stringSet(text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        case .location:
            let parts = text.split(separator: ",")
            guard parts.count == 2, let lat = Double(parts[0].trimmingCharacters(in: .whitespaces)),
                let lon = Double(parts[1].trimmingCharacters(in: .whitespaces))
            else { return nil }
            return .location(Location(lat: lat, lon: lon))
        }
    }

    /// Unix milliseconds from digits or from ISO 8601 (with a zone, or in `timeZone` without one;
    /// a bare date is midnight).
    public static func parseTimestamp(_ text: String, timeZone: TimeZone = .gmt) -> Int64? {
        if let number = Int64(text) { return number }
        let withZone = ISO8601DateFormatter()
        if let date = withZone.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        withZone.formatOptions.insert(.withFractionalSeconds)
        if let date = withZone.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = timeZone
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            local.dateFormat = format
            if let date = local.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        return nil
    }
}

extension FieldType {
    /// Writes a value as ``parse(_:timeZone:)`` reads it back (CSV cells, `--set` values):
    /// timestamps as ISO 8601 in UTC, money as `1250.00 EUR`, sets as `a;b`, null as empty.
    public func format(_ value: FieldValue) -> String {
        switch value {
        case .null: return ""
        case let .text(text): return text
        case let .integer(number):
            if case .timestamp = self {
                let formatter = ISO8601DateFormatter()
                if number % 1000 != 0 { formatter.formatOptions.insert(.withFractionalSeconds) }
                return formatter.string(from: Date(timeIntervalSince1970: Double(number) / 1000))
            }
            return String(number)
        case let .bool(flag): return flag ? "true" : "false"
        case let .money(money): return money.description
        case let .location(point): return "\(point.lat),\(point.lon)"
        case let .stringSet(members): return members.joined(separator: ";")
        }
    }
}
