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
    case .sigmoid: return Activation.logistic(x)
    case .tanh: return Activation.hyperbolicTangent(x)
    case .relu: return x < 0 ? 0 : x
    }
  }

  /// Applies the activation to every element of `buffer` in place.
  ///
  /// - Complexity: O(buffer.count).
  public func apply(to buffer: UnsafeMutableBufferPointer<Double>) {
    switch self {
    case .identity: return
    case .sigmoid: for i in buffer.indices { buffer[i] = Activation.logistic(buffer[i]) }
    case .tanh: for i in buffer.indices { buffer[i] = Activation.hyperbolicTangent(buffer[i]) }
    case .relu: for i in buffer.indices where buffer[i] < 0 { buffer[i] = 0 }
    }
  }

  /// The logistic sigmoid `1 / (1 + e^-x)`, numerically stable for every finite input.
  ///
  /// For `x >= 0` it computes `1 / (1 + e^-x)`; for `x < 0`, `e^x / (1 + e^x)`. The exponential
  /// never overflows, so there is no NaN or infinity for finite `x`: `logistic(-1000) == 0` and
  /// `logistic(1000) == 1`. `logistic(±inf)` is 0 or 1; `logistic(NaN)` is NaN.
  public static func logistic(_ x: Double) -> Double {
    if x >= 0 {
      return 1 / (1 + exp(-x))
    }
    let e = exp(x)
    return e / (1 + e)
  }

  static func hyperbolicTangent(_ x: Double) -> Double { libmTanh(x) }
}

/// libm's `tanh`, named apart from ``Activation/tanh``.
private func libmTanh(_ x: Double) -> Double { tanh(x) }
