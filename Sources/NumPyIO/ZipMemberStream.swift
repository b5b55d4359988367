import CZlib

/// The uncompressed bytes of one zip member, front to back: stored members are read as they are,
/// deflated ones inflated by zlib in 64 KiB steps. It never yields more than the member's
/// declared size; ``finish()`` then checks that the data ends exactly there and that its CRC-32
/// matches the central directory's.
package struct ZipMemberStream: ByteStream {
  let entry: ZipEntry
  private var compressed: RangeStream
  private let inflater: Inflater?
  private var produced = 0
  private var crc = CRC32()

  /// The most bytes one `read` produces, so that every CRC and zlib call fits 32-bit lengths.
  private static let step = 1 << 20

  /// Locates the member's data through its local header.
  ///
  /// - Throws: ``NPYError/archive(_:)`` for encrypted members, methods other than stored and
  ///   deflate, and a local header that is missing, names another member or runs past the data.
  package init(entry: ZipEntry, in source: any RandomAccessBytes, dataEnd: Int) throws(NPYError) {
    self.entry = entry
    guard !entry.isEncrypted else {
      throw .archive("it is encrypted (encrypted archives are not supported)")
    }
    guard entry.method == 0 || entry.method == 8 else {
      throw .archive(
        "it uses compression method \(entry.method); only stored (0) and deflate (8), what np.savez and np.savez_compressed write, are read"
      )
    }
    guard entry.localHeaderOffset + 30 <= dataEnd else {
      throw .archive("damaged archive: its local header would run past the data")
    }
    var header = [UInt8](repeating: 0, count: 30)
    try withMutableBytes(of: &header) { (raw) throws(NPYError) in
      try source.read(at: entry.localHeaderOffset, into: raw)
    }
    guard header.uint32(at: 0) == 0x0403_4b50 else {
      throw .archive("damaged archive: no local header at byte \(entry.localHeaderOffset)")
    }
    let nameLength = Int(header.uint16(at: 26))
    let extraLength = Int(header.uint16(at: 28))
    let dataStart = entry.localHeaderOffset + 30 + nameLength + extraLength
    let (dataStop, overflow) = dataStart.addingReportingOverflow(entry.compressedSize)
    guard !overflow, dataStop <= dataEnd else {
      throw .archive(
        "damaged archive: its \(entry.compressedSize) compressed bytes would run past the data")
    }
    var localName = [UInt8](repeating: 0, count: nameLength)
    try withMutableBytes(of: &localName) { (raw) throws(NPYError) in
      try source.read(at: entry.localHeaderOffset + 30, into: raw)
    }
    guard localName.elementsEqual(entry.name.utf8) else {
      throw .archive(
        "damaged archive: its local header names '\(printable(String(decoding: localName, as: UTF8.self)))'")
    }
    if entry.method == 0 && entry.compressedSize != entry.uncompressedSize {
      throw .archive(
        "damaged archive: stored, but \(entry.compressedSize) bytes in the archive for \(entry.uncompressedSize) declared"
      )
    }
    self.compressed = RangeStream(source: source, range: dataStart..<dataStop)
    self.inflater = entry.method == 8 ? try Inflater() : nil
  }

  package mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) -> Int {
    let want = min(buffer.count, entry.uncompressedSize - produced, Self.step)
    guard want > 0 else { return 0 }
    let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])
    let n: Int
    if let inflater {
      n = try inflater.inflate(into: target, from: &compressed)
      guard n == want else {
        throw .archive(
          "its compressed data ends after \(produced + n) bytes, before the \(entry.uncompressedSize) it declares")
      }
    } else {
      n = try compressed.read(into: target)
      guard n == want else { throw .archive("damaged archive: the member's data is truncated") }
    }
    crc.update(UnsafeRawBufferPointer(rebasing: target[0..<n]))
    produced += n
    return n
  }

  /// Fills `buffer` with the member's next bytes, as `readExactly(into:)` does; a large stored
  /// member is read in parts on several threads (``ParallelRead``), each part checksummed.
  ///
  /// - Throws: what `readExactly(into:)` throws; reading past the member's declared size is
  ///   ``NPYError/dataSizeMismatch(expectedBytes:foundBytes:)``.
  package mutating func readAll(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) {
    guard inflater == nil, ParallelRead.threads(for: buffer.count) > 1 else {
      return try readExactly(into: buffer)
    }
    let available = entry.uncompressedSize - produced
    guard buffer.count <= available, buffer.count <= compressed.range.count else {
      throw .dataSizeMismatch(expectedBytes: buffer.count, foundBytes: available)
    }
    let value = try ParallelRead.read(
      compressed.source, at: compressed.range.lowerBound, into: buffer, checksum: true)!
    compressed.range = (compressed.range.lowerBound + buffer.count)..<compressed.range.upperBound
    crc.append(crc: value, length: buffer.count)
    produced += buffer.count
  }

  /// Checks, after the declared number of bytes were read, that the member ends there and that
  /// its CRC-32 is right (numpy: `BadZipFile: Bad CRC-32`).
  package mutating func finish() throws(NPYError) {
    guard produced == entry.uncompressedSize else {
      throw .archive("only \(produced) of its \(entry.uncompressedSize) bytes were read")
    }
    if let inflater, try inflater.hasMoreOutput(from: &compressed) {
      throw .archive("it inflates to more than the \(entry.uncompressedSize) bytes it declares")
    }
    guard crc.value == entry.crc32 else {
      throw .archive("bad CRC-32: the data's is \(hex(crc.value)), the archive records \(hex(entry.crc32))")
    }
  }

  private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
  }
}

