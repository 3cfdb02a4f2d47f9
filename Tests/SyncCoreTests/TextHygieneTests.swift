import SyncCore
import Testing

struct TextHygieneTests {
    @Test func controlCharactersAreRefusedButLineBreaksAllowedInLongText() {
        #expect(TextHygiene.problem(in: "Acme Ltd — Lyon", multiline: false) == nil)
        #expect(TextHygiene.problem(in: "北京星河科技有限公司", multiline: false) == nil)
        #expect(TextHygiene.problem(in: "Phở Hà Nội", multiline: false) == nil, "precomposed Vietnamese")
        #expect(TextHygiene.problem(in: "Pho\u{031B}\u{0309} Ha\u{0300}", multiline: false) == nil, "two marks on a letter")
        #expect(TextHygiene.problem(in: "line one\nline two\tend", multiline: true) == nil)
        #expect(TextHygiene.problem(in: "line one\nline two", multiline: false)?.contains("U+000A") == true)
        #expect(TextHygiene.problem(in: "bad \u{1B}[2J", multiline: true)?.contains("U+001B") == true)
        #expect(TextHygiene.problem(in: "c1 \u{9B}31m", multiline: true)?.contains("U+009B") == true)
        #expect(TextHygiene.problem(in: "del \u{7F}", multiline: false) != nil)
        #expect(TextHygiene.problem(in: "Z" + String(repeating: "\u{0301}", count: 9), multiline: false)?.contains("combining") == true)
        #expect(TextHygiene.problem(in: "Z" + String(repeating: "\u{0301}", count: 8), multiline: false) == nil)
    }

    @Test func idsComeFromASmallAlphabet() {
        for good in ["acc-1", "9f1c2d3e-0000-4000-8000-000000000001", "rep-4:8", "a.b_c"] { #expect(TextHygiene.isSafeID(good)) }
        for bad in ["", "a b", "acc;DROP", "é", String(repeating: "a", count: 65), "a\u{0}b", "../etc"] {
            #expect(!TextHygiene.isSafeID(bad), "\(bad)")
        }
    }

    @Test func printingEscapesControlCharactersAndKeepsOurColours() {
        #expect(TextHygiene.escapedForTerminal("plain\ttext\n") == "plain\ttext\n")
        #expect(TextHygiene.escapedForTerminal("a\u{1B}]0;pwned\u{07}b") == "a\\u{001B}]0;pwned\\u{0007}b")
        #expect(TextHygiene.escapedForTerminal("over\rwrite") == "over\\u{000D}write")
        #expect(TextHygiene.escapedForTerminal(keepingColour: "\u{1B}[31mrejected\u{1B}[0m") == "\u{1B}[31mrejected\u{1B}[0m")
        #expect(
            TextHygiene.escapedForTerminal(keepingColour: "\u{1B}[31mok\u{1B}[0m \u{1B}[2J\u{1B}]8;;x")
                == "\u{1B}[31mok\u{1B}[0m \\u{001B}[2J\\u{001B}]8;;x")
    }
}
