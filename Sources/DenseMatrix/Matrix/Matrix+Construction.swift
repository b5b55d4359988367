extension Matrix {
  /// A matrix filled with `value`, like `np.full((rows, columns), value)`.
  ///
  /// - Precondition: `rows >= 0` and `columns >= 0`.
  /// - Complexity: O(rows × columns).
  public static func full(rows: Int, columns: Int, value: Scalar) -> Matrix {
    filled(rows: rows, columns: columns, value: value)
  }

  /// A matrix of zeros, like `np.zeros((rows, columns))`.
  ///
  /// - Complexity: O(rows × columns).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public static func zeros(rows: Int, columns: Int) -> Matrix {
    filled(rows: rows, columns: columns, value: 0)
  }

  /// A matrix of ones, like `np.ones((rows, columns))`.
  ///
  /// - Complexity: O(rows × columns).
  public static func ones(rows: Int, columns: Int) -> Matrix {
    filled(rows: rows, columns: columns, value: 1)
  }

  /// The n × n identity matrix, like `np.identity(n)`.
  ///
  /// - Complexity: O(n²).
  public static func identity(_ n: Int) -> Matrix {
    makeIdentity(n)
  }

  /// ``full(rows:columns:value:)``, under a name the `Double` defaults can forward to.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  static func filled(rows: Int, columns: Int, value: Scalar) -> Matrix {
    checkPrecondition(
      rows >= 0 && columns >= 0, "Matrix.full: dimensions must be non-negative, got (\(rows)×\(columns))")
    checkPrecondition(
      !rows.multipliedReportingOverflow(by: columns).overflow, "Matrix.full: (\(rows)×\(columns)) overflows Int")
    return Matrix(rows: rows, columns: columns, scalars: Array(repeating: value, count: rows * columns))
  }

  static func makeIdentity(_ n: Int) -> Matrix {
    var result = zeros(rows: n, columns: n)
    for i in 0..<n { result.storage[i * n + i] = 1 }
    return result
  }
}

extension Matrix {
  /// The matrix `other` with every element converted to `Scalar`, like numpy's
  /// `a.astype(np.float32)`: rounded to nearest when narrowing (`Double` to `Float`; values beyond
  /// `Float`'s range become ±inf, as in numpy), exact when widening.
  ///
  /// - Complexity: O(rows × columns).
  public init<Other: BLASScalar>(converting other: Matrix<Other>) {
    self.init(rows: other.rows, columns: other.columns, scalars: other.storage.map { Scalar($0) })
  }
}

extension Matrix {
  /// A `rows × columns` matrix whose storage `initialize` fills: it receives the row-major
  /// buffer without a zero fill first, for buffers that a product with `beta = 0` or a kernel
  /// overwrites in full. Elements it leaves unwritten hold unspecified values (`Float` and
  /// `Double` are trivial types), which the caller must write before it reads them.
  ///
  /// - Complexity: O(1) besides `initialize`.
  package init(rows: Int, columns: Int, initializingEvery initialize: (UnsafeMutableBufferPointer<Scalar>) -> Void) {
    checkPrecondition(
      rows >= 0 && columns >= 0 && !rows.multipliedReportingOverflow(by: columns).overflow,
      "Matrix: invalid dimensions (\(rows)×\(columns))")
    // Empty: no Array(unsafeUninitializedCapacity: 0), which writes its count into the shared
    // empty-array storage (a data race between threads).
    guard rows > 0 && columns > 0 else {
      initialize(UnsafeMutableBufferPointer(start: nil, count: 0))
      self.init(rows: rows, columns: columns, scalars: [])
      return
    }
    let scalars = [Scalar](unsafeUninitializedCapacity: rows * columns) { buffer, count in
      initialize(buffer)
      count = rows * columns
    }
    self.init(rows: rows, columns: columns, scalars: scalars)
  }
}
