/// An elementwise activation function `g` of an RNN step `h = g(W·[h; x] + b)`.
public enum Activation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// `g(x) = x`.
  case identity
  /// The logistic sigmoid `1 / (1 + e^-x)`, computed without overflow, inline, within 2 ulp
  /// (see ``logistic(_:)``).
  case sigmoid
  /// The hyperbolic tangent, computed inline within 2 ulp of the exact result (not bit for bit
  /// what libm's `tanh` returns), as `m / (m + 2)` with `m = e^{2|x|} - 1`.
  case tanh
  /// `max(0, x)` (NaN stays NaN).
  case relu

  /// The name, as command-line tools spell it.
  public var description: String { rawValue }

  /// Applies the activation to one value: for `Double` the kernels' algorithm one value at a
  /// time (their cross-check), for `Float` that computed in `Double` and rounded.
  public func callAsFunction<Scalar: BLASScalar>(_ x: Scalar) -> Scalar {
    Scalar._activate(self, x)
  }

  /// Applies the activation to one `Double` (the type when nothing else says one, as in
  /// `Activation.tanh(.infinity)`).
  public func callAsFunction(_ x: Double) -> Double {
    Double._activate(self, x)
  }

  /// Applies the activation to every element of `buffer` in place, on ``ActivationPath/current``.
  ///
  /// - Complexity: O(buffer.count).
  public func apply<Scalar: BLASScalar>(to buffer: UnsafeMutableBufferPointer<Scalar>) {
    guard let base = buffer.baseAddress else { return }
    apply(rows: 1, columns: buffer.count, source: base, sourceStride: 0, destination: base, destinationStride: 0)
  }

  /// `destination[r, c] = g(source[r, c] + bias[r])` over a `rows × columns` block with the
  /// given row strides (bias omitted when `nil`): the bias-and-activation pass of an RNN step,
  /// one loop per activation so that the inner loop has no dispatch. `source` and `destination`
  /// may be the same buffer. Runs on ``ActivationPath/current``.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  package func apply<Scalar: BLASScalar>(
    rows: Int, columns: Int, source: UnsafePointer<Scalar>, sourceStride: Int, bias: UnsafePointer<Scalar>? = nil,
    destination: UnsafeMutablePointer<Scalar>, destinationStride: Int
  ) {
    Scalar._activate(
      self, path: ActivationPath.current, rows: rows, columns: columns, source: source, sourceStride: sourceStride,
      bias: bias, destination: destination, destinationStride: destinationStride)
  }

  /// The activation's number in the C kernels (`enum swift_blas_rnn_activation_kind`).
  var kernelCode: CInt {
    switch self {
    case .identity: return 0
    case .sigmoid: return 1
    case .tanh: return 2
    case .relu: return 3
    }
  }

  /// The logistic sigmoid `1 / (1 + e^-x)`, numerically stable for every input.
  ///
  /// With `E = e^-|x|` (never above 1) it computes `1 / (1 + E)` for `x >= 0` and `E / (1 + E)`
  /// for `x < 0`: nothing overflows or cancels, so there is no NaN or infinity for finite `x`,
  /// and the result is within 2 ulp of exact, including the subnormal results for
  /// -745 < x < -708 (like scipy's `expit`). `logistic(-1000) == 0`, `logistic(1000) == 1`,
  /// `logistic(±inf)` is 1 or 0, `logistic(-0.0)` is 0.5 and `logistic(NaN)` is NaN.
  public static func logistic(_ x: Double) -> Double { stableLogistic(x) }
}

/// The logistic sigmoid, within 2 ulp, inline and branch-free: with `E = e^-|x|` ≤ 1,
/// `1 / (1 + E)` for x ≥ 0 and `E / (1 + E)` for x < 0, so nothing overflows or cancels, and
/// for x < -708 the result is `E` itself, subnormal down to x ≈ -745 and 0 below. NaN gives NaN.
@inline(__always)
func stableLogistic(_ x: Double) -> Double {
  let e = inlineExpOfNegative(abs(x))
  let denominator = 1 + e
  return x < 0 ? e / denominator : 1 / denominator
}

/// `e^-y` for y ≥ 0 (NaN gives NaN), within 1 ulp where the result is normal and correctly
/// scaled into the subnormal range below that: `expReduction` and `expPolynomial` for `e^-r`,
/// then `2^-n` applied as two exact power-of-two factors so that only the last multiplication
/// rounds.
@inline(__always)
private func inlineExpOfNegative(_ y: Double) -> Double {
  let clamped = Swift.min(y, 746)  // e^-746 is below half the smallest subnormal: 0
  let (shifted, shifter, r) = expReduction(clamped)  // 0 ≤ n ≤ 1077
  let p = expPolynomial(-r)
  let bits = shifted.bitPattern &- shifter.bitPattern  // n as an integer
  let half = bits >> 1
  let first = Double(bitPattern: (1023 &- half) << 52)  // 2^-(n/2), normal
  let second = Double(bitPattern: (1023 &- (bits &- half)) << 52)  // 2^-(n - n/2), normal
  let result = p * first * second
  return y.isNaN ? y : result
}

/// The hyperbolic tangent, within 2 ulp of the correctly rounded result, computed inline with no
/// library call and no branch, so that a loop over a buffer compiles to straight-line code
/// (glibc's `tanh` is a call into `expm1` and was two thirds of an RNN step at n = 64, B = 32).
///
/// `tanh|x| = m / (m + 2)` with `m = e^{2|x|} - 1`, 2|x| clamped at 40 (where the result is
/// already 1): `m = 2^n·(e^r - 1) + (2^n - 1)` with `n = ⌊2|x| / ln 2⌋`, so 0 ≤ r < ln 2 and both
/// terms are positive, nothing cancels, and for small |x| (n = 0) m is the polynomial itself.
///
/// ±inf give ±1, NaN gives NaN, -0 gives -0.
@inline(__always)
func inlineTanh(_ x: Double) -> Double {
  let a = abs(x)
  let y = Swift.min(a + a, 40.0)
  // y / ln 2 - 1/2 rounded to an integer is ⌊y / ln 2⌋ (at a tie, one less).
  let shifter = 6_755_399_441_055_744.0
  let shifted = (y * 1.442_695_040_888_963_4 + -0.5) + shifter
  let n = shifted - shifter
  let r = (y - n * 6.931_471_803_691_238_164_90e-01) - n * 1.908_214_929_270_587_700_02e-10
  let scale = Double(bitPattern: (shifted.bitPattern &- shifter.bitPattern &+ 1023) << 52)
  let m = expm1Polynomial(r) * scale + (scale - 1)
  return Double(signOf: x, magnitudeOf: m / (m + 2))
}
