import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a zip archive member by member, as `zipfile` does for `np.savez`: a local header and
/// the data for each member, then the central directory and the end record, with ZIP64 records
/// where a size or offset needs more than 32 bits.
struct ZipWriter {
  private var offset = 0
  private var directory: [UInt8] = []
  private var count = 0
  private let dosTime: UInt16
  private let dosDate: UInt16

  init() { (dosTime, dosDate) = Self.dosTimeAndDate() }

  /// Appends one member holding `data`, stored or deflated.
  mutating func add(
    name: String, data: [UInt8], compressed: Bool, to file: borrowing OutputFile
  ) throws(NPYError) {
    let crc = data.withUnsafeBytes { raw in CRC32.of(raw) }
    let payload = compressed ? try Self.deflate(data) : data
    let large = data.count >= 0xFFFF_FFFF || payload.count >= 0xFFFF_FFFF
    let nameBytes = Array(name.utf8)
    let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 0x0800  // bit 11: the name is UTF-8
    let method: UInt16 = compressed ? 8 : 0
    let version: UInt16 = large || offset >= 0xFFFF_FFFF ? 45 : 20

    /// The fields the local header and the central record share, from "version needed" to
    /// "extra field length".
    func common(_ bytes: inout [UInt8], compressedSize: UInt32, size: UInt32, extraLength: Int) {
      bytes.append(littleEndian: version)
      bytes.append(littleEndian: flags)
      bytes.append(littleEndian: method)
      bytes.append(littleEndian: dosTime)
      bytes.append(littleEndian: dosDate)
      bytes.append(littleEndian: crc)
      bytes.append(littleEndian: compressedSize)
      bytes.append(littleEndian: size)
      bytes.append(littleEndian: UInt16(nameBytes.count))
      bytes.append(littleEndian: UInt16(extraLength))
    }

    // The local header: 64-bit sizes in a ZIP64 extra field when either overflows.
    var local: [UInt8] = []
    local.append(littleEndian: UInt32(0x0403_4b50))
    common(
      &local, compressedSize: large ? 0xFFFF_FFFF : UInt32(payload.count),
      size: large ? 0xFFFF_FFFF : UInt32(data.count), extraLength: large ? 20 : 0)
    local += nameBytes
    if large {
      local.append(littleEndian: UInt16(1))
      local.append(littleEndian: UInt16(16))
      local.append(littleEndian: UInt64(data.count))
      local.append(littleEndian: UInt64(payload.count))
    }

    // The central record carries 64-bit values only for the fields that overflow.
    var extra: [UInt8] = []
    if data.count >= 0xFFFF_FFFF { extra.append(littleEndian: UInt64(data.count)) }
    if payload.count >= 0xFFFF_FFFF { extra.append(littleEndian: UInt64(payload.count)) }
    if offset >= 0xFFFF_FFFF { extra.append(littleEndian: UInt64(offset)) }
    if !extra.isEmpty {
      extra = [1, 0] + [UInt8(extra.count), 0] + extra
    }
    directory.append(littleEndian: UInt32(0x0201_4b50))
    directory.append(littleEndian: UInt16(0x0300) | version)  // made by: Unix
    common(
      &directory, compressedSize: payload.count >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(payload.count),
      size: data.count >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(data.count), extraLength: extra.count)
    directory.append(littleEndian: UInt16(0))  // comment
    directory.append(littleEndian: UInt16(0))  // disk
    directory.append(littleEndian: UInt16(0))  // internal attributes
    directory.append(littleEndian: UInt32(0o100644) << 16)  // a regular file, rw-r--r--
    directory.append(littleEndian: offset >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(offset))
    directory += nameBytes
    directory += extra

    try file.write(local)
    try file.write(payload)
    offset += local.count + payload.count
    count += 1
  }

