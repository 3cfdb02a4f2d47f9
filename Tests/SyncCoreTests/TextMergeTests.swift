import SyncCore
import Testing

struct TextMergeTests {
    let base = "one\ntwo\nthree\nfour\nfive"

    @Test func editsOnDifferentLinesBothSurvive() {
        let ours = "one\nTWO\nthree\nfour\nfive"
        let theirs = "one\ntwo\nthree\nfour\nFIVE\nsix"
        #expect(TextMerge.merge(base: base, ours: ours, theirs: theirs) == "one\nTWO\nthree\nfour\nFIVE\nsix")
    }

    @Test func editsOfTheSameLineDoNotMerge() {
        #expect(TextMerge.merge(base: base, ours: "one\n2\nthree\nfour\nfive", theirs: "one\nzwei\nthree\nfour\nfive") == nil)
    }

    @Test func insertionsAtTheSamePlaceDoNotMerge() {
        #expect(TextMerge.merge(base: base, ours: "zero\n" + base, theirs: "nil\n" + base) == nil)
    }

    @Test func identicalEditsMergeToThatEdit() {
        let edit = "one\ntwo\n3\nfour\nfive"
        #expect(TextMerge.merge(base: base, ours: edit, theirs: edit) == edit)
    }

    @Test func anUnchangedSideTakesTheOther() {
        #expect(TextMerge.merge(base: base, ours: base, theirs: "x") == "x")
        #expect(TextMerge.merge(base: base, ours: "y", theirs: base) == "y")
    }

    @Test func deletionAndDistantEditBothApply() {
        let ours = "two\nthree\nfour\nfive"
        let theirs = "one\ntwo\nthree\nfour\n5"
        #expect(TextMerge.merge(base: base, ours: ours, theirs: theirs) == "two\nthree\nfour\n5")
    }
}
