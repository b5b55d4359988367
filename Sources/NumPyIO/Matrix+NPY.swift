public import DenseMatrix
public import Foundation

extension Matrix {
  /// The matrix an array of rank 0, 1 or 2 denotes: 2-D as is, 1-D as a column vector (n × 1),
  /// 0-D as 1 × 1.
  ///
  /// - Throws: ``NPYError/unsupportedRank(shape:)`` for 3-D and higher arrays.
  /// - Complexity: O(1); the scalars are adopted.
  public init(npy array: NPYArray) throws(NPYError) {
    switch array.shape.count {
    case 0: self.init(rows: 1, columns: 1, scalars: array.scalars)
    case 1: self.init(column: array.scalars)
    case 2: self.init(rows: array.shape[0], columns: array.shape[1], scalars: array.scalars)
    default: throw .unsupportedRank(shape: array.shape)
    }
  }

  /// Reads a `.npy` file, like `np.load(path)`; see ``NPYArray/init(npyBytes:maximumCount:)`` for
  /// the dtypes, versions and orders read.
  ///
  /// - Throws: ``NPYError``: `.io` if the file cannot be read, otherwise what is wrong with it.
  /// - Complexity: O(file size).
  public init(contentsOfNPY url: URL) throws(NPYError) {
    try self.init(npy: NPYArray(npyBytes: readBytes(url)))
  }

  /// This matrix as a 2-D array.
  public var npyArray: NPYArray { NPYArray(shape: [rows, columns], scalars: scalars) }

  /// Writes the matrix to a `.npy` file as 2-D little-endian float64 in C order, like
  /// `np.save(path, a)`. The file is written atomically: on failure no partial file is left.
  ///
  /// - Throws: ``NPYError/io(path:reason:)``.
  /// - Complexity: O(rows × columns).
  public func writeNPY(to url: URL) throws(NPYError) {
    try npyArray.write(to: url)
  }
}

extension NPYArray {
  /// Reads a `.npy` file of any rank.
  ///
  /// - Throws: ``NPYError``.
  /// - Complexity: O(file size).
  public init(contentsOf url: URL) throws(NPYError) {
    try self.init(npyBytes: readBytes(url))
  }

  /// Writes the array to a `.npy` file (`<f8`, C order) atomically.
  ///
  /// - Throws: ``NPYError/io(path:reason:)``.
  /// - Complexity: O(count).
  public func write(to url: URL) throws(NPYError) {
    do {
      try Data(npyBytes()).write(to: url, options: .atomic)
    } catch {
      throw .io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
    }
  }
}

func readBytes(_ url: URL) throws(NPYError) -> [UInt8] {
  do {
    return [UInt8](try Data(contentsOf: url))
  } catch {
    throw .io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
  }
}
