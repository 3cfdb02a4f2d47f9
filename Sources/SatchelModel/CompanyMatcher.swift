import Foundation
import SyncCore

/// Finds customer accounts that are probably one company typed two ways: "Summit Orthodontics"
/// and "Summit Orthodontics LLC", "+1 (970) 555-0188" and "970-555-0188", "北京星河科技有限公司"
/// and "星河科技" in 北京. Each match says why.
///
/// Two accounts are the same company when (in this order):
/// - their tax ids are equal once spaces, dashes, a VAT country prefix and suffix are gone (and
///   never when both have a tax id and they differ: two registrations are two companies);
/// - their e-mail addresses are equal;
/// and otherwise never when both phones and both addresses are given and differ (another outlet
/// of one name), nor when their names carry different numbers ("Store 12", "Store 13"); then when
/// - their names are equal once legal forms, punctuation, case, accents, width, plural endings,
///   abbreviations and (for Chinese, Japanese and Korean names) a city are set aside, or are the
///   same words in another order, in the same city;
/// - their phone numbers are one national number (country code, trunk prefix and extension set
///   aside) and their names differ only by words dropped or spelled another way (different
///   companies behind one switchboard differ by a word: "Hillcrest Pediatrics", "Hillcrest
///   Dermatology");
/// - they share a company e-mail domain (not a free-mail one) in the same city, with names that
///   differ the same way, or a domain that is one of the names run together;
/// - their names are at least ``nearNameSimilarity`` alike in the same city, and each word that
///   differs is a misspelling (``misspelledWordSimilarity``), not another word ("Il Forno",
///   "Il Faro").
///
/// Similarity is 1 − (edit distance ÷ the longer length), the distance counting a swap of two
/// neighbours as one edit, over the normalised names with spaces removed (or their words in
/// alphabetical order, if more alike).
public struct CompanyMatcher: DuplicateMatcher {
    /// Names this alike in one city are one company ("Summitt Orthodontics").
    public static let nearNameSimilarity = 0.85
    /// Two words this alike, or one written short for the other ("Vets", "Veterinary"), may be
    /// one word spelled two ways behind a shared phone or company e-mail domain.
    public static let abbreviatedWordSimilarity = 0.5
    /// Two words this alike may be one word misspelled ("Wagner", "Wanger"; not "Forno", "Faro").
    public static let misspelledWordSimilarity = 0.75

    public init() {}

    public var summary: String { "tax id, e-mail, name and city (legal forms aside, near matches), phone, e-mail domain" }

    /// Changing what these keys are needs a hub migration that files every live row again
    /// (`Hub.fileKeysAgain`), as hub-v13 does.
    public func keys(of values: [String: FieldValue]) -> Set<DuplicateKey> {
        let company = Company(values)
        var keys: Set<DuplicateKey> = []
        if let tax = company.taxID { keys.insert(DuplicateKey("tax id", tax)) }
        if let phone = company.phone { keys.insert(DuplicateKey("phone", phone)) }
        if let email = company.email { keys.insert(DuplicateKey("email", email)) }
        if let domain = company.domain { keys.insert(DuplicateKey("domain", domain)) }
        if let city = company.city, !company.name.core.isEmpty {
            keys.insert(DuplicateKey("name", company.name.core + "|" + city))
            // Broad keys for near matches in one city: the start of each longer word (a typo
            // further on still meets the word: "zebra", "zebre"), and the name's start.
            for word in company.name.words where word.count >= 3 {
                keys.insert(DuplicateKey("word", String(word.prefix(4)) + "|" + city, broad: true))
            }
            let start = company.name.isIdeographic ? 2 : 4
            if company.name.core.count >= start {
                keys.insert(DuplicateKey("start", String(company.name.core.prefix(start)) + "|" + city, broad: true))
            }
        }
        return keys
    }

