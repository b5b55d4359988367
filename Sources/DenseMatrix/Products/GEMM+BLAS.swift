extension GEMMOperands {
  /// Calls `cblas_?gemm` (`sgemm` for `Float`, `dgemm` for `Double`), or `cblas_?gemv` when
  /// `allowGEMV` and `n == 1` or `m == 1`.
  ///
  /// Requires `m, n, k > 0` (checked by ``run(_:)``), so every pointer is non-nil and every
  /// leading dimension is at least 1.
  func runBLAS(allowGEMV: Bool) {
    checkPrecondition(
      m <= Int32.max && n <= Int32.max && k <= Int32.max && lda <= Int32.max && ldb <= Int32.max
        && ldc <= Int32.max,
      "gemm: dimension exceeds the 32-bit BLAS interface (m = \(m), n = \(n), k = \(k))")
    // BLAS refuses smaller leading dimensions (xerbla prints, and the product is not made), even
    // for an operand of one row, whose stride is never used.
    checkPrecondition(
      lda >= max(1, transposeA ? m : k) && ldb >= max(1, transposeB ? k : n) && ldc >= max(1, n),
      "gemm: a leading dimension is below its operand's row length (m = \(m), n = \(n), k = \(k), lda = \(lda), ldb = \(ldb), ldc = \(ldc))"
    )
    let (a, b, c) = (self.a!, self.b!, self.c!)
    if allowGEMV && n == 1 {
      // C (m×1) = alpha · op(A) · x + beta · C, with x = op(B) as a strided vector.
      let (rows, cols) = transposeA ? (k, m) : (m, k)
      Scalar._gemv(
        transpose: transposeA, rows: rows, columns: cols, alpha: alpha, a: a, lda: lda, x: b,
        incx: transposeB ? 1 : ldb, beta: beta, y: c, incy: ldc)
    } else if allowGEMV && m == 1 {
      // Cᵀ (n×1) = alpha · op(B)ᵀ · op(A)ᵀ + beta · Cᵀ.
      let (rows, cols) = transposeB ? (n, k) : (k, n)
      Scalar._gemv(
        transpose: !transposeB, rows: rows, columns: cols, alpha: alpha, a: b, lda: ldb, x: a,
        incx: transposeA ? lda : 1, beta: beta, y: c, incy: 1)
    } else {
      Scalar._gemm(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
        ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
  }
}
