extension Matrix {
  /// The transpose, like numpy's `a.T` (but a copy, not a view).
  ///
  /// To multiply by a transpose without forming it, pass `transposeA`/`transposeB` to
  /// ``gemm(_:_:into:transposeA:transposeB:alpha:beta:backend:)-(Matrix<Scalar>,_,_,_,_,_,_,_)``.
  ///
  /// - Complexity: O(rows × columns); O(1) when either dimension is 0.
  public func transposed() -> Matrix {
    var result = Matrix.zeros(rows: columns, columns: rows)
    guard rows > 0 && columns > 0 else { return result }
    let (m, n) = (rows, columns)
    storage.withUnsafeBufferPointer { source in
      result.storage.withUnsafeMutableBufferPointer { target in
        for r in 0..<m {
          for c in 0..<n { target[c * m + r] = source[r * n + c] }
        }
      }
    }
    return result
  }
}
