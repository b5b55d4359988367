#ifndef SWIFT_BLAS_RNN_ACTIVATION_KERNELS_H
#define SWIFT_BLAS_RNN_ACTIVATION_KERNELS_H
// Vectorized bias-and-activation passes, one per instruction set: the build's baseline, and on
// x86-64 AVX2+FMA and AVX-512F, each compiled with a function-level target attribute (a package
// cannot pass -mavx2 without unsafeFlags). The caller chooses one at run time from the CPU's
// features; calling one the CPU lacks raises SIGILL.
// No stable API: used by DenseMatrix's Activation only.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The activations, numbered as DenseMatrix's Activation enum passes them.
enum swift_blas_rnn_activation_kind {
  SWIFT_BLAS_RNN_IDENTITY = 0,
  SWIFT_BLAS_RNN_SIGMOID = 1,
  SWIFT_BLAS_RNN_TANH = 2,
  SWIFT_BLAS_RNN_RELU = 3,
};

/// e^r = 1 + r + r^2 (G0 + G1 r + ... + G9 r^9) for |r| <= ln 2 / 2: a near-minimax fit of
/// (e^r - 1 - r) / r^2 (fit_exp_polynomial.py), 0.15 ulp before rounding. Shared by the C kernels
/// and DenseMatrix's scalar functions.
#define SWIFT_BLAS_RNN_EXP_G0 0.5000000000000001
#define SWIFT_BLAS_RNN_EXP_G1 0.16666666666666669
#define SWIFT_BLAS_RNN_EXP_G2 0.041666666666624164
#define SWIFT_BLAS_RNN_EXP_G3 0.008333333333330065
#define SWIFT_BLAS_RNN_EXP_G4 0.0013888888917196719
#define SWIFT_BLAS_RNN_EXP_G5 0.00019841269863040545
#define SWIFT_BLAS_RNN_EXP_G6 2.4801521322368692e-05
#define SWIFT_BLAS_RNN_EXP_G7 2.7557268480310024e-06
#define SWIFT_BLAS_RNN_EXP_G8 2.7620075879983367e-07
#define SWIFT_BLAS_RNN_EXP_G9 2.5100375832561234e-08

/// e^r - 1 = r + r^2 (H0 + H1 r + ... + H10 r^10) for 0 <= r <= ln 2: a near-minimax fit of
/// (e^r - 1 - r) / r^2 on that interval (fit_exp_polynomial.py), 0.01 ulp before rounding; tanh's.
#define SWIFT_BLAS_RNN_EXPM1_H0 0.5
#define SWIFT_BLAS_RNN_EXPM1_H1 0.16666666666666605
#define SWIFT_BLAS_RNN_EXPM1_H2 0.04166666666670265
#define SWIFT_BLAS_RNN_EXPM1_H3 0.008333333332525018
#define SWIFT_BLAS_RNN_EXPM1_H4 0.0013888888981905408
#define SWIFT_BLAS_RNN_EXPM1_H5 0.0001984126360594814
#define SWIFT_BLAS_RNN_EXPM1_H6 2.480184735670985e-05
#define SWIFT_BLAS_RNN_EXPM1_H7 2.755037500589881e-06
#define SWIFT_BLAS_RNN_EXPM1_H8 2.7675822427424673e-07
#define SWIFT_BLAS_RNN_EXPM1_H9 2.3809145859037096e-08
#define SWIFT_BLAS_RNN_EXPM1_H10 2.8057924179166324e-09

/// The same two polynomials for float (lower degrees: 0.16 and 0.04 ulp of float before rounding).
#define SWIFT_BLAS_RNN_EXP_F0 0.5f
#define SWIFT_BLAS_RNN_EXP_F1 0.16666578f
#define SWIFT_BLAS_RNN_EXP_F2 0.041666556f
#define SWIFT_BLAS_RNN_EXP_F3 0.008363173f
#define SWIFT_BLAS_RNN_EXP_F4 0.0013926176f
#define SWIFT_BLAS_RNN_EXPM1_F0 0.5f
#define SWIFT_BLAS_RNN_EXPM1_F1 0.16666684f
#define SWIFT_BLAS_RNN_EXPM1_F2 0.041663717f
#define SWIFT_BLAS_RNN_EXPM1_F3 0.008351286f
#define SWIFT_BLAS_RNN_EXPM1_F4 0.00134f
#define SWIFT_BLAS_RNN_EXPM1_F5 0.0002582844f

/// Whether this build has the AVX2 and AVX-512 kernels (x86-64 only; elsewhere they do nothing).
int swift_blas_rnn_activation_kernels_available(void);

/// destination[r * destinationStride + c] = g(source[r * sourceStride + c] + bias[r]) for
/// 0 <= r < rows, 0 <= c < columns; without the addition when bias is NULL. source and
/// destination may be the same buffer (same strides). In the instructions of the build's own
/// target: SSE2 on baseline x86-64 (no FMA: a * b + c), NEON on arm64 (with FMA). Every machine.
void swift_blas_rnn_activation_f64_baseline(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const double *source, ptrdiff_t sourceStride,
    const double *bias, double *destination, ptrdiff_t destinationStride);
