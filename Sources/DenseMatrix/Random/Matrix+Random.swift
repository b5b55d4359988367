import RealModule

extension Matrix {
  /// A matrix of normally distributed values, like `np.random.standard_normal((rows, columns))`
  /// scaled by `standardDeviation` and shifted by `mean`.
  ///
  /// Values come from the Box–Muller transform of pairs of uniform doubles drawn from `generator`
  /// in row-major order, computed in `Double` and rounded to `Scalar`, so a ``SeededGenerator``
  /// with the same seed gives the same matrix on every run, and a `Matrix<Float>` is the
  /// `Matrix<Double>` of the same seed rounded. (The values differ from numpy's for the same seed:
  /// numpy uses a different generator.)
  ///
  /// - Precondition: `standardDeviation >= 0` and both are finite.
  /// - Complexity: O(rows × columns).
  public static func randomNormal<G: RandomNumberGenerator>(
    rows: Int, columns: Int, mean: Scalar = 0, standardDeviation: Scalar = 1,
    using generator: inout G
  ) -> Matrix {
    makeRandomNormal(rows: rows, columns: columns, mean: mean, standardDeviation: standardDeviation, using: &generator)
  }

  static func makeRandomNormal<G: RandomNumberGenerator>(
    rows: Int, columns: Int, mean: Scalar, standardDeviation: Scalar, using generator: inout G
  ) -> Matrix {
    checkPrecondition(
      mean.isFinite && standardDeviation.isFinite && standardDeviation >= 0,
      "Matrix.randomNormal: mean must be finite and standardDeviation finite and >= 0")
    checkPrecondition(
      rows >= 0 && columns >= 0, "Matrix.randomNormal: dimensions must be non-negative, got (\(rows)×\(columns))")
    let count = rows * columns
    var scalars = [Scalar]()
    scalars.reserveCapacity(count + 1)
    while scalars.count < count {
      // u1 in (0, 1] so that log(u1) is finite; u2 in [0, 1).
      let u1 = 1 - Double.random(in: 0..<1, using: &generator)
      let u2 = Double.random(in: 0..<1, using: &generator)
      let radius = (-2 * Double.log(u1)).squareRoot()
      let angle = 2 * Double.pi * u2
      let (center, scale) = (Double(mean), Double(standardDeviation))
      scalars.append(Scalar(center + scale * radius * Double.cos(angle)))
      scalars.append(Scalar(center + scale * radius * Double.sin(angle)))
    }
    scalars.removeLast(scalars.count - count)
    return Matrix(rows: rows, columns: columns, scalars: scalars)
  }

  /// A matrix of values uniformly distributed in `range`, drawn from `generator` in row-major order.
  ///
  /// - Complexity: O(rows × columns).
  public static func randomUniform<G: RandomNumberGenerator>(
    rows: Int, columns: Int, in range: Range<Scalar> = 0..<1, using generator: inout G
  ) -> Matrix {
    makeRandomUniform(rows: rows, columns: columns, in: range, using: &generator)
  }

  static func makeRandomUniform<G: RandomNumberGenerator>(
    rows: Int, columns: Int, in range: Range<Scalar>, using generator: inout G
  ) -> Matrix {
    Matrix(rows: rows, columns: columns) { _, _ in Scalar.random(in: range, using: &generator) }
  }
}
