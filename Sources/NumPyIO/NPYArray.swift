#if !NUMPYIO_STANDALONE  // Tests/Fuzz/fuzz.sh compiles this file without the package
import DenseMatrix
#endif

/// An n-dimensional float32 or float64 array as stored in a `.npy` file, in C (row-major) order.
///
/// This is the bridge between numpy's files and `Matrix`: read any supported file
/// into an `NPYArray`, then take a matrix from it (`Matrix(npy:)`), or keep the rank (the
/// `rnn-forward` tool reads its T × B × n_x inputs this way). The elements keep the file's
/// floating-point type: `<f4`/`>f4` as `Float`, `<f8`/`>f8` as `Double` (integer arrays, `i4` and
/// `i8`, are read as `Double`).
public struct NPYArray: Hashable, Sendable {
  /// The elements of an array in their type.
  public enum Elements: Hashable, Sendable {
    /// numpy's `float64`.
    case float64([Double])
    /// numpy's `float32`.
    case float32([Float])

    /// The number of elements.
    public var count: Int {
      switch self {
      case .float64(let values): return values.count
      case .float32(let values): return values.count
      }
    }
  }

  /// The dimensions, outermost first (numpy's `shape`); `[]` for a 0-D array.
  public let shape: [Int]
  /// The `shape.reduce(1, *)` elements in C order (last index fastest), in their type.
  public let elements: Elements

  /// The elements converted to `Double` (exactly: every `Float` is a `Double`).
  ///
  /// - Complexity: O(1) for float64, O(count) for float32.
  public var scalars: [Double] {
    switch elements {
    case .float64(let values): return values
    case .float32(let values): return values.map(Double.init)
    }
  }

  /// numpy's name of the element type: `float64` or `float32`.
  public var dtypeName: String {
    switch elements {
    case .float64: return "float64"
    case .float32: return "float32"
    }
  }

  /// The bytes of one element: 8 or 4.
  public var itemSize: Int {
    switch elements {
    case .float64: return 8
    case .float32: return 4
    }
  }

  /// Creates a float64 array.
  ///
  /// - Precondition: every dimension is non-negative and `scalars.count` is their product.
  public init(shape: [Int], scalars: [Double]) {
    self.init(shape: shape, elements: .float64(scalars))
  }

  /// Creates an array of `elements`: `NPYArray(shape: [2], elements: .float32([1, 2]))` for
  /// float32.
  ///
  /// - Precondition: every dimension is non-negative and `elements.count` is their product.
  public init(shape: [Int], elements: Elements) {
    checkPrecondition(
      shape.allSatisfy { $0 >= 0 }, "NPYArray: dimensions must be non-negative, got \(pythonTuple(shape))")
    checkPrecondition(
      shape.reduce(1, *) == elements.count,
      "NPYArray: \(elements.count) scalars do not fill shape \(pythonTuple(shape))")
    self.shape = shape
    self.elements = elements
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