/// The same with AVX2 and FMA.
void swift_blas_rnn_activation_f64_avx2(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const double *source, ptrdiff_t sourceStride,
    const double *bias, double *destination, ptrdiff_t destinationStride);
/// The same with AVX-512F.
void swift_blas_rnn_activation_f64_avx512(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const double *source, ptrdiff_t sourceStride,
    const double *bias, double *destination, ptrdiff_t destinationStride);

/// The three for float, twice the elements per vector.
void swift_blas_rnn_activation_f32_baseline(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const float *source, ptrdiff_t sourceStride,
    const float *bias, float *destination, ptrdiff_t destinationStride);
void swift_blas_rnn_activation_f32_avx2(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const float *source, ptrdiff_t sourceStride,
    const float *bias, float *destination, ptrdiff_t destinationStride);
void swift_blas_rnn_activation_f32_avx512(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const float *source, ptrdiff_t sourceStride,
    const float *bias, float *destination, ptrdiff_t destinationStride);

/// Reductions on the same paths: the largest (greatest != 0) or smallest of count >= 1 contiguous
/// elements, NaN if any is NaN; and each column's, NaN where the column has one, of a rows x
/// columns row-major block (rows >= 1) into out[0 ..< columns].
double swift_blas_rnn_extreme_f64_baseline(const double *p, ptrdiff_t count, int greatest);
void swift_blas_rnn_column_extremes_f64_baseline(
    const double *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, double *out);
double swift_blas_rnn_extreme_f64_avx2(const double *p, ptrdiff_t count, int greatest);
void swift_blas_rnn_column_extremes_f64_avx2(
    const double *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, double *out);
double swift_blas_rnn_extreme_f64_avx512(const double *p, ptrdiff_t count, int greatest);
void swift_blas_rnn_column_extremes_f64_avx512(
    const double *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, double *out);
float swift_blas_rnn_extreme_f32_baseline(const float *p, ptrdiff_t count, int greatest);
void swift_blas_rnn_column_extremes_f32_baseline(
    const float *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, float *out);
float swift_blas_rnn_extreme_f32_avx2(const float *p, ptrdiff_t count, int greatest);
void swift_blas_rnn_column_extremes_f32_avx2(
    const float *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, float *out);
float swift_blas_rnn_extreme_f32_avx512(const float *p, ptrdiff_t count, int greatest);
void swift_blas_rnn_column_extremes_f32_avx512(
    const float *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, float *out);

/// The kinds of swift_blas_rnn_gate_gradients beyond the activations (a vanilla cell's kind is
/// its activation's).
enum swift_blas_rnn_gradient_kind {
  SWIFT_BLAS_RNN_GRADIENT_LSTM = 16,
  SWIFT_BLAS_RNN_GRADIENT_GRU = 17,
};

/// One row (a sequence at a step) of backpropagation through time for `hidden` units, from
/// dh = ds + carry (the loss's gradient of the state and the one carried from the step after):
/// - a vanilla cell (kind: its activation): delta = dh * g'(state), g' read off the state; carry = 0;
/// - an LSTM (tape: i, f, g, o, c_{t-1}, tanh(c_t), each `hidden` long): dc = cellCarry + dh * o *
///   (1 - tanh(c)^2); delta (4 hidden) = dc g i (1 - i), dc c_{t-1} f (1 - f), dc i (1 - g^2),
///   dh tanh(c) o (1 - o); cellCarry = dc f; carry = 0;
/// - a GRU (tape: r, z, n, W_hn h_{t-1}; hnBias b_hn; previous h_{t-1}): dn = dh (1 - z) (1 - n^2),
///   dz = dh (h_{t-1} - n) z (1 - z), dr = dn (W_hn h + b_hn) r (1 - r); delta (3 hidden) = dr,
///   dz, dn; recurrentDelta = dr, dz, dn r; carry = dh z.
/// No buffer overlaps another; those a kind does not read may be NULL. Each product is rounded
/// on its own (no fused multiply-add), so every path gives the same results.
#define SWIFT_BLAS_RNN_GATE_GRADIENTS(SUFFIX, T)                                                             \
  void swift_blas_rnn_gate_gradients_##SUFFIX(int kind, ptrdiff_t hidden, const T *tape, const T *state,    \
                                              const T *previous, const T *hnBias, const T *ds, T *carry,    \
                                              T *cellCarry, T *delta, T *recurrentDelta);
SWIFT_BLAS_RNN_GATE_GRADIENTS(f64_baseline, double)
SWIFT_BLAS_RNN_GATE_GRADIENTS(f64_avx2, double)
SWIFT_BLAS_RNN_GATE_GRADIENTS(f64_avx512, double)
SWIFT_BLAS_RNN_GATE_GRADIENTS(f32_baseline, float)
SWIFT_BLAS_RNN_GATE_GRADIENTS(f32_avx2, float)
SWIFT_BLAS_RNN_GATE_GRADIENTS(f32_avx512, float)
#undef SWIFT_BLAS_RNN_GATE_GRADIENTS

