extension Matrix {
  /// Every element multiplied by `scalar`, like numpy's `s * a`.
  ///
  /// - Complexity: O(rows × columns).
  public static func * (scalar: Scalar, matrix: Matrix) -> Matrix {
    matrix.map { scalar * $0 }
  }

  /// Every element multiplied by `scalar`, like numpy's `a * s`.
  ///
  /// - Complexity: O(rows × columns).
  public static func * (matrix: Matrix, scalar: Scalar) -> Matrix {
    matrix.map { $0 * scalar }
  }

  /// Multiplies every element by `scalar` in place.
  ///
  /// - Complexity: O(rows × columns).
  public static func *= (matrix: inout Matrix, scalar: Scalar) {
    matrix.apply { $0 * scalar }
  }

  /// The elementwise negation.
  ///
  /// - Complexity: O(rows × columns).
  public static prefix func - (matrix: Matrix) -> Matrix {
    matrix.map { -$0 }
  }

  /// The elementwise (Hadamard) product, like numpy's `a * b` for arrays of the same shape.
  ///
  /// - Precondition: equal shapes; the message names both.
  /// - Complexity: O(rows × columns).
  public func hadamard(_ other: Matrix) -> Matrix {
    sameShapeError(other, operation: "hadamard").trapIfPresent()
    return broadcasted(other, *)
  }

  /// The elementwise (Hadamard) product, throwing instead of trapping when the shapes differ.
  ///
  /// - Throws: ``ShapeError`` naming both shapes.
  /// - Complexity: O(rows × columns).
  public func hadamard(checking other: Matrix) throws(ShapeError) -> Matrix {
    try sameShapeError(other, operation: "hadamard").throwIfPresent()
    return broadcasted(other, *)
  }

  /// A matrix of the same shape with `transform` applied to every element, in row-major order.
  ///
  /// - Complexity: O(rows × columns) calls of `transform`.
  public func map<E: Error>(_ transform: (Scalar) throws(E) -> Scalar) throws(E) -> Matrix {
    var result = self
    try result.apply(transform)
    return result
  }

  /// Replaces every element with `transform(element)`, in row-major order.
  ///
  /// - Complexity: O(rows × columns) calls of `transform`.
  public mutating func apply<E: Error>(_ transform: (Scalar) throws(E) -> Scalar) throws(E) {
    try withUnsafeMutableBufferPointer { (buffer) throws(E) in
      for i in buffer.indices { buffer[i] = try transform(buffer[i]) }
    }
  }

  /// `self` plus the column vector `vector` added to every column, like numpy's broadcast
  /// `a + b` with `b` of shape (rows, 1): the bias term `W·h + b` of a batch.
  ///
  /// - Precondition: `vector` is `rows × 1`; the message names both shapes.
  /// - Complexity: O(rows × columns).
  public func addingColumnVector(_ vector: Matrix) -> Matrix {
    var result = self
    result.addColumnVector(vector)
    return result
  }

  /// Adds the column vector `vector` to every column in place.
  ///
  /// - Precondition: `vector` is `rows × 1`; the message names both shapes.
  /// - Complexity: O(rows × columns).
  public mutating func addColumnVector(_ vector: Matrix) {
    columnVectorError(vector).trapIfPresent()
    addColumnVectorUnchecked(vector)
  }

  /// Adds the column vector `vector` to every column in place, throwing instead of trapping.
  ///
  /// - Throws: ``ShapeError`` unless `vector` is `rows × 1`; `self` is then unchanged.
  /// - Complexity: O(rows × columns).
  public mutating func addColumnVector(checking vector: Matrix) throws(ShapeError) {
    try columnVectorError(vector).throwIfPresent()
    addColumnVectorUnchecked(vector)
  }

  private mutating func addColumnVectorUnchecked(_ vector: Matrix) {
    let width = columns
    vector.withUnsafeBufferPointer { bias in
      withUnsafeMutableBufferPointer { buffer in
        for r in 0..<bias.count {
          let value = bias[r]
          for c in 0..<width { buffer[r * width + c] += value }
        }
      }
    }
  }

  private func columnVectorError(_ vector: Matrix) -> ShapeError? {
    vector.rows == rows && vector.columns == 1
      ? nil
      : ShapeError(
        operation: "addColumnVector", reason: "the vector must be (\(rows)×1)", shapes: [shape, vector.shape])
  }

  func sameShapeError(_ other: Matrix, operation: String) -> ShapeError? {
    shape == other.shape
      ? nil : ShapeError(operation: operation, reason: "shapes differ", shapes: [shape, other.shape])
  }
}
