import SyncCore

/// Every line the command line prints goes through here: values come from other people's
/// laptops, so control characters in them are shown escaped (`\u{1B}`), never sent raw to the
/// terminal. Colour codes (`ESC [ … m`) are let through: this program adds them itself and they
/// can do nothing but colour.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    emit(items.map { "\($0)" }.joined(separator: separator), terminator: terminator)
}

/// The same, under a name no type's own `print` method hides.
func emit(_ text: String, terminator: String = "\n") {
    Swift.print(TextHygiene.escapedForTerminal(keepingColour: text), terminator: terminator)
}
