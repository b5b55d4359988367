/// A matrix packed once for the ``Backend/packed`` products: its rows in panels, each panel's
/// columns one after the other (the layout the register-blocked kernels stream), so that a
/// product that is made again and again with the same left operand (a recurrent cell's `W_hh ·
/// h`, every step) does not copy it into that layout every time, as `cblas_?gemm` does.
///
/// Products run on ``ActivationPath/current``'s kernel (AVX-512F, AVX2 + FMA or the build's
/// baseline). Each element is the sum over the inner dimension in increasing order, with fused
/// multiply-adds on the AVX paths: the results agree with BLAS's to rounding.
package struct PackedMatrix<Scalar: BLASScalar>: Sendable {
  /// The unpacked matrix's shape.
  package let rows: Int
  package let columns: Int
  private let storage: [Scalar]

  /// Packs `matrix`.
  ///
  /// - Complexity: O(rows × columns), once.
  package init(packing matrix: Matrix<Scalar>) {
    let (m, k) = (matrix.rows, matrix.columns)
    (rows, columns) = (m, k)
    let count = Scalar._packedCount(m: m, k: k)
    // Never empty (the packed copy ends in padding); an empty matrix's pointer is nil and unread.
    storage = matrix.withUnsafeBufferPointer { w in
      [Scalar](unsafeUninitializedCapacity: count) { packed, initialized in
        Scalar._pack(w.baseAddress, m: m, k: k, ldw: k, into: packed.baseAddress!)
        initialized = count
      }
    }
  }

  /// The right-hand columns the kernel of `path` computes together: two vectors of `Scalar`s
  /// (32 `Float`s with AVX-512). Columns past the last multiple of it take a slower loop, so
  /// callers use ``multiply(_:ldh:columns:beta:into:ldc:)`` for multiples of it.
  package static func columnsPerTile(on path: ActivationPath) -> Int {
    let bytes = path == .avx512 ? 128 : path == .avx2 ? 64 : 32
    return bytes / MemoryLayout<Scalar>.stride
  }

  /// `c = beta · c + self · h`: `h` is `columns × n` with row stride `ldh`, `c` is `rows × n`
  /// with row stride `ldc`; `beta` is 0 (`c` is not read) or 1. No allocation.
  ///
  /// - Complexity: O(rows × columns × n).
  package func multiply(
    _ h: UnsafePointer<Scalar>, ldh: Int, columns n: Int, beta: Scalar, into c: UnsafeMutablePointer<Scalar>, ldc: Int
  ) {
    checkPrecondition(beta == 0 || beta == 1, "PackedMatrix.multiply: beta must be 0 or 1, got \(beta)")
    guard rows > 0, n > 0 else { return }
    storage.withUnsafeBufferPointer { packed in
      Scalar._packedProduct(
        path: ActivationPath.current, packed.baseAddress!, m: rows, k: columns, h: h, ldh: ldh, n: n, beta: beta == 1,
        into: c, ldc: ldc)
    }
  }
}
