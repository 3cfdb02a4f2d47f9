import SyncCore

/// Every line the command line prints goes through here: values come from other people's
/// laptops, so control characters in them are shown escaped (`\u{1B}`), never sent raw to the
/// terminal. Colour codes (`ESC [ … m`) are let through: this program adds them itself and they
/// can do nothing but colour.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TextHygiene.escapedForTerminal(keepingColour: text), terminator: terminator)
}
