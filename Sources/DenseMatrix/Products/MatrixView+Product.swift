/// The matrix product of two views, like numpy's `a[...] @ b[...]`, read in place: each view's
/// `rowStride` goes to BLAS as its leading dimension, so no operand is copied.
///
/// The corresponding CBLAS function is `cblas_?gemm`, or `cblas_?gemv` for one column or row
/// (``Backend/blas``).
///
/// - Precondition: `a.columns == b.rows`; the message names both shapes.
/// - Complexity: O(m · n · k).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func matmul<Scalar: BLASScalar>(
  _ a: MatrixView<Scalar>, _ b: MatrixView<Scalar>, backend: Backend = .current
) -> Matrix<Scalar> {
  productError(a.shape, b.shape, operation: "matmul").trapIfPresent()
  var c = Matrix<Scalar>.zeros(rows: a.rows, columns: b.columns)
  c.withMutableView(rows: 0..<a.rows, columns: 0..<b.columns) { out in
    viewProduct(a, b, out, false, false, 1, 0, backend)
  }
  return c
}

/// General matrix multiply on views: `c = alpha · op(a) · op(b) + beta · c`, every operand a
/// block of a larger matrix read or written in place (leading dimensions from the views'
/// `rowStride`). The way to multiply into, or out of, part of a matrix without copying it.
///
/// The corresponding CBLAS function is `cblas_?gemm` (`cblas_?gemv` for one column or row with
/// ``Backend/blas``).
///
/// - Precondition: the shapes fit; the message names all three.
/// - Complexity: O(m · n · k).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func gemm<Scalar: BLASScalar>(
  _ a: MatrixView<Scalar>, _ b: MatrixView<Scalar>, into c: MutableMatrixView<Scalar>, transposeA: Bool = false,
  transposeB: Bool = false, alpha: Scalar = 1, beta: Scalar = 0, backend: Backend = .current
) {
  let opA = transposeA ? Shape(rows: a.columns, columns: a.rows) : a.shape
  let opB = transposeB ? Shape(rows: b.columns, columns: b.rows) : b.shape
  productError(opA, opB, operation: "gemm").trapIfPresent()
  checkPrecondition(
    c.rows == opA.rows && c.columns == opB.columns,
    "gemm: output is \(c.shape.compact) but op(A) · op(B) is (\(opA.rows)×\(opB.columns)): \(opA.compact) · \(opB.compact)"
  )
  viewProduct(a, b, c, transposeA, transposeB, alpha, beta, backend)
}

private func viewProduct<Scalar: BLASScalar>(
  _ a: MatrixView<Scalar>, _ b: MatrixView<Scalar>, _ c: MutableMatrixView<Scalar>, _ transposeA: Bool,
  _ transposeB: Bool, _ alpha: Scalar, _ beta: Scalar, _ backend: Backend
) {
  GEMMOperands(
    transposeA: transposeA, transposeB: transposeB, m: c.rows, n: c.columns, k: transposeA ? a.rows : a.columns,
    alpha: alpha, a: a.baseAddress, lda: a.rowStride, b: b.baseAddress, ldb: b.rowStride, beta: beta,
    c: c.baseAddress, ldc: c.rowStride
  ).run(backend)
}
