// The vector kernels, written once with clang's vector extensions and included by
// ActivationKernels.c once per element type and instruction set, with these defined (T, TI, BITS,
// VW and SUFFIX are undefined again at the end):
//   T       the element type (double or float); TI the signed integer of its width
//   BITS    64 or 32, which selects the type's constants and polynomials below
//   VW      the number of elements per vector
//   SUFFIX  the name suffix (f64_avx2, f32_baseline, ...)
//   TARGET  the function attribute that enables the instruction set (empty: the build's own)
//   HAS_FMA 1 where the instruction set has a fused multiply-add (else a * b + c, two roundings)
// The algorithms are DenseMatrix's scalar ones (Activation+Scalar.swift), vectorized and
// branch-free, so that every path returns the same results to within 2 ulp of the exact ones.

#define CONCAT_(a, b) a##_##b
#define CONCAT(a, b) CONCAT_(a, b)
#define VD CONCAT(vd, SUFFIX)
#define VL CONCAT(vl, SUFFIX)
#define FN(name) CONCAT(name, SUFFIX)
#define INLINE static inline __attribute__((always_inline)) TARGET

typedef T VD __attribute__((ext_vector_type(VW)));
typedef TI VL __attribute__((ext_vector_type(VW)));  // what comparisons of VD give

#if BITS == 64
#define MANTISSA 52
#define EXPONENT_BIAS 1023
#define SIGN_BIT ((TI)0x8000000000000000UL)
#define TANH_CLAMP 40.0          // e^40: 1 - 2 / (e^40 + 1) rounds to 1
#define EXP_NEGATIVE_CLAMP 746.0 // e^-746 is below half the smallest subnormal
#else
#define MANTISSA 23
#define EXPONENT_BIAS 127
#define SIGN_BIT ((TI)0x80000000U)
#define TANH_CLAMP 20.0f
#define EXP_NEGATIVE_CLAMP 104.0f
#endif

INLINE VD FN(splat)(T x) { return (VD)x; }
INLINE VD FN(load)(const T *p) {
  VD v;
  memcpy(&v, p, sizeof v);
  return v;
}
INLINE void FN(store)(T *p, VD v) { memcpy(p, &v, sizeof v); }
/// mask ? a : b, where mask lanes are all ones or all zeros.
INLINE VD FN(select)(VL mask, VD a, VD b) { return (VD)(((VL)a & mask) | ((VL)b & ~mask)); }
#if HAS_FMA
INLINE VD FN(fma)(VD a, VD b, VD c) { return __builtin_elementwise_fma(a, b, c); }
#else
INLINE VD FN(fma)(VD a, VD b, VD c) { return a * b + c; }
#endif
INLINE VD FN(abs)(VD x) { return (VD)((VL)x & ~(VL)SIGN_BIT); }

/// e^r for |r| <= ln 2 / 2 as 1 + r + r^2 g(r), g fitted near-minimax (Chebyshev, 50 digits; see
/// fit_exp_polynomial.py): degree 9 for double (0.15 ulp before rounding), 4 for float (0.17 ulp),
/// the two leading terms exact. g by Estrin's scheme (pairs, then r^2, r^4, r^8: a short
/// dependency chain), its rounding damped by r^2 <= 0.121.
INLINE VD FN(exp_poly)(VD r) {
  VD r2 = r * r;
  VD r4 = r2 * r2;
#if BITS == 64
  VD r8 = r4 * r4;
  VD e0 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXP_G1), FN(splat)(SWIFT_BLAS_RNN_EXP_G0));
  VD e1 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXP_G3), FN(splat)(SWIFT_BLAS_RNN_EXP_G2));
  VD e2 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXP_G5), FN(splat)(SWIFT_BLAS_RNN_EXP_G4));
  VD e3 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXP_G7), FN(splat)(SWIFT_BLAS_RNN_EXP_G6));
  VD e4 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXP_G9), FN(splat)(SWIFT_BLAS_RNN_EXP_G8));
  VD g = FN(fma)(e4, r8, FN(fma)(FN(fma)(e3, r2, e2), r4, FN(fma)(e1, r2, e0)));
