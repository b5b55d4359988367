// Reductions with numpy's semantics and, for sums, numpy's exact order of additions: the whole
// matrix and each row (contiguous) by numpy's pairwise summation, each column by adding the rows
// in order (a lone column is contiguous: pairwise), so `sum` and `mean` give numpy's results bit
// for bit.

extension Matrix {
  /// The sum of all elements, like `np.sum(a)`: 0 for an empty matrix; NaN if any element is
  /// NaN (or +inf and -inf meet).
  ///
  /// Summed pairwise in numpy's order (blocks of up to 128 with eight partial sums), so the
  /// result is numpy's bit for bit and the rounding error grows like O(log n), not O(n).
  ///
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func sum() -> Scalar {
    storage.withUnsafeBufferPointer { pairwiseSum($0) }
  }

  /// The arithmetic mean of all elements, like `np.mean(a)`: ``sum()`` divided by ``count``;
  /// NaN for an empty matrix (numpy returns NaN with a warning).
  ///
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func mean() -> Scalar {
    sum() / Scalar(count)
  }

  /// The largest element, like `np.max(a)`: NaN if any element is NaN.
  ///
  /// - Precondition: the matrix is not empty (numpy raises: a maximum of nothing has no identity).
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func max() -> Scalar {
    checkPrecondition(!isEmpty, "max: zero-size matrix \(shape) to reduction operation maximum which has no identity")
    return storage.withUnsafeBufferPointer { contiguousExtreme($0.baseAddress!, count, greatest: true) }
  }

  /// The smallest element, like `np.min(a)`: NaN if any element is NaN.
  ///
  /// - Precondition: the matrix is not empty.
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func min() -> Scalar {
    checkPrecondition(!isEmpty, "min: zero-size matrix \(shape) to reduction operation minimum which has no identity")
    return storage.withUnsafeBufferPointer { contiguousExtreme($0.baseAddress!, count, greatest: false) }
  }

  /// The row-major index of the first largest element, like `np.argmax(a)`: the first NaN's
  /// index if there is a NaN. Row and column are `(index / columns, index % columns)`.
  ///
  /// - Precondition: the matrix is not empty (numpy raises).
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func argmax() -> Int {
    checkPrecondition(!isEmpty, "argmax: attempt to get argmax of an empty matrix \(shape)")
    return storage.withUnsafeBufferPointer { extremeIndex($0, 0, 1, count, >) }
  }

  /// The row-major index of the first smallest element, like `np.argmin(a)`: the first NaN's
  /// index if there is a NaN.
  ///
  /// - Precondition: the matrix is not empty.
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func argmin() -> Int {
    checkPrecondition(!isEmpty, "argmin: attempt to get argmin of an empty matrix \(shape)")
    return storage.withUnsafeBufferPointer { extremeIndex($0, 0, 1, count, <) }
  }

