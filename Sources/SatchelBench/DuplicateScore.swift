import Foundation
import SatchelModel
import SyncCore

/// One labelled pair of `Fixtures/duplicates/pairs.jsonl`: two accounts as reps typed them, and
/// whether they are one company.
public struct LabelledPair: Decodable, Sendable {
    public var id: String
    public var `class`: String
    public var duplicate: Bool
    public var note: String?
    public var a: [String: String]
    public var b: [String: String]

    /// The pairs of a JSON Lines file.
    public static func load(_ path: String) throws -> [LabelledPair] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().map { index, line in
            do {
                return try JSONDecoder().decode(LabelledPair.self, from: Data(line.utf8))
            } catch {
                throw BenchError("\(path) line \(index + 1) is not a labelled pair: \(error)")
            }
        }
    }

    static func values(_ fields: [String: String]) -> [String: FieldValue] { fields.mapValues(FieldValue.text) }
}

/// How well a duplicate matcher separates the labelled pairs: a pair counts as proposed when the
/// server would queue it for an admin, that is when the two rows share a key (the hub gathers
/// candidates by key) and the matcher judges the newer (`b`) a match for the older (`a`).
public struct DuplicateScore: Sendable {
    public struct Verdict: Sendable {
        public var pair: String
        public var `class`: String
        public var duplicate: Bool
        /// The reason given when the pair was proposed; nil when it was not.
        public var reason: String?
        public var isCorrect: Bool { (reason != nil) == duplicate }
    }

    public var verdicts: [Verdict]

    public init(pairs: [LabelledPair], matcher: any DuplicateMatcher) {
        verdicts = pairs.map { pair in
            let (a, b) = (LabelledPair.values(pair.a), LabelledPair.values(pair.b))
            let shareAKey = !matcher.keys(of: a).isDisjoint(with: matcher.keys(of: b))
            let match = shareAKey ? matcher.match(b, a) : nil
            return Verdict(pair: pair.id, class: pair.class, duplicate: pair.duplicate, reason: match?.reason)
        }
    }

    public var truePositives: Int { verdicts.count { $0.duplicate && $0.reason != nil } }
    public var falsePositives: Int { verdicts.count { !$0.duplicate && $0.reason != nil } }
    public var falseNegatives: Int { verdicts.count { $0.duplicate && $0.reason == nil } }
    /// Of the pairs proposed, the share that are one company.
    public var precision: Double { Double(truePositives) / Double(max(truePositives + falsePositives, 1)) }
    /// Of the pairs that are one company, the share proposed.
    public var recall: Double { Double(truePositives) / Double(max(truePositives + falseNegatives, 1)) }

    /// Per class: pairs, and how many were judged right.
    public var byClass: [(name: String, duplicate: Bool, pairs: Int, right: Int)] {
        Dictionary(grouping: verdicts, by: \.class).map { name, verdicts in
            (name, verdicts[0].duplicate, verdicts.count, verdicts.count(where: \.isCorrect))
        }.sorted { ($0.duplicate ? 0 : 1, $0.name) < ($1.duplicate ? 0 : 1, $1.name) }
    }

    /// The table `satchel-bench duplicates` and the fixture test print.
    public func text() -> String {
        var lines = [
            String(
                format: "precision %.3f  recall %.3f  (%d pairs: %d proposed rightly, %d wrongly, %d missed)", precision, recall,
                verdicts.count, truePositives, falsePositives, falseNegatives),
            "",
            "class                  same?  pairs  right",
        ]
        for row in byClass {
            lines.append(
                row.name.padding(toLength: 23, withPad: " ", startingAt: 0) + (row.duplicate ? "yes  " : "no   ")
                    + String(format: "%7d  %5d", row.pairs, row.right))
        }
        let wrong = verdicts.filter { !$0.isCorrect }
        if !wrong.isEmpty {
            lines.append("")
            lines.append("wrong: " + wrong.map { $0.pair + ($0.reason.map { " (\($0))" } ?? "") }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
