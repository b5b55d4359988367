public import DenseMatrix

/// The notebook's quantity, `W_hh · h + W_hx · x`, computed by `formulation`, for any shapes
/// that fit (the notebook's `W_hh` is 3 × 2, which no ``RNNCell`` can hold, since a cell's
/// `W_hh` is square).
///
/// - ``Formulation/fused`` and ``Formulation/fusedConcatenatingEachStep``:
///   `matmul(hstack([wHH, wHX]), vstack([h, x]))`, one product.
/// - ``Formulation/split`` and ``Formulation/hoisted``: `W_hx · x` into the result, then
///   `W_hh · h` accumulated onto it with `gemm(beta: 1)`.
///
/// - Precondition: `wHH` and `wHX` have the same number of rows, `wHH.columns == h.rows`,
///   `wHX.columns == x.rows`, and `h` and `x` have the same number of columns.
/// - Complexity: O(rows · (h.rows + x.rows) · columns).
public func hiddenPreactivation<Scalar: BLASScalar>(
  hiddenToHidden wHH: Matrix<Scalar>, inputToHidden wHX: Matrix<Scalar>, h: Matrix<Scalar>, x: Matrix<Scalar>,
  formulation: Formulation, backend: Backend = .current
) -> Matrix<Scalar> {
  switch formulation {
  case .fused, .fusedConcatenatingEachStep:
    return matmul(hstack([wHH, wHX]), vstack([h, x]), backend: backend)
  case .split, .hoisted:
    checkPrecondition(
      wHH.rows == wHX.rows && h.columns == x.columns,
      "hiddenPreactivation: W_hh and W_hx rows, and h and x columns, must match: \(wHH.shape.compact), \(wHX.shape.compact), \(h.shape.compact), \(x.shape.compact)"
    )
    var result = matmul(wHX, x, backend: backend)
    gemm(wHH, h, into: &result, beta: 1, backend: backend)
    return result
  }
}