  /// Sums along `axis`, like `np.sum(a, axis=axis, keepdims=True)`: axis 0 (or -2) sums each
  /// column into a `1 × columns` row, axis 1 (or -1) each row into a `rows × 1` column. With
  /// `keepingDimensions: false` the result is a row either way, numpy's 1-D result as
  /// `np.atleast_2d` makes it.
  ///
  /// Bit for bit numpy's: rows summed pairwise, columns by adding the rows in order (a single
  /// column, contiguous, pairwise).
  ///
  /// - Precondition: `axis` is 0, 1, -1 or -2.
  /// - Complexity: O(count), streaming through the storage once.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func sum(axis: Int, keepingDimensions: Bool = true) -> Matrix {
    let along = Axis(axis, "sum")
    var result = [Scalar](repeating: 0, count: along == .columns ? columns : rows)
    storage.withUnsafeBufferPointer { a in
      result.withUnsafeMutableBufferPointer { out in
        if along == .columns && columns == 1 {
          // One contiguous column: numpy sums it pairwise, like a row.
          out[0] = pairwiseSum(a)
        } else if along == .columns {
          for r in 0..<rows {
            let row = a.baseAddress! + r * columns
            for c in 0..<columns { out[c] += row[c] }
          }
        } else {
          for r in 0..<rows {
            out[r] = pairwiseSum(UnsafeBufferPointer(rebasing: a[(r * columns)..<((r + 1) * columns)]))
          }
        }
      }
    }
    return reduced(result, along: along, keepingDimensions)
  }

  /// Means along `axis`, like `np.mean(a, axis=axis, keepdims=True)`: ``sum(axis:keepingDimensions:)``
  /// divided by the length of the axis (NaN where that length is 0).
  ///
  /// - Precondition: `axis` is 0, 1, -1 or -2.
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func mean(axis: Int, keepingDimensions: Bool = true) -> Matrix {
    let length = Scalar(Axis(axis, "mean") == .columns ? rows : columns)
    return sum(axis: axis, keepingDimensions: keepingDimensions).map { $0 / length }
  }

  /// Maxima along `axis`, like `np.max(a, axis=axis, keepdims=True)`; NaN where a NaN is met.
  ///
  /// - Precondition: `axis` is 0, 1, -1 or -2, and the axis reduced is not empty (numpy raises,
  ///   even when there is nothing to reduce: `np.zeros((0, 0)).max(axis=0)`).
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func max(axis: Int, keepingDimensions: Bool = true) -> Matrix {
    extremes(axis, keepingDimensions, "max", "maximum", greatest: true)
  }

  /// Minima along `axis`, like `np.min(a, axis=axis, keepdims=True)`; NaN where a NaN is met.
  ///
  /// - Precondition: as ``max(axis:keepingDimensions:)``.
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func min(axis: Int, keepingDimensions: Bool = true) -> Matrix {
    extremes(axis, keepingDimensions, "min", "minimum", greatest: false)
  }

  /// For each column (axis 0) or row (axis 1), the index of its first largest element (the first
  /// NaN's if any), like `np.argmax(a, axis=axis)`.
  ///
  /// - Precondition: `axis` is 0, 1, -1 or -2, and the axis reduced is not empty.
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func argmax(axis: Int) -> [Int] {
    extremeIndices(axis, "argmax", >)
  }

  /// For each column (axis 0) or row (axis 1), the index of its first smallest element (the
  /// first NaN's if any), like `np.argmin(a, axis=axis)`.
  ///
  /// - Precondition: as ``argmax(axis:)``.
  /// - Complexity: O(count).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func argmin(axis: Int) -> [Int] {
    extremeIndices(axis, "argmin", <)
  }

  private var isEmpty: Bool { count == 0 }

  /// Which way a reduction runs: `.columns` reduces each column (numpy's axis 0), `.rows` each
  /// row (axis 1).
  private enum Axis {
    case columns, rows
    init(_ axis: Int, _ operation: String) {
      switch axis {
      case 0, -2: self = .columns
      case 1, -1: self = .rows
      default: trap("\(operation): axis \(axis) is out of bounds for a matrix of dimension 2")
      }
    }
  }

  private func reduced(_ values: [Scalar], along: Axis, _ keepingDimensions: Bool) -> Matrix {
    along == .rows && keepingDimensions
      ? Matrix(column: values) : Matrix(rows: 1, columns: values.count, scalars: values)
  }

  private func extremes(
    _ axis: Int, _ keepingDimensions: Bool, _ operation: String, _ name: String, greatest: Bool
  ) -> Matrix {
    let along = Axis(axis, operation)
    let (outputs, length) = along == .columns ? (columns, rows) : (rows, columns)
    checkPrecondition(
      length > 0,
      "\(operation): zero-size matrix \(shape) along axis \(axis) to reduction operation \(name) which has no identity")
    if along == .columns {
      return reduced(columnExtremeValues(greatest: greatest), along: along, keepingDimensions)
    }
    let width = columns
    let values = storage.withUnsafeBufferPointer { a in
      (0..<outputs).map { i in contiguousExtreme(a.baseAddress! + i * width, width, greatest: greatest) }
    }
    return reduced(values, along: along, keepingDimensions)
  }

  private func extremeIndices(_ axis: Int, _ operation: String, _ better: (Scalar, Scalar) -> Bool) -> [Int] {
    let along = Axis(axis, operation)
    let (outputs, length) = along == .columns ? (columns, rows) : (rows, columns)
    checkPrecondition(
      length > 0, "\(operation): attempt to get \(operation) of an empty sequence (matrix \(shape), axis \(axis))")
    if along == .columns { return columnExtremes(better).indices }
    return storage.withUnsafeBufferPointer { a in
      (0..<outputs).map { i in extremeIndex(a, i * columns, 1, columns, better) }
    }
  }

  /// Each column's largest (or smallest) element, NaN where the column has one: the vector kernel
  /// of ``ActivationPath/current`` reads the rows in order, a vector of columns at a time.
  private func columnExtremeValues(greatest: Bool) -> [Scalar] {
    let (height, width) = (rows, columns)
    var best = [Scalar](repeating: 0, count: width)
    guard height > 0, width > 0 else { return best }
    storage.withUnsafeBufferPointer { a in
      best.withUnsafeMutableBufferPointer { out in
        Scalar._columnExtremes(
          path: ActivationPath.current, a.baseAddress!, rows: height, columns: width, greatest: greatest,
          into: out.baseAddress!)
      }
    }
    return best
  }

  /// Each column's extreme and the row of its first occurrence (of its first NaN, if any), reading
  /// the rows in order: one stream through the storage, not one strided pass per column.
  private func columnExtremes(_ better: (Scalar, Scalar) -> Bool) -> (values: [Scalar], indices: [Int]) {
    let width = columns
    var values = [Scalar](repeating: 0, count: width)
    var indices = [Int](repeating: 0, count: width)
    guard rows > 0 else { return (values, indices) }
    storage.withUnsafeBufferPointer { a in
      values.withUnsafeMutableBufferPointer { best in
        indices.withUnsafeMutableBufferPointer { index in
          for c in 0..<width { best[c] = a[c] }
          for r in 1..<rows {
            let row = a.baseAddress! + r * width
            for c in 0..<width {
              let value = row[c]
              let current = best[c]
              if !current.isNaN && (value.isNaN || better(value, current)) {
                best[c] = value
                index[c] = r
              }
            }
          }
        }
      }
    }
    return (values, indices)
  }
}