#else
  VD e0 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXP_F1), FN(splat)(SWIFT_BLAS_RNN_EXP_F0));
  VD e1 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXP_F3), FN(splat)(SWIFT_BLAS_RNN_EXP_F2));
  VD g = FN(fma)(FN(splat)(SWIFT_BLAS_RNN_EXP_F4), r4, FN(fma)(e1, r2, e0));
#endif
  return FN(fma)(r2, g, r) + FN(splat)(1);
}

#if BITS == 64
static const T FN(shifter) = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
static const T FN(log2e) = 1.4426950408889634;
static const T FN(ln2_hi) = 6.93147180369123816490e-01;  // trailing zeros: n * ln2_hi is exact
static const T FN(ln2_lo) = 1.90821492927058770002e-10;
#else
static const T FN(shifter) = 12582912.0f;  // 1.5 * 2^23
static const T FN(log2e) = 1.44269502f;
static const T FN(ln2_hi) = 0.693145751953125f;  // 0x3f317200
static const T FN(ln2_lo) = 1.42860677e-06f;
#endif

/// e^-y for y >= 0 (NaN gives NaN), subnormal results included: 2^-n applied as two normal
/// factors so that only the last multiplication rounds.
INLINE VD FN(exp_negative)(VD y) {
  VD clamped = FN(select)(y > FN(splat)(EXP_NEGATIVE_CLAMP), FN(splat)(EXP_NEGATIVE_CLAMP), y);
  VD shifted = FN(fma)(clamped, FN(splat)(FN(log2e)), FN(splat)(FN(shifter)));
  VD n = shifted - FN(splat)(FN(shifter));
  VD r = FN(fma)(n, FN(splat)(-FN(ln2_hi)), clamped);
  r = FN(fma)(n, FN(splat)(-FN(ln2_lo)), r);
  VL bits = (VL)shifted - (VL)FN(splat)(FN(shifter));
  VL half = bits >> 1;
  VD first = (VD)((EXPONENT_BIAS - half) << MANTISSA);
  VD second = (VD)((EXPONENT_BIAS - (bits - half)) << MANTISSA);
  VD result = FN(exp_poly)(-r) * first * second;
  return FN(select)(y != y, y, result);
}

/// e^r - 1 for 0 <= r <= ln 2 as r + r^2 h(r), h fitted near-minimax: degree 10 for double
/// (SWIFT_BLAS_RNN_EXPM1_H*, 0.01 ulp before rounding), 5 for float (SWIFT_BLAS_RNN_EXPM1_F*, 0.04).
INLINE VD FN(expm1_poly)(VD r) {
  VD r2 = r * r;
  VD r4 = r2 * r2;
#if BITS == 64
  VD r8 = r4 * r4;
  VD e0 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_H1), FN(splat)(SWIFT_BLAS_RNN_EXPM1_H0));
  VD e1 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_H3), FN(splat)(SWIFT_BLAS_RNN_EXPM1_H2));
  VD e2 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_H5), FN(splat)(SWIFT_BLAS_RNN_EXPM1_H4));
  VD e3 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_H7), FN(splat)(SWIFT_BLAS_RNN_EXPM1_H6));
  VD e4 = FN(fma)(FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_H10), FN(splat)(SWIFT_BLAS_RNN_EXPM1_H9)), r,
                  FN(splat)(SWIFT_BLAS_RNN_EXPM1_H8));
  VD h = FN(fma)(e4, r8, FN(fma)(FN(fma)(e3, r2, e2), r4, FN(fma)(e1, r2, e0)));
#else
  VD e0 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_F1), FN(splat)(SWIFT_BLAS_RNN_EXPM1_F0));
  VD e1 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_F3), FN(splat)(SWIFT_BLAS_RNN_EXPM1_F2));
  VD e2 = FN(fma)(r, FN(splat)(SWIFT_BLAS_RNN_EXPM1_F5), FN(splat)(SWIFT_BLAS_RNN_EXPM1_F4));
  VD h = FN(fma)(e2, r4, FN(fma)(e1, r2, e0));
