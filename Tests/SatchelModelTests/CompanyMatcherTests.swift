import Foundation
import SyncCore
import Testing

@testable import SatchelModel

/// Each way people type one company differently, and each look-alike that is another company.
/// (The labelled fixture's precision and recall are printed by DuplicateFixtureTests.)
struct CompanyMatcherTests {
    let matcher = CompanyMatcher()

    func account(_ fields: [String: String]) -> [String: FieldValue] { fields.mapValues(FieldValue.text) }

    /// The reason the hub would give for proposing `b` as a duplicate of `a`, or nil.
    func reason(_ a: [String: String], _ b: [String: String]) -> String? {
        let (x, y) = (account(a), account(b))
        guard !matcher.keys(of: x).isDisjoint(with: matcher.keys(of: y)) else { return nil }
        return matcher.match(y, x)?.reason
    }

    @Test(arguments: [
        ("Summit Orthodontics", "Summit Orthodontics LLC", "'LLC'"),
        ("Delmar Freight Inc.", "Delmar Freight Incorporated", "'Inc.' and 'Incorporated'"),
        ("Krause Logistik GmbH & Co. KG", "Krause Logistik", "'GmbH' and 'KG' and 'and'"),
        ("Ferretti Arredamenti S.p.A.", "Ferretti Arredamenti", "'S.p.A.'"),
        ("Van Dijk Techniek B.V.", "Van Dijk Techniek", "'B.V.'"),
        ("Morita Denki Kabushiki Kaisha", "Morita Denki K.K.", "'Kabushiki Kaisha' and 'K.K.'"),
        ("Nordvik Maskin AS", "Nordvik Maskin", "'AS'"),
    ])
    func legalFormsAreSetAside(a: String, b: String, removed: String) throws {
        let why = try #require(reason(["name": a, "city": "Denver"], ["name": b, "city": "denver"]))
        #expect(why.hasPrefix("names match once") && why.hasSuffix("removed; same city"), "\(why)")
        for form in removed.components(separatedBy: " and ") where form != "'and'" { #expect(why.contains(form), "\(why)") }
    }

    @Test func punctuationCaseAccentsAndWidthAreFolded() {
        let pairs = [
            ("O'Brien Plumbing", "OBrien plumbing"), ("A.B.C. Logistics", "ABC Logistics"), ("Smith & Sons", "Smith and Sons"),
            ("Müller Präzision", "Muller Prazision"), ("Jürgensen Möbel", "Juergensen Moebel"), ("Weißbräu", "Weissbrau"),
            ("Café Élan", "CAFE ELAN"), ("ＡＢＣ　Ｔｒａｄｉｎｇ", "ABC Trading"), ("Sørensen Byg", "Sorensen Byg"),
        ]
        for (a, b) in pairs {
            #expect(reason(["name": a, "city": "Zürich"], ["name": b, "city": "Zurich"])?.contains("same city") == true, "\(a) / \(b)")
        }
    }

    @Test(arguments: [
        ("北京星河科技有限公司", "星河科技", "北京", "北京"),
        ("杭州绿源集团有限公司", "绿源集团", "杭州", "杭州市"),
        ("青岛海星电器（集团）股份有限公司", "海星电器集团", "青岛", "青岛"),
        ("株式会社山田製作所", "山田製作所", "東京", "東京都"),
        ("山田製作所株式会社", "（株）山田製作所", "大阪", "大阪府"),
        ("深圳市华强电子有限责任公司", "华强电子", "深圳", "深圳"),
    ])
    func chineseAndJapaneseLegalFormsAndCityPrefixesAreSetAside(a: String, b: String, cityA: String, cityB: String) throws {
        let why = try #require(reason(["name": a, "city": cityA], ["name": b, "city": cityB]), "\(a) / \(b)")
        #expect(why.hasPrefix("names match once") && why.hasSuffix("same city"), "\(why)")
    }

    @Test func chineseLookAlikesAreOtherCompanies() {
        #expect(reason(["name": "华星电子有限公司", "city": "深圳"], ["name": "华星食品有限公司", "city": "深圳"]) == nil)
        #expect(reason(["name": "星河科技有限公司", "city": "北京"], ["name": "星河科技有限公司", "city": "上海"]) == nil)
        #expect(reason(["name": "星巴克（国贸店）", "city": "北京"], ["name": "星巴克（三里屯店）", "city": "北京"]) == nil)
    }

    @Test func phonesCompareAsNationalNumbers() throws {
        let us = ["+1 (970) 555-0188", "970-555-0188", "1-970-555-0188 ext. 12", "(970) 555 0188 x3", "001 970 555 0188"]
        for phone in us {
            #expect(PhoneNumber.national(phone) == "9705550188", "\(phone)")
        }
        for phone in ["0049 (0)40 4135 2290", "040/41352290", "+49 40 41352290"] {
            #expect(PhoneNumber.national(phone) == "4041352290", "\(phone)")
        }
        #expect(PhoneNumber.national("+86 10 8765 4321 转 805") == PhoneNumber.national("010-87654321"))
        #expect(PhoneNumber.national("12-34") == nil, "too short to identify anyone")
        let why = try #require(
            reason(["name": "Schreinerei Zimmermann", "city": "Bern", "phone": "031 381 42 17"],
                   ["name": "Zimmermann Schreinerei AG", "city": "Thun", "phone": "+41 31 381 42 17"]))
        #expect(why == "same phone 313 814 217")
        #expect(reason(["name": "Rocky Mountain Dental Group", "phone": "+1 303 555 0142"], ["name": "Rocky Mtn Dental", "phone": "(303) 555-0142"])
            == "same phone 303 555 0142", "a word written short")
        #expect(reason(["name": "Pennington Veterinary Surgery", "phone": "0161 496 0352"], ["name": "Pennington Vets", "phone": "+44 161 496 0352"])
            == "same phone 161 496 0352", "a word dropped and one written short")
    }

    @Test func aSharedSwitchboardIsNotOneCompany() {
        #expect(reason(["name": "Summit Dental", "phone": "970-555-0188"], ["name": "Summit Orthodontics LLC", "phone": "+1 (970) 555-0188"]) == nil,
            "a different word, not another spelling")
        #expect(reason(
            ["name": "Harbor Legal Group", "city": "Boston", "phone": "617-555-0100"],
            ["name": "Beacon Tax Advisors", "city": "Boston", "phone": "+1 617 555 0100"]) == nil)
    }

    @Test func emailsByAddressAndCompanyDomainsNotFreeMail() throws {
        #expect(try #require(reason(["name": "Kaito Foods", "email": "Info@Kaito.example"], ["name": "カイトフーズ", "email": "info@kaito.example"]))
            == "same e-mail info@kaito.example")
        #expect(reason(
            ["name": "Alder Creek Builders", "city": "Portland", "email": "tom@aldercreekbuilders.com"],
            ["name": "Alder Creek Construction", "city": "Portland", "email": "office@aldercreekbuilders.com"])
            == "same e-mail domain aldercreekbuilders.com; same city")
        #expect(reason(
            ["name": "Bella Nails", "city": "Houston", "email": "bellanails@gmail.com"],
            ["name": "Bella Vista Catering", "city": "Houston", "email": "bellavista@gmail.com"]) == nil)
        #expect(EmailAddress.companyDomain("x@yahoo.co.jp") == nil && EmailAddress.companyDomain("x@gmx.at") == nil)
    }

    @Test func taxIDsCompareWithoutCountryPrefixAndVATSuffix() throws {
        for (a, b) in [
            ("IT 07315420635", "07315420635"), ("CHE-214.873.590 MWST", "CHE214873590"), ("NO 923 481 576 MVA", "923481576MVA"),
            ("T4011001087215", "4011001087215"), ("A-57318264", "ESA57318264"), ("FR 40 123 456 789", "FR40123456789"),
        ] {
            #expect(TaxID.normalized(a) == TaxID.normalized(b), "\(a) / \(b)")
        }
        let why = try #require(
            reason(["name": "Pizzeria Vesuvio", "city": "Napoli", "tax_id": "IT 07315420635"],
                   ["name": "Esposito Ristorazione S.r.l.", "city": "Napoli", "tax_id": "07315420635"]))
        #expect(why == "same tax id 07315420635")
        #expect(reason(
            ["name": "Dupont SA", "city": "Lille", "tax_id": "FR40123456789"],
            ["name": "Dupont SA", "city": "Lille", "tax_id": "FR40999999999"]) == nil, "two registrations are two companies")
    }

    @Test func nearNamesInOneCityButNotNumbersOrChainBranches() throws {
        let why = try #require(reason(["name": "Elektro Wagner", "city": "Augsburg"], ["name": "Elektro Wanger", "city": "Augsburg"]))
        #expect(why == "names are 92% alike (Elektro Wanger / Elektro Wagner); same city")
        #expect(reason(["name": "Sunrise Bakeries", "city": "Fresno"], ["name": "Sunrise Bakery", "city": "Fresno"]) != nil)
        #expect(reason(["name": "Hotel Alpenrose", "city": "Innsbruck"], ["name": "Alpenrose Hotel", "city": "Innsbruck"])
            == "names match with their words in another order (Alpenrose Hotel / Hotel Alpenrose); same city")
        #expect(reason(["name": "Elektro Wagner", "city": "Augsburg"], ["name": "Elektro Wagner", "city": "Ulm"]) == nil)
        #expect(reason(["name": "Fresh Market Store 12", "city": "Austin"], ["name": "Fresh Market Store 13", "city": "Austin"]) == nil)
        #expect(reason(
            ["name": "Alpine Roofing", "city": "Boulder"], ["name": "Alpine Roasters", "city": "Boulder"]) == nil)
        #expect(reason(
            ["name": "Sparkasse Filiale Mitte", "city": "Köln"], ["name": "Sparkasse Filiale Nord", "city": "Köln"]) == nil)
        #expect(CompanyMatcher.similarity("wagner", "wanger") > CompanyMatcher.similarity("wagner", "wangre"))
    }

    @Test func keysStayFewForAnyName() {
        let keys = matcher.keys(of: account([
            "name": "The Very Long Name Of A Company With Many Words Inc", "city": "Lille", "phone": "0320112233",
            "email": "a@b.example", "tax_id": "FR123456789",
        ]))
        #expect(keys.count <= 16)
        #expect(keys.filter(\.isBroad).allSatisfy { $0.name == "word" || $0.name == "start" })
    }
}
