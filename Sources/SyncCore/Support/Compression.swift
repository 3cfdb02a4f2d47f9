import CZlib
import Foundation

/// zlib and gzip compression over the system zlib (Foundation has none on Linux).
public enum Compression {
    public enum Format: Sendable {
        /// RFC 1950, for stored and uploaded changesets.
        case zlib
        /// RFC 1952, for HTTP bodies (`Content-Encoding: gzip`).
        case gzip

        var windowBits: Int32 { self == .zlib ? 15 : 15 + 16 }
    }

    /// Compresses `data` at level 6.
    public static func deflate(_ data: Data, format: Format, level: Int32 = 6) throws(ChangesetError) -> Data {
        var stream = z_stream()
        guard czlib_deflateInit2(&stream, level, format.windowBits) == Z_OK else {
            throw .compression("deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = Data(count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        let input = [UInt8](data)
        let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBytes { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw .compression("deflate returned \(status)") }
        output.count = Int(stream.total_out)
        return output
    }

    /// Inflates zlib or gzip data (detected from the header), refusing output beyond `limit` bytes.
    ///
    /// - Throws: ``ChangesetError/tooLarge(limit:)`` for a body that inflates past `limit` (a
    ///   "gzip bomb"), ``ChangesetError/compression(_:)`` for data that is not valid or is cut short.
    public static func inflate(_ data: Data, limit: Int) throws(ChangesetError) -> Data {
        var stream = z_stream()
        guard czlib_inflateInit2(&stream, 15 + 32) == Z_OK else { throw .compression("inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        let input = [UInt8](data)
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { (inBuffer) throws(ChangesetError) in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = uInt(inBuffer.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return outBuffer.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && produced > 0) else {
                    throw .compression(status == Z_BUF_ERROR ? "the data is cut short" : "inflate returned \(status)")
                }
                guard output.count + produced <= limit else { throw .tooLarge(limit: limit) }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_OK && produced == 0 && stream.avail_in == 0 {
                    throw .compression("the data is cut short")
                }
            } while status != Z_STREAM_END
        }
        return output
    }
}
