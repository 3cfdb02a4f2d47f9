/// Lower-case hexadecimal text of bytes (a SHA-256 digest as the store keeps it, say).
///
/// Written out by hand: `String(format: "%02x")` per byte cost the server 5 % of its time under
/// load, where every request's credential is hashed and compared as hex.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as two lower-case hex digits each.
    public static func string<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