/// numpy's pairwise summation of contiguous floats (`pairwise_sum` in its `loops_utils`): below
/// 8 elements a plain loop from 0; up to 128, eight partial sums combined as
/// `((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))` and the rest added in order; above, the
/// two halves (the first a multiple of 8) summed separately and added.
private func pairwiseSum<Scalar: BLASScalar>(_ a: UnsafeBufferPointer<Scalar>) -> Scalar {
  let n = a.count
  if n < 8 {
    var result: Scalar = 0
    for value in a { result += value }
    return result
  }
  if n <= 128 {
    var r = SIMD8<Scalar>(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    var i = 8
    while i < n - n % 8 {
      r += SIMD8<Scalar>(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5], a[i + 6], a[i + 7])
      i += 8
    }
    var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n {
      result += a[i]
      i += 1
    }
    return result
  }
  var half = n / 2
  half -= half % 8
  return pairwiseSum(UnsafeBufferPointer(rebasing: a[..<half])) + pairwiseSum(UnsafeBufferPointer(rebasing: a[half...]))
}

/// The largest (or smallest) of `count ≥ 1` contiguous elements, NaN if one is NaN (numpy's
/// maximum and minimum propagate NaN), by the vector kernel of ``ActivationPath/current``.
private func contiguousExtreme<Scalar: BLASScalar>(_ p: UnsafePointer<Scalar>, _ count: Int, greatest: Bool) -> Scalar {
  Scalar._extreme(path: ActivationPath.current, p, count: count, greatest: greatest)
}

/// The position (0..<count) of the first best element, or of the first NaN.
@inline(__always)
private func extremeIndex<Scalar: BLASScalar>(
  _ a: UnsafeBufferPointer<Scalar>, _ start: Int, _ stride: Int, _ count: Int, _ better: (Scalar, Scalar) -> Bool
) -> Int {
  var best = a[start]
  var index = 0
  if best.isNaN { return 0 }
  for k in 1..<Swift.max(count, 1) {
    let value = a[start + k * stride]
    if value.isNaN { return k }
    if better(value, best) {
      best = value
      index = k
    }
  }
  return index
}