#endif
  return FN(fma)(r2, h, r);
}

/// tanh|x| = m / (m + 2) with m = e^{2|x|} - 1 (2|x| clamped at 40, 20 for float, where the
/// result is already 1), the sign of x copied back (so -0 stays -0); NaN gives NaN. m = 2^n (e^r - 1) + (2^n - 1)
/// with n = floor(2|x| / ln 2), so 0 <= r < ln 2 and both terms are positive: nothing cancels,
/// small |x| included (n = 0, m = e^r - 1 by the polynomial). One formula for every x, no branch
/// evaluated twice.
INLINE VD FN(tanh)(VD x) {
  VD a = FN(abs)(x);
  VD twice = a + a;
  VD y = FN(select)(twice > FN(splat)(TANH_CLAMP), FN(splat)(TANH_CLAMP), twice);
  // y / ln 2 - 1/2 rounded to the nearest integer is floor(y / ln 2) (at a tie, one less).
  VD shifted = FN(fma)(y, FN(splat)(FN(log2e)), FN(splat)(-0.5f)) + FN(splat)(FN(shifter));
  VD n = shifted - FN(splat)(FN(shifter));
  VD r = FN(fma)(n, FN(splat)(-FN(ln2_hi)), y);
  r = FN(fma)(n, FN(splat)(-FN(ln2_lo)), r);
  VL bits = (VL)shifted - (VL)FN(splat)(FN(shifter));
  VD scale = (VD)((bits + EXPONENT_BIAS) << MANTISSA);
  VD m = FN(fma)(FN(expm1_poly)(r), scale, scale - FN(splat)(1));
  VD magnitude = m / (m + FN(splat)(2));
  VL sign = (VL)x & (VL)SIGN_BIT;
  return (VD)((VL)magnitude | sign);
}

/// The logistic sigmoid: with E = e^-|x|, 1 / (1 + E) for x >= 0 and E / (1 + E) below (the
/// numerator is chosen first: one division).
INLINE VD FN(sigmoid)(VD x) {
  VD e = FN(exp_negative)(FN(abs)(x));
  return FN(select)(x < FN(splat)(0), e, FN(splat)(1)) / (FN(splat)(1) + e);
}

/// max(0, x), NaN kept, -0 kept (as x < 0 ? 0 : x).
INLINE VD FN(relu)(VD x) { return FN(select)(x < FN(splat)(0), FN(splat)(0), x); }

/// Copies count <= VW elements (a loop, not a memcpy call: this runs once per row).
INLINE void FN(copy_tail)(T *to, const T *from, ptrdiff_t count) {
  for (ptrdiff_t i = 0; i < count; i++) to[i] = from[i];
}

/// Rows of `columns` values: vectors along each row, one bias per row. A row of at least VW
/// values whose length is not a multiple of VW ends in a vector that overlaps the one before,
/// computed from the row's inputs before anything is stored (the rows may be in place) and
/// stored last: each value is still g of its own input, as in every other lane.
#define ROWS_LOOP(APPLY)                                                                        \
  for (ptrdiff_t r = 0; r < rows; r++) {                                                        \
    const T *in = source + r * sourceStride;                                                    \
    T *out = destination + r * destinationStride;                                               \
    const int hasBias = bias != NULL;                                                           \
    const VD b = FN(splat)(hasBias ? bias[r] : 0);                                              \
    if (columns > VW && columns % VW != 0) {                                                    \
      VD last = FN(load)(in + columns - VW);                                                    \
      if (hasBias) last = last + b;                                                             \
      last = APPLY(last);                                                                       \
      for (ptrdiff_t c = 0; c + VW <= columns; c += VW) {                                       \
        VD x = FN(load)(in + c);                                                                \
        if (hasBias) x = x + b;                                                                 \
        FN(store)(out + c, APPLY(x));                                                           \
      }                                                                                         \
      FN(store)(out + columns - VW, last);                                                      \
      continue;                                                                                 \
    }                                                                                           \
    ptrdiff_t c = 0;                                                                            \
    for (; c + VW <= columns; c += VW) {                                                        \
      VD x = FN(load)(in + c);                                                                  \
      if (hasBias) x = x + b;                                                                   \
      FN(store)(out + c, APPLY(x));                                                             \
    }                                                                                           \
    if (c < columns) {                                                                          \
      T lanes[VW] = {0};                                                                        \
      FN(copy_tail)(lanes, in + c, columns - c);                                                \
      VD x = FN(load)(lanes);                                                                   \
      if (hasBias) x = x + b;                                                                   \
      FN(store)(lanes, APPLY(x));                                                               \
      FN(copy_tail)(out + c, lanes, columns - c);                                               \
    }                                                                                           \
  }

