public import DenseMatrix

extension NPZArchive {
  /// An archive of the given matrices (each stored as a 2-D array).
  public init(matrices: [String: Matrix]) {
    self.init(arrays: matrices.mapValues(\.npyArray))
  }

  /// The matrix called `name` (0-, 1- or 2-D; see `Matrix(npy:)`).
  ///
  /// - Throws: ``NPYError/missingArray(name:available:)`` or ``NPYError/unsupportedRank(shape:)``.
  public func matrix(named name: String) throws(NPYError) -> Matrix {
    try Matrix(npy: array(named: name))
  }
}
