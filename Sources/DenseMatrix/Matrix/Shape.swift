/// The number of rows and columns of a ``Matrix``.
///
/// `description` prints like numpy's `ndarray.shape`, for example `(3, 5)`.
/// Error messages use the compact form ``compact``, for example `(3×5)`.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
  /// The number of rows.
  public var rows: Int
  /// The number of columns.
  public var columns: Int

  /// Creates a shape.
  ///
  /// - Precondition: `rows >= 0` and `columns >= 0`.
  public init(rows: Int, columns: Int) {
    checkPrecondition(rows >= 0 && columns >= 0, "Shape: dimensions must be non-negative, got (\(rows)×\(columns))")
    self.rows = rows
    self.columns = columns
  }

  /// The number of elements, `rows * columns`.
  public var count: Int { rows * columns }

  /// The shape as numpy prints it: `(3, 5)`.
  public var description: String { "(\(rows), \(columns))" }

  /// The shape as error messages print it: `(3×5)`.
  public var compact: String { "(\(rows)×\(columns))" }
}