/// One column (batch 1), rows `sourceStride` / `destinationStride` apart: VW rows gathered into
/// a vector (loaded directly when both strides are 1), the bias loaded as a vector too.
#define COLUMN_LOOP(APPLY)                                                                      \
  ptrdiff_t r = 0;                                                                              \
  if (sourceStride == 1 && destinationStride == 1) {                                           \
    for (; r + VW <= rows; r += VW) {                                                           \
      VD x = FN(load)(source + r);                                                              \
      if (bias != NULL) x = x + FN(load)(bias + r);                                             \
      FN(store)(destination + r, APPLY(x));                                                     \
    }                                                                                           \
  }                                                                                             \
  for (; r < rows; r += VW) {                                                                   \
    const ptrdiff_t count = rows - r < VW ? rows - r : VW;                                      \
    T lanes[VW] = {0}, biases[VW] = {0};                                                        \
    for (ptrdiff_t i = 0; i < count; i++) lanes[i] = source[(r + i) * sourceStride];            \
    VD x = FN(load)(lanes);                                                                     \
    if (bias != NULL) {                                                                         \
      FN(copy_tail)(biases, bias + r, count);                                                   \
      x = x + FN(load)(biases);                                                                 \
    }                                                                                           \
    FN(store)(lanes, APPLY(x));                                                                 \
    for (ptrdiff_t i = 0; i < count; i++) destination[(r + i) * destinationStride] = lanes[i];  \
  }

#define DISPATCH(APPLY)                                                                         \
  if (columns == 1) {                                                                           \
    COLUMN_LOOP(APPLY)                                                                          \
  } else {                                                                                      \
    ROWS_LOOP(APPLY)                                                                            \
  }

#define IDENTITY(x) (x)

TARGET void CONCAT(swift_blas_rnn_activation, SUFFIX)(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const T *source, ptrdiff_t sourceStride, const T *bias,
    T *destination, ptrdiff_t destinationStride) {
  switch (kind) {
    case SWIFT_BLAS_RNN_TANH: DISPATCH(FN(tanh)) break;
    case SWIFT_BLAS_RNN_SIGMOID: DISPATCH(FN(sigmoid)) break;
    case SWIFT_BLAS_RNN_RELU: DISPATCH(FN(relu)) break;
    default: DISPATCH(IDENTITY) break;
  }
}

