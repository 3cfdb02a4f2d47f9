import Foundation
import Testing

import SyncCore

struct HexTests {
    @Test func everyByteIsTwoLowerCaseDigits() {
        let all = (0...255).map(UInt8.init)
        #expect(Hex.string(all) == all.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.string([UInt8]()) == "")
        #expect(Hex.string([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
    }
}
