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
  /// Whether this is the one-column layout (``init(packingForVectors:)``).
  package let isForVectors: Bool
  /// Whether this holds the transpose of the matrix it packs
  /// (``init(packingTransposeOf:forVectors:)``).
  package let isTransposed: Bool
  private var storage: PackedStorage<Scalar>

  /// Packs `matrix` for products with any number of columns.
  ///
  /// - Complexity: O(rows × columns), once.
  package init(packing matrix: Matrix<Scalar>) {
    self.init(matrix, forVectors: false)
  }

  /// Packs `matrix` for products with one column (a batch of one): panels of 64 bytes of rows
  /// (16 `Float`s or 8 `Double`s, one cache line), so that the kernel reads one aligned vector
  /// per panel and column and streams the panels in order.
  ///
  /// - Complexity: O(rows × columns), once.
  package init(packingForVectors matrix: Matrix<Scalar>) {
    self.init(matrix, forVectors: true)
  }

  /// Packs the transpose of `matrix` (a `matrix.columns × matrix.rows` product's left operand:
  /// the backward pass's `W_hhᵀ`), for any number of columns or, with `forVectors`, for one,
  /// without making the transpose.
  ///
  /// - Complexity: O(rows × columns), once.
  package init(packingTransposeOf matrix: Matrix<Scalar>, forVectors: Bool) {
    self.init(matrix, forVectors: forVectors, transposed: true)
  }

  private init(_ matrix: Matrix<Scalar>, forVectors: Bool, transposed: Bool = false) {
    let (m, k) = transposed ? (matrix.columns, matrix.rows) : (matrix.rows, matrix.columns)
    (rows, columns, isForVectors, isTransposed) = (m, k, forVectors, transposed)
    let count = forVectors ? Scalar._packedVectorCount(m: m, k: k) : Scalar._packedCount(m: m, k: k)
    // Never empty (the packed copy ends in padding); an empty matrix's pointer is nil and unread.
    storage = PackedStorage(count: count)
    pack(matrix)
  }

  /// Packs `matrix` (this packed copy's shape, or its transpose's for a copy that holds a
  /// transpose) into this copy's storage, in place, when no other value holds that storage, and
  /// returns `true`; otherwise returns `false` and changes nothing (another copy is reading it:
  /// pack a new one). Replacing weights this way allocates nothing.
  ///
  /// - Precondition: `matrix` has the shape this copy was packed from.
  /// - Complexity: O(rows × columns).
  package mutating func repack(_ matrix: Matrix<Scalar>) -> Bool {
    let shape = isTransposed ? (matrix.columns, matrix.rows) : (matrix.rows, matrix.columns)
    checkPrecondition(shape == (rows, columns), "PackedMatrix.repack: a matrix of another shape")
    guard isKnownUniquelyReferenced(&storage) else { return false }
    pack(matrix)
    return true
  }

  /// Writes `matrix` (or its transpose) into the storage in this copy's layout.
  private func pack(_ matrix: Matrix<Scalar>) {
    let (m, k) = (rows, columns)
    // Element (i, kk) of what is packed: matrix[i, kk], or matrix[kk, i] for a transpose.
    let (rowStride, columnStride) = isTransposed ? (1, matrix.columns) : (matrix.columns, 1)
    matrix.withUnsafeBufferPointer { w in
      if isForVectors {
        Scalar._packForVectors(
          w.baseAddress, m: m, k: k, rowStride: rowStride, columnStride: columnStride, into: storage.base)
      } else {
        Scalar._pack(w.baseAddress, m: m, k: k, rowStride: rowStride, columnStride: columnStride, into: storage.base)
      }
    }
  }

  /// Whether the kernel of `path` is faster than BLAS at `c = W · h` for an `m × k` matrix `W`
  /// and `n` columns, by rules measured against OpenBLAS 0.3.21 on one thread.
  ///
  /// With AVX2 (measured on a Zen 3 EPYC, family 25 model 1, whose OpenBLAS runs its Zen
  /// kernels): always. The kernel took 0.20–0.86× OpenBLAS's time at every shape measured, `W`
  /// of 16 × 16 to 2048 × 512 `Float`s (square, and 3 and 4 gates' rows), n = 1…32 (`cblas_sgemv`
  /// at n = 1): 0.4–0.7× for a 256 × 64 `W` at n = 16…32, where the AVX-512 rule keeps BLAS;
  /// `Double`s 0.20–0.98× (median 0.49), but for a `W` of 1.5 MiB or more at n = 1, memory-bound
  /// either way (0.94–1.10×).
  ///
  /// With AVX-512 and on the baseline (measured on a Zen 4 EPYC, family 25 model 17, OpenBLAS's
  /// Cooperlake kernels; `W` of 128 × 32 to 4096 × 1024 `Float`s, n = 1…32):
  /// - n = 1 and `W` of 4 KiB or more: the one-column layout
  ///   (``init(packingForVectors:)``) against `cblas_sgemv`, 0.20–0.88× its time from 64 × 16
  ///   to 4096 × 1024 (0.58× at 256 × 64, 0.75× at 4096 × 1024; 1.56× at 32 × 8);
  /// - `W` of 128 KiB or more and at least one vector of columns (16 `Float`s or 8 `Double`s
  ///   with AVX-512, 4 or 2 on the baseline): tiles of two vectors, then one, or one read with a mask
  ///   (0.61–0.96× `cblas_sgemm`'s time for 256 × 256 and 1024 × 256 at n = 16…32, which
  ///   repacks `W` at every call);
  /// - `W` of 512 KiB or more and n ≥ 4: fewer columns than a vector are taken a few at a time
  ///   with `W`'s rows in the lanes, 12 rows per 16 lanes (0.5–0.9× at n = 4…14 for 1024 × 256);
  /// - otherwise BLAS: for a smaller `W` OpenBLAS's packing is cheap and its kernel as fast
  ///   (the packed kernel took 1.0–1.3× its time at 256 × 64 and 128 × 32, n = 16…32), and
  ///   n = 2 or 3 is rare (a padded batch's last sequences).
  /// The kernels are correct for every n; this is only which one is faster.
  package static func beatsBLAS(rows m: Int, columns k: Int, n: Int, on path: ActivationPath) -> Bool {
    if path == .avx2 { return true }
    let vector = (path == .avx512 ? 64 : 16) / MemoryLayout<Scalar>.stride
    let bytes = m * k * MemoryLayout<Scalar>.stride
    if n == 1 { return bytes >= 4 << 10 }
    return (bytes >= 128 << 10 && n >= vector) || (bytes >= 512 << 10 && n >= 4)
  }

  /// `c = beta · c + self · h`: `h` is `columns × n` with row stride `ldh`, `c` is `rows × n`
  /// with row stride `ldc`; `beta` is 0 (`c` is not read) or 1. No allocation. The one-column
  /// layout takes n = 1 only.
  ///
  /// - Complexity: O(rows × columns × n).
  package func multiply(
    _ h: UnsafePointer<Scalar>, ldh: Int, columns n: Int, beta: Scalar, into c: UnsafeMutablePointer<Scalar>, ldc: Int
  ) {
    checkPrecondition(beta == 0 || beta == 1, "PackedMatrix.multiply: beta must be 0 or 1, got \(beta)")
    checkPrecondition(!isForVectors || n == 1, "PackedMatrix.multiply: packed for one column, got \(n)")
    guard rows > 0, n > 0 else { return }
    let packed = UnsafePointer(storage.base)
    if isForVectors {
      Scalar._packedVectorProduct(
        path: ActivationPath.current, packed, m: rows, k: columns, h: h, ldh: ldh, beta: beta == 1, into: c, ldc: ldc)
    } else {
      Scalar._packedProduct(
        path: ActivationPath.current, packed, m: rows, k: columns, h: h, ldh: ldh, n: n, beta: beta == 1, into: c,
        ldc: ldc)
    }
  }
}

/// A packed copy's elements, on a 64-byte boundary (a cache line: the one-column layout's panel
/// columns are whole lines, read by aligned vectors), written when packed (again only by
/// ``PackedMatrix/repack(_:)``, when no other copy holds it), then only read.
private final class PackedStorage<Scalar: BLASScalar>: @unchecked Sendable {
  /// The first of `count` elements.
  let base: UnsafeMutablePointer<Scalar>

  init(count: Int) {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Scalar>.stride, alignment: 64)
    base = raw.bindMemory(to: Scalar.self, capacity: count)
  }

  deinit { UnsafeMutableRawPointer(base).deallocate() }
}
