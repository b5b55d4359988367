/// The arithmetic shared by the scalar activations of `Activation.swift` and the portable path's
/// tanh, which runs four elements at a time with Swift's SIMD types: the scalar algorithm,
/// operation for operation (no FMA, so results are bit-identical to the scalar function), which a baseline x86-64 build compiles to SSE2 on two lanes per
/// instruction and an ARM build to NEON. The sigmoid stays scalar there: measured on an AMD
/// EPYC (Zen 5) in a default build, four SSE2 lanes were slower than the scalar loop (two lanes
/// slower still), its exponent being 64-bit integer work that SSE2 does poorly.
typealias Lanes = SIMD4<Double>
typealias LaneBits = SIMD4<UInt64>

extension Lanes {
  @inline(__always) var bits: LaneBits { unsafeBitCast(self, to: LaneBits.self) }
  @inline(__always) init(bits: LaneBits) { self = unsafeBitCast(bits, to: Lanes.self) }
  @inline(__always) var magnitude: Lanes { Lanes(bits: bits & 0x7FFF_FFFF_FFFF_FFFF) }

  /// Four doubles from `pointer` (any alignment).
  @inline(__always) init(loading pointer: UnsafePointer<Double>) {
    self = UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
  }

  /// Stores the four doubles at `pointer` (any alignment).
  @inline(__always) func store(to pointer: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Lanes.self)
  }
}

/// The arithmetic the activation algorithms need, on one `Double` or on four lanes, so that the
/// parts of an algorithm that are pure arithmetic are written once for both: the scalar and the
/// four-lane results are then the same operations, bit for bit.
protocol ActivationArithmetic {
  /// `value`, in every lane.
  static func splat(_ value: Double) -> Self
  static func + (a: Self, b: Self) -> Self
  static func - (a: Self, b: Self) -> Self
  static func * (a: Self, b: Self) -> Self
  static func / (a: Self, b: Self) -> Self
}

extension Double: ActivationArithmetic {
  @inline(__always) static func splat(_ value: Double) -> Double { value }
}

extension SIMD4: ActivationArithmetic where Scalar == Double {
  @inline(__always) static func splat(_ value: Double) -> Self { Self(repeating: value) }
}

/// The Cody–Waite reduction `y = n·ln 2 + r`, |r| ≤ ln 2 / 2: `shifted` is `y / ln 2` plus
/// 1.5 · 2^52, which rounds it to an integer n left in the low bits; `shifter` is that constant.
@inline(__always)
func expReduction<T: ActivationArithmetic>(_ y: T) -> (shifted: T, shifter: T, r: T) {
  let shifter = T.splat(6_755_399_441_055_744.0)
  let shifted = y * .splat(1.442_695_040_888_963_4) + shifter
  let n = shifted - shifter
  let r = (y - n * .splat(6.931_471_803_691_238_164_90e-01)) - n * .splat(1.908_214_929_270_587_700_02e-10)
  return (shifted, shifter, r)
}

/// `e^r` for |r| ≤ ln 2 / 2: the degree-13 Taylor polynomial, within 1 ulp. The terms from r⁴ on
/// by Estrin's scheme (pairs, then r², r⁴, r⁸: a short dependency chain; they are below 2^-8 of
/// the sum, so their rounding barely shows), the first four by Horner, which keeps the sum
/// accurate: 4 + 5 steps deep instead of 13.
@inline(__always)
func expPolynomial<T: ActivationArithmetic>(_ r: T) -> T {
  let r2 = r * r
  let r4 = r2 * r2
  let r8 = r4 * r4
  let e0 = r * .splat(1.0 / 120) + .splat(1.0 / 24)
  let e1 = r * .splat(1.0 / 5_040) + .splat(1.0 / 720)
  let e2 = r * .splat(1.0 / 362_880) + .splat(1.0 / 40_320)
  let e3 = r * .splat(1.0 / 39_916_800) + .splat(1.0 / 3_628_800)
  let e4 = r * .splat(1.0 / 6_227_020_800) + .splat(1.0 / 479_001_600)
  let high = ((e3 * r2 + e2) * r4 + (e1 * r2 + e0)) + e4 * r8
  return (((high * r + .splat(1.0 / 6)) * r + .splat(0.5)) * r + .splat(1)) * r + .splat(1)
}

/// Cephes' rational approximation of tanh for |x| < 0.625, with z = x²:
/// `tanh(x) = x + x·z·P(z) / Q(z)`.
@inline(__always)
func tanhRational<T: ActivationArithmetic>(_ z: T) -> (p: T, q: T) {
  let p =
    (T.splat(-9.643_991_794_250_522_386_28e-1) * z - .splat(9.928_772_310_019_185_865_64e1)) * z
    - .splat(1.614_687_684_417_084_479_52e3)
  let q =
    ((z + .splat(1.128_116_784_916_329_314_02e2)) * z + .splat(2.235_488_390_601_004_485_83e3)) * z
    + .splat(4.844_063_053_251_254_860_48e3)
  return (p, q)
}

/// `inlineExp` on four lanes (0 ≤ y ≤ 709, NaN gives NaN).
@inline(__always)
private func lanesExp(_ y: Lanes) -> Lanes {
  let (shifted, shifter, r) = expReduction(y)
  let scale = Lanes(bits: (shifted.bits &- shifter.bits &+ 1023) &<< 52)
  return expPolynomial(r) * scale
}

/// `inlineTanh` on four lanes, with one division per lane: each lane divides its own branch's
/// numerator by its denominator (`a·z·P(z) / Q(z)` below 0.625, `2 / (e^{2a} + 1)` above), which
/// gives the scalar function's results bit for bit.
@inline(__always)
func lanesTanh(_ x: Lanes) -> Lanes {
  let a = x.magnitude
  let twice = a + a
  let z = a * a
  let (polynomial, rational) = tanhRational(z)
  let isSmall = a .< 0.625
  let numerator = Lanes(repeating: 2).replacing(with: a * z * polynomial, where: isSmall)
  let denominator = (lanesExp(twice.replacing(with: 40, where: twice .> 40)) + 1).replacing(
    with: rational, where: isSmall)
  let quotient = numerator / denominator
  let magnitude = (1 - quotient).replacing(with: a + quotient, where: isSmall)
  return Lanes(bits: magnitude.bits | (x.bits & 0x8000_0000_0000_0000))
}
