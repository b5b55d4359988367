/// The operands of one product `C = alpha · op(A) · op(B) + beta · C` on row-major buffers.
///
/// `op(A)` is m × k, `op(B)` is k × n and `C` is m × n. `lda`, `ldb`, `ldc` are the row strides of
/// the stored (untransposed) buffers. This is the package's single entry point to the backends:
/// `Matrix` products and the RNN module's in-place steps all go through it.
package struct GEMMOperands<Scalar: BLASScalar> {
  package var transposeA: Bool
  package var transposeB: Bool
  package var m: Int
  package var n: Int
  package var k: Int
  package var alpha: Scalar
  package var a: UnsafePointer<Scalar>?
  package var lda: Int
  package var b: UnsafePointer<Scalar>?
  package var ldb: Int
  package var beta: Scalar
  package var c: UnsafeMutablePointer<Scalar>?
  package var ldc: Int

  @inlinable
  package init(
    transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Scalar = 1,
    a: UnsafePointer<Scalar>?, lda: Int, b: UnsafePointer<Scalar>?, ldb: Int, beta: Scalar = 0,
    c: UnsafeMutablePointer<Scalar>?, ldc: Int
  ) {
    self.transposeA = transposeA
    self.transposeB = transposeB
    self.m = m
    self.n = n
    self.k = k
    self.alpha = alpha
    self.a = a
    self.lda = lda
    self.b = b
    self.ldb = ldb
    self.beta = beta
    self.c = c
    self.ldc = ldc
  }

  /// Computes the product with `backend`.
  ///
  /// Empty products are handled here, identically for every backend: nothing happens when
  /// `m == 0` or `n == 0`; when `k == 0` (or `alpha == 0`) `C` becomes `beta · C`, and zero if
  /// `beta == 0`.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  package func run(_ backend: Backend) {
    guard m > 0, n > 0 else { return }
    guard k > 0, alpha != 0 else {
      scaleC()
      return
    }
    switch backend {
    case .blas, .packed: runBLAS(allowGEMV: true)
    case .blasGEMM: runBLAS(allowGEMV: false)
    case .pureSwift: runPureSwift()
    }
  }

  /// `C = beta · C`, writing zeros (not `0 · C`) when `beta == 0`, as BLAS does.
  private func scaleC() {
    guard let c, n > 0 else { return }
    for i in 0..<m {
      let row = c + i * ldc
      if beta == 0 {
        row.update(repeating: 0, count: n)
      } else if beta != 1 {
        for j in 0..<n { row[j] *= beta }
      }
    }
  }
}
