public import DenseMatrix

extension NPZArchive {
  /// An archive of the given matrices (each stored as a 2-D array of its element type).
  public init<Scalar: BLASScalar>(matrices: [String: Matrix<Scalar>]) {
    self.init(arrays: matrices.mapValues { $0.npyArray })
  }

  /// The matrix called `name` (0-, 1- or 2-D; see `Matrix(npy:converting:)`), of the element type
  /// the context asks for, e.g. `let w: Matrix<Float> = try archive.matrix(named: "w")`.
  ///
  /// - Throws: ``NPYError/missingArray(name:available:)``, ``NPYError/unsupportedRank(shape:)`` or
  ///   ``NPYError/dtypeMismatch(found:expected:)`` (without `converting`).
  public func matrix<Scalar: BLASScalar>(
    named name: String, as type: Scalar.Type = Scalar.self, converting: Bool = false
  ) throws(NPYError) -> Matrix<Scalar> {
    try Matrix<Scalar>.decoding(array(named: name), converting: converting)
  }

  /// The matrix called `name` as `Matrix<Double>`, when nothing says the type.
  ///
  /// - Throws: as ``matrix(named:as:converting:)``.
  public func matrix(named name: String, converting: Bool = false) throws(NPYError) -> Matrix<Double> {
    try Matrix<Double>.decoding(array(named: name), converting: converting)
  }
}
