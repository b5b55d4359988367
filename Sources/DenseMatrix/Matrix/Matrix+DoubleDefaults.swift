// Initializers and factories with nothing to infer the element type from default to `Double`,
// numpy's default dtype: `Matrix.zeros(rows: 2, columns: 3)` and `Matrix([[.nan, 1]])` are
// `Matrix<Double>`, while `let z: Matrix<Float> = .zeros(rows: 2, columns: 3)` (or
// `Matrix<Float>.zeros(...)`) picks the generic form. Each forwards to the generic one.

extension Matrix where Scalar == Double {
  /// ``init(_:)`` for `Double`, the type when nothing else says one.
  public init(_ rows: [[Double]]) {
    self.init(validating: rows)
  }

  /// ``init(rows:columns:scalars:)`` for `Double`, the type when nothing else says one.
  public init(rows: Int, columns: Int, scalars: [Double]) {
    self.init(validating: rows, columns: columns, scalars: scalars)
  }

  /// ``init(column:)`` for `Double`, the type when nothing else says one.
  public init(column: [Double]) {
    self.init(validating: column.count, columns: 1, scalars: column)
  }

  /// ``init(rows:columns:element:)`` for `Double`, the type when nothing else says one.
  public init(rows: Int, columns: Int, element: (_ row: Int, _ column: Int) throws -> Double) rethrows {
    try self.init(generating: rows, columns: columns, element: element)
  }

  /// ``full(rows:columns:value:)`` for `Double`, the type when nothing else says one.
  public static func full(rows: Int, columns: Int, value: Double) -> Matrix<Double> {
    filled(rows: rows, columns: columns, value: value)
  }

  /// ``zeros(rows:columns:)`` for `Double`, the type when nothing else says one.
  public static func zeros(rows: Int, columns: Int) -> Matrix<Double> {
    filled(rows: rows, columns: columns, value: 0)
  }

  /// ``ones(rows:columns:)`` for `Double`, the type when nothing else says one.
  public static func ones(rows: Int, columns: Int) -> Matrix<Double> {
    filled(rows: rows, columns: columns, value: 1)
  }

  /// ``identity(_:)`` for `Double`, the type when nothing else says one.
  public static func identity(_ n: Int) -> Matrix<Double> {
    makeIdentity(n)
  }

  /// ``randomNormal(rows:columns:mean:standardDeviation:using:)`` for `Double`, the type when
  /// nothing else says one.
  public static func randomNormal<G: RandomNumberGenerator>(
    rows: Int, columns: Int, mean: Double = 0, standardDeviation: Double = 1, using generator: inout G
  ) -> Matrix<Double> {
    makeRandomNormal(rows: rows, columns: columns, mean: mean, standardDeviation: standardDeviation, using: &generator)
  }

  /// ``randomUniform(rows:columns:in:using:)`` for `Double`, the type when nothing else says one.
  public static func randomUniform<G: RandomNumberGenerator>(
    rows: Int, columns: Int, in range: Range<Double> = 0..<1, using generator: inout G
  ) -> Matrix<Double> {
    makeRandomUniform(rows: rows, columns: columns, in: range, using: &generator)
  }

  /// ``randomOrthogonal(_:gain:using:)`` for `Double`, the type when nothing else says one.
  public static func randomOrthogonal<G: RandomNumberGenerator>(
    _ n: Int, gain: Double = 1, using generator: inout G
  ) throws(LAPACKError) -> Matrix<Double> {
    try makeRandomOrthogonal(n, gain: gain, using: &generator)
  }
}
