#ifndef SWIFT_BLAS_RNN_PACKED_KERNELS_H
#define SWIFT_BLAS_RNN_PACKED_KERNELS_H
// A matrix product with the left operand packed once: C = beta * C + W * H, where W (M x K) is
// stored in panels of SWIFT_BLAS_RNN_PANEL_ROWS rows, K-major within a panel (the layout a
// register-blocked micro-kernel streams), and H (K x N) and C (M x N) are row-major with row
// strides ldh and ldc. For the per-step recurrent product W_hh * h of an RNN, LSTM or GRU, whose
// weights are packed once instead of once per step by cblas_sgemm.
//
// One body in clang's vector extensions, compiled for the build's baseline and, with
// function-level target attributes, for AVX2+FMA and AVX-512F; the caller chooses one at run time
// from the CPU's features (calling one the CPU lacks raises SIGILL). Columns come in tiles of two
// vectors (32 floats or 16 doubles with AVX-512, 16 or 8 with AVX2, 8 or 4 on the baseline), each
// element summed over k in increasing order, with fused multiply-adds on the AVX paths and a
// multiply then an add on the baseline; the columns past the last whole tile take a slower
// column-at-a-time loop. Results agree with BLAS to rounding.
// No stable API: used by DenseMatrix's PackedMatrix only.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Rows per panel of the packed layout (the same for every path and element type).
#define SWIFT_BLAS_RNN_PANEL_ROWS 12

/// Elements of the packed copy of an M x K matrix: M rounded up to whole panels, times K, and 16
/// elements of padding (the kernels read a panel's columns 16 lanes at a time).
static inline size_t swift_blas_rnn_packed_count(size_t m, size_t k) {
  return (m + SWIFT_BLAS_RNN_PANEL_ROWS - 1) / SWIFT_BLAS_RNN_PANEL_ROWS * SWIFT_BLAS_RNN_PANEL_ROWS * k + 16;
}

/// Packs W (M x K, element (i, kk) at w[i * rs + kk * cs]: cs = 1 for a row-major matrix with row
/// stride rs, rs = 1 and cs = the row stride for the transpose of one) into `packed`
/// (swift_blas_rnn_packed_count(M, K) elements); the rows past M in the last panel, and the
/// padding, are zero.
void swift_blas_rnn_pack_f32(const float *w, size_t m, size_t k, size_t rs, size_t cs, float *packed);
void swift_blas_rnn_pack_f64(const double *w, size_t m, size_t k, size_t rs, size_t cs, double *packed);

/// C = beta * C + W * H with W packed; beta is 0 (C is not read) or 1.
void swift_blas_rnn_packed_gemm_f32_avx512(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                           size_t n, int beta, float *c, size_t ldc);
void swift_blas_rnn_packed_gemm_f32_avx2(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                         size_t n, int beta, float *c, size_t ldc);
void swift_blas_rnn_packed_gemm_f32_baseline(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                             size_t n, int beta, float *c, size_t ldc);
void swift_blas_rnn_packed_gemm_f64_avx512(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                           size_t n, int beta, double *c, size_t ldc);
void swift_blas_rnn_packed_gemm_f64_avx2(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                         size_t n, int beta, double *c, size_t ldc);
void swift_blas_rnn_packed_gemm_f64_baseline(const double *packed, size_t m, size_t k, const double *h,
                                             size_t ldh, size_t n, int beta, double *c, size_t ldc);

/// The layout for one column (B = 1, a matrix-vector product): panels of 64 bytes of rows (16
/// floats or 8 doubles, one cache line), K-major within a panel, so that each k's rows are one
/// aligned vector and the panels stream in order. Elements of the packed copy of an M x K matrix:
/// M rounded up to whole panels, times K, and one panel column of padding (never empty).
static inline size_t swift_blas_rnn_packed_vector_count(size_t m, size_t k, size_t elementSize) {
  const size_t rows = 64 / elementSize;
  return (m + rows - 1) / rows * rows * k + rows;
}

/// Packs W (M x K, element (i, kk) at w[i * rs + kk * cs], as swift_blas_rnn_pack_f32 reads it)
/// into `packed` (swift_blas_rnn_packed_vector_count elements); the rows past M in the last
/// panel, and the padding, are zero.
void swift_blas_rnn_pack_vector_f32(const float *w, size_t m, size_t k, size_t rs, size_t cs, float *packed);
void swift_blas_rnn_pack_vector_f64(const double *w, size_t m, size_t k, size_t rs, size_t cs, double *packed);

/// c = beta * c + W * h with W packed for one column: h's element kk at h[kk * ldh], c's row r at
/// c[r * ldc]; beta is 0 (c is not read) or 1. Four panels at a time (two on the baseline), one
/// vector of sums each; every element summed over k in increasing order, fused on the AVX paths,
/// as the matrix kernels sum theirs: the same results as swift_blas_rnn_packed_gemm_* with n = 1.
void swift_blas_rnn_packed_gemv_f32_avx512(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                           int beta, float *c, size_t ldc);
void swift_blas_rnn_packed_gemv_f32_avx2(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                         int beta, float *c, size_t ldc);
void swift_blas_rnn_packed_gemv_f32_baseline(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                             int beta, float *c, size_t ldc);
void swift_blas_rnn_packed_gemv_f64_avx512(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                           int beta, double *c, size_t ldc);
void swift_blas_rnn_packed_gemv_f64_avx2(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                         int beta, double *c, size_t ldc);
void swift_blas_rnn_packed_gemv_f64_baseline(const double *packed, size_t m, size_t k, const double *h,
                                             size_t ldh, int beta, double *c, size_t ldc);

#ifdef __cplusplus
}
#endif

#endif
