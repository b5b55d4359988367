import _ActivationKernels

// The arithmetic of the scalar activations in `Activation.swift`, one `Double` at a time: the
// reference the vector kernels (`_ActivationKernels`, the same algorithms) are checked against,
// and what `Activation.callAsFunction` computes. Written as the C kernels without FMA, operation for
// operation, so that a baseline x86-64 build's portable path (SSE2, no FMA) gives these results
// bit for bit.

/// The Cody–Waite reduction `y = n·ln 2 + r`, |r| ≤ ln 2 / 2: `shifted` is `y / ln 2` plus
/// 1.5 · 2^52, which rounds it to an integer n left in the low bits; `shifter` is that constant.
@inline(__always)
func expReduction(_ y: Double) -> (shifted: Double, shifter: Double, r: Double) {
  let shifter = 6_755_399_441_055_744.0
  let shifted = y * 1.442_695_040_888_963_4 + shifter
  let n = shifted - shifter
  let r = (y - n * 6.931_471_803_691_238_164_90e-01) - n * 1.908_214_929_270_587_700_02e-10
  return (shifted, shifter, r)
}

/// `e^r` for |r| ≤ ln 2 / 2 as `1 + r + r²·g(r)`, g of degree 9 fitted near-minimax (the
/// coefficients `SWIFT_BLAS_RNN_EXP_G*` of the C kernels; 0.15 ulp before rounding), g by
/// Estrin's scheme: pairs, then r², r⁴, r⁸.
@inline(__always)
func expPolynomial(_ r: Double) -> Double {
  let r2 = r * r
  let r4 = r2 * r2
  let r8 = r4 * r4
  let e0 = r * SWIFT_BLAS_RNN_EXP_G1 + SWIFT_BLAS_RNN_EXP_G0
  let e1 = r * SWIFT_BLAS_RNN_EXP_G3 + SWIFT_BLAS_RNN_EXP_G2
  let e2 = r * SWIFT_BLAS_RNN_EXP_G5 + SWIFT_BLAS_RNN_EXP_G4
  let e3 = r * SWIFT_BLAS_RNN_EXP_G7 + SWIFT_BLAS_RNN_EXP_G6
  let e4 = r * SWIFT_BLAS_RNN_EXP_G9 + SWIFT_BLAS_RNN_EXP_G8
  let g = e4 * r8 + ((e3 * r2 + e2) * r4 + (e1 * r2 + e0))
  return (r2 * g + r) + 1
}

/// `e^r - 1` for 0 ≤ r ≤ ln 2 as `r + r²·h(r)`, h of degree 10 fitted near-minimax (the
/// coefficients `SWIFT_BLAS_RNN_EXPM1_H*` of the C kernels; 0.01 ulp before rounding), h by
/// Estrin's scheme.
@inline(__always)
func expm1Polynomial(_ r: Double) -> Double {
  let r2 = r * r
  let r4 = r2 * r2
  let r8 = r4 * r4
  let e0 = r * SWIFT_BLAS_RNN_EXPM1_H1 + SWIFT_BLAS_RNN_EXPM1_H0
  let e1 = r * SWIFT_BLAS_RNN_EXPM1_H3 + SWIFT_BLAS_RNN_EXPM1_H2
  let e2 = r * SWIFT_BLAS_RNN_EXPM1_H5 + SWIFT_BLAS_RNN_EXPM1_H4
  let e3 = r * SWIFT_BLAS_RNN_EXPM1_H7 + SWIFT_BLAS_RNN_EXPM1_H6
  let e4 = (r * SWIFT_BLAS_RNN_EXPM1_H10 + SWIFT_BLAS_RNN_EXPM1_H9) * r + SWIFT_BLAS_RNN_EXPM1_H8
  let h = e4 * r8 + ((e3 * r2 + e2) * r4 + (e1 * r2 + e0))
  return r2 * h + r
}