/// A zlib raw-inflate stream. The `z_stream` lives at a fixed address (zlib keeps a pointer to
/// it) and is released with the object.
final class Inflater {
  private let stream: UnsafeMutablePointer<z_stream>
  private let input: UnsafeMutableRawBufferPointer
  private var ended = false

  init() throws(NPYError) {
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    input = .allocate(byteCount: 1 << 16, alignment: 16)
    // -15: a raw deflate stream, as zip stores it (no zlib header or checksum).
    let status = inflateInit2_(stream, -MAX_WBITS, zlibVersion(), CInt(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      stream.deallocate()
      input.deallocate()
      throw .archive("zlib could not start inflating (status \(status))")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deinitialize(count: 1)
    stream.deallocate()
    input.deallocate()
  }

  /// Inflates into `buffer` until it is full or the deflate stream ends; returns the bytes made.
  func inflate(into buffer: UnsafeMutableRawBufferPointer, from source: inout RangeStream) throws(NPYError) -> Int {
    guard !ended, buffer.count > 0 else { return 0 }
    stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = uInt(buffer.count)
    while stream.pointee.avail_out > 0 {
      if stream.pointee.avail_in == 0 {
        let n = try source.read(into: input)
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(n)
      }
      let before = (stream.pointee.avail_in, stream.pointee.avail_out)
      let status = CZlib.inflate(stream, Z_NO_FLUSH)
      if status == Z_STREAM_END {
        ended = true
        break
      }
      guard status == Z_OK || status == Z_BUF_ERROR else {
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
        throw .archive("its deflate data is corrupt (zlib: \(detail))")
      }
      if (stream.pointee.avail_in, stream.pointee.avail_out) == before {
        // No progress: with no input left, the compressed data stops mid-stream.
        throw .archive("its deflate data is truncated (the stream does not end)")
      }
    }
    return buffer.count - Int(stream.pointee.avail_out)
  }

  /// Whether the deflate stream holds data beyond what was read (false when it ends exactly).
  func hasMoreOutput(from source: inout RangeStream) throws(NPYError) -> Bool {
    var byte: UInt8 = 0
    let n = try withUnsafeMutableBytes(of: &byte) { (raw) throws(NPYError) in try inflate(into: raw, from: &source) }
    return n > 0
  }
}
