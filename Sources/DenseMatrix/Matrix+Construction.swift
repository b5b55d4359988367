extension Matrix {
  /// A matrix filled with `value`, like `np.full((rows, columns), value)`.
  ///
  /// - Precondition: `rows >= 0` and `columns >= 0`.
  /// - Complexity: O(rows × columns).
  public static func full(rows: Int, columns: Int, value: Double) -> Matrix {
    checkPrecondition(
      rows >= 0 && columns >= 0, "Matrix.full: dimensions must be non-negative, got (\(rows)×\(columns))")
    checkPrecondition(
      !rows.multipliedReportingOverflow(by: columns).overflow, "Matrix.full: (\(rows)×\(columns)) overflows Int")
    return Matrix(rows: rows, columns: columns, scalars: Array(repeating: value, count: rows * columns))
  }

  /// A matrix of zeros, like `np.zeros((rows, columns))`.
  ///
  /// - Complexity: O(rows × columns).
  public static func zeros(rows: Int, columns: Int) -> Matrix {
    full(rows: rows, columns: columns, value: 0)
  }

  /// A matrix of ones, like `np.ones((rows, columns))`.
  ///
  /// - Complexity: O(rows × columns).
  public static func ones(rows: Int, columns: Int) -> Matrix {
    full(rows: rows, columns: columns, value: 1)
  }

  /// The n × n identity matrix, like `np.identity(n)`.
  ///
  /// - Complexity: O(n²).
  public static func identity(_ n: Int) -> Matrix {
    var result = zeros(rows: n, columns: n)
    for i in 0..<n { result.storage[i * n + i] = 1 }
    return result
  }
}
