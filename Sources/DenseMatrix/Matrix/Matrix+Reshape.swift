extension Matrix {
  /// The same elements, in the same row-major order, as a `rows × columns` matrix: numpy's
  /// `a.reshape(rows, columns)`.
  ///
  /// - Precondition: `rows * columns == count` (both non-negative).
  /// - Complexity: O(1): the storage is shared (copy-on-write).
  public func reshaped(rows: Int, columns: Int) -> Matrix {
    checkPrecondition(
      rows >= 0 && columns >= 0 && rows.multipliedReportingOverflow(by: columns) == (count, false),
      "reshaped: cannot reshape a matrix of size \(count) into shape (\(rows), \(columns))")
    return Matrix(rows: rows, columns: columns, scalars: storage)
  }

  /// The same elements as a matrix of `rows` rows, the number of columns inferred: numpy's
  /// `a.reshape(rows, -1)`.
  ///
  /// - Precondition: `rows > 0` divides `count` (with `rows == 0` the columns cannot be inferred,
  ///   as in numpy).
  /// - Complexity: O(1).
  public func reshaped(rows: Int) -> Matrix {
    checkPrecondition(
      rows > 0 && count % rows == 0,
      "reshaped: cannot reshape a matrix of size \(count) into shape (\(rows), -1)")
    return Matrix(rows: rows, columns: count / rows, scalars: storage)
  }

  /// The same elements as a matrix of `columns` columns, the number of rows inferred: numpy's
  /// `a.reshape(-1, columns)`.
  ///
  /// - Precondition: `columns > 0` divides `count`.
  /// - Complexity: O(1).
  public func reshaped(columns: Int) -> Matrix {
    checkPrecondition(
      columns > 0 && count % columns == 0,
      "reshaped: cannot reshape a matrix of size \(count) into shape (-1, \(columns))")
    return Matrix(rows: count / columns, columns: columns, scalars: storage)
  }

  /// The elements in row-major order as one row, `1 × count`: numpy's `a.flatten()` (a 1-D
  /// array there; a row vector in this 2-D package, as `np.atleast_2d` would make it).
  ///
  /// - Complexity: O(1).
  public func flattened() -> Matrix {
    Matrix(rows: 1, columns: count, scalars: storage)
  }
}
