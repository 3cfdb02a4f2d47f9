import Testing

@testable import SyncCore

/// Money as people type it: grouping and decimal marks of several countries, codes and symbols
/// before or after, and a bare amount in the record's currency.
struct MoneyParsingTests {
    @Test(arguments: [
        ("15000", "EUR", 1_500_000, "EUR"),
        ("15,000", "EUR", 1_500_000, "EUR"),
        ("15000.50", "EUR", 1_500_050, "EUR"),
        ("15,000.5", "USD", 1_500_050, "USD"),
        ("1.234,56", "EUR", 123_456, "EUR"),
        ("1.234.567", "EUR", 123_456_700, "EUR"),
        ("15 000,50", "EUR", 1_500_050, "EUR"),
        ("15\u{202F}000", "EUR", 1_500_000, "EUR"),
        ("15'000.25", "CHF", 1_500_025, "CHF"),
        ("15,5", "EUR", 1_550, "EUR"),
        ("EUR 15000", nil, 1_500_000, "EUR"),
        ("15000 EUR", nil, 1_500_000, "EUR"),
        ("15000eur", nil, 1_500_000, "EUR"),
        ("€15000", nil, 1_500_000, "EUR"),
        ("€ 15,000.00", "USD", 1_500_000, "EUR"),
        ("15.000,00 €", nil, 1_500_000, "EUR"),
        ("£99.99", nil, 9_999, "GBP"),
        ("US$ 1,200", nil, 120_000, "USD"),
        ("$1,200", "USD", 120_000, "USD"),
        ("$1,200", "CAD", 120_000, "CAD"),
        ("¥8000", "CNY", 800_000, "CNY"),
        ("8000元", nil, 800_000, "CNY"),
        ("１５０００ ＥＵＲ", nil, 1_500_000, "EUR"),
        ("-3.25 EUR", nil, -325, "EUR"),
        ("-€3.25", nil, -325, "EUR"),
        ("1250.00 EUR", nil, 125_000, "EUR"),
    ] as [(String, String?, Int64, String)])
    func amountsAsTyped(text: String, defaultCurrency: String?, minor: Int64, currency: String) throws {
        #expect(try Money.parse(text, defaultCurrency: defaultCurrency) == Money(minor: minor, currency: currency))
        // FieldType.parse reads the same text the same way.
        #expect(FieldType.money.parse(text, currency: defaultCurrency) == .money(Money(minor: minor, currency: currency)))
    }

    @Test(arguments: [
        ("15000", nil, "needs its currency"),
        ("$15000", "EUR", "could be USD, CAD"),
        ("¥8000", "EUR", "could be JPY, CNY"),
        ("15000 EUX", "EUR", "not a currency code"),
        ("15000 dollars", "EUR", "not a currency"),
        ("€15000 USD", nil, "two currencies"),
        ("15.000", "EUR", "ambiguous"),
        ("15.505", "EUR", "ambiguous"),
        ("15,00,000", "EUR", "not an amount"),
        ("1,234.567", "EUR", "not an amount"),
        ("15.000.50", "EUR", "not an amount"),
        ("1,5,0", "EUR", "not an amount"),
        ("15000.505", "EUR", "not an amount"),
        ("EUR", "EUR", "has no amount"),
        ("99999999999999999999", "EUR", "too large"),
    ] as [(String, String?, String)])
    func refusedWithOneLineThatSaysWhatToWrite(text: String, defaultCurrency: String?, fragment: String) {
        #expect {
            try Money.parse(text, defaultCurrency: defaultCurrency)
        } throws: { error in
            let message = "\(error)"
            return message.contains(fragment) && !message.contains("\n") && message.contains("'")
        }
        #expect(FieldType.money.parse(text, currency: defaultCurrency) == nil)
    }

    @Test func whatFormatWritesParseReadsBack() throws {
        for minor: Int64 in [0, 5, 1_250, -325, 123_456_789] {
            let money = Money(minor: minor, currency: "SEK")
            #expect(try Money.parse(FieldType.money.format(.money(money)), defaultCurrency: nil) == money)
        }
    }
}
