/// A dense, row-major matrix of `Scalar` with value semantics.
///
/// `Matrix` stores its elements contiguously, row after row, so a whole matrix (or any band of
/// whole rows) can be handed to CBLAS and LAPACKE without a copy. Copies share storage until one
/// of them is mutated (copy-on-write), like `Array`.
///
/// ```swift
/// let wHH = Matrix.ones(rows: 3, columns: 2)
/// let wHX = Matrix.full(rows: 3, columns: 3, value: 9)
/// let wH = hstack([wHH, wHX])          // shape (3, 5)
/// ```
///
/// `==` is exact elementwise equality (so `-0.0 == 0.0` and `NaN != NaN`, as for `Scalar`);
/// use ``allclose(_:_:rtol:atol:equalNaN:)`` for approximate comparison.
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable {
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let columns: Int
  /// The elements in row-major order; `storage.count == rows * columns`.
  @usableFromInline
  internal var storage: [Scalar]

  /// Creates a matrix from its elements in row-major order.
  ///
  /// - Parameters:
  ///   - rows: The number of rows, at least 0.
  ///   - columns: The number of columns, at least 0.
  ///   - scalars: `rows * columns` elements, row after row.
  /// - Precondition: `scalars.count == rows * columns`. Use ``init(checkingRows:columns:scalars:)``
  ///   when the elements come from data.
  /// - Complexity: O(1); the array is adopted, not copied.
  public init(rows: Int, columns: Int, scalars: [Scalar]) {
    self.init(validating: rows, columns: columns, scalars: scalars)
  }

  /// ``init(rows:columns:scalars:)``, under a label the `Double` defaults can forward to.
  init(validating rows: Int, columns: Int, scalars: [Scalar]) {
    Self.validate(rows: rows, columns: columns, count: scalars.count).trapIfPresent()
    self.rows = rows
    self.columns = columns
    self.storage = scalars
  }

  /// Creates a matrix from its elements in row-major order, throwing if they do not fit the shape.
  ///
  /// - Throws: ``ShapeError`` if a dimension is negative or `scalars.count != rows * columns`.
  public init(checkingRows rows: Int, columns: Int, scalars: [Scalar]) throws(ShapeError) {
    try Self.validate(rows: rows, columns: columns, count: scalars.count).throwIfPresent()
    self.rows = rows
    self.columns = columns
    self.storage = scalars
  }

  /// Creates a matrix from nested rows, like `np.array([[1, 2], [3, 4]])`.
  ///
  /// An empty array gives a 0×0 matrix; `[[]]` gives a 1×0 matrix, as in numpy.
  ///
  /// - Precondition: every row has the same length. Use ``init(checkingRows:)`` for data.
  /// - Complexity: O(rows × columns).
  public init(_ rows: [[Scalar]]) {
    self.init(validating: rows)
  }

  /// ``init(_:)``, under a label the `Double` defaults can forward to.
  init(validating rows: [[Scalar]]) {
    Self.validate(rows: rows).trapIfPresent()
    self.init(unchecked: rows)
  }

  /// Creates a matrix from nested rows, throwing if the rows are ragged.
  ///
  /// - Throws: ``ShapeError`` naming the first row whose length differs from the first row's.
  /// - Complexity: O(rows × columns).
  public init(checkingRows rows: [[Scalar]]) throws(ShapeError) {
    try Self.validate(rows: rows).throwIfPresent()
    self.init(unchecked: rows)
  }

  /// Creates a column vector (n × 1) from its elements, like `np.array(v).reshape(-1, 1)`.
  ///
  /// - Complexity: O(1); the array is adopted.
  public init(column: [Scalar]) {
    self.init(validating: column.count, columns: 1, scalars: column)
  }

  /// Creates a matrix of the given shape whose elements are produced by `element(row, column)`,
  /// called in row-major order.
  ///
  /// - Complexity: O(rows × columns) calls of `element`.
  public init(rows: Int, columns: Int, element: (_ row: Int, _ column: Int) throws -> Scalar) rethrows {
    try self.init(generating: rows, columns: columns, element: element)
  }

  /// ``init(rows:columns:element:)``, under a label the `Double` defaults can forward to.
  init(generating rows: Int, columns: Int, element: (_ row: Int, _ column: Int) throws -> Scalar) rethrows {
    checkPrecondition(rows >= 0 && columns >= 0, "Matrix: dimensions must be non-negative, got (\(rows)×\(columns))")
    var scalars: [Scalar] = []
    scalars.reserveCapacity(rows * columns)
    for r in 0..<(columns == 0 ? 0 : rows) {  // O(1) for an empty matrix of many rows
      for c in 0..<columns { scalars.append(try element(r, c)) }
    }
    self.init(validating: rows, columns: columns, scalars: scalars)
  }

  private init(unchecked rows: [[Scalar]]) {
    self.rows = rows.count
    self.columns = rows.first?.count ?? 0
    self.storage = Array(rows.joined())
  }

  private static func validate(rows: Int, columns: Int, count: Int) -> ShapeError? {
    if rows < 0 || columns < 0 {
      return ShapeError(
        operation: "Matrix", reason: "dimensions must be non-negative, got (\(rows)×\(columns))", shapes: [])
    }
    let (product, overflow) = rows.multipliedReportingOverflow(by: columns)
    if overflow || product != count {
      return ShapeError(
        operation: "Matrix", reason: "\(count) scalars do not fill (\(rows)×\(columns))", shapes: [])
    }
    return nil
  }

  private static func validate(rows: [[Scalar]]) -> ShapeError? {
    guard let width = rows.first?.count else { return nil }
    for (index, row) in rows.enumerated() where row.count != width {
      return ShapeError(
        operation: "Matrix",
        reason: "row \(index) has \(row.count) elements but row 0 has \(width)", shapes: [])
    }
    return nil
  }
}

extension Matrix {
  /// The shape, printed like numpy's `(3, 5)`.
  public var shape: Shape { Shape(rows: rows, columns: columns) }

  /// The number of elements, `rows * columns`.
  public var count: Int { storage.count }

  /// The elements in row-major order (a copy-on-write copy of the storage).
  public var scalars: [Scalar] { storage }

  /// The element at row `row` and column `column`.
  ///
  /// - Precondition: `0 <= row < rows` and `0 <= column < columns`.
  @inlinable
  public subscript(row: Int, column: Int) -> Scalar {
    get {
      checkPrecondition(
        row >= 0 && row < rows && column >= 0 && column < columns,
        "Matrix index (\(row), \(column)) out of bounds for shape (\(rows)×\(columns))")
      return storage[row * columns + column]
    }
    set {
      checkPrecondition(
        row >= 0 && row < rows && column >= 0 && column < columns,
        "Matrix index (\(row), \(column)) out of bounds for shape (\(rows)×\(columns))")
      storage[row * columns + column] = newValue
    }
  }

  /// The rows as nested arrays, like numpy's `tolist()`.
  ///
  /// - Complexity: O(rows × columns).
  public var nestedRows: [[Scalar]] {
    (0..<rows).map { r in Array(storage[(r * columns)..<((r + 1) * columns)]) }
  }
}