/// The largest (greatest != 0) or smallest of count >= 1 contiguous elements; NaN if any is NaN
/// (numpy's maximum and minimum propagate NaN). Four vectors of running extremes and a NaN mask,
/// combined at the end; no branch on the values in the loop.
TARGET T CONCAT(swift_blas_rnn_extreme, SUFFIX)(const T *p, ptrdiff_t count, int greatest) {
  ptrdiff_t i = 1;
  T result = p[0];
  if (count >= 8 * VW) {
    VD b0 = FN(load)(p), b1 = FN(load)(p + VW), b2 = FN(load)(p + 2 * VW), b3 = FN(load)(p + 3 * VW);
    VL nan = (b0 != b0) | (b1 != b1) | (b2 != b2) | (b3 != b3);
    for (i = 4 * VW; i + 4 * VW <= count; i += 4 * VW) {
      VD x0 = FN(load)(p + i), x1 = FN(load)(p + i + VW), x2 = FN(load)(p + i + 2 * VW), x3 = FN(load)(p + i + 3 * VW);
      nan |= (x0 != x0) | (x1 != x1) | (x2 != x2) | (x3 != x3);
      if (greatest) {
        b0 = FN(select)(x0 > b0, x0, b0), b1 = FN(select)(x1 > b1, x1, b1);
        b2 = FN(select)(x2 > b2, x2, b2), b3 = FN(select)(x3 > b3, x3, b3);
      } else {
        b0 = FN(select)(x0 < b0, x0, b0), b1 = FN(select)(x1 < b1, x1, b1);
        b2 = FN(select)(x2 < b2, x2, b2), b3 = FN(select)(x3 < b3, x3, b3);
      }
    }
    T lanes[4 * VW];
    FN(store)(lanes, b0), FN(store)(lanes + VW, b1), FN(store)(lanes + 2 * VW, b2), FN(store)(lanes + 3 * VW, b3);
    TI flags[VW];
    memcpy(flags, &nan, sizeof flags);
    for (int k = 0; k < VW; k++) {
      if (flags[k]) return (T)NAN;
    }
    result = lanes[0];
    for (int k = 1; k < 4 * VW; k++) {
      if (greatest ? lanes[k] > result : lanes[k] < result) result = lanes[k];
    }
  }
  for (; i < count; i++) {
    T x = p[i];
    if (x != x) return x;
    if (greatest ? x > result : x < result) result = x;
  }
  return result;
}

/// Each column's largest (or smallest) element of a rows x columns row-major block (rows >= 1),
/// NaN where the column has one, into out[0 ..< columns]: the rows read in order, a vector of
/// columns at a time (a NaN already in out stays: nothing replaces it).
TARGET void CONCAT(swift_blas_rnn_column_extremes, SUFFIX)(
    const T *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, T *out) {
  memcpy(out, a, (size_t)columns * sizeof(T));
  for (ptrdiff_t r = 1; r < rows; r++) {
    const T *row = a + r * columns;
    ptrdiff_t c = 0;
    for (; c + VW <= columns; c += VW) {
      VD o = FN(load)(out + c), x = FN(load)(row + c);
      VL take = (x != x) | (greatest ? x > o : x < o);
      FN(store)(out + c, FN(select)(take & ~(o != o), x, o));
    }
    for (; c < columns; c++) {
      T o = out[c], x = row[c];
      if (o == o && (x != x || (greatest ? x > o : x < o))) out[c] = x;
    }
  }
}

/// count <= VW elements at p into a vector (the other lanes zero), and back.
INLINE VD FN(load_n)(const T *p, ptrdiff_t count) {
  if (count == VW) return FN(load)(p);
  T lanes[VW] = {0};
  memcpy(lanes, p, (size_t)count * sizeof(T));
  return FN(load)(lanes);
}
INLINE void FN(store_n)(T *p, VD v, ptrdiff_t count) {
  if (count == VW) {
    FN(store)(p, v);
    return;
  }
  T lanes[VW];
  FN(store)(lanes, v);
  memcpy(p, lanes, (size_t)count * sizeof(T));
}

