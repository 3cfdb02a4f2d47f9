import Foundation

/// Reads JSON from a byte buffer, one value at a time: the hand-written decoders' one tool
/// (``RowJSON``), the counterpart of ``JSONWriter``.
///
/// It reads strict JSON (RFC 8259) and nothing else, and it is deliberately narrower than
/// `JSONDecoder`: it takes integers only in their plain form (no fraction, no exponent), and it
/// refuses a key that appears twice in an object. Anything it does not take throws
/// ``Unreadable``, and the callers then decode the same bytes with `JSONDecoder`: so a value the
/// reader returns is the value `JSONDecoder` would have returned, and every error a user sees is
/// still `JSONDecoder`'s.
struct JSONReader {
    /// The reader met something it does not take; the caller falls back to `JSONDecoder`.
    struct Unreadable: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// How deep ``skipValue()`` may go before giving up (the fallback has its own limit).
    private static let maxDepth = 256

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Runs `body` over `text` and requires that nothing but whitespace follows what it read.
    static func read<T>(_ text: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        var text = text
        return try text.withUTF8 { try read(buffer: $0, body) }
    }

    /// Runs `body` over `bytes` and requires that nothing but whitespace follows what it read.
    static func read<T>(_ bytes: some ContiguousBytes, _ body: (inout JSONReader) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            try read(buffer: UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count), body)
        }
    }

    private static func read<T>(buffer: UnsafeBufferPointer<UInt8>, _ body: (inout JSONReader) throws -> T) throws -> T {
        var reader = JSONReader(buffer)
        let value = try body(&reader)
        reader.skipSpace()
        guard reader.index == buffer.count else { throw Unreadable() }
        return value
    }

    // MARK: - Looking ahead

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next byte that is not whitespace, not consumed.
    mutating func peek() throws -> UInt8 {
        skipSpace()
        guard index < bytes.count else { throw Unreadable() }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try peek() == byte else { throw Unreadable() }
        index += 1
    }

    private mutating func literal(_ text: StaticString) throws {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Unreadable() }
        let matches = text.withUTF8Buffer { word in
            (0..<count).allSatisfy { bytes[index + $0] == word[$0] }
        }
        guard matches else { throw Unreadable() }
        index += count
    }

    // MARK: - Values

    /// Consumes a `null` when one comes next; true if it did.
    mutating func null() throws -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func bool() throws -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default: throw Unreadable()
        }
    }

    /// An integer written plainly (`-?(0|[1-9][0-9]*)`), within Int64.
    mutating func int64() throws -> Int64 {
        let negative = try peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let magnitude = try digits()
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Unreadable() }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw Unreadable() }
        return Int64(magnitude)
    }

    /// A non-negative integer written plainly, within UInt64.
    mutating func uint64() throws -> UInt64 {
        _ = try peek()
        return try digits()
    }

    private mutating func digits() throws -> UInt64 {
        let start = index
        var value: UInt64 = 0
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { throw Unreadable() }
            value = sum
            index += 1
        }
        // At least one digit, no leading zero, and no fraction or exponent (those go to the fallback).
        guard index > start, bytes[start] != UInt8(ascii: "0") || index == start + 1 else { throw Unreadable() }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw Unreadable()
            default: break
            }
        }
        return value
    }

    mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ascii { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(validating: slice, as: UTF8.self) else { throw Unreadable() }
                return text
            }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if byte < 0x20 { throw Unreadable() }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw Unreadable()
    }

    /// The rest of a string that has an escape; `start` is just after its opening quote.
    private mutating func escapedString(from start: Int) throws -> String {
        var utf8 = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw Unreadable() }
                return text
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw Unreadable() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        try literal("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Unreadable() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Unreadable() }
                    UTF8.encode(unicode) { utf8.append($0) }
                default: throw Unreadable()
                }
            default:
                guard byte >= 0x20 else { throw Unreadable() }
                utf8.append(byte)
            }
        }
        throw Unreadable()
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw Unreadable() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Unreadable()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    // MARK: - Containers

    /// Reads an object, calling `member` with each key; `member` must read the key's value.
    /// A key seen twice in one object is refused.
    ///
    /// Keys in ascending order (as the shared encoder, with sorted keys, and most hand writers
    /// write them) are distinct, which comparing each key with the one before proves without
    /// hashing every key of every object. From the first key that does not ascend (a page's
    /// tail after its rows, say), the keys go into a set: those before it from the list kept
    /// meanwhile (never read again: a value holding such objects in turn would be read again
    /// at every level), and each later one as it comes.
    mutating func object(_ member: (inout JSONReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        var ascending: [String] = []
        var seen: Set<String>?
        while true {
            let key = try string()
            if seen != nil {
                guard seen!.insert(key).inserted else { throw Unreadable() }
            } else if let previous = ascending.last, !(previous < key) {
                var keys = Set(ascending)
                guard keys.insert(key).inserted else { throw Unreadable() }
                seen = keys
                ascending = []
            } else {
                ascending.append(key)
            }
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw Unreadable()
            }
        }
    }

    /// Reads an array, calling `element` once per element; `element` must read it.
    mutating func array(_ element: (inout JSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw Unreadable()
            }
        }
    }

    /// Reads and drops any one value (a member the decoder does not know).
    mutating func skipValue() throws {
        try skipValue(depth: 0)
    }

    /// Reads one value with `body` and returns its bytes as they stand in the document.
    mutating func rawValue(_ body: (inout JSONReader) throws -> Void) throws -> [UInt8] {
        _ = try peek()
        let start = index
        try body(&self)
        return Array(bytes[start..<index])
    }

    /// Reads one value with `JSONDecoder`, from that value's own bytes: for the rare parts of a
    /// document not worth a hand reader.
    mutating func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        _ = try peek()
        let start = index
        try skipValue()
        return try WireJSON.decoder.decode(type, from: Data(bytes[start..<index]))
    }

    private mutating func skipValue(depth: Int) throws {
        guard depth < Self.maxDepth else { throw Unreadable() }
        switch try peek() {
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["): try array { reader in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): _ = try null()
        default: _ = try int64()
        }
    }
}
