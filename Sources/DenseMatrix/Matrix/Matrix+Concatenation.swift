/// Joins matrices side by side (along columns), like `np.hstack` on 2-D arrays.
///
/// `hstack([wHH, wHX])` builds the fused RNN weight `W_h = [W_hh | W_hx]`.
///
/// Any number of matrices may be joined. As in numpy, each must have the same number of rows
/// (matrices with zero columns are allowed and contribute nothing); an empty list is an error.
///
/// - Precondition: `matrices` is not empty and all have the same number of rows. Use
///   ``hstack(checking:)`` when shapes come from data.
/// - Complexity: O(total number of elements).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func hstack<Scalar: BLASScalar>(_ matrices: [Matrix<Scalar>]) -> Matrix<Scalar> {
  concatenate(matrices, axis: 1, operation: "hstack")
}

/// Joins matrices one above the other (along rows), like `np.vstack` on 2-D arrays.
///
/// `vstack([h, x])` builds the fused RNN operand `[h_{t-1}; x_t]`.
///
/// Each matrix must have the same number of columns (matrices with zero rows are allowed);
/// an empty list is an error.
///
/// - Precondition: `matrices` is not empty and all have the same number of columns. Use
///   ``vstack(checking:)`` when shapes come from data.
/// - Complexity: O(total number of elements).
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func vstack<Scalar: BLASScalar>(_ matrices: [Matrix<Scalar>]) -> Matrix<Scalar> {
  concatenate(matrices, axis: 0, operation: "vstack")
}

/// Joins matrices along an axis, like `np.concatenate(matrices, axis=axis)` on 2-D arrays.
///
/// `axis` 0 (or -2) stacks vertically, like ``vstack(_:)``; `axis` 1 (or -1) joins side by side,
/// like ``hstack(_:)``.
///
/// - Precondition: `axis` is in -2...1, `matrices` is not empty, and every dimension other than
///   `axis` matches. Use ``concatenate(checking:axis:)`` when shapes come from data.
/// - Complexity: O(total number of elements).
public func concatenate<Scalar: BLASScalar>(_ matrices: [Matrix<Scalar>], axis: Int) -> Matrix<Scalar> {
  concatenate(matrices, axis: axis, operation: "concatenate")
}

/// Joins matrices side by side, throwing instead of trapping when the row counts differ.
///
/// - Throws: ``ShapeError`` naming the operation and every operand's shape.
/// - Complexity: O(total number of elements).
public func hstack<Scalar: BLASScalar>(checking matrices: [Matrix<Scalar>]) throws(ShapeError) -> Matrix<Scalar> {
  try concatenationError(matrices, axis: 1, operation: "hstack").throwIfPresent()
  return joined(matrices, axis: 1)
}

/// Joins matrices one above the other, throwing instead of trapping when column counts differ.
///
/// - Throws: ``ShapeError`` naming the operation and every operand's shape.
/// - Complexity: O(total number of elements).
public func vstack<Scalar: BLASScalar>(checking matrices: [Matrix<Scalar>]) throws(ShapeError) -> Matrix<Scalar> {
  try concatenationError(matrices, axis: 0, operation: "vstack").throwIfPresent()
  return joined(matrices, axis: 0)
}

/// Joins matrices along an axis, throwing instead of trapping on a bad axis or shape.
///
/// - Throws: ``ShapeError`` naming the operation and every operand's shape.
/// - Complexity: O(total number of elements).
public func concatenate<Scalar: BLASScalar>(
  checking matrices: [Matrix<Scalar>], axis: Int
) throws(ShapeError) -> Matrix<Scalar> {
  try concatenationError(matrices, axis: axis, operation: "concatenate").throwIfPresent()
  return joined(matrices, axis: axis < 0 ? axis + 2 : axis)
}

private func concatenate<Scalar: BLASScalar>(
  _ matrices: [Matrix<Scalar>], axis: Int, operation: String
) -> Matrix<Scalar> {
  concatenationError(matrices, axis: axis, operation: operation).trapIfPresent()
  return joined(matrices, axis: axis < 0 ? axis + 2 : axis)
}

private func concatenationError<Scalar: BLASScalar>(
  _ matrices: [Matrix<Scalar>], axis: Int, operation: String
) -> ShapeError? {
  guard (-2...1).contains(axis) else {
    return ShapeError(
      operation: operation, reason: "axis \(axis) is out of bounds for a 2-D matrix (use 0, 1, -1 or -2)",
      shapes: matrices.map(\.shape))
  }
  guard let first = matrices.first else {
    return ShapeError(operation: operation, reason: "need at least one matrix to concatenate", shapes: [])
  }
  let alongRows = (axis < 0 ? axis + 2 : axis) == 0
  for (index, matrix) in matrices.enumerated() {
    let (expected, found) = alongRows ? (first.columns, matrix.columns) : (first.rows, matrix.rows)
    if expected != found {
      let dimension = alongRows ? "columns" : "rows"
      return ShapeError(
        operation: operation,
        reason:
          "every matrix must have the same number of \(dimension), but matrix 0 has \(expected) and matrix \(index) has \(found)",
        shapes: matrices.map(\.shape))
    }
  }
  return nil
}

/// Joins matrices whose shapes were already validated; `axis` is 0 or 1.
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
private func joined<Scalar: BLASScalar>(_ matrices: [Matrix<Scalar>], axis: Int) -> Matrix<Scalar> {
  if axis == 0 {
    let columns = matrices[0].columns
    var scalars = [Scalar]()
    scalars.reserveCapacity(matrices.reduce(0) { $0 + $1.count })
    for matrix in matrices { scalars.append(contentsOf: matrix.storage) }
    return Matrix(rows: matrices.reduce(0) { $0 + $1.rows }, columns: columns, scalars: scalars)
  }
  let rows = matrices[0].rows
  let columns = matrices.reduce(0) { $0 + $1.columns }
  // An empty result without Array(unsafeUninitializedCapacity: 0), which writes its count into
  // the shared empty-array storage (a data race the thread sanitizer reports between threads).
  guard rows > 0 && columns > 0 else { return Matrix(rows: rows, columns: columns, scalars: []) }
  // Every element is written once, into uninitialised storage.
  let scalars = [Scalar](unsafeUninitializedCapacity: rows * columns) { target, initialized in
    var offset = 0
    for matrix in matrices {
      let width = matrix.columns
      guard width > 0 else { continue }
      matrix.withUnsafeBufferPointer { source in
        // Safe: both buffers hold `rows` rows of the validated widths.
        for r in 0..<rows {
          (target.baseAddress! + r * columns + offset)
            .initialize(from: source.baseAddress! + r * width, count: width)
        }
      }
      offset += width
    }
    initialized = rows * columns
  }
  return Matrix(rows: rows, columns: columns, scalars: scalars)
}