/// One row of backpropagation through time (see the header): a vector of units at a time, each
/// product rounded on its own (no contraction), so that every path gives the same results.
TARGET void CONCAT(swift_blas_rnn_gate_gradients, SUFFIX)(
    int kind, ptrdiff_t hidden, const T *restrict tape, const T *restrict state, const T *restrict previous,
    const T *restrict hnBias, const T *restrict ds, T *restrict carry, T *restrict cellCarry, T *restrict delta,
    T *restrict recurrentDelta) {
#pragma clang fp contract(off)
  const ptrdiff_t h = hidden;
  const VD one = FN(splat)(1), zero = FN(splat)(0);
  for (ptrdiff_t r = 0; r < h; r += VW) {
    const ptrdiff_t n = h - r < VW ? h - r : VW;
    const VD dh = FN(load_n)(ds + r, n) + FN(load_n)(carry + r, n);
    switch (kind) {
      case SWIFT_BLAS_RNN_GRADIENT_LSTM: {
        const VD i = FN(load_n)(tape + r, n), f = FN(load_n)(tape + h + r, n);
        const VD g = FN(load_n)(tape + 2 * h + r, n), o = FN(load_n)(tape + 3 * h + r, n);
        const VD before = FN(load_n)(tape + 4 * h + r, n), tanhC = FN(load_n)(tape + 5 * h + r, n);
        const VD dc = FN(load_n)(cellCarry + r, n) + dh * o * (one - tanhC * tanhC);
        FN(store_n)(delta + r, dc * g * i * (one - i), n);
        FN(store_n)(delta + h + r, dc * before * f * (one - f), n);
        FN(store_n)(delta + 2 * h + r, dc * i * (one - g * g), n);
        FN(store_n)(delta + 3 * h + r, dh * tanhC * o * (one - o), n);
        FN(store_n)(cellCarry + r, dc * f, n);
        FN(store_n)(carry + r, zero, n);
        break;
      }
      case SWIFT_BLAS_RNN_GRADIENT_GRU: {
        const VD rg = FN(load_n)(tape + r, n), z = FN(load_n)(tape + h + r, n);
        const VD ng = FN(load_n)(tape + 2 * h + r, n);
        const VD hn = FN(load_n)(tape + 3 * h + r, n) + FN(load_n)(hnBias + r, n);
        const VD dn = dh * (one - z) * (one - ng * ng);
        const VD dz = dh * (FN(load_n)(previous + r, n) - ng) * z * (one - z);
        const VD dr = dn * hn * rg * (one - rg);
        FN(store_n)(delta + r, dr, n);
        FN(store_n)(recurrentDelta + r, dr, n);
        FN(store_n)(delta + h + r, dz, n);
        FN(store_n)(recurrentDelta + h + r, dz, n);
        FN(store_n)(delta + 2 * h + r, dn, n);
        FN(store_n)(recurrentDelta + 2 * h + r, dn * rg, n);
        FN(store_n)(carry + r, dh * z, n);
        break;
      }
      default: {
        const VD s = FN(load_n)(state + r, n);
        VD d;
        switch (kind) {
          case SWIFT_BLAS_RNN_TANH: d = dh * (one - s * s); break;
          case SWIFT_BLAS_RNN_SIGMOID: d = dh * (s * (one - s)); break;
          case SWIFT_BLAS_RNN_RELU: d = FN(select)(s > zero, dh, zero); break;
          default: d = dh; break;
        }
        FN(store_n)(delta + r, d, n);
        FN(store_n)(carry + r, zero, n);
        break;
      }
    }
  }
}