  /// Writes the central directory and the end record(s).
  mutating func finish(to file: borrowing OutputFile) throws(NPYError) {
    let directoryOffset = offset
    var end: [UInt8] = []
    let zip64 = count >= 0xFFFF || directoryOffset >= 0xFFFF_FFFF || directory.count >= 0xFFFF_FFFF
    if zip64 {
      let recordOffset = directoryOffset + directory.count
      end.append(littleEndian: UInt32(0x0606_4b50))
      end.append(littleEndian: UInt64(44))  // the size of the rest of this record
      end.append(littleEndian: UInt16(0x032D))
      end.append(littleEndian: UInt16(45))
      end.append(littleEndian: UInt32(0))
      end.append(littleEndian: UInt32(0))
      end.append(littleEndian: UInt64(count))
      end.append(littleEndian: UInt64(count))
      end.append(littleEndian: UInt64(directory.count))
      end.append(littleEndian: UInt64(directoryOffset))
      end.append(littleEndian: UInt32(0x0706_4b50))
      end.append(littleEndian: UInt32(0))
      end.append(littleEndian: UInt64(recordOffset))
      end.append(littleEndian: UInt32(1))
    }
    end.append(littleEndian: UInt32(0x0605_4b50))
    end.append(littleEndian: UInt16(0))
    end.append(littleEndian: UInt16(0))
    end.append(littleEndian: UInt16(zip64 ? 0xFFFF : count))
    end.append(littleEndian: UInt16(zip64 ? 0xFFFF : count))
    end.append(littleEndian: zip64 ? 0xFFFF_FFFF : UInt32(directory.count))
    end.append(littleEndian: zip64 ? 0xFFFF_FFFF : UInt32(directoryOffset))
    end.append(littleEndian: UInt16(0))
    try file.write(directory)
    try file.write(end)
  }

  /// Raw deflate at zlib's default level, what `np.savez_compressed` uses.
  static func deflate(_ data: [UInt8]) throws(NPYError) -> [UInt8] {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deallocate() }
    let status = deflateInit2_(
      stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
      CInt(MemoryLayout<z_stream>.size))
    guard status == Z_OK else { throw .archive("zlib could not start deflating (status \(status))") }
    defer { deflateEnd(stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(data.count))))
    let result = data.withUnsafeBytes { input in
      output.withUnsafeMutableBytes { out -> CInt in
        var consumed = 0
        stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
        while true {
          let chunk = min(data.count - consumed, 1 << 30)
          stream.pointee.next_in = UnsafeMutablePointer(
            mutating: (input.baseAddress ?? UnsafeRawPointer(out.baseAddress!)).advanced(by: consumed)
              .assumingMemoryBound(to: Bytef.self))
          stream.pointee.avail_in = uInt(chunk)
          stream.pointee.avail_out = uInt(min(out.count - Int(stream.pointee.total_out), 1 << 30))
          let last = consumed + chunk == data.count
          let status = CZlib.deflate(stream, last ? Z_FINISH : Z_NO_FLUSH)
          consumed += chunk - Int(stream.pointee.avail_in)
          if status == Z_STREAM_END { return Z_OK }
          if status != Z_OK && status != Z_BUF_ERROR { return status }
        }
      }
    }
    guard result == Z_OK else { throw .archive("zlib failed to deflate (status \(result))") }
    output.removeLast(output.count - Int(stream.pointee.total_out))
    return output
  }

  /// The current local time in MS-DOS format, as `zipfile` records it.
  private static func dosTimeAndDate() -> (UInt16, UInt16) {
    var now = time(nil)
    var parts = tm()
    guard localtime_r(&now, &parts) != nil, parts.tm_year >= 80 else { return (0, 0x21) }  // 1980-01-01
    let time = UInt16(parts.tm_hour) << 11 | UInt16(parts.tm_min) << 5 | UInt16(parts.tm_sec / 2)
    let date = UInt16(parts.tm_year - 80) << 9 | UInt16(parts.tm_mon + 1) << 5 | UInt16(parts.tm_mday)
    return (time, date)
  }
}
