/// The matrix product `a · b`, like `np.matmul(a, b)` (`a @ b`) on 2-D arrays.
///
/// With the default ``Backend/blas`` this calls `cblas_?gemm`, or `cblas_?gemv` when `b` has a
/// single column or `a` a single row.
///
/// - Parameters:
///   - a: An m × k matrix.
///   - b: A k × n matrix.
///   - backend: Which implementation computes the product; defaults to ``Backend/current``.
/// - Returns: The m × n product.
/// - Precondition: `a.columns == b.rows`; the message names both shapes, e.g.
///   `matmul: inner dimensions differ: (3×5) · (4×1)`. Use ``matmul(checking:_:backend:)`` when
///   shapes come from data.
/// - Complexity: O(m · n · k).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func matmul<Scalar: BLASScalar>(
  _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, backend: Backend = .current
) -> Matrix<Scalar> {
  productError(a.shape, b.shape, operation: "matmul").trapIfPresent()
  return product(a, b, backend: backend)
}

/// The matrix product `a · b`, throwing instead of trapping when the inner dimensions differ.
///
/// - Throws: ``ShapeError``, e.g. `matmul: inner dimensions differ: (3×5) · (4×1)`.
/// - Complexity: O(m · n · k).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func matmul<Scalar: BLASScalar>(
  checking a: Matrix<Scalar>, _ b: Matrix<Scalar>, backend: Backend = .current
) throws(ShapeError) -> Matrix<Scalar> {
  try productError(a.shape, b.shape, operation: "matmul").throwIfPresent()
  return product(a, b, backend: backend)
}

extension Matrix {
  /// The matrix product `self · other`; the method form of ``matmul(_:_:backend:)-(Matrix<Scalar>,_,_)``.
  ///
  /// - Precondition: `columns == other.rows`.
  /// - Complexity: O(rows · other.columns · columns).
  public func matmul(_ other: Matrix, backend: Backend = .current) -> Matrix {
    DenseMatrix.matmul(self, other, backend: backend)
  }
}

/// General matrix multiply in place: `c = alpha · op(a) · op(b) + beta · c`, like BLAS `dgemm`.
///
/// `op(x)` is `x` or its transpose, as the flags say. Nothing is allocated when `c` is uniquely
/// referenced, so a caller can accumulate `C = A·B + C` (pass `beta: 1`) in a reused buffer. When
/// `beta == 0`, `c`'s old contents are not read (NaNs in it are overwritten), as in BLAS.
///
/// The corresponding CBLAS function is `cblas_?gemm`; with ``Backend/blas`` it is `cblas_?gemv`
/// when `op(b)` has one column or `op(a)` one row. ``Backend/blasGEMM`` always calls `cblas_?gemm`.
///
/// - Parameters:
///   - a: The left operand; `op(a)` is m × k.
///   - b: The right operand; `op(b)` is k × n.
///   - c: The m × n output, scaled by `beta` and accumulated into.
///   - transposeA: Whether `op(a)` is `a`ᵀ.
///   - transposeB: Whether `op(b)` is `b`ᵀ.
///   - alpha: The factor on the product.
///   - beta: The factor on `c`'s old contents; 0 (the default) overwrites `c`.
///   - backend: Which implementation computes the product; defaults to ``Backend/current``.
/// - Precondition: the shapes fit; the message names all three. Use
///   ``gemm(checking:_:into:transposeA:transposeB:alpha:beta:backend:)`` for data.
/// - Complexity: O(m · n · k).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func gemm<Scalar: BLASScalar>(
  _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, into c: inout Matrix<Scalar>, transposeA: Bool = false,
  transposeB: Bool = false,
  alpha: Scalar = 1, beta: Scalar = 0, backend: Backend = .current
) {
  gemmError(a, b, c, transposeA, transposeB).trapIfPresent()
  multiply(a, b, into: &c, transposeA, transposeB, alpha, beta, backend)
}

/// General matrix multiply in place, throwing instead of trapping when shapes do not fit.
///
/// See ``gemm(_:_:into:transposeA:transposeB:alpha:beta:backend:)-(Matrix<Scalar>,_,_,_,_,_,_,_)`` for the contract.
///
/// - Throws: ``ShapeError`` naming `op(a)`, `op(b)` and `c`'s shapes; `c` is left unchanged.
/// - Complexity: O(m · n · k).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func gemm<Scalar: BLASScalar>(
  checking a: Matrix<Scalar>, _ b: Matrix<Scalar>, into c: inout Matrix<Scalar>, transposeA: Bool = false,
  transposeB: Bool = false, alpha: Scalar = 1, beta: Scalar = 0, backend: Backend = .current
) throws(ShapeError) {
  try gemmError(a, b, c, transposeA, transposeB).throwIfPresent()
  multiply(a, b, into: &c, transposeA, transposeB, alpha, beta, backend)
}

func productError(_ a: Shape, _ b: Shape, operation: String) -> ShapeError? {
  a.columns == b.rows
    ? nil : ShapeError(operation: operation, reason: "inner dimensions differ", shapes: [a, b], separator: " · ")
}

private func gemmError<Scalar: BLASScalar>(
  _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, _ c: Matrix<Scalar>, _ transposeA: Bool, _ transposeB: Bool
) -> ShapeError? {
  let opA = transposeA ? Shape(rows: a.columns, columns: a.rows) : a.shape
  let opB = transposeB ? Shape(rows: b.columns, columns: b.rows) : b.shape
  if let error = productError(opA, opB, operation: "gemm") { return error }
  if c.rows != opA.rows || c.columns != opB.columns {
    return ShapeError(
      operation: "gemm", reason: "output is \(c.shape.compact) but op(A) · op(B) is (\(opA.rows)×\(opB.columns))",
      shapes: [opA, opB], separator: " · ")
  }
  return nil
}

private func product<Scalar: BLASScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>, backend: Backend) -> Matrix<Scalar> {
  var c = Matrix<Scalar>.zeros(rows: a.rows, columns: b.columns)
  multiply(a, b, into: &c, false, false, 1, 0, backend)
  return c
}

private func multiply<Scalar: BLASScalar>(
  _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, into c: inout Matrix<Scalar>, _ transposeA: Bool, _ transposeB: Bool,
  _ alpha: Scalar, _ beta: Scalar, _ backend: Backend
) {
  let m = c.rows
  let n = c.columns
  let k = transposeA ? a.rows : a.columns
  a.withUnsafeBufferPointer { a_ in
    b.withUnsafeBufferPointer { b_ in
      c.withUnsafeMutableBufferPointer { c_ in
        GEMMOperands(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
          a: a_.baseAddress, lda: max(1, a.columns), b: b_.baseAddress, ldb: max(1, b.columns),
          beta: beta, c: c_.baseAddress, ldc: max(1, n)
        ).run(backend)
      }
    }
  }
}
