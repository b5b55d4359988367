/// One member of a zip archive, as its central-directory record describes it.
package struct ZipEntry {
  package var name: String
  var flags: UInt16
  var method: UInt16
  var crc32: UInt32
  package var compressedSize: Int
  package var uncompressedSize: Int
  /// Where the member's local header starts in the source.
  var localHeaderOffset: Int

  package var isDirectory: Bool { name.hasSuffix("/") && uncompressedSize == 0 }
  /// Bit 0: traditional PKWARE encryption; bit 6: strong encryption.
  var isEncrypted: Bool { flags & 0x41 != 0 }
}

/// The central directory of a zip archive: what `zipfile` (and so `np.load`) reads, with every
/// inconsistency refused with a message rather than skipped.
///
/// Only the last 65,557 bytes (the 22-byte end record and the longest comment) are searched for
/// the end record, and every offset and size is checked against the source's size before it is
/// used, so reading costs O(central directory size) whatever the file holds. ZIP64 archives
/// (which `np.savez` writes for members of 4 GiB or more) are read; archives with bytes
/// prepended (self-extracting stubs) are refused, as `np.load` refuses them.
package struct ZipDirectory {
  /// The members, in the central directory's order.
  package let entries: [ZipEntry]
  /// Where the central directory starts: every member's data must end before it.
  package let centralDirectoryStart: Int

  static let endRecordSize = 22
  static let maximumCommentLength = 65_535
  private static let endSignature: UInt32 = 0x0605_4b50
  private static let zip64EndSignature: UInt32 = 0x0606_4b50
  private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
  private static let centralSignature: UInt32 = 0x0201_4b50

  package init(reading source: any RandomAccessBytes) throws(NPYError) {
    let size = source.count
    guard size >= Self.endRecordSize else {
      throw .archive("not a zip archive: \(size) bytes, shorter than the 22-byte end-of-central-directory record")
    }
    // The end record is in the last 22 + 65,535 bytes; take the last signature there.
    let tailStart = max(0, size - Self.endRecordSize - Self.maximumCommentLength)
    var tail = [UInt8](repeating: 0, count: size - tailStart)
    try withMutableBytes(of: &tail) { (raw) throws(NPYError) in try source.read(at: tailStart, into: raw) }
    var found: Int?
    var position = tail.count - Self.endRecordSize
    while position >= 0 {
      if tail[position] == 0x50, tail.uint32(at: position) == Self.endSignature {
        found = position
        break
      }
      position -= 1
    }
    guard let endInTail = found else {
      throw .archive("not a zip archive (no end-of-central-directory record in its last \(tail.count) bytes)")
    }
    let end = tailStart + endInTail
    let disk = tail.uint16(at: endInTail + 4)
    let directoryDisk = tail.uint16(at: endInTail + 6)
    var entriesOnDisk = Int(tail.uint16(at: endInTail + 8))
    var totalEntries = Int(tail.uint16(at: endInTail + 10))
    var directorySize = Int(tail.uint32(at: endInTail + 12))
    var directoryOffset = Int(tail.uint32(at: endInTail + 16))
    var recordStart = end

    // ZIP64: a locator right before the end record, and the ZIP64 end record before that.
    if end >= 20 + 56 {
      var locator = [UInt8](repeating: 0, count: 20 + 56)
      try withMutableBytes(of: &locator) { (raw) throws(NPYError) in try source.read(at: end - 76, into: raw) }
      if locator.uint32(at: 56) == Self.zip64LocatorSignature {
        guard locator.uint32(at: 0) == Self.zip64EndSignature else {
          throw .archive("damaged archive: a ZIP64 locator without the ZIP64 end record before it")
        }
        guard let onDisk64 = Int(exactly: locator.uint64(at: 24)), let total64 = Int(exactly: locator.uint64(at: 32)),
          let size64 = Int(exactly: locator.uint64(at: 40)), let offset64 = Int(exactly: locator.uint64(at: 48))
        else { throw .archive("damaged archive: the ZIP64 end record's sizes are out of range") }
        entriesOnDisk = onDisk64
        totalEntries = total64
        directorySize = size64
        directoryOffset = offset64
        recordStart = end - 76
      }
    }
    guard disk == 0, directoryDisk == 0, entriesOnDisk == totalEntries else {
      throw .archive("multi-disk (spanned) archives are not supported")
    }
    let (directoryEnd, overflow) = directoryOffset.addingReportingOverflow(directorySize)
    guard !overflow, directoryEnd <= recordStart else {
      throw .archive(
        "damaged archive: the central directory (offset \(directoryOffset), \(directorySize) bytes) "
          + "would end after the end record at byte \(recordStart)")
    }
    // Bytes before the archive shift every offset (zipfile reads past them; np.load does not,
    // and neither does this reader).
    guard directoryEnd == recordStart else {
      throw .archive(
        "damaged archive: \(recordStart - directoryEnd) bytes precede the archive (a self-extracting stub "
          + "or other prefix, which np.load refuses too), or its central directory is not where the end record "
          + "says (byte \(directoryOffset))")
    }
    let start = directoryOffset
    guard totalEntries <= directorySize / 46 else {
      throw .archive(
        "damaged archive: the end record declares \(totalEntries) members, more than a \(directorySize)-byte central directory can hold"
      )
    }
    var directory = [UInt8](repeating: 0, count: directorySize)
    try withMutableBytes(of: &directory) { (raw) throws(NPYError) in try source.read(at: start, into: raw) }

    var entries: [ZipEntry] = []
    entries.reserveCapacity(totalEntries)
    var offset = 0
    while offset < directory.count {
      let index = entries.count
      guard offset + 46 <= directory.count, directory.uint32(at: offset) == Self.centralSignature else {
        throw .archive(
          "damaged archive: central-directory record \(index + 1) at byte \(start + offset) has no valid signature")
      }
      let nameLength = Int(directory.uint16(at: offset + 28))
      let extraLength = Int(directory.uint16(at: offset + 30))
      let commentLength = Int(directory.uint16(at: offset + 32))
      let recordEnd = offset + 46 + nameLength + extraLength + commentLength
      guard recordEnd <= directory.count else {
        throw .archive("damaged archive: central-directory record \(index + 1) runs past the directory's end")
      }
      let nameBytes = directory[(offset + 46)..<(offset + 46 + nameLength)]
      guard let name = String(validating: nameBytes, as: UTF8.self) else {
        throw .archive("member \(index + 1)'s name is not UTF-8")
      }
      var entry = ZipEntry(
        name: name, flags: directory.uint16(at: offset + 8), method: directory.uint16(at: offset + 10),
        crc32: directory.uint32(at: offset + 16), compressedSize: Int(directory.uint32(at: offset + 20)),
        uncompressedSize: Int(directory.uint32(at: offset + 24)),
        localHeaderOffset: Int(directory.uint32(at: offset + 42)))
      try Self.applyZip64Extra(
        directory[(offset + 46 + nameLength)..<(offset + 46 + nameLength + extraLength)], to: &entry)
      guard entry.localHeaderOffset < start else {
        throw .member(
          name: name,
          error: .archive("damaged archive: its local header offset \(entry.localHeaderOffset) is past the data"))
      }
      entries.append(entry)
      offset = recordEnd
    }
    guard entries.count == totalEntries else {
      throw .archive(
        "damaged archive: the end record declares \(totalEntries) members but the central directory holds \(entries.count)"
      )
    }
    self.entries = entries
    self.centralDirectoryStart = start
  }

  /// Replaces the 32-bit sizes and offset that are `0xFFFFFFFF` with the 64-bit values of the
  /// ZIP64 extra field (id 1), which holds them in this order, only those that overflowed.
  private static func applyZip64Extra(_ extra: ArraySlice<UInt8>, to entry: inout ZipEntry) throws(NPYError) {
    let needsUncompressed = entry.uncompressedSize == 0xFFFF_FFFF
    let needsCompressed = entry.compressedSize == 0xFFFF_FFFF
    let needsOffset = entry.localHeaderOffset == 0xFFFF_FFFF
    guard needsUncompressed || needsCompressed || needsOffset else { return }
    let bytes = Array(extra)
    var field = 0
    while field + 4 <= bytes.count {
      let id = bytes.uint16(at: field)
      let length = Int(bytes.uint16(at: field + 2))
      guard field + 4 + length <= bytes.count else { break }
      if id == 1 {
        var cursor = field + 4
        func next() throws(NPYError) -> Int {
          guard cursor + 8 <= field + 4 + length, let value = Int(exactly: bytes.uint64(at: cursor)) else {
            throw .member(name: entry.name, error: .archive("damaged archive: its ZIP64 extra field is too short"))
          }
          cursor += 8
          return value
        }
        if needsUncompressed { entry.uncompressedSize = try next() }
        if needsCompressed { entry.compressedSize = try next() }
        if needsOffset { entry.localHeaderOffset = try next() }
        return
      }
      field += 4 + length
    }
    throw .member(name: entry.name, error: .archive("damaged archive: 32-bit sizes overflow but no ZIP64 extra field"))
  }
}

extension Array where Element == UInt8 {
  /// The little-endian integers at `offset` (the caller checks the bounds).
  func uint16(at offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
  func uint32(at offset: Int) -> UInt32 { UInt32(uint16(at: offset)) | UInt32(uint16(at: offset + 2)) << 16 }
  func uint64(at offset: Int) -> UInt64 { UInt64(uint32(at: offset)) | UInt64(uint32(at: offset + 4)) << 32 }

  /// Appends little-endian integers.
  mutating func append(littleEndian value: UInt16) {
    append(UInt8(value & 0xff))
    append(UInt8(value >> 8))
  }
  mutating func append(littleEndian value: UInt32) {
    append(littleEndian: UInt16(value & 0xffff))
    append(littleEndian: UInt16(value >> 16))
  }
  mutating func append(littleEndian value: UInt64) {
    append(littleEndian: UInt32(value & 0xffff_ffff))
    append(littleEndian: UInt32(value >> 32))
  }
}