/// An LSTM step's pointwise part (see the header), a vector of columns at a time: the gates
/// activated in place, c updated in place, tanh(c) and o tanh(c) stored; each product and sum
/// rounded on its own (no contraction), as the separate passes it replaces round them.
TARGET void CONCAT(swift_blas_rnn_lstm_pointwise, SUFFIX)(
    ptrdiff_t hidden, ptrdiff_t batch, T *restrict gates, ptrdiff_t gateStride, const T *restrict bias,
    T *restrict cell, T *restrict tanhCell, T *restrict out) {
#pragma clang fp contract(off)
  // Contiguous gates are one row of hidden x batch columns when no bias is added per row (the
  // gathered gates of a batch that is not whole vectors: one tail, not one per unit) or the
  // batch is one (the bias along the row).
  const int flat = gateStride == batch && (batch == 1 || bias == NULL);
  const ptrdiff_t rows = flat ? 1 : hidden, columns = flat ? hidden * batch : batch, block = hidden * gateStride;
  for (ptrdiff_t r = 0; r < rows; r++) {
    T *gi = gates + r * gateStride, *gf = gi + block, *gg = gi + 2 * block, *go = gi + 3 * block;
    T *c = cell + r * columns, *tc = tanhCell + r * columns, *h = out + r * columns;
    for (ptrdiff_t k = 0; k < columns; k += VW) {
      const ptrdiff_t n = columns - k < VW ? columns - k : VW;
      VD i = FN(load_n)(gi + k, n), f = FN(load_n)(gf + k, n), g = FN(load_n)(gg + k, n), o = FN(load_n)(go + k, n);
      if (bias != NULL) {
        if (flat) {
          i = i + FN(load_n)(bias + k, n), f = f + FN(load_n)(bias + hidden + k, n);
          g = g + FN(load_n)(bias + 2 * hidden + k, n), o = o + FN(load_n)(bias + 3 * hidden + k, n);
        } else {
          i = i + FN(splat)(bias[r]), f = f + FN(splat)(bias[hidden + r]);
          g = g + FN(splat)(bias[2 * hidden + r]), o = o + FN(splat)(bias[3 * hidden + r]);
        }
      }
      i = FN(sigmoid)(i), f = FN(sigmoid)(f), g = FN(tanh)(g), o = FN(sigmoid)(o);
      FN(store_n)(gi + k, i, n), FN(store_n)(gf + k, f, n), FN(store_n)(gg + k, g, n), FN(store_n)(go + k, o, n);
      const VD updated = f * FN(load_n)(c + k, n) + i * g;
      const VD t = FN(tanh)(updated);
      FN(store_n)(c + k, updated, n), FN(store_n)(tc + k, t, n), FN(store_n)(h + k, o * t, n);
    }
  }
}

/// A GRU step's pointwise part (see the header), a vector of columns at a time; each product and
/// sum rounded on its own, in the order of the passes it replaces.
TARGET void CONCAT(swift_blas_rnn_gru_pointwise, SUFFIX)(
    ptrdiff_t hidden, ptrdiff_t batch, T *restrict gates, ptrdiff_t gateStride, const T *restrict recurrentRZ,
    const T *restrict recurrentN, const T *restrict bias, const T *restrict hnBias, T *restrict state) {
#pragma clang fp contract(off)
  // A batch of one in contiguous gates is one row of `hidden` columns (the biases along it).
  const int flat = batch == 1 && gateStride == 1;
  const ptrdiff_t rows = flat ? 1 : hidden, columns = flat ? hidden : batch, block = hidden * gateStride;
  for (ptrdiff_t u = 0; u < rows; u++) {
    T *gr = gates + u * gateStride, *gz = gr + block, *gn = gr + 2 * block;
    const T *rr = recurrentRZ ? recurrentRZ + u * columns : NULL, *rz = rr ? rr + hidden * batch : NULL;
    const T *hn = recurrentN + u * columns;
    T *h = state + u * columns;
    for (ptrdiff_t k = 0; k < columns; k += VW) {
      const ptrdiff_t n = columns - k < VW ? columns - k : VW;
      VD r = FN(load_n)(gr + k, n), z = FN(load_n)(gz + k, n);
      if (rr) r = r + FN(load_n)(rr + k, n), z = z + FN(load_n)(rz + k, n);
      VD bn = FN(splat)(0), bhn;
      if (flat) {
        if (bias) r = r + FN(load_n)(bias + k, n), z = z + FN(load_n)(bias + hidden + k, n);
        if (bias) bn = FN(load_n)(bias + 2 * hidden + k, n);
        bhn = FN(load_n)(hnBias + k, n);
      } else {
        if (bias) r = r + FN(splat)(bias[u]), z = z + FN(splat)(bias[hidden + u]);
        if (bias) bn = FN(splat)(bias[2 * hidden + u]);
        bhn = FN(splat)(hnBias[u]);
      }
      r = FN(sigmoid)(r), z = FN(sigmoid)(z);
      VD x = FN(load_n)(gn + k, n) + r * (FN(load_n)(hn + k, n) + bhn);
      if (bias) x = x + bn;
      const VD ng = FN(tanh)(x);
      FN(store_n)(gr + k, r, n), FN(store_n)(gz + k, z, n), FN(store_n)(gn + k, ng, n);
      FN(store_n)(h + k, ng + z * (FN(load_n)(h + k, n) - ng), n);
    }
  }
}

