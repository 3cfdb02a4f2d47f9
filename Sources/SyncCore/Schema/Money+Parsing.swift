import Foundation

/// Why typed text is not an amount of money; the description is one line that says what to write.
public struct MoneyFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

extension Money {
    /// Reads an amount as people type it: `15000`, `15,000`, `15000.50`, `1.234,56`, `15 000`,
    /// `EUR 15000`, `15000 EUR`, `€15000`, `15000 €`, `US$ 99`, `¥8000` (when the default settles
    /// which yen or yuan).
    ///
    /// - The amount: digits with at most two decimals after `.` or `,`; groups of three may be
    ///   set apart by `,`, `.`, a space or `'` (one kind of mark for groups, another for decimals).
    ///   A single `.` before exactly three digits (`15.000`) could be fifteen or fifteen thousand
    ///   and is refused with both readings.
    /// - The currency: an ISO 4217 code or a symbol, before or after the amount. A symbol several
    ///   currencies share (`$`, `¥`, `kr`) is taken as `defaultCurrency` when that is one of
    ///   them, and refused otherwise. Without a currency, the amount is in `defaultCurrency`; with
    ///   neither, it is refused.
    public static func parse(_ text: String, defaultCurrency: String?) throws -> Money {
        let typed = text.precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespaces)
        let scalars = Array(typed.unicodeScalars)
        guard let first = scalars.firstIndex(where: { CharacterSet.decimalDigits.contains($0) && $0.isASCII }),
            let last = scalars.lastIndex(where: { CharacterSet.decimalDigits.contains($0) && $0.isASCII })
        else {
            throw MoneyFormatError("'\(text)' has no amount; write it like 15000, 15,000.50 or 15000 EUR")
        }
        var prefix = String(String.UnicodeScalarView(scalars[..<first])).trimmingCharacters(in: .whitespaces)
        let suffix = String(String.UnicodeScalarView(scalars[(last + 1)...])).trimmingCharacters(in: .whitespaces)
        let number = String(String.UnicodeScalarView(scalars[first...last]))
        var negative = false
        for sign in ["-", "−"] where prefix.hasPrefix(sign) || prefix.hasSuffix(sign) {
            negative = true
            prefix = (prefix.hasPrefix(sign) ? String(prefix.dropFirst()) : String(prefix.dropLast()))
                .trimmingCharacters(in: .whitespaces)
        }
        let currency = try currency(prefix: prefix, suffix: suffix, text: text, defaultCurrency: defaultCurrency)
        let minor = try minorUnits(number, text: text)
        return Money(minor: negative ? -minor : minor, currency: currency)
    }

    /// Symbols and local names (upper-cased), each with the currencies it may stand for. A symbol
    /// with several is settled only by the default currency; the first is the example in the error.
    static let symbols: [String: [String]] = [
        "€": ["EUR"], "£": ["GBP"], "₹": ["INR"], "₩": ["KRW"], "₽": ["RUB"], "₺": ["TRY"], "₪": ["ILS"], "฿": ["THB"],
        "₫": ["VND"], "₱": ["PHP"], "₴": ["UAH"], "ZŁ": ["PLN"], "KČ": ["CZK"], "FT": ["HUF"], "LEI": ["RON"],
        "R$": ["BRL"], "US$": ["USD"], "C$": ["CAD"], "CA$": ["CAD"], "A$": ["AUD"], "AU$": ["AUD"], "NZ$": ["NZD"],
        "S$": ["SGD"], "HK$": ["HKD"], "MX$": ["MXN"], "NT$": ["TWD"], "CN¥": ["CNY"], "RMB": ["CNY"], "元": ["CNY"],
        "人民币": ["CNY"], "块": ["CNY"], "JP¥": ["JPY"], "円": ["JPY"], "FR.": ["CHF"], "SFR.": ["CHF"],
        "$": ["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD"], "¥": ["JPY", "CNY"],
        "KR": ["SEK", "NOK", "DKK", "ISK"], "KR.": ["DKK", "SEK", "NOK", "ISK"],
    ]

    public static let isoCodes: Set<String> = Set(Locale.commonISOCurrencyCodes)

    private static func currency(prefix: String, suffix: String, text: String, defaultCurrency: String?) throws -> String {
        let named = try [prefix, suffix].filter { !$0.isEmpty }.map { try code(of: $0, text: text, defaultCurrency: defaultCurrency) }
        guard let code = named.first else {
            guard let defaultCurrency else {
                throw MoneyFormatError("'\(text)' needs its currency; write it like 15000 EUR")
            }
            return defaultCurrency
        }
        guard named.allSatisfy({ $0 == code }) else {
            throw MoneyFormatError("'\(text)' names two currencies (\(named.joined(separator: " and "))); write one")
        }
        return code
    }

    private static func code(of token: String, text: String, defaultCurrency: String?) throws -> String {
        let upper = token.uppercased()
        if upper.count == 3, upper.allSatisfy({ $0.isASCII && $0.isLetter }) {
            guard isoCodes.contains(upper) else {
                throw MoneyFormatError("'\(token)' is not a currency code; write one such as EUR, USD or CNY")
            }
            return upper
        }
        guard let candidates = symbols[upper] else {
            throw MoneyFormatError("'\(token)' in '\(text)' is not a currency; write a code such as EUR, USD or CNY")
        }
        if candidates.count == 1 { return candidates[0] }
        if let defaultCurrency, candidates.contains(defaultCurrency) { return defaultCurrency }
        throw MoneyFormatError(
            "'\(token)' could be \(candidates.joined(separator: ", ")); write the code, e.g. \(text.replacingOccurrences(of: token, with: "").trimmingCharacters(in: .whitespaces)) \(candidates[0])"
        )
    }

    /// "15,000.50" → 1500050; groups of three and one decimal mark, at most two decimals.
    private static func minorUnits(_ number: String, text: String) throws -> Int64 {
        let groupMarks: Set<Character> = [",", ".", " ", "\u{00A0}", "\u{202F}", "'", "’", "_"]
        let malformed = MoneyFormatError("'\(text)' is not an amount; write it like 15000, 15,000.50 or 1.234,56")
        var pieces: [String] = [""]
        var marks: [Character] = []
        for character in number {
            if character.isASCII, character.isNumber {
                pieces[pieces.count - 1].append(character)
            } else if groupMarks.contains(character) {
                marks.append(character)
                pieces.append("")
            } else {
                throw malformed
            }
        }
        guard pieces.allSatisfy({ !$0.isEmpty }) else { throw malformed }
        var whole = pieces
        var fraction = ""
        // The last mark is the decimal one when one or two digits follow it.
        if let mark = marks.last, [",", "."].contains(mark), (1...2).contains(pieces.last!.count) {
            fraction = whole.removeLast()
            marks.removeLast()
            guard !marks.contains(mark) else { throw malformed }
        }
        if let mark = marks.first {
            guard marks.allSatisfy({ $0 == mark }), (1...3).contains(whole[0].count), whole.dropFirst().allSatisfy({ $0.count == 3 })
            else { throw malformed }
            if mark == ".", marks.count == 1, fraction.isEmpty {
                throw MoneyFormatError(
                    "'\(text)' is ambiguous (thousands or decimals?); write \(whole.joined()) or \(whole[0]),\(whole[1]), "
                        + "or at most two decimals such as \(whole[0]).\(whole[1].prefix(2))")
            }
        }
        guard let units = Int64(whole.joined()) else { throw MoneyFormatError("'\(text)' is too large an amount") }
        let cents = Int64(fraction.count == 1 ? fraction + "0" : fraction.isEmpty ? "0" : fraction) ?? 0
        let (scaled, overflow) = units.multipliedReportingOverflow(by: 100)
        guard !overflow else { throw MoneyFormatError("'\(text)' is too large an amount") }
        return scaled + cents
    }
}
