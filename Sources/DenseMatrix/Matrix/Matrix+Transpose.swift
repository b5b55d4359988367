extension Matrix {
  /// The transpose, like numpy's `a.T` (but a copy, not a view).
  ///
  /// To multiply by a transpose without forming it, pass `transposeA`/`transposeB` to
  /// ``gemm(_:_:into:transposeA:transposeB:alpha:beta:backend:)-(Matrix<Scalar>,_,_,_,_,_,_,_)``.
  ///
  /// Specialised for `Float` and `Double`, in tiles of 16 × 16 so that both sides stay in
  /// cache, into uninitialised storage (nothing is written twice).
  ///
  /// - Complexity: O(rows × columns); O(1) when either dimension is 0.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func transposed() -> Matrix {
    let (m, n) = (rows, columns)
    guard m > 0 && n > 0 else { return Matrix(rows: n, columns: m, scalars: []) }
    let tile = 16
    let scalars = storage.withUnsafeBufferPointer { source_ in
      [Scalar](unsafeUninitializedCapacity: m * n) { target_, initialized in
        let (source, target) = (source_.baseAddress!, target_.baseAddress!)
        for r0 in stride(from: 0, to: m, by: tile) {
          let r1 = Swift.min(r0 + tile, m)
          for c0 in stride(from: 0, to: n, by: tile) {
            let c1 = Swift.min(c0 + tile, n)
            for c in c0..<c1 {
              let column = target + c * m
              for r in r0..<r1 { (column + r).initialize(to: source[r * n + c]) }
            }
          }
        }
        initialized = m * n
      }
    }
    return Matrix(rows: n, columns: m, scalars: scalars)
  }
}
