/// A read-only window on a block of a matrix: `rows × columns` elements whose rows are
/// `rowStride` elements apart in the parent's storage (row-major, `rowStride ≥ columns`), like a
/// numpy slice `a[r0:r1, c0:c1]`, which is a view too.
///
/// A view does not own its elements: it exists only inside the closure of
/// ``Matrix/withView(rows:columns:_:)``, while the parent is alive and unchanged. Do not let it
/// escape. Products read it in place: ``matmul(_:_:backend:)-(MatrixView<Scalar>,_,_)``
/// and ``gemm(_:_:into:transposeA:transposeB:alpha:beta:backend:)-(MatrixView<Scalar>,_,_,_,_,_,_,_)``
/// pass `rowStride` to BLAS as the leading dimension (`lda`, `ldb`, `ldc`), with no copy.
public struct MatrixView<Scalar: BLASScalar> {
  /// The first element, `(0, 0)` of the block.
  public let baseAddress: UnsafePointer<Scalar>
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let columns: Int
  /// The distance, in elements, from a row to the next in the parent (its number of columns).
  public let rowStride: Int

  /// The shape, `(rows, columns)`.
  public var shape: Shape { Shape(rows: rows, columns: columns) }

  @usableFromInline
  init(baseAddress: UnsafePointer<Scalar>, rows: Int, columns: Int, rowStride: Int) {
    (self.baseAddress, self.rows, self.columns, self.rowStride) = (baseAddress, rows, columns, rowStride)
  }

  /// The element at `(row, column)` of the block.
  ///
  /// - Precondition: `0 <= row < rows` and `0 <= column < columns`.
  public subscript(row: Int, column: Int) -> Scalar {
    checkPrecondition(
      row >= 0 && row < rows && column >= 0 && column < columns,
      "MatrixView index (\(row), \(column)) out of bounds for shape (\(rows)×\(columns))")
    return baseAddress[row * rowStride + column]
  }

  /// A contiguous copy of the block.
  ///
  /// - Complexity: O(rows × columns): a `memcpy`-speed copy per row.
  public func copy() -> Matrix<Scalar> {
    let (base, rows, columns, stride) = (baseAddress, self.rows, self.columns, rowStride)
    return Matrix(
      rows: rows, columns: columns,
      initializingEvery: { target in
        guard let target = target.baseAddress else { return }
        for r in 0..<rows { (target + r * columns).update(from: base + r * stride, count: columns) }
      })
  }
}

/// A writable window on a block of a matrix (see ``MatrixView``), from
/// ``Matrix/withMutableView(rows:columns:_:)``, which makes the parent's storage unique first:
/// writes change that matrix and no copy of it (value semantics hold). Do not let it escape.
public struct MutableMatrixView<Scalar: BLASScalar> {
  /// The first element, `(0, 0)` of the block.
  public let baseAddress: UnsafeMutablePointer<Scalar>
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let columns: Int
  /// The distance, in elements, from a row to the next in the parent.
  public let rowStride: Int

  /// The shape, `(rows, columns)`.
  public var shape: Shape { Shape(rows: rows, columns: columns) }

  /// The same block, read-only.
  public var view: MatrixView<Scalar> {
    MatrixView(baseAddress: UnsafePointer(baseAddress), rows: rows, columns: columns, rowStride: rowStride)
  }

  @usableFromInline
  init(baseAddress: UnsafeMutablePointer<Scalar>, rows: Int, columns: Int, rowStride: Int) {
    (self.baseAddress, self.rows, self.columns, self.rowStride) = (baseAddress, rows, columns, rowStride)
  }

  /// The element at `(row, column)` of the block, read or written in the parent.
  ///
  /// - Precondition: `0 <= row < rows` and `0 <= column < columns`.
  public subscript(row: Int, column: Int) -> Scalar {
    get { view[row, column] }
    nonmutating set {
      checkPrecondition(
        row >= 0 && row < rows && column >= 0 && column < columns,
        "MutableMatrixView index (\(row), \(column)) out of bounds for shape (\(rows)×\(columns))")
      baseAddress[row * rowStride + column] = newValue
    }
  }

  /// Copies `source` into the block.
  ///
  /// - Precondition: `source` has the block's shape.
  /// - Complexity: O(rows × columns).
  public func assign(_ source: Matrix<Scalar>) {
    checkPrecondition(
      source.shape == shape, "MutableMatrixView.assign: shapes differ: \(shape.compact), \(source.shape.compact)")
    source.withUnsafeBufferPointer { s in
      for r in 0..<rows where columns > 0 {
        (baseAddress + r * rowStride).update(from: s.baseAddress! + r * columns, count: columns)
      }
    }
  }
}

