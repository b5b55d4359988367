#if !NUMPYIO_STANDALONE  // Tests/Fuzz/fuzz.sh compiles this file without the package
import DenseMatrix
#endif

/// An n-dimensional float64 array as stored in a `.npy` file, in C (row-major) order.
///
/// This is the bridge between numpy's files and `Matrix`: read any supported file
/// into an `NPYArray`, then take a matrix from it (`Matrix(npy:)`), or keep the rank (the
/// `rnn-forward` tool reads its T × B × n_x inputs this way).
public struct NPYArray: Hashable, Sendable {
  /// The dimensions, outermost first (numpy's `shape`); `[]` for a 0-D array.
  public let shape: [Int]
  /// The `shape.reduce(1, *)` elements in C order (last index fastest), converted to `Double`.
  public let scalars: [Double]

  /// Creates an array.
  ///
  /// - Precondition: every dimension is non-negative and `scalars.count` is their product.
  public init(shape: [Int], scalars: [Double]) {
    checkPrecondition(
      shape.allSatisfy { $0 >= 0 }, "NPYArray: dimensions must be non-negative, got \(pythonTuple(shape))")
    checkPrecondition(
      shape.reduce(1, *) == scalars.count,
      "NPYArray: \(scalars.count) scalars do not fill shape \(pythonTuple(shape))")
    self.shape = shape
    self.scalars = scalars
  }
}

/// The element types this package reads, each little- or big-endian.
enum NPYDType: Equatable {
  case float64, float32, int64, int32

  var itemSize: Int {
    switch self {
    case .float64, .int64: return 8
    case .float32, .int32: return 4
    }
  }

  /// Parses a numpy type string such as `<f8`; `nil` if unsupported. `=` and `|` mean native
  /// (little-endian on every platform this package runs on).
  static func parse(_ descr: String) -> (NPYDType, bigEndian: Bool)? {
    guard descr.count == 3, let order = descr.first, "<>=|".contains(order) else { return nil }
    let type: NPYDType
    switch descr.dropFirst() {
    case "f8": type = .float64
    case "f4": type = .float32
    case "i8": type = .int64
    case "i4": type = .int32
    default: return nil
    }
    return (type, order == ">")
  }
}