/// An LSTM step's pointwise part for `hidden` units of `batch` sequences. Gate q (i, f, g, o) of
/// unit r, sequence k is gates[(q * hidden + r) * gateStride + k]; `bias` holds 4 * hidden values
/// (added first), or is NULL when the gates have it. In place: i, f, o = sigmoid, g = tanh; then
/// with c, tanhCell and out `hidden x batch` and contiguous, c = f c + i g, tanhCell = tanh(c),
/// out = o tanhCell. Each product and sum rounded on its own: the same results as the activation
/// kernel's passes and those products one at a time. No buffer overlaps another.
#define SWIFT_BLAS_RNN_LSTM_POINTWISE(SUFFIX, T)                                                           \
  void swift_blas_rnn_lstm_pointwise_##SUFFIX(ptrdiff_t hidden, ptrdiff_t batch, T *gates,                \
                                              ptrdiff_t gateStride, const T *bias, T *cell, T *tanhCell, \
                                              T *out);
SWIFT_BLAS_RNN_LSTM_POINTWISE(f64_baseline, double)
SWIFT_BLAS_RNN_LSTM_POINTWISE(f64_avx2, double)
SWIFT_BLAS_RNN_LSTM_POINTWISE(f64_avx512, double)
SWIFT_BLAS_RNN_LSTM_POINTWISE(f32_baseline, float)
SWIFT_BLAS_RNN_LSTM_POINTWISE(f32_avx2, float)
SWIFT_BLAS_RNN_LSTM_POINTWISE(f32_avx512, float)
#undef SWIFT_BLAS_RNN_LSTM_POINTWISE

/// A GRU step's pointwise part for `hidden` units of `batch` sequences. Gate q (r, z, n) of unit u,
/// sequence k is gates[(q * hidden + u) * gateStride + k] (its input part); recurrentRZ (2 hidden
/// x batch, contiguous) holds r's and z's recurrent parts, or is NULL when the gates have them;
/// recurrentN (hidden x batch) is W_hn h; `bias` (3 * hidden, NULL when the gates have it) and
/// hnBias (b_hn, hidden). In place: r, z = sigmoid(gate + recurrent part + bias), n = tanh(gate +
/// r (W_hn h + b_hn) + bias), stored over the gates; state (hidden x batch, contiguous) = n + z
/// (state - n). Each product and sum rounded on its own, in that order. No buffer overlaps another.
#define SWIFT_BLAS_RNN_GRU_POINTWISE(SUFFIX, T)                                                            \
  void swift_blas_rnn_gru_pointwise_##SUFFIX(ptrdiff_t hidden, ptrdiff_t batch, T *gates,                 \
                                             ptrdiff_t gateStride, const T *recurrentRZ,                 \
                                             const T *recurrentN, const T *bias, const T *hnBias,        \
                                             T *state);
SWIFT_BLAS_RNN_GRU_POINTWISE(f64_baseline, double)
SWIFT_BLAS_RNN_GRU_POINTWISE(f64_avx2, double)
SWIFT_BLAS_RNN_GRU_POINTWISE(f64_avx512, double)
SWIFT_BLAS_RNN_GRU_POINTWISE(f32_baseline, float)
SWIFT_BLAS_RNN_GRU_POINTWISE(f32_avx2, float)
SWIFT_BLAS_RNN_GRU_POINTWISE(f32_avx512, float)
#undef SWIFT_BLAS_RNN_GRU_POINTWISE

/// destination[(rows ? rows[c] : c) * destinationStride + r] = source[r * sourceStride + c] for
/// r < rowCount, c < columns: a transpose, or with `rows` a scatter of the transposed rows (a
/// recurrent step's H × B states into PyTorch's batch-major output). The buffers do not overlap.
#define SWIFT_BLAS_RNN_TRANSPOSE(SUFFIX, T)                                                                  \
  void swift_blas_rnn_transpose_##SUFFIX(ptrdiff_t rowCount, ptrdiff_t columns, const T *source,            \
                                         ptrdiff_t sourceStride, T *destination, ptrdiff_t destinationStride, \
                                         const ptrdiff_t *rows);
SWIFT_BLAS_RNN_TRANSPOSE(f64_baseline, double)
SWIFT_BLAS_RNN_TRANSPOSE(f64_avx2, double)
SWIFT_BLAS_RNN_TRANSPOSE(f64_avx512, double)
SWIFT_BLAS_RNN_TRANSPOSE(f32_baseline, float)
SWIFT_BLAS_RNN_TRANSPOSE(f32_avx2, float)
SWIFT_BLAS_RNN_TRANSPOSE(f32_avx512, float)
#undef SWIFT_BLAS_RNN_TRANSPOSE

#ifdef __cplusplus
}
#endif

#endif