extension Matrix {
  /// Calls `body` with a read-only view of the block `rows × columns`, like numpy's `a[r0:r1, c0:c1]`
  /// without the copy: the view reads this matrix's storage in place, its rows `columns` (of the
  /// parent) apart.
  ///
  /// Ranges are any Swift range (`2..<5`, `2...4`, `..<3`, `2...`); pass `0..<rows` (or use
  /// ``withView(columns:_:)``) for all rows. Unlike numpy, a range beyond the matrix traps
  /// instead of being clipped.
  ///
  /// - Precondition: both ranges lie within the matrix; the message names the range and shape.
  /// - Complexity: O(1), plus `body`.
  // Inlinable: generic over the range types, it is specialised where it is called (a view is a
  // per-step tool; an unspecialised call costs more than a small product).
  @inlinable
  public func withView<R: RangeExpression<Int>, C: RangeExpression<Int>, Result, E: Error>(
    rows: R, columns: C, _ body: (MatrixView<Scalar>) throws(E) -> Result
  ) throws(E) -> Result {
    let (r, c) = (bounds(rows, self.rows, "rows"), bounds(columns, self.columns, "columns"))
    let stride = self.columns
    return try storage.withUnsafeBufferPointer { (buffer) throws(E) -> Result in
      // An empty matrix has no base address; any non-dangling pointer serves a view of 0 elements.
      let base = buffer.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Scalar>.alignment)!
      return try body(
        MatrixView(
          baseAddress: base + r.lowerBound * stride + c.lowerBound, rows: r.count, columns: c.count,
          rowStride: Swift.max(stride, 1)))
    }
  }

  /// ``withView(rows:columns:_:)`` over every row.
  @inlinable
  public func withView<C: RangeExpression<Int>, Result, E: Error>(
    columns: C, _ body: (MatrixView<Scalar>) throws(E) -> Result
  ) throws(E) -> Result {
    try withView(rows: 0..<rows, columns: columns, body)
  }

  /// ``withView(rows:columns:_:)`` over every column.
  @inlinable
  public func withView<R: RangeExpression<Int>, Result, E: Error>(
    rows: R, _ body: (MatrixView<Scalar>) throws(E) -> Result
  ) throws(E) -> Result {
    try withView(rows: rows, columns: 0..<columns, body)
  }

  /// Calls `body` with a writable view of the block, after making this matrix's storage unique
  /// (copy-on-write), so writes through the view change this matrix only, never a copy that
  /// shares its storage. While `body` runs, `self` is exclusively accessed (Swift's exclusivity
  /// rules forbid touching it otherwise); the view must not escape.
  ///
  /// - Precondition: both ranges lie within the matrix.
  /// - Complexity: O(1), or O(rows × columns) if the storage must be copied first.
  @inlinable
  public mutating func withMutableView<R: RangeExpression<Int>, C: RangeExpression<Int>, Result, E: Error>(
    rows: R, columns: C, _ body: (MutableMatrixView<Scalar>) throws(E) -> Result
  ) throws(E) -> Result {
    let (r, c) = (bounds(rows, self.rows, "rows"), bounds(columns, self.columns, "columns"))
    let stride = self.columns
    return try storage.withUnsafeMutableBufferPointer {
      (buffer: inout UnsafeMutableBufferPointer<Scalar>) throws(E) -> Result in
      let base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Scalar>.alignment)!
      return try body(
        MutableMatrixView(
          baseAddress: base + r.lowerBound * stride + c.lowerBound, rows: r.count, columns: c.count,
          rowStride: Swift.max(stride, 1)))
    }
  }

  /// A copy of the block, like numpy's `a[r0:r1, c0:c1].copy()`, for any Swift ranges
  /// (`m[rows: 1..<3, columns: ...]` with `0..<m.columns`, or a one-sided range).
  ///
  /// - Precondition: both ranges lie within the matrix (numpy would clip; here it traps, naming
  ///   the range and the shape).
  /// - Complexity: O(rows × columns) of the block.
  public subscript<R: RangeExpression<Int>, C: RangeExpression<Int>>(rows rows: R, columns columns: C) -> Matrix {
    withView(rows: rows, columns: columns) { $0.copy() }
  }

  /// A copy of the rows in `rows`, every column: `m[rows: 1..<3, columns: ...]`, numpy's
  /// `a[1:3, :]`.
  ///
  /// - Precondition: the range lies within the matrix.
  /// - Complexity: O(rows × columns) of the block.
  public subscript<R: RangeExpression<Int>>(rows rows: R, columns _: UnboundedRange) -> Matrix {
    withView(rows: rows) { $0.copy() }
  }

  /// A copy of the columns in `columns`, every row: `m[rows: ..., columns: 2...]`, numpy's
  /// `a[:, 2:]`.
  ///
  /// - Precondition: the range lies within the matrix.
  /// - Complexity: O(rows × columns) of the block.
  public subscript<C: RangeExpression<Int>>(rows _: UnboundedRange, columns columns: C) -> Matrix {
    withView(columns: columns) { $0.copy() }
  }

  /// Calls `body` for each block of `width` consecutive columns, in order, with its index and a
  /// read-only view: for the states of a hoisted forward (n_h × T·B), `width: B` walks the steps
  /// without copying.
  ///
  /// - Precondition: `width > 0` divides `columns`.
  /// - Complexity: O(columns / width) calls of `body`.
  public func forEachColumnBlock<E: Error>(
    width: Int, _ body: (_ index: Int, _ block: MatrixView<Scalar>) throws(E) -> Void
  ) throws(E) {
    checkPrecondition(
      width > 0 && columns % width == 0,
      "forEachColumnBlock: width \(width) must be positive and divide the \(columns) columns")
    for index in 0..<(columns / width) {
      try withView(columns: (index * width)..<((index + 1) * width)) { (view) throws(E) in try body(index, view) }
    }
  }

  /// The `Range` a range expression denotes in `0..<count`, trapping (with the axis and the shape)
  /// when it reaches outside.
  @inlinable
  func bounds<R: RangeExpression<Int>>(_ range: R, _ count: Int, _ axis: String) -> Range<Int> {
    let resolved = range.relative(to: 0..<count)
    checkPrecondition(
      resolved.lowerBound >= 0 && resolved.upperBound <= count && resolved.lowerBound <= resolved.upperBound,
      "Matrix view: \(axis) \(resolved) out of bounds for shape \(shape.compact)")
    return resolved
  }
}
