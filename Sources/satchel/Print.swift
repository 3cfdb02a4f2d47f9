import SyncCore

/// Every line the command line prints goes through here: values come from other people's
/// laptops, so control characters in them are shown escaped (`\u{1B}`), never sent raw to the
/// terminal. Colour codes (`ESC [ … m`) are let through: this program adds them itself and they
/// can do nothing but colour.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TerminalText.safe(text), terminator: terminator)
}

enum TerminalText {
    /// `text` with control characters escaped, colour sequences kept.
    static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else { return text }
        var result = ""
        var rest = Substring(text)
        while let escape = rest.firstIndex(of: "\u{1B}") {
            result += TextHygiene.escapedForTerminal(String(rest[..<escape]))
            let after = rest[rest.index(after: escape)...]
            if let colour = colourSequence(after) {
                result += "\u{1B}" + colour
                rest = after.dropFirst(colour.count)
            } else {
                result += TextHygiene.escapedForTerminal("\u{1B}")
                rest = after
            }
        }
        return result + TextHygiene.escapedForTerminal(String(rest))
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
}
