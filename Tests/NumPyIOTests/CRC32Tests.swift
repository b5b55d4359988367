import Testing

@testable import NumPyIO

/// The archives' CRC-32 (folded by carry-less multiplication where the CPU can, zlib for the rest)
/// against the definition, computed bit by bit.
@Suite("CRC-32")
struct CRC32Tests {
  /// The reflected CRC-32 of the zip format, one bit at a time: the oracle.
  static func bitwise(_ bytes: [UInt8], from start: UInt32 = 0) -> UInt32 {
    var crc = ~start
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
  }

  @Test("the check value of \"123456789\"")
  func checkValue() {
    #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.of($0) } == 0xCBF4_3926)
    #expect([UInt8]().withUnsafeBytes { CRC32.of($0) } == 0)
  }

  /// The kernels this CPU has: zlib's tables (0), the 128-bit fold and, with VPCLMULQDQ, the
  /// 512-bit one.
  static let kernels = [0, 128, 512].filter { $0 <= CRC32.widestKernel }

  /// Lengths around the kernels' minimums (64 and 256 bytes), their blocks (16, 64, 256 bytes)
  /// and the tails zlib takes, by every kernel.
  @Test(
    arguments: [
      1, 15, 16, 17, 63, 64, 65, 79, 80, 127, 128, 129, 191, 255, 256, 257, 271, 320, 511, 512, 575, 1000, 4099,
      65_536 + 13,
    ], kernels)
  func agreesWithTheDefinition(count: Int, kernel: Int) {
    let data = Self.bytes(count, seed: UInt64(count))
    var crc = CRC32()
    crc.kernel = kernel
    data.withUnsafeBytes { crc.update($0) }
    #expect(crc.value == Self.bitwise(data))
  }

  /// Where the CPU has a folding kernel, the default uses the widest one.
  @Test func theDefaultKernelIsTheWidest() {
    #expect(CRC32().kernel == CRC32.widestKernel)
  }

  /// Two pieces' CRCs combined (zlib's `crc32_combine`) give the whole's.
  @Test(arguments: [0, 1, 64, 1000, 4099])
  func combinedCRCs(split: Int) {
    let data = Self.bytes(4_099, seed: 11)
    var crc = CRC32()
    data.withUnsafeBytes { all in
      crc.update(UnsafeRawBufferPointer(rebasing: all[..<split]))
      crc.append(crc: CRC32.of(UnsafeRawBufferPointer(rebasing: all[split...])), length: all.count - split)
    }
    #expect(crc.value == Self.bitwise(data))
  }

  /// Taken in pieces of every size (as a member is read chunk by chunk), the same CRC.
  @Test(arguments: [1, 7, 64, 100, 1024])
  func piecesGiveTheWholesCRC(piece: Int) {
    let data = Self.bytes(5_000, seed: 7)
    var crc = CRC32()
    data.withUnsafeBytes { all in
      var start = 0
      while start < all.count {
        let end = min(all.count, start + piece + start % 3)
        crc.update(UnsafeRawBufferPointer(rebasing: all[start..<end]))
        start = end
      }
    }
    #expect(crc.value == Self.bitwise(data))
  }
}
