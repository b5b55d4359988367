import CZlib
import _CRC32

/// The zip format's CRC-32 (zlib's `crc32`), run on: by carry-less multiplication where the CPU
/// has it (VPCLMULQDQ with AVX-512, 256 bytes an iteration; PCLMULQDQ, 64), several times zlib's
/// speed (on the EPYC the numbers in the docs come from, 100 MB in about 2 ms instead of about
/// 50), zlib for what is left.
package struct CRC32: Sendable {
  /// The CRC of the bytes so far.
  package private(set) var value: UInt32 = 0

  package init() {}

  /// The widest folding kernel this CPU has: 512 (AVX-512's VPCLMULQDQ, 256 bytes an
  /// iteration), 128 (PCLMULQDQ, 64 bytes) or 0 (zlib's tables only).
  package static let widestKernel = Int(swift_blas_rnn_crc32_fold_widest())

  /// The kernel ``update(_:)`` uses; tests narrow it to check each kernel.
  package var kernel = widestKernel

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
    if kernel > 0 && count >= 64 {
      let folded = count & ~15
      value = ~swift_blas_rnn_crc32_fold(CInt(kernel), ~value, base, folded)
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

  /// Takes in bytes whose own CRC-32 is `crc`, `length` of them, as if they had been passed to
  /// ``update(_:)`` (zlib's `crc32_combine`, O(log length)).
  package mutating func append(crc: UInt32, length: Int) {
    guard length > 0 else { return }
    value = UInt32(truncatingIfNeeded: crc32_combine(uLong(value), uLong(crc), .init(length)))
  }
}
