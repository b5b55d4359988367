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
  var sum = Matrix<Scalar>(rows: count, columns: 1, initializingEvery: { _ in })
  writeSummedBias(&sum, a, b)
  return sum
}

/// `sum = (0 + a) + b` element by element, in place (`a`, `b` skipped when `nil`; each holds
/// `sum.count` values in any shape).
func writeSummedBias<Scalar: BLASScalar>(_ sum: inout Matrix<Scalar>, _ a: Matrix<Scalar>?, _ b: Matrix<Scalar>?) {
  sum.withUnsafeMutableBufferPointer { sum in
    sum.update(repeating: 0)
    func add(_ bias: Matrix<Scalar>?) {
      guard let bias else { return }
      precondition(bias.count == sum.count, "a bias of \(bias.count) values for \(sum.count)")
      bias.withUnsafeBufferPointer { bias in
        for index in 0..<sum.count { sum[index] += bias[index] }
      }
    }
    add(a)
    add(b)
  }
}

/// One cell's parameters by their roles, as a state dict gives them (biases in any shape of
/// their count): what `RecurrentNetwork.load(stateDict:)` copies into a cell's own buffers.
struct CellTensors<Scalar: BLASScalar> {
  var inputWeights: Matrix<Scalar>
  var recurrentWeights: Matrix<Scalar>
  var inputBias: Matrix<Scalar>?
  var recurrentBias: Matrix<Scalar>?
  /// An LSTM's `W_hr` with a projection.
  var projectionWeights: Matrix<Scalar>?
}

extension Matrix {
  /// Every element replaced by `source`'s, in the same order, the shape kept: in place, with no
  /// allocation while this matrix's storage is its own.
  ///
  /// - Precondition: `source` has as many elements.
  mutating func overwrite(with source: Matrix) {
    precondition(source.count == count, "overwrite: \(source.count) elements for \(count)")
    withUnsafeMutableBufferPointer { target in
      source.withUnsafeBufferPointer { source in
        guard let base = target.baseAddress else { return }
        base.update(from: source.baseAddress!, count: source.count)
      }
    }
  }

  /// `[left | right]` written into this matrix (rows × (left.columns + right.columns)): the
  /// fused formulation's joined weights `[W_ih | W_hh]`.
  mutating func writeSideBySide(_ left: Matrix, _ right: Matrix) {
    writeBlock(row: 0, column: 0, from: left, rows: 0..<left.rows, columns: left.columns)
    writeBlock(row: 0, column: left.columns, from: right, rows: 0..<right.rows, columns: right.columns)
  }

  /// Rows `rows` of `source` (every column) copied into this matrix from row `row`, column
  /// `column` on; with `source` nil, that block zero.
  mutating func writeBlock(row: Int, column: Int, from source: Matrix?, rows: Range<Int>, columns width: Int) {
    precondition(source.map { $0.columns == width } ?? true, "writeBlock: a source of another width")
    let stride = columns
    withUnsafeMutableBufferPointer { target in
      guard let base = target.baseAddress, width > 0 else { return }
      for r in 0..<rows.count {
        let destination = base + (row + r) * stride + column
        guard let source else {
          destination.update(repeating: 0, count: width)
          continue
        }
        source.withUnsafeBufferPointer { s in
          destination.update(from: s.baseAddress! + (rows.lowerBound + r) * width, count: width)
        }
      }
    }
  }
}

/// Makes `buffer` a `rows × columns` matrix, allocating only when its shape changes: the
/// hoisted projection's buffer, allocated once per sequence length, then reused.
func prepareBuffer<Scalar: BLASScalar>(_ buffer: inout Matrix<Scalar>, rows: Int, columns: Int) {
  // Not zero-filled: the hoisted projection's product (beta = 0) writes every element.
  if buffer.rows != rows || buffer.columns != columns {
    buffer = Matrix(rows: rows, columns: columns, initializingEvery: { _ in })
  }
}