    public func match(_ row: [String: FieldValue], _ candidate: [String: FieldValue]) -> DuplicateMatch? {
        let mine = Company(row)
        let other = Company(candidate)
        if let tax = mine.taxID, let theirs = other.taxID {
            guard tax == theirs else { return nil }
            let typed = mine.raw["tax_id"]?.textValue?.trimmingCharacters(in: .whitespaces) ?? tax
            return DuplicateMatch(signal: "tax id", reason: "same tax id \(typed)")
        }
        if let email = mine.email, email == other.email {
            return DuplicateMatch(signal: "email", reason: "same e-mail \(email)")
        }
        let sameCity = mine.city != nil && mine.city == other.city
        // Both phones and both addresses given and different: another outlet of one name.
        let elsewhere =
            mine.phone != nil && other.phone != nil && mine.phone != other.phone
            && mine.address != nil && other.address != nil && mine.address != other.address
        if elsewhere { return nil }
        if sameCity, !mine.name.core.isEmpty, mine.name.core == other.name.core {
            return DuplicateMatch(signal: "name and city", reason: Self.sameNameReason(mine.name, other.name))
        }
        if sameCity, mine.name.words.count > 1, mine.name.words.sorted() == other.name.words.sorted() {
            return DuplicateMatch(
                signal: "name and city", reason: "names match with their words in another order (\(mine.name.raw) / \(other.name.raw)); same city")
        }
        // Numbers in names identify ("Store 12" is not "Store 13"), whatever else is shared.
        guard mine.name.numbers == other.name.numbers else { return nil }
        let similarity = mine.name.similarity(to: other.name)
        // Names that differ only by dropped, abbreviated or misspelled words ("Pennington
        // Veterinary Surgery", "Pennington Vets"), not by a different word ("Hillcrest
        // Pediatrics", "Hillcrest Dermatology"), are one company behind one phone or domain.
        let alike = mine.name.differsOnlyInSpelling(
            from: other.name, wordSimilarity: Self.abbreviatedWordSimilarity, abbreviations: true)
        if let phone = mine.phone, phone == other.phone, alike {
            return DuplicateMatch(signal: "phone", reason: "same phone \(Self.grouped(phone))")
        }
        if sameCity, let domain = mine.domain, domain == other.domain {
            // A domain named after one of the two ("aldercreekbuilders.com") names the company.
            let label = CompanyName.stem(CompanyName.words(of: CompanyName.fold(String(domain.split(separator: ".")[0]))).joined())
            if alike || label == mine.name.core || label == other.name.core {
                return DuplicateMatch(signal: "e-mail domain", reason: "same e-mail domain \(domain); same city")
            }
        }
        // Near names: typos, not different words ("Il Forno", "Il Faro").
        if sameCity, similarity >= Self.nearNameSimilarity,
            mine.name.differsOnlyInSpelling(from: other.name, wordSimilarity: Self.misspelledWordSimilarity, abbreviations: false)
        {
            let percent = Int((similarity * 100).rounded(.down))
            return DuplicateMatch(
                signal: "name and city", reason: "names are \(percent)% alike (\(mine.name.raw) / \(other.name.raw)); same city")
        }
        return nil
    }

    static func sameNameReason(_ a: CompanyName, _ b: CompanyName) -> String {
        // One spelling per form ("Ltd" and "Ltd." are one), as the new row typed it if it did.
        var seen: Set<String> = []
        let removed = (a.removed + b.removed).filter { seen.insert(CompanyName.fold($0).filter(\.isLetter)).inserted }
        if removed.isEmpty {
            return a.raw == b.raw ? "same name; same city" : "names match ignoring case, spaces, punctuation and accents; same city"
        }
        return "names match once " + removed.map { "'\($0)'" }.joined(separator: " and ") + " \(removed.count == 1 ? "is" : "are") removed; same city"
    }

