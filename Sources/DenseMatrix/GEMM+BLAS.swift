import CBLAS

extension GEMMOperands {
  /// Calls `cblas_dgemm`, or `cblas_dgemv` when `allowGEMV` and `n == 1` or `m == 1`.
  ///
  /// Requires `m, n, k > 0` (checked by ``run(_:)``), so every pointer is non-nil and every
  /// leading dimension is at least 1.
  func runBLAS(allowGEMV: Bool) {
    checkPrecondition(
      m <= Int32.max && n <= Int32.max && k <= Int32.max && lda <= Int32.max && ldb <= Int32.max
        && ldc <= Int32.max,
      "gemm: dimension exceeds the 32-bit BLAS interface (m = \(m), n = \(n), k = \(k))")
    let (a, b, c) = (self.a!, self.b!, self.c!)
    if allowGEMV && n == 1 {
      // C (m×1) = alpha · op(A) · x + beta · C, with x = op(B) as a strided vector.
      let (rows, cols) = transposeA ? (k, m) : (m, k)
      cblas_dgemv(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, blasint(rows), blasint(cols), alpha,
        a, blasint(lda), b, blasint(transposeB ? 1 : ldb), beta, c, blasint(ldc))
    } else if allowGEMV && m == 1 {
      // Cᵀ (n×1) = alpha · op(B)ᵀ · op(A)ᵀ + beta · Cᵀ.
      let (rows, cols) = transposeB ? (n, k) : (k, n)
      cblas_dgemv(
        CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, blasint(rows), blasint(cols), alpha,
        b, blasint(ldb), a, blasint(transposeA ? lda : 1), beta, c, 1)
    } else {
      cblas_dgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
        blasint(ldc))
    }
  }
}
