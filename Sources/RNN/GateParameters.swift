import DenseMatrix

/// Validates a gated cell's PyTorch parameters: W_ih (gates·H × I), W_hh (gates·H × H), biases of
/// gates·H values.
func checkGateShapes<Scalar: BLASScalar>(
  _ operation: String, gates: Int, hidden: Int, input: Matrix<Scalar>, recurrent: Matrix<Scalar>,
  biases: [(String, Matrix<Scalar>?)]
) throws(ShapeError) {
  let rows = gates * hidden
  guard hidden >= 1, recurrent.rows == rows else {
    throw ShapeError(
      operation: operation, reason: "weight_hh must be (\(gates)·H × H) with H ≥ 1, found", shapes: [recurrent.shape])
  }
  guard input.rows == rows else {
    throw ShapeError(
      operation: operation, reason: "weight_ih must have \(rows) rows (\(gates)·H for H = \(hidden)), found",
      shapes: [input.shape])
  }
  for (name, bias) in biases {
    guard let bias else { continue }
    guard (bias.rows == rows && bias.columns == 1) || (bias.rows == 1 && bias.columns == rows) else {
      throw ShapeError(
        operation: operation, reason: "\(name) must hold \(rows) values (\(gates)·H), found", shapes: [bias.shape])
    }
  }
}

/// The sum of the given biases as a `count × 1` column (zero when both are `nil`).
func summedBias<Scalar: BLASScalar>(_ count: Int, _ a: Matrix<Scalar>?, _ b: Matrix<Scalar>?) -> Matrix<Scalar> {
  var sum = Matrix<Scalar>.zeros(rows: count, columns: 1)
  for bias in [a, b].compactMap({ $0 }) { sum += bias.reshaped(rows: count, columns: 1) }
  return sum
}

/// Makes `buffer` a `rows × columns` matrix, allocating only when its shape changes: the
/// hoisted projection's buffer, allocated once per sequence length, then reused.
func prepareBuffer<Scalar: BLASScalar>(_ buffer: inout Matrix<Scalar>, rows: Int, columns: Int) {
  // Not zero-filled: the hoisted projection's product (beta = 0) writes every element.
  if buffer.rows != rows || buffer.columns != columns {
    buffer = Matrix(rows: rows, columns: columns, initializingEvery: { _ in })
  }
}
