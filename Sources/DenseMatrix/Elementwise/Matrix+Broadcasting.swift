// Elementwise arithmetic between matrices with numpy's broadcasting, in two dimensions: two shapes
// are compatible when, in each dimension, they are equal or one of them is 1; the result takes the
// larger (a 1 stretches to the other's size, 0 included). So an m × n matrix combines with an
// m × 1 column, a 1 × n row or a 1 × 1 matrix in either order, and an m × 1 column with a 1 × n
// row gives an m × n result, as in numpy.

extension Matrix {
  /// The shape numpy's broadcasting gives two shapes, or `nil` if they are incompatible.
  public static func broadcastShape(_ a: Shape, _ b: Shape) -> Shape? {
    func dimension(_ x: Int, _ y: Int) -> Int? { x == y ? x : x == 1 ? y : y == 1 ? x : nil }
    guard let rows = dimension(a.rows, b.rows), let columns = dimension(a.columns, b.columns) else { return nil }
    return Shape(rows: rows, columns: columns)
  }

  /// The elementwise sum with broadcasting, like numpy's `a + b`.
  ///
  /// - Precondition: the shapes broadcast; otherwise the message names both, e.g.
  ///   `+: operands could not be broadcast together: (2×3), (4×3)`. Use ``adding(checking:)``
  ///   when shapes come from data.
  /// - Complexity: O(rows × columns) of the result.
  public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
    lhs.broadcast(rhs, "+", +)
  }

  /// The elementwise difference with broadcasting, like numpy's `a - b`.
  ///
  /// - Precondition: the shapes broadcast; the message names both.
  /// - Complexity: O(rows × columns) of the result.
  public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
    lhs.broadcast(rhs, "-", -)
  }

  /// The elementwise product with broadcasting, like numpy's `a * b` (not the matrix product:
  /// that is ``matmul(_:_:backend:)-(Matrix<Scalar>,_,_)``, numpy's `a @ b`).
  ///
  /// - Precondition: the shapes broadcast; the message names both.
  /// - Complexity: O(rows × columns) of the result.
  public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
    lhs.broadcast(rhs, "*", *)
  }

  /// The elementwise quotient with broadcasting, like numpy's `a / b` (IEEE: `x / 0` is ±inf or
  /// NaN, no error).
  ///
  /// - Precondition: the shapes broadcast; the message names both.
  /// - Complexity: O(rows × columns) of the result.
  public static func / (lhs: Matrix, rhs: Matrix) -> Matrix {
    lhs.broadcast(rhs, "/", /)
  }

  /// Every element divided by `scalar`, like numpy's `a / s`.
  ///
  /// - Complexity: O(rows × columns).
  public static func / (matrix: Matrix, scalar: Scalar) -> Matrix {
    matrix.map { $0 / scalar }
  }

  /// Adds `rhs` elementwise in place, broadcasting it to `lhs`'s shape, like numpy's `a += b`.
  ///
  /// - Precondition: `rhs` broadcasts to `lhs.shape` (the result cannot grow `lhs`, as in numpy:
  ///   `non-broadcastable output`).
  /// - Complexity: O(rows × columns); no allocation when `lhs` is uniquely referenced.
  public static func += (lhs: inout Matrix, rhs: Matrix) {
    lhs.broadcastInPlace(rhs, "+=", +)
  }

  /// Subtracts `rhs` elementwise in place, broadcasting it to `lhs`'s shape.
  ///
  /// - Precondition: `rhs` broadcasts to `lhs.shape`.
  /// - Complexity: O(rows × columns).
  public static func -= (lhs: inout Matrix, rhs: Matrix) {
    lhs.broadcastInPlace(rhs, "-=", -)
  }

  /// Multiplies by `rhs` elementwise in place, broadcasting it to `lhs`'s shape.
  ///
  /// - Precondition: `rhs` broadcasts to `lhs.shape`.
  /// - Complexity: O(rows × columns).
  public static func *= (lhs: inout Matrix, rhs: Matrix) {
    lhs.broadcastInPlace(rhs, "*=", *)
  }

  /// Divides by `rhs` elementwise in place, broadcasting it to `lhs`'s shape.
  ///
  /// - Precondition: `rhs` broadcasts to `lhs.shape`.
  /// - Complexity: O(rows × columns).
  public static func /= (lhs: inout Matrix, rhs: Matrix) {
    lhs.broadcastInPlace(rhs, "/=", /)
  }

  /// The elementwise sum with broadcasting, throwing instead of trapping when the shapes are
  /// incompatible.
  ///
  /// - Throws: ``ShapeError``, e.g. `+: operands could not be broadcast together: (3×2), (2×1)`.
  /// - Complexity: O(rows × columns) of the result.
  public func adding(checking other: Matrix) throws(ShapeError) -> Matrix {
    try broadcastChecking(other, "+", +)
  }

  /// The elementwise difference with broadcasting, throwing when the shapes are incompatible.
  ///
  /// - Throws: ``ShapeError`` naming both shapes.
  /// - Complexity: O(rows × columns) of the result.
  public func subtracting(checking other: Matrix) throws(ShapeError) -> Matrix {
    try broadcastChecking(other, "-", -)
  }

  /// The elementwise product with broadcasting, throwing when the shapes are incompatible.
  ///
  /// - Throws: ``ShapeError`` naming both shapes.
  /// - Complexity: O(rows × columns) of the result.
  public func multiplying(checking other: Matrix) throws(ShapeError) -> Matrix {
    try broadcastChecking(other, "*", *)
  }

  /// The elementwise quotient with broadcasting, throwing when the shapes are incompatible.
  ///
  /// - Throws: ``ShapeError`` naming both shapes.
  /// - Complexity: O(rows × columns) of the result.
  public func dividing(checking other: Matrix) throws(ShapeError) -> Matrix {
    try broadcastChecking(other, "/", /)
  }

  private func broadcastError(_ other: Matrix, _ operation: String) -> ShapeError? {
    Self.broadcastShape(shape, other.shape) == nil
      ? ShapeError(
        operation: operation, reason: "operands could not be broadcast together", shapes: [shape, other.shape])
      : nil
  }

  private func broadcast(_ other: Matrix, _ operation: String, _ combine: (Scalar, Scalar) -> Scalar) -> Matrix {
    broadcastError(other, operation).trapIfPresent()
    return broadcasted(other, combine)
  }

  private func broadcastChecking(
    _ other: Matrix, _ operation: String, _ combine: (Scalar, Scalar) -> Scalar
  )
    throws(ShapeError) -> Matrix
  {
    try broadcastError(other, operation).throwIfPresent()
    return broadcasted(other, combine)
  }

  private mutating func broadcastInPlace(
    _ other: Matrix, _ operation: String, _ combine: (Scalar, Scalar) -> Scalar
  ) {
    broadcastError(other, operation).trapIfPresent()
    checkPrecondition(
      Self.broadcastShape(shape, other.shape) == shape,
      "\(operation): non-broadcastable output operand with shape \(shape.compact) doesn't match the broadcast shape \(Self.broadcastShape(shape, other.shape)!.compact)"
    )
    let (rowStride, columnStride) = other.broadcastStrides
    let (height, width) = (rows, columns)
    other.withUnsafeBufferPointer { b in
      withUnsafeMutableBufferPointer { a in
        for r in 0..<height {
          let row = r * width
          for c in 0..<width { a[row + c] = combine(a[row + c], b[r * rowStride + c * columnStride]) }
        }
      }
    }
  }

  /// `combine(self[r, c], other[r, c])` over the broadcast shape (which the caller checked); equal
  /// shapes take one pass over the two contiguous buffers (`hadamard(_:)` uses that).
  func broadcasted(_ other: Matrix, _ combine: (Scalar, Scalar) -> Scalar) -> Matrix {
    let result = Self.broadcastShape(shape, other.shape)!
    let count = result.rows * result.columns
    if shape == other.shape {  // the common case: one pass over two contiguous buffers
      return withUnsafeBufferPointer { a in
        other.withUnsafeBufferPointer { b in
          Matrix(rows: rows, columns: columns, scalars: (0..<count).map { combine(a[$0], b[$0]) })
        }
      }
    }
    let (ar, ac) = broadcastStrides
    let (br, bc) = other.broadcastStrides
    var scalars = [Scalar]()
    scalars.reserveCapacity(count)
    withUnsafeBufferPointer { a in
      other.withUnsafeBufferPointer { b in
        for r in 0..<(result.columns == 0 ? 0 : result.rows) {
          for c in 0..<result.columns { scalars.append(combine(a[r * ar + c * ac], b[r * br + c * bc])) }
        }
      }
    }
    return Matrix(rows: result.rows, columns: result.columns, scalars: scalars)
  }

  /// The strides (in elements) that read this matrix as broadcast: 0 along a dimension of size 1.
  private var broadcastStrides: (row: Int, column: Int) {
    (rows == 1 ? 0 : columns, columns == 1 ? 0 : 1)
  }
}
