/// Hand-written JSON for the two values a replica writes for every row it receives (a version
/// vector and the field stamps): the same JSON the Codable encoders produce, sorted keys
/// included, without their per-value overhead. A bootstrap of 10,000 rows writes 20,000 of them.
public enum RowJSON {
    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `{"replica": counter, …}`, replicas sorted.
    public static func versionVector(_ vector: VersionVector) -> String {
        "{" + vector.counters.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { quoted($0.key.rawValue) + ":" + String($0.value) }.joined(separator: ",") + "}"
    }

    /// A row's stamps grouped by stamp, as ``FieldStamps`` encodes them.
    public static func fieldStamps(_ stamps: [String: FieldStamp]) -> String {
        "[" + FieldStamps.groups(stamps).map { group in
            let stamp = group.stamp
            var object = "{\"device\":" + quoted(stamp.device) + ",\"dot\":" + dot(stamp.dot)
                + ",\"fields\":[" + group.fields.map(quoted).joined(separator: ",") + "]"
                + ",\"hlc\":" + String(stamp.hlc.packed)
            if !stamp.merged.isEmpty { object += ",\"merged\":[" + stamp.merged.map(dot).joined(separator: ",") + "]" }
            return object + ",\"user\":" + quoted(stamp.user) + ",\"wall\":" + String(stamp.wall) + "}"
        }.joined(separator: ",") + "]"
    }

    static func dot(_ dot: Dot) -> String {
        "{\"counter\":" + String(dot.counter) + ",\"replica\":" + quoted(dot.replica.rawValue) + "}"
    }
}
