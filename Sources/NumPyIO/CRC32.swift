import CZlib
import _CRC32

/// The zip format's CRC-32 (zlib's `crc32`), run on: by carry-less multiplication 64 bytes at a
/// time where the CPU has PCLMULQDQ (several times zlib's speed: on the EPYC the numbers in the
/// docs come from, 100 MB in a few milliseconds instead of about 50), zlib for what is left.
package struct CRC32: Sendable {
  /// The CRC of the bytes so far.
  package private(set) var value: UInt32 = 0

  package init() {}

  /// Whether the folding kernel runs here.
  static let folds = swift_blas_rnn_crc32_fold_available() != 0

  /// The CRC of `bytes`.
  package static func of(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc = CRC32()
    crc.update(bytes)
    return crc.value
  }

  /// Takes in `bytes`.
  package mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard var start = bytes.baseAddress, bytes.count > 0 else { return }
    var count = bytes.count
    let base = start.assumingMemoryBound(to: UInt8.self)
    if Self.folds && count >= 64 {
      let folded = count & ~15
      value = ~swift_blas_rnn_crc32_fold(~value, base, folded)
      start += folded
      count -= folded
    }
    // zlib's length is 32-bit: in steps.
    var crc = UInt(value)
    while count > 0 {
      let n = min(count, 1 << 30)
      crc = CZlib.crc32(crc, start.assumingMemoryBound(to: Bytef.self), uInt(n))
      start += n
      count -= n
    }
    value = UInt32(truncatingIfNeeded: crc)
  }
}