    /// 1 − (edit distance ÷ the longer length): 1 for equal strings, 0 for nothing in common.
    /// The distance counts insertions, deletions, substitutions and swaps of two neighbours
    /// ("Wagner", "Wanger") as one edit each (optimal string alignment).
    public static func similarity(_ a: String, _ b: String) -> Double {
        let x = Array(a)
        let y = Array(b)
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        var beforePrevious = Array(repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = previous
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return 1 - Double(previous[y.count]) / Double(max(x.count, y.count))
    }

    /// "9705550188" as "970 555 0188".
    static func grouped(_ digits: String) -> String {
        var groups: [String] = []
        var rest = Substring(digits)
        while rest.count > 4 {
            let size = rest.count == 10 || rest.count == 7 ? 3 : (rest.count == 8 ? 4 : 3)
            groups.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        groups.append(String(rest))
        return groups.joined(separator: " ")
    }
}

/// An account's fields as the matcher compares them.
struct Company {
    var raw: [String: FieldValue]
    var name: CompanyName
    var city: String?
    var taxID: String?
    var phone: String?
    var email: String?
    var domain: String?
    var address: String?

    init(_ values: [String: FieldValue]) {
        raw = values
        city = values["city"]?.textValue.flatMap(CompanyName.city)
        name = CompanyName(values["name"]?.textValue ?? "", city: city)
        taxID = values["tax_id"]?.textValue.flatMap(TaxID.normalized)
        phone = values["phone"]?.textValue.flatMap(PhoneNumber.national)
        let address = values["email"]?.textValue.flatMap(EmailAddress.normalized)
        email = address
        domain = address.flatMap(EmailAddress.companyDomain)
        self.address = values["address"]?.textValue.map { CompanyName.words(of: $0).joined() }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A company name reduced to what identifies it.
struct CompanyName {
    /// As typed.
    var raw: String
    /// The identifying words, folded, in order, legal forms removed.
    var words: [String]
    /// The words run together: "grandviewdental" for "Grand View Dental" and "Grandview Dental".
    var core: String
    /// The legal forms (and leading city) removed, as typed.
    var removed: [String]
    /// Chinese or Japanese: compared by characters, not words.
    var isIdeographic: Bool
    /// The digits of the name, in order ("store12" → "12").
    var numbers: String { core.filter(\.isNumber) }

    /// How alike two names are, 0 to 1: their cores compared, or their words in alphabetical
    /// order ("Hotel Alpenrose", "Alpenrose Hotel"), whichever is more alike.
    func similarity(to other: CompanyName) -> Double {
        let direct = CompanyMatcher.similarity(core, other.core)
        guard words.count > 1 || other.words.count > 1 else { return direct }
        return max(direct, CompanyMatcher.similarity(words.sorted().joined(), other.words.sorted().joined()))
    }

    /// Whether the two names differ only by words dropped, or spelled another way: once the words
    /// they share are set aside, each word left of the name with fewer left resembles one left of
    /// the other: at least `wordSimilarity` alike, or the same start of four letters or more with
    /// another ending ("Bloem", "Bloemen"), or, when `abbreviations` are allowed, written
    /// short ("Vets" for "Veterinary", "Mtn" for "Mountain": the same first letter, and every
    /// letter in order in the longer word). Chinese and Japanese names, which have no words,
    /// qualify when one contains the other or they are `wordSimilarity` alike.
    func differsOnlyInSpelling(from other: CompanyName, wordSimilarity: Double, abbreviations: Bool) -> Bool {
        if isIdeographic || other.isIdeographic {
            let (short, long) = core.count <= other.core.count ? (core, other.core) : (other.core, core)
            return short.count >= 2 && (long.contains(short) || CompanyMatcher.similarity(short, long) >= wordSimilarity)
        }
        let shared = Set(words).intersection(other.words)
        guard !shared.isEmpty || words.count == other.words.count else { return false }
        let mine = words.filter { !shared.contains($0) }
        let theirs = other.words.filter { !shared.contains($0) }
        let (few, many) = mine.count <= theirs.count ? (mine, theirs) : (theirs, mine)
        return few.allSatisfy { word in
            many.contains { candidate in
                CompanyMatcher.similarity(word, candidate) >= wordSimilarity
                    || (min(word.count, candidate.count) >= 4 && (word.hasPrefix(candidate) || candidate.hasPrefix(word)))
                    || (abbreviations && (CompanyName.abbreviates(word, candidate) || CompanyName.abbreviates(candidate, word)))
            }
        }
    }

    /// Whether `short` is `long` written short: two letters or more, the same first letter, and
    /// every letter found in order in `long` ("mtn" in "mountain", "vet" in "veterinary").
    static func abbreviates(_ short: String, _ long: String) -> Bool {
        guard short.count >= 2, short.count < long.count, short.first == long.first else { return false }
        var rest = Substring(long)
        for letter in short {
            guard let found = rest.firstIndex(of: letter) else { return false }
            rest = rest[rest.index(after: found)...]
        }
        return true
    }

    /// Legal forms as folded words (dotted abbreviations joined first: "S.p.A." is "spa").
    static let legalForms: Set<String> = [
        "llc", "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "plc", "llp", "lp",
        "pllc", "pc", "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "ug", "ev", "eg", "se", "as", "asa", "ab", "abp", "oy",
        "oyj", "aps", "sa", "sas", "sasu", "sarl", "eurl", "sc", "spa", "srl", "srls", "sapa", "snc", "bv", "nv",
        "vof", "cv", "kk", "gk", "yk", "pty", "pte", "sl", "slu", "sau", "lda", "ltda", "sro", "kft", "zrt", "spzoo",
        "doo", "ooo", "hf", "ehf", "ky", "tmi", "ltda", "cia", "sdn", "bhd", "aktiebolag", "aksjeselskap",
        "aktieselskab", "anpartsselskab", "osakeyhtio", "osakeyhtio", "spolka", "akciova", "zrt", "nyrt", "bt",
    ]
    /// Legal forms of several words, as folded words ("Kabushiki Kaisha", "Limited Liability Company").
    static let legalFormPhrases: [[String]] = [
        ["kabushiki", "kaisha"], ["yugen", "kaisha"], ["godo", "kaisha"], ["limited", "liability", "company"],
        ["public", "limited", "company"], ["societe", "anonyme"], ["societa", "per", "azioni"],
        ["sociedad", "anonima"], ["sociedad", "limitada"], ["besloten", "vennootschap"], ["naamloze", "vennootschap"],
        ["gesellschaft", "mit", "beschrankter", "haftung"], ["and", "co"], ["sp", "zoo"], ["sp", "k"], ["sp", "j"],
        ["pty", "ltd"], ["pvt", "ltd"], ["private", "limited"],
    ]
    /// Chinese and Japanese legal forms, longest first (suffixes, and the Japanese ones as prefixes
    /// too); 集团 ("group") goes with them, as "Group" would not in a Latin name.
    static let ideographicForms = [
        "股份有限公司", "有限责任公司", "有限責任公司", "集团有限公司", "有限公司", "株式会社", "有限会社", "合同会社", "合资会社",
        "集团公司", "集团", "集團", "公司", "(株)", "(有)", "주식회사", "유한회사", "(주)", "(유)",
    ]
    /// Words that join names ("Smith & Sons", "Müller und Söhne").
    static let connectors: Set<String> = ["and", "und", "et", "og", "och", "en", "y", "e", "the"]

    init(_ text: String, city: String?) {
        raw = text
        removed = []
        var folded = CompanyName.fold(text)
        isIdeographic = folded.unicodeScalars.contains { CompanyName.isIdeograph($0) }
        if isIdeographic {
            folded = folded.filter { !$0.isWhitespace && $0 != "·" && $0 != "・" }
            // A city in brackets anywhere ("瑞丰信息技术(北京)有限公司").
            if let city, !city.isEmpty {
                for bracketed in ["(\(city))", "(\(city)市)"] where folded.contains(bracketed) {
                    folded = folded.replacingOccurrences(of: bracketed, with: "")
                    removed.append(city)
                }
            }
            var changed = true
            while changed {
                changed = false
                // Brackets around a form ("（集团）") go once the bracketed forms ("(株)") are gone.
                if !CompanyName.ideographicForms.contains(where: { $0.hasPrefix("(") && folded.contains($0) }),
                    folded.contains(where: { "()[]".contains($0) })
                {
                    folded = folded.filter { !"()[]".contains($0) }
                    changed = true
                }
                for form in CompanyName.ideographicForms {
                    if folded.hasSuffix(form), folded.count > form.count {
                        folded.removeLast(form.count)
                        removed.append(form)
                        changed = true
                    } else if folded.hasPrefix(form), folded.count > form.count, form != "公司" {
                        folded.removeFirst(form.count)
                        removed.append(form)
                        changed = true
                    }
                }
            }
            if let city, !city.isEmpty, folded.hasPrefix(city), folded.count > city.count + 1 {
                folded.removeFirst(city.count)
                if folded.hasPrefix("市") { folded.removeFirst() }
                removed.append(city)
            }
            words = CompanyName.words(of: folded)
        } else {
            var tokens = CompanyName.words(of: folded)
            // Trailing legal forms, as many as there are ("GmbH & Co. KG", "Kabushiki Kaisha").
            var removing = true
            while removing {
                removing = false
                if tokens.count > 1, let last = tokens.last, CompanyName.legalForms.contains(last) {
                    tokens.removeLast()
                    removed.append(CompanyName.display(last, in: text))
                    removing = true
                }
                for phrase in CompanyName.legalFormPhrases where tokens.count > phrase.count && tokens.suffix(phrase.count).elementsEqual(phrase) {
                    tokens.removeLast(phrase.count)
                    if phrase != ["and", "co"] { removed.append(phrase.joined(separator: " ").capitalized) }
                    removing = true
                }
            }
            words = tokens.filter { !CompanyName.connectors.contains($0) }.map(CompanyName.stem)
            removed.reverse()
        }
        core = words.joined()
    }

    /// A Latin word with German umlauts written out folded like the umlaut ("Juergensen" as
    /// "Jürgensen"), and a plural ending set aside ("Bakeries", "Bakery"; "Talleres", "Taller").
    /// Abbreviations of business words, written out ("Intl", "Mfg", "Bros").
    static let abbreviations: [String: String] = [
        "intl": "international", "mfg": "manufacturing", "mfrs": "manufacturers", "bros": "brothers", "ctr": "center",
        "centre": "center", "svc": "service", "svcs": "services", "assoc": "associates", "assocs": "associates",
        "dept": "department", "natl": "national", "mgmt": "management", "engg": "engineering",
        "distr": "distribution", "equip": "equipment", "hldgs": "holdings", "inds": "industries",
        "theatre": "theater", "labs": "laboratories", "lab": "laboratory",
    ]

    static func stem(_ typed: String) -> String {
        let written = abbreviations[typed] ?? typed
        guard written.count >= 4, written.allSatisfy({ $0.isASCII && $0.isLetter }) else { return written }
        // "ae", "oe", "ue" as the umlaut: drop an "e" after "a", "o" or "u".
        var word = ""
        var previous: Character = " "
        for letter in written {
            if letter == "e", "aou".contains(previous) {
                previous = letter
                continue
            }
            word.append(letter)
            previous = letter
        }
        if word.hasSuffix("ies") {
            word = String(word.dropLast(3)) + "y"
        } else if word.hasSuffix("s"), !word.hasSuffix("ss"), word.count >= 4 {
            word.removeLast()
        }
        return word
    }

    /// How a removed legal form was typed ("LLC", "S.p.A."), for the reason.
    static func display(_ form: String, in text: String) -> String {
        let pieces = text.split(whereSeparator: { $0.isWhitespace || $0 == "," })
        for piece in pieces.reversed() {
            let letters = fold(String(piece)).filter { $0.isLetter || $0.isNumber }
            if letters == form { return String(piece).trimmingCharacters(in: CharacterSet(charactersIn: ",;")) }
        }
        return form.uppercased()
    }

    /// Case, accents, width and look-alike letters folded away: "ＡＢＣ Café" is "abc cafe".
    static func fold(_ text: String) -> String {
        // Plain ASCII, most Latin names, has no width, accents or marks to fold.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            var out = ""
            out.reserveCapacity(text.utf8.count)
            for scalar in text.lowercased().unicodeScalars {
                switch scalar {
                case "&": out += " and "
                case "'", "`": continue
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
        let compatible = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = ""
        out.reserveCapacity(compatible.utf8.count)
        for scalar in compatible.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: break
            }
            switch scalar {
            case "ß": out += "ss"
            case "æ": out += "ae"
            case "œ": out += "oe"
            case "ø": out += "o"
            case "ł": out += "l"
            case "đ": out += "d"
            case "þ": out += "th"
            case "ı": out += "i"
            case "&": out += " and "
            case "'", "’", "‘", "`", "´": continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Unicode compatibility forms (full width as plain), skipped for ASCII text, which has none.
    static func compatible(_ text: String) -> String {
        text.utf8.allSatisfy({ $0 < 0x80 }) ? text : text.precomposedStringWithCompatibilityMapping
    }

    /// The words of folded text; a run of single letters ("s p a", "b v") is one word.
    static func words(of folded: String) -> [String] {
        let pieces = folded.split { !$0.isLetter && !$0.isNumber }.map(String.init)
        var words: [String] = []
        var letters = ""
        for piece in pieces {
            if piece.count == 1, piece.first?.isLetter == true, !(piece.unicodeScalars.first.map(isIdeograph) ?? false) {
                letters += piece
                continue
            }
            if !letters.isEmpty {
                words.append(letters)
                letters = ""
            }
            words.append(piece)
        }
        if !letters.isEmpty { words.append(letters) }
        return words
    }

    /// A city folded for comparison: "Zürich" and "zurich", "北京市" and "北京" are one city.
    static func city(_ text: String) -> String? {
        var folded = words(of: fold(text)).map(stem).joined(separator: " ")
        // 北京市 is 北京, 東京都 is 東京, 大阪府 is 大阪 (but 京都 stays 京都), 대구광역시 is 대구.
        for suffix in ["특별자치시", "특별자치도", "광역시", "특별시"] where folded.hasSuffix(suffix) && folded.count > suffix.count + 1 {
            folded.removeLast(suffix.count)
        }
        if folded.count > 2, let last = folded.last, "市都府県省시".contains(last) { folded.removeLast() }
        return folded.isEmpty ? nil : folded
    }

    static func isIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F,
            0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF:
            return true
        default: return false
        }
    }
}

/// Tax ids as registries print them, compared without their country prefix and VAT suffix:
/// "IT 07315420635" and "07315420635", "CHE-214.873.590 MWST" and "CHE214873590", "T4011001087215"
/// (a Japanese invoice number) and "4011001087215".
enum TaxID {
    /// VAT prefixes (EU, EFTA and the UK), with CHE for the Swiss UID.
    static let countryPrefixes: Set<String> = [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GB", "XI", "HR", "HU", "IE", "IT", "LT",
        "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "NO", "IS", "LI",
    ]
    /// Words registries append to a VAT number.
    static let suffixes = ["MWST", "TVA", "IVA", "MVA", "VAT", "BTW", "MOMS"]

    static func normalized(_ text: String) -> String? {
        var id = String(CompanyName.fold(text).uppercased().filter { $0.isLetter || $0.isNumber })
        for suffix in suffixes where id.hasSuffix(suffix) && id.count > suffix.count + 5 { id.removeLast(suffix.count) }
        if id.hasPrefix("CHE"), id.dropFirst(3).allSatisfy(\.isNumber) {
            id.removeFirst(3)
        } else if id.count > 7, countryPrefixes.contains(String(id.prefix(2))), id.dropFirst(2).first?.isLetter == false
            || id.hasPrefix("ES")
        {
            id.removeFirst(2)
        } else if id.count == 14, id.hasPrefix("T"), id.dropFirst().allSatisfy(\.isNumber) {
            id.removeFirst()
        }
        return id.count >= 5 ? id : nil
    }
}

/// Phone numbers as national numbers.
enum PhoneNumber {
    /// Country calling codes of one and two digits; any other code has three.
    static let shortCodes: Set<String> = [
        "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48",
        "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
        "86", "90", "91", "92", "93", "94", "95", "98",
    ]

    /// The national significant number: "+1 (970) 555-0188", "970-555-0188" and "1-970-555-0188
    /// ext. 12" are "9705550188"; "+33 4 72 10 20 30" and "04 72 10 20 30" are "472102030".
    /// At most the last ten digits are kept (a national "1" before a North American number, or
    /// a country code typed without "+"). Nil below seven digits.
    static func national(_ text: String) -> String? {
        var folded = CompanyName.compatible(text).lowercased()
        // The extension goes: "x12", "ext. 12", "#12", "poste 12", "转12", "内线12".
        let plain = folded.unicodeScalars.allSatisfy { $0.isASCII && !$0.properties.isAlphabetic && $0 != "#" }
        for marker in plain ? [] : ["ext", "x", "#", "poste", "durchwahl", "转", "內線", "内线", "分机"] {
            if let range = folded.range(of: marker), folded[..<range.lowerBound].contains(where: \.isNumber) {
                folded = String(folded[..<range.lowerBound])
            }
        }
        if folded.contains("(0)") { folded = folded.replacingOccurrences(of: "(0)", with: "") }
        let international = folded.trimmingCharacters(in: .whitespaces).hasPrefix("+")
        var digits = String(folded.filter { $0.isASCII && $0.isNumber })
        if !international, digits.hasPrefix("00") {
            digits.removeFirst(2)
            return strip(countryCodeOf: digits)
        }
        if international { return strip(countryCodeOf: digits) }
        return significant(digits)
    }

    private static func strip(countryCodeOf digits: String) -> String? {
        for length in 1...3 where digits.count > length {
            let code = String(digits.prefix(length))
            if length == 3 || shortCodes.contains(code) { return significant(String(digits.dropFirst(length))) }
        }
        return nil
    }

    private static func significant(_ digits: String) -> String? {
        var number = Substring(digits)
        while number.first == "0" { number = number.dropFirst() }
        if number.count > 10 { number = number.suffix(10) }
        return number.count >= 7 ? String(number) : nil
    }
}

/// E-mail addresses and the company domains in them.
enum EmailAddress {
    /// Domains anyone can have an address at: sharing one says nothing about the company.
    static let freeMail: Set<String> = [
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "proton.me", "protonmail.com", "yahoo.com", "ymail.com", "gmx.com", "gmx.net", "gmx.de",
        "web.de", "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr",
        "libero.it", "virgilio.it", "alice.it", "tiscali.it", "qq.com", "163.com", "126.com", "yeah.net", "sina.com",
        "sina.cn", "sohu.com", "foxmail.com", "aliyun.com", "139.com", "naver.com", "daum.net", "mail.ru", "yandex.ru",
        "yandex.com", "seznam.cz", "wp.pl", "o2.pl", "online.no", "telia.com", "btinternet.com", "docomo.ne.jp",
        "ezweb.ne.jp", "zoho.com", "mail.com", "hey.com", "fastmail.com", "bluewin.ch", "hetnet.nl", "ziggo.nl",
        "kpnmail.nl", "telenet.be", "skynet.be",
    ]

    static func normalized(_ text: String) -> String? {
        let address = CompanyName.compatible(text).lowercased().trimmingCharacters(in: .whitespaces)
        let parts = address.split(separator: "@")
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains(".") else { return nil }
        return address
    }

    /// The domain of `address` when it is a company's (not free mail).
    static func companyDomain(_ address: String) -> String? {
        guard let domain = address.split(separator: "@").last.map(String.init) else { return nil }
        let first = domain.split(separator: ".").first.map(String.init) ?? ""
        if freeMail.contains(domain) || ["yahoo", "hotmail", "outlook", "live", "gmx", "yandex", "aol"].contains(first) {
            return nil
        }
        return domain
    }
}
