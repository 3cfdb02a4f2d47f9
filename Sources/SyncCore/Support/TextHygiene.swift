/// What text and ids may hold: no control characters that could drive a terminal, no towers of
/// combining marks, ids from a small alphabet. The server checks every pushed value with it, and
/// the command line escapes what it prints with ``escapedForTerminal(_:)``.
public enum TextHygiene {
    /// The most combining marks one character may carry (Vietnamese needs 2, some Indic scripts
    /// a few more; "zalgo" text carries dozens).
    public static let maxCombiningMarks = 8

    /// The first problem with `text` as a field value, as the end of a sentence ("contains …"),
    /// or nil. Newline and tab are allowed only in `multiline` text.
    public static func problem(in text: String, multiline: Bool) -> String? {
        // Most values are printable ASCII: one pass over the bytes settles them.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return nil }
        var marks = 0
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if multiline && (value == 0x0A || value == 0x09) {
                marks = 0
                continue
            }
            if value < 0x20 || (0x7F...0x9F).contains(value) {
                return "contains a control character (U+\(hex(value)))"
                    + (multiline ? "" : "; only long text such as notes may hold line breaks and tabs")
            }
            // No combining mark comes before U+0300.
            if value < 0x300 {
                marks = 0
                continue
            }
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark:
                marks += 1
                if marks > maxCombiningMarks {
                    return "stacks more than \(maxCombiningMarks) combining marks on one character"
                }
            default:
                marks = 0
            }
        }
        return nil
    }

    /// Whether `id` is a safe identifier: 1 to 64 bytes of ASCII letters, digits, `-`, `_`, `.`, `:`.
    public static func isSafeID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                    UInt8(ascii: ":"):
                    return true
                default:
                    return false
                }
            }
    }

    /// `text` with every control character but newline and tab shown as `\u{…}`, so printing a
    /// value never runs a terminal escape sequence.
    public static func escapedForTerminal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var escaped = ""
        escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                escaped += "\\u{\(hex(scalar.value))}"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// ``escapedForTerminal(_:)``, but colour sequences (`ESC [ digits ; … m`) are kept: a
    /// program that colours its own output prints its lines through this.
    public static func escapedForTerminal(keepingColour text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        var rest = Substring(text)
        while let escape = rest.firstIndex(of: "\u{1B}") {
            result += escapedForTerminal(String(rest[..<escape]))
            let after = rest[rest.index(after: escape)...]
            if let colour = colourSequence(after) {
                result += "\u{1B}" + colour
                rest = after.dropFirst(colour.count)
            } else {
                result += escapedForTerminal("\u{1B}")
                rest = after
            }
        }
        return result + escapedForTerminal(String(rest))
    }

    /// `[` digits and semicolons `m` at the start of `text`, if that is what it holds.
    private static func colourSequence(_ text: Substring) -> String? {
        guard text.first == "[" else { return nil }
        var sequence = "["
        for character in text.dropFirst().prefix(16) {
            sequence.append(character)
            if character == "m" { return sequence }
            guard character.isASCII, character.isNumber || character == ";" else { return nil }
        }
        return nil
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (value < 0x20 && value != 0x0A && value != 0x09) || (0x7F...0x9F).contains(value)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
