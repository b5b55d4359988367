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
  /// The logistic sigmoid `1 / (1 + e^-x)`, computed without overflow, inline, within 2 ulp
  /// (see ``logistic(_:)``).
  case sigmoid
  /// The hyperbolic tangent, computed inline within 2 ulp of the exact result (not bit for bit
  /// what libm's `tanh` returns).
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
    case .tanh: return inlineTanh(x)
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
      case .tanh: for c in 0..<columns { output[c] = inlineTanh(input[c] + offset) }
      }
    }
  }

  /// The logistic sigmoid `1 / (1 + e^-x)`, numerically stable for every finite input.
  ///
  /// With `E = e^|x|` it computes `E / (E + 1)` for `x >= 0` and `1 / (E + 1)` for `x < 0`:
  /// the exponential never overflows and nothing cancels, so there is no NaN or infinity for
  /// finite `x`, and the result is within 2 ulp of exact. `logistic(-1000) == 0` (as for every
  /// x below -709, where `1 / (1 + e^-x)` is 0 in floating point) and `logistic(1000) == 1`.
  /// `logistic(±inf)` is 1 or 0; `logistic(NaN)` is NaN.
  public static func logistic(_ x: Double) -> Double { stableLogistic(x) }
}

/// The logistic sigmoid, within 2 ulp, inline and branch-free: with `E = e^|x|`,
/// `E / (E + 1)` for x ≥ 0 and `1 / (E + 1)` for x < 0, so nothing overflows or cancels.
/// Below x = -709 (where `e^x` leaves the normal range) the result is 0, as `1 / (1 + e^-x)`
/// gives in floating point; above 709 it is 1. NaN gives NaN.
@inline(__always)
private func stableLogistic(_ x: Double) -> Double {
  let a = abs(x)
  let e = inlineExp(Swift.min(a, 709))
  let positive = e / (e + 1)
  let negative = a > 709 ? 0 : 1 / (e + 1)
  return x < 0 ? negative : positive
}

/// `e^y` for 0 ≤ y ≤ 709 (NaN gives NaN), within 1 ulp: Cody–Waite reduction
/// `y = n·ln 2 + r` with |r| ≤ ln 2 / 2, a degree-13 Taylor polynomial for `e^r`, and `2^n`
/// assembled from its exponent bits. Inline and branch-free, unlike a call into libm.
@inline(__always)
private func inlineExp(_ y: Double) -> Double {
  let shifter = 6_755_399_441_055_744.0  // 1.5 · 2^52: adding it rounds to an integer
  let shifted = y * 1.442_695_040_888_963_4 + shifter
  let n = shifted - shifter
  let r = (y - n * 6.931_471_803_691_238_164_90e-01) - n * 1.908_214_929_270_587_700_02e-10
  var p = 1.0 / 6_227_020_800  // 1/13!
  p = p * r + 1.0 / 479_001_600
  p = p * r + 1.0 / 39_916_800
  p = p * r + 1.0 / 3_628_800
  p = p * r + 1.0 / 362_880
  p = p * r + 1.0 / 40_320
  p = p * r + 1.0 / 5_040
  p = p * r + 1.0 / 720
  p = p * r + 1.0 / 120
  p = p * r + 1.0 / 24
  p = p * r + 1.0 / 6
  p = p * r + 0.5
  p = p * r + 1
  p = p * r + 1
  // 2^n from the integer left in the shifter's low bits (0 ≤ n ≤ 1023 here).
  let scale = Double(bitPattern: (shifted.bitPattern &- shifter.bitPattern &+ 1023) << 52)
  return p * scale
}

/// The hyperbolic tangent, within 2 ulp of the correctly rounded result, computed inline with no
/// library call and no branch, so that a loop over a buffer compiles to straight-line code
/// (glibc's `tanh` is a call into `expm1` and was two thirds of an RNN step at n = 64, B = 32).
///
/// - |x| < 0.625: Cephes' rational approximation `x + x·z·P(z)/Q(z)`, z = x².
/// - otherwise: `sign(x) · (1 - 2 / (e^{2|x|} + 1))`, with 2|x| clamped at 40, where the
///   result is already ±1.
///
/// ±inf give ±1, NaN gives NaN, -0 gives -0.
@inline(__always)
func inlineTanh(_ x: Double) -> Double {
  let a = abs(x)
  // Large |x|: 1 - 2 / (e^{2|x|} + 1).
  let large = 1 - 2 / (inlineExp(Swift.min(a + a, 40.0)) + 1)
  // Small |x|: Cephes tanh, |x| < 0.625.
  let z = a * a
  let numerator =
    (-9.643_991_794_250_522_386_28e-1 * z - 9.928_772_310_019_185_865_64e1) * z
    - 1.614_687_684_417_084_479_52e3
  let denominator =
    ((z + 1.128_116_784_916_329_314_02e2) * z + 2.235_488_390_601_004_485_83e3) * z
    + 4.844_063_053_251_254_860_48e3
  let small = a + a * z * numerator / denominator
  return Double(signOf: x, magnitudeOf: a < 0.625 ? small : large)
}

/// `max(0, x)`, keeping NaN.
@inline(__always)
private func rectified(_ x: Double) -> Double { x < 0 ? 0 : x }
