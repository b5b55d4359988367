/// Solves `a · x = b` for `x`, like `np.linalg.solve(a, b)`.
///
/// `a` is factorised as `P · L · U` with partial pivoting. `b` may hold several right-hand
/// sides, one per column. Neither argument is modified.
///
/// The corresponding LAPACKE function is `LAPACKE_?gesv` (`sgesv` or `dgesv`).
///
/// - Parameters:
///   - a: A square n × n matrix.
///   - b: An n × k matrix of right-hand sides.
/// - Returns: The n × k solution.
/// - Throws: ``LAPACKError/shape(_:)`` if `a` is not square or `b` has a different number of rows;
///   ``LAPACKError/singular(routine:info:)`` with LAPACK's `info` if `a` is exactly singular.
///   (Nearly singular matrices are solved; check the condition number yourself if it matters.)
/// - Complexity: O(n³ + n² · k).
public func solve<Scalar: BLASScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) throws(LAPACKError) -> Matrix<Scalar> {
  guard a.rows == a.columns else {
    throw .shape(ShapeError(operation: "solve", reason: "the matrix must be square", shapes: [a.shape, b.shape]))
  }
  guard b.rows == a.rows else {
    throw .shape(ShapeError(operation: "solve", reason: "right-hand side rows differ", shapes: [a.shape, b.shape]))
  }
  let n = a.rows
  guard n > 0, b.columns > 0 else { return Matrix.zeros(rows: n, columns: b.columns) }
  checkPrecondition(n <= Int32.max && b.columns <= Int32.max, "solve: dimension exceeds the 32-bit LAPACK interface")
  var lu = a
  var x = b
  var pivots = [Int32](repeating: 0, count: n)
  let nrhs = b.columns
  let info = lu.withUnsafeMutableBufferPointer { lu_ in
    x.withUnsafeMutableBufferPointer { x_ in
      pivots.withUnsafeMutableBufferPointer { p_ in
        Scalar._gesv(
          n: Int32(n), nrhs: Int32(nrhs), a: lu_.baseAddress!, lda: Int32(n), pivots: p_.baseAddress!,
          b: x_.baseAddress!, ldb: Int32(nrhs))
      }
    }
  }
  let routine = "LAPACKE_\(Scalar.routinePrefix)gesv"
  if info > 0 { throw .singular(routine: routine, info: info) }
  if info < 0 { throw .failed(routine: routine, info: info) }
  return x
}
