/// A three-way, line-based text merge (the diff3 idea) for free-text fields such as notes.
public enum TextMerge {
    /// The most lines either side may have; longer texts are not merged automatically.
    public static let lineLimit = 2000

    /// Merges two edits of `base`. Returns nil when they change overlapping lines differently,
    /// or change the text at the same position (two insertions at one place are ambiguous), or
    /// the texts are too long to merge; the caller then queues a review.
    public static func merge(base: String, ours: String, theirs: String) -> String? {
        if ours == theirs || theirs == base { return ours }
        if ours == base { return theirs }
        let baseLines = lines(base)
        let ourLines = lines(ours)
        let theirLines = lines(theirs)
        guard baseLines.count <= lineLimit, ourLines.count <= lineLimit, theirLines.count <= lineLimit else {
            return nil
        }
        let ourHunks = diff(baseLines, ourLines)
        let theirHunks = diff(baseLines, theirLines)
        var merged: [Hunk] = []
        var i = 0
        var j = 0
        while i < ourHunks.count || j < theirHunks.count {
            if i < ourHunks.count, j < theirHunks.count {
                let a = ourHunks[i]
                let b = theirHunks[j]
                if a == b {
                    merged.append(a)
                    i += 1
                    j += 1
                } else if a.overlaps(b) {
                    return nil
                } else if a.start < b.start || (a.start == b.start && a.end < b.end) {
                    merged.append(a)
                    i += 1
                } else {
                    merged.append(b)
                    j += 1
                }
            } else if i < ourHunks.count {
                merged.append(ourHunks[i])
                i += 1
            } else {
                merged.append(theirHunks[j])
                j += 1
            }
        }
        var output: [Substring] = []
        var position = 0
        for hunk in merged {
            output.append(contentsOf: baseLines[position..<hunk.start])
            output.append(contentsOf: hunk.lines)
            position = hunk.end
        }
        output.append(contentsOf: baseLines[position...])
        return output.joined(separator: "\n")
    }

    /// A replacement of base lines `start..<end` by `lines`.
    struct Hunk: Equatable {
        var start: Int
        var end: Int
        var lines: [Substring]

        /// Hunks conflict when their base ranges intersect, or when they touch the same
        /// position (an insertion next to another change is ambiguous).
        func overlaps(_ other: Hunk) -> Bool {
            if start == other.start { return true }
            return start < other.end && other.start < end
        }
    }

    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The hunks that turn `a` into `b`, from a longest-common-subsequence table.
    static func diff(_ a: [Substring], _ b: [Substring]) -> [Hunk] {
        let n = a.count
        let m = b.count
        var table = [Int](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i * (m + 1) + j] =
                    a[i] == b[j]
                    ? table[(i + 1) * (m + 1) + j + 1] + 1
                    : Swift.max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1])
            }
        }
        var hunks: [Hunk] = []
        var i = 0
        var j = 0
        var open: Hunk?
        func close() {
            if let hunk = open {
                hunks.append(hunk)
                open = nil
            }
        }
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                close()
                i += 1
                j += 1
            } else if j < m, i == n || table[i * (m + 1) + j + 1] >= table[(i + 1) * (m + 1) + j] {
                if open == nil { open = Hunk(start: i, end: i, lines: []) }
                open?.lines.append(b[j])
                j += 1
            } else {
                if open == nil { open = Hunk(start: i, end: i, lines: []) }
                open?.end = i + 1
                i += 1
            }
        }
        close()
        return hunks
    }
}
