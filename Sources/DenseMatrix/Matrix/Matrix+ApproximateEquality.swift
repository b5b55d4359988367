/// Whether two matrices are equal elementwise within a tolerance, exactly like `np.allclose`.
///
/// Element `a` is close to element `b` when `|a - b| <= atol + rtol * |b|` with `b` finite, or
/// when `a == b` (so infinities are close only to the same infinity), or, with `equalNaN`, when
/// both are NaN. The test is **asymmetric**, as in numpy: `b` is the reference. The defaults are
/// numpy's (`rtol = 1e-05`, `atol = 1e-08`); for values far from 1 choose `atol` deliberately.
///
/// Do not use this for `Equatable`: closeness is not transitive. `==` on ``Matrix`` is exact.
///
/// - Precondition: equal shapes (numpy would broadcast; here a mismatch is a logic error, not
///   `false`). Use ``allclose(checking:_:rtol:atol:equalNaN:)`` when shapes come from data.
/// - Complexity: O(rows × columns).
public func allclose<Scalar: BLASScalar>(
  _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, rtol: Scalar = 1e-05, atol: Scalar = 1e-08, equalNaN: Bool = false
) -> Bool {
  a.sameShapeError(b, operation: "allclose").trapIfPresent()
  return closeness(a, b, rtol, atol, equalNaN).allSatisfy { $0 }
}

/// `allclose`, throwing instead of trapping when the shapes differ.
///
/// - Throws: ``ShapeError``, e.g. `allclose: shapes differ: (3×1), (2×1)`.
/// - Complexity: O(rows × columns).
public func allclose<Scalar: BLASScalar>(
  checking a: Matrix<Scalar>, _ b: Matrix<Scalar>, rtol: Scalar = 1e-05, atol: Scalar = 1e-08, equalNaN: Bool = false
) throws(ShapeError) -> Bool {
  try a.sameShapeError(b, operation: "allclose").throwIfPresent()
  return closeness(a, b, rtol, atol, equalNaN).allSatisfy { $0 }
}

/// Elementwise closeness, like `np.isclose`; see ``allclose(_:_:rtol:atol:equalNaN:)`` for the rule.
///
/// - Returns: A matrix of the same shape holding 1 where the elements are close and 0 elsewhere.
/// - Precondition: equal shapes.
/// - Complexity: O(rows × columns).
public func isclose<Scalar: BLASScalar>(
  _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, rtol: Scalar = 1e-05, atol: Scalar = 1e-08, equalNaN: Bool = false
) -> Matrix<Scalar> {
  a.sameShapeError(b, operation: "isclose").trapIfPresent()
  return Matrix(rows: a.rows, columns: a.columns, scalars: closeness(a, b, rtol, atol, equalNaN).map { $0 ? 1 : 0 })
}

/// numpy's rule for one pair of scalars: `(|a - b| <= atol + rtol·|b| && b.isFinite) || a == b`,
/// or both NaN when `equalNaN`.
public func isclose<Scalar: BLASScalar>(
  _ a: Scalar, _ b: Scalar, rtol: Scalar = 1e-05, atol: Scalar = 1e-08, equalNaN: Bool = false
) -> Bool {
  if a == b { return true }
  if a.isNaN || b.isNaN { return equalNaN && a.isNaN && b.isNaN }
  return b.isFinite && abs(a - b) <= atol + rtol * abs(b)
}

private func closeness<Scalar: BLASScalar>(
  _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, _ rtol: Scalar, _ atol: Scalar, _ equalNaN: Bool
) -> [Bool] {
  zip(a.storage, b.storage).map { isclose($0, $1, rtol: rtol, atol: atol, equalNaN: equalNaN) }
}
