public import DenseMatrix
public import Foundation

extension Matrix {
  /// The matrix an array of rank 0, 1 or 2 denotes: 2-D as is, 1-D as a column vector (n × 1),
  /// 0-D as 1 × 1.
  ///
  /// The array's element type must be `Scalar`'s (float32 for `Matrix<Float>`, float64 for
  /// `Matrix<Double>`; integer arrays are read as float64) unless `converting` is true: then the
  /// elements are converted, rounded to nearest when narrowing, like numpy's `astype`.
  ///
  /// - Throws: ``NPYError/unsupportedRank(shape:)`` for 3-D and higher arrays,
  ///   ``NPYError/dtypeMismatch(found:expected:)`` for another element type without `converting`.
  /// - Complexity: O(1) when the types match (the scalars are adopted), O(count) when converting.
  public init(npy array: NPYArray, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(array, converting: converting)
  }

  static func decoding(_ array: NPYArray, converting: Bool) throws(NPYError) -> Matrix {
    let scalars: [Scalar]
    switch array.elements {
    case .float64(let values) where Scalar.self == Double.self:
      scalars = unsafeBitCast(values, to: [Scalar].self)  // the same type: no copy
    case .float32(let values) where Scalar.self == Float.self:
      scalars = unsafeBitCast(values, to: [Scalar].self)
    case .float64(let values) where converting:
      scalars = values.map { Scalar($0) }
    case .float32(let values) where converting:
      scalars = values.map { Scalar($0) }
    default:
      throw .dtypeMismatch(found: array.dtypeName, expected: Scalar.dtypeName)
    }
    switch array.shape.count {
    case 0: return Matrix(rows: 1, columns: 1, scalars: scalars)
    case 1: return Matrix(column: scalars)
    case 2: return Matrix(rows: array.shape[0], columns: array.shape[1], scalars: scalars)
    default: throw .unsupportedRank(shape: array.shape)
    }
  }

  /// Reads a `.npy` file, like `np.load(path)`; see ``NPYArray/init(npyBytes:maximumCount:)`` for
  /// the dtypes, versions and orders read.
  ///
  /// The element type must be `Scalar`'s unless `converting` (see `init(npy:converting:)`).
  ///
  /// - Throws: ``NPYError``: `.io` if the file cannot be read, otherwise what is wrong with it.
  /// - Complexity: O(file size).
  public init(contentsOfNPY url: URL, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(NPYArray(contentsOf: url), converting: converting)
  }

  /// This matrix as a 2-D array of its element type (float32 or float64).
  public var npyArray: NPYArray {
    if Scalar.self == Float.self {
      return NPYArray(shape: [rows, columns], elements: .float32(unsafeBitCast(scalars, to: [Float].self)))
    }
    return NPYArray(shape: [rows, columns], scalars: scalars.map { Double($0) })
  }

  /// Writes the matrix to a `.npy` file as 2-D little-endian float64 (`Matrix<Double>`) or float32
  /// (`Matrix<Float>`) in C order, like
  /// `np.save(path, a)`, atomically (see ``NPYArray/write(to:)`` for what may be at `url`).
  ///
  /// - Throws: ``NPYError/io(path:reason:)``.
  /// - Complexity: O(rows × columns).
  public func writeNPY(to url: URL) throws(NPYError) {
    try npyArray.write(to: url)
  }
}

extension Matrix where Scalar == Double {
  /// `init(npy:converting:)` as `Matrix<Double>` when nothing says the type (numpy's default
  /// dtype); `try Matrix<Float>(npy: array)` for float32.
  public init(npy array: NPYArray, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(array, converting: converting)
  }

  /// `init(contentsOfNPY:converting:)` as `Matrix<Double>` when nothing says the type.
  public init(contentsOfNPY url: URL, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(NPYArray(contentsOf: url), converting: converting)
  }
}