/// destination[(rows ? rows[c] : c) * destinationStride + r] = source[r * sourceStride + c]: a
/// transpose (or, with a row map, a scatter of the transposed rows), in 8 × 8 tiles transposed in
/// registers by three rounds of shuffles; the columns past the last 8 and the rows past the last 8
/// one element at a time. Copies only: every path gives the same results.
typedef T CONCAT(v8, SUFFIX) __attribute__((ext_vector_type(8)));
#define V8 CONCAT(v8, SUFFIX)
TARGET void CONCAT(swift_blas_rnn_transpose, SUFFIX)(
    ptrdiff_t rowCount, ptrdiff_t columns, const T *restrict source, ptrdiff_t sourceStride, T *restrict destination,
    ptrdiff_t destinationStride, const ptrdiff_t *restrict rows) {
  ptrdiff_t c0 = 0;
  for (; c0 + 8 <= columns; c0 += 8) {
    T *out[8];
    for (int j = 0; j < 8; j++) out[j] = destination + (rows ? rows[c0 + j] : c0 + j) * destinationStride;
    ptrdiff_t r0 = 0;
    for (; r0 + 8 <= rowCount; r0 += 8) {
      const T *p = source + r0 * sourceStride + c0;
      V8 a[8];
      for (int i = 0; i < 8; i++) memcpy(&a[i], p + i * sourceStride, sizeof(V8));
      // Rows 2k, 2k+1 exchange single lanes, then rows k, k+2 pairs, then rows k, k+4 halves.
      for (int i = 0; i < 8; i += 2) {
        V8 low = __builtin_shufflevector(a[i], a[i + 1], 0, 8, 2, 10, 4, 12, 6, 14);
        V8 high = __builtin_shufflevector(a[i], a[i + 1], 1, 9, 3, 11, 5, 13, 7, 15);
        a[i] = low;
        a[i + 1] = high;
      }
      for (int k = 0; k < 4; k++) {
        const int i = (k & 1) + (k >> 1) * 4;  // 0, 1, 4, 5
        V8 low = __builtin_shufflevector(a[i], a[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        V8 high = __builtin_shufflevector(a[i], a[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        a[i] = low;
        a[i + 2] = high;
      }
      for (int i = 0; i < 4; i++) {
        V8 low = __builtin_shufflevector(a[i], a[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        V8 high = __builtin_shufflevector(a[i], a[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
        a[i] = low;
        a[i + 4] = high;
      }
      for (int j = 0; j < 8; j++) memcpy(out[j] + r0, &a[j], sizeof(V8));
    }
    for (; r0 < rowCount; r0++) {
      for (int j = 0; j < 8; j++) out[j][r0] = source[r0 * sourceStride + c0 + j];
    }
  }
  for (; c0 < columns; c0++) {
    T *out = destination + (rows ? rows[c0] : c0) * destinationStride;
    if (columns == 1 && sourceStride == 1) {  // one contiguous column (B = 1)
      memcpy(out, source + c0, (size_t)rowCount * sizeof(T));
      continue;
    }
    for (ptrdiff_t r = 0; r < rowCount; r++) out[r] = source[r * sourceStride + c0];
  }
}
#undef V8

#undef ROWS_LOOP
#undef COLUMN_LOOP
#undef DISPATCH
#undef IDENTITY
#undef MANTISSA
#undef EXPONENT_BIAS
#undef SIGN_BIT
#undef TANH_CLAMP
#undef EXP_NEGATIVE_CLAMP
#undef VD
#undef VL
#undef FN
#undef INLINE
// The instantiation's own parameters, so that the next one starts clean (TARGET and HAS_FMA are
// shared by several instantiations and stay with the includer).
#undef T
#undef TI
#undef BITS
#undef VW
#undef SUFFIX
