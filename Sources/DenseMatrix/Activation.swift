#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An elementwise activation function `g` of an RNN step `h = g(W·[h; x] + b)`.
public enum Activation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// `g(x) = x`.
  case identity
  /// The logistic sigmoid `1 / (1 + e^-x)`, computed without overflow (see ``logistic(_:)``).
  case sigmoid
  /// The hyperbolic tangent.
  case tanh
  /// `max(0, x)` (NaN stays NaN).
  case relu

  /// The name, as command-line tools spell it.
  public var description: String { rawValue }

  /// Applies the activation to one value.
  public func callAsFunction(_ x: Double) -> Double {
    switch self {
    case .identity: return x
    case .sigmoid: return stableLogistic(x)
    case .tanh: return libmTanh(x)
    case .relu: return rectified(x)
    }
  }

  /// Applies the activation to every element of `buffer` in place.
  ///
  /// - Complexity: O(buffer.count).
  public func apply(to buffer: UnsafeMutableBufferPointer<Double>) {
    guard let base = buffer.baseAddress else { return }
    apply(rows: 1, columns: buffer.count, source: base, sourceStride: 0, destination: base, destinationStride: 0)
  }

  /// `destination[r, c] = g(source[r, c] + bias[r])` over a `rows × columns` block with the
  /// given row strides (bias omitted when `nil`): the bias-and-activation pass of an RNN step,
  /// one loop per activation so that the inner loop has no dispatch. `source` and `destination`
  /// may be the same buffer.
  package func apply(
    rows: Int, columns: Int, source: UnsafePointer<Double>, sourceStride: Int, bias: UnsafePointer<Double>? = nil,
    destination: UnsafeMutablePointer<Double>, destinationStride: Int
  ) {
    for r in 0..<rows {
      let offset = bias?[r] ?? 0
      let input = source + r * sourceStride
      let output = destination + r * destinationStride
      switch self {
      case .identity: for c in 0..<columns { output[c] = input[c] + offset }
      case .relu: for c in 0..<columns { output[c] = rectified(input[c] + offset) }
      case .sigmoid: for c in 0..<columns { output[c] = stableLogistic(input[c] + offset) }
      case .tanh: for c in 0..<columns { output[c] = libmTanh(input[c] + offset) }
      }
    }
  }

  /// The logistic sigmoid `1 / (1 + e^-x)`, numerically stable for every finite input.
  ///
  /// For `x >= 0` it computes `1 / (1 + e^-x)`; for `x < 0`, `e^x / (1 + e^x)`. The exponential
  /// never overflows, so there is no NaN or infinity for finite `x`: `logistic(-1000) == 0` and
  /// `logistic(1000) == 1`. `logistic(±inf)` is 0 or 1; `logistic(NaN)` is NaN.
  public static func logistic(_ x: Double) -> Double { stableLogistic(x) }
}

@inline(__always)
private func stableLogistic(_ x: Double) -> Double {
  if x >= 0 {
    return 1 / (1 + exp(-x))
  }
  let e = exp(x)
  return e / (1 + e)
}

/// libm's `tanh`, named apart from ``Activation/tanh``.
@inline(__always)
private func libmTanh(_ x: Double) -> Double { tanh(x) }

/// `max(0, x)`, keeping NaN.
@inline(__always)
private func rectified(_ x: Double) -> Double { x < 0 ? 0 : x }
