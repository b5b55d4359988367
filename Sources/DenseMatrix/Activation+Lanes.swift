/// The portable path's tanh, four elements at a time with Swift's SIMD types: the scalar
/// algorithm of `Activation.swift`, operation for operation (no FMA, so results are bit-identical
/// to the scalar function), which a baseline x86-64 build compiles to SSE2 on two lanes per
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

/// `expPolynomial` on four lanes.
@inline(__always)
private func lanesExpPolynomial(_ r: Lanes) -> Lanes {
  // The terms from r⁴ on by Estrin's scheme (pairs, then r², r⁴, r⁸: a short dependency chain;
  // they are below 2^-8 of the sum, so their rounding barely shows), the first four by Horner,
  // which keeps the sum accurate: within 1 ulp, and 4 + 5 steps deep instead of 13.
  let r2 = r * r
  let r4 = r2 * r2
  let r8 = r4 * r4
  let e0 = r * (1.0 / 120) + 1.0 / 24
  let e1 = r * (1.0 / 5_040) + 1.0 / 720
  let e2 = r * (1.0 / 362_880) + 1.0 / 40_320
  let e3 = r * (1.0 / 39_916_800) + 1.0 / 3_628_800
  let e4 = r * (1.0 / 6_227_020_800) + 1.0 / 479_001_600
  let high = ((e3 * r2 + e2) * r4 + (e1 * r2 + e0)) + e4 * r8
  return (((high * r + 1.0 / 6) * r + 0.5) * r + 1) * r + 1
}

/// `inlineExp` on four lanes (0 ≤ y ≤ 709, NaN gives NaN).
@inline(__always)
private func lanesExp(_ y: Lanes) -> Lanes {
  let shifter = Lanes(repeating: 6_755_399_441_055_744.0)  // a local: a global would be lazily initialised
  let shifted = y * 1.442_695_040_888_963_4 + shifter
  let n = shifted - shifter
  let r = (y - n * 6.931_471_803_691_238_164_90e-01) - n * 1.908_214_929_270_587_700_02e-10
  let scale = Lanes(bits: (shifted.bits &- shifter.bits &+ 1023) &<< 52)
  return lanesExpPolynomial(r) * scale
}

/// `inlineTanh` on four lanes, with one division per lane: each lane divides its own branch's
/// numerator by its denominator (`a·z·P(z) / Q(z)` below 0.625, `2 / (e^{2a} + 1)` above), which
/// gives the scalar function's results bit for bit.
@inline(__always)
func lanesTanh(_ x: Lanes) -> Lanes {
  let a = x.magnitude
  let twice = a + a
  let z = a * a
  let polynomial =
    (-9.643_991_794_250_522_386_28e-1 * z - 9.928_772_310_019_185_865_64e1) * z - 1.614_687_684_417_084_479_52e3
  let rational =
    ((z + 1.128_116_784_916_329_314_02e2) * z + 2.235_488_390_601_004_485_83e3) * z + 4.844_063_053_251_254_860_48e3
  let isSmall = a .< 0.625
  let numerator = Lanes(repeating: 2).replacing(with: a * z * polynomial, where: isSmall)
  let denominator = (lanesExp(twice.replacing(with: 40, where: twice .> 40)) + 1).replacing(
    with: rational, where: isSmall)
  let quotient = numerator / denominator
  let magnitude = (1 - quotient).replacing(with: a + quotient, where: isSmall)
  return Lanes(bits: magnitude.bits | (x.bits & 0x8000_0000_0000_0000))
}
