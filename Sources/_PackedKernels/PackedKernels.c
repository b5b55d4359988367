#include "PackedKernels.h"


// The packing, the same for both element types and both layouts: ROWS rows per panel, COUNT
// elements in all (the rows past M and the padding zero). W's element (i, kk) is at
// w[i * rs + kk * cs]: cs = 1 for W itself, rs = 1 and cs = W's row stride for its transpose.
#define DEFINE_PACK(NAME, SCALAR, ROWS, COUNT)                                                          \
  void NAME(const SCALAR *w, size_t m, size_t k, size_t rs, size_t cs, SCALAR *packed) {               \
    const size_t rows = (ROWS), panels = (m + rows - 1) / rows;                                         \
    for (size_t i = panels * rows * k; i < (COUNT); i++) packed[i] = 0;                                 \
    for (size_t p = 0; p < panels; p++)                                                                 \
      for (size_t kk = 0; kk < k; kk++)                                                                 \
        for (size_t r = 0; r < rows; r++) {                                                             \
          const size_t i = p * rows + r;                                                                \
          packed[(p * k + kk) * rows + r] = i < m ? w[i * rs + kk * cs] : 0;                            \
        }                                                                                               \
  }
DEFINE_PACK(swift_blas_rnn_pack_f32, float, SWIFT_BLAS_RNN_PANEL_ROWS, swift_blas_rnn_packed_count(m, k))
DEFINE_PACK(swift_blas_rnn_pack_f64, double, SWIFT_BLAS_RNN_PANEL_ROWS, swift_blas_rnn_packed_count(m, k))
DEFINE_PACK(swift_blas_rnn_pack_vector_f32, float, 64 / sizeof(float),
            swift_blas_rnn_packed_vector_count(m, k, sizeof(float)))
DEFINE_PACK(swift_blas_rnn_pack_vector_f64, double, 64 / sizeof(double),
            swift_blas_rnn_packed_vector_count(m, k, sizeof(double)))

typedef float f32x16 __attribute__((ext_vector_type(16)));
typedef float f32x8 __attribute__((ext_vector_type(8)));
typedef float f32x4 __attribute__((ext_vector_type(4)));
typedef double f64x8 __attribute__((ext_vector_type(8)));
typedef double f64x4 __attribute__((ext_vector_type(4)));
typedef double f64x2 __attribute__((ext_vector_type(2)));
typedef double f64x16 __attribute__((ext_vector_type(16)));

// The vector paths fuse each multiply-add; the baseline (no FMA instruction on x86-64's
// baseline) multiplies, then adds, in both its vector and its scalar parts.
#define FUSED(a, b, c) __builtin_elementwise_fma(a, b, c)
#define UNFUSED(a, b, c) ((a) * (b) + (c))

// The matrix-vector kernel (swift_blas_rnn_packed_gemv_*): GROUP panels at a time, each a vector
// of 64 bytes of sums in registers (one register with AVX-512, two with AVX2, four on the
// baseline), k in increasing order.
#define DEFINE_GEMV(NAME, SCALAR, PANEL, GROUP, MULTIPLY_ADD, ATTRIBUTES)                               \
  static inline __attribute__((always_inline)) ATTRIBUTES void NAME##_panels(                        \
      const SCALAR *a, size_t first, const int count, size_t m, size_t k, const SCALAR *h, size_t ldh, \
      int beta, SCALAR *c, size_t ldc) {                                                              \
    enum { ROWS_ = 64 / sizeof(SCALAR) };                                                             \
    PANEL sums[GROUP];                                                                                \
    _Pragma("clang loop unroll(full)") for (int q = 0; q < count; q++) sums[q] = (PANEL)0;            \
    for (size_t kk = 0; kk < k; kk++) {                                                               \
      const PANEL hk = (PANEL)h[kk * ldh];                                                            \
      _Pragma("clang loop unroll(full)") for (int q = 0; q < count; q++) {                            \
        PANEL w;                                                                                      \
        __builtin_memcpy(&w, a + ((size_t)q * k + kk) * ROWS_, sizeof w);                             \
        sums[q] = MULTIPLY_ADD(w, hk, sums[q]);                                                       \
      }                                                                                               \
    }                                                                                                 \
    _Pragma("clang loop unroll(full)") for (int q = 0; q < count; q++) {                              \
      const size_t row = first + (size_t)q * ROWS_;                                                   \
      const size_t rows = m - row < ROWS_ ? m - row : ROWS_;                                          \
      if (rows == ROWS_ && ldc == 1) {                                                                \
        PANEL out = sums[q];                                                                          \
        if (beta) {                                                                                   \
          PANEL old;                                                                                  \
          __builtin_memcpy(&old, c + row, sizeof old);                                                \
          out = old + out;                                                                            \
        }                                                                                             \
        __builtin_memcpy(c + row, &out, sizeof out);                                                  \
      } else {                                                                                        \
        for (size_t r = 0; r < rows; r++) {                                                           \
          SCALAR *o = c + (row + r) * ldc;                                                            \
          *o = beta ? *o + sums[q][r] : sums[q][r];                                                   \
        }                                                                                             \
      }                                                                                               \
    }                                                                                                 \
  }                                                                                                   \
  ATTRIBUTES void NAME(const SCALAR *packed, size_t m, size_t k, const SCALAR *h, size_t ldh, int beta, \
                       SCALAR *c, size_t ldc) {                                                       \
    enum { ROWS_ = 64 / sizeof(SCALAR) };                                                             \
    const size_t panels = (m + ROWS_ - 1) / ROWS_;                                                    \
    size_t p = 0;                                                                                     \
    for (; p + GROUP <= panels; p += GROUP)                                                           \
      NAME##_panels(packed + p * k * ROWS_, p * ROWS_, GROUP, m, k, h, ldh, beta, c, ldc);            \
    for (; p < panels; p++) NAME##_panels(packed + p * k * ROWS_, p * ROWS_, 1, m, k, h, ldh, beta, c, ldc); \
  }

#if defined(__x86_64__)
#include <immintrin.h>
#define FMA FUSED
#define NAME swift_blas_rnn_packed_gemm_f32_avx512
#define PARTIAL_LOAD(p, n) ((f32x16)_mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1), (p)))
#define PARTIAL_STORE(p, n, v) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1), (__m512)(v))
#define PARTIAL_MIN 8
#define COLUMNS_MAX 8
#define SCALAR float
#define COLUMN f32x16
#define VEC f32x16
#define WIDTH 16
#define BLOCK 12
#define TARGET __attribute__((target("avx512f,fma")))
#include "PackedKernelBody.h"
#undef COLUMNS_MAX
#undef PARTIAL_LOAD
#undef PARTIAL_STORE
#undef PARTIAL_MIN
#undef NAME
#undef VEC
#undef WIDTH
#undef BLOCK
#undef TARGET

#define NAME swift_blas_rnn_packed_gemm_f32_avx2
#define PARTIAL_LOAD(p, n) \
  ((f32x8)_mm256_maskload_ps((p), _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))))
#define PARTIAL_STORE(p, n, v) \
  _mm256_maskstore_ps((p), _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), (__m256)(v))
#define PARTIAL_MIN 4
#define COLUMNS_MAX 4
#define VEC f32x8
#define WIDTH 8
#define BLOCK 6
#define TARGET __attribute__((target("avx2,fma")))
#include "PackedKernelBody.h"
#undef COLUMNS_MAX
#undef PARTIAL_LOAD
#undef PARTIAL_STORE
#undef PARTIAL_MIN
#undef NAME
#undef SCALAR
#undef COLUMN
#undef VEC
#undef WIDTH
#undef BLOCK
#undef TARGET

#define NAME swift_blas_rnn_packed_gemm_f64_avx512
#define PARTIAL_LOAD(p, n) ((f64x8)_mm512_maskz_loadu_pd((__mmask8)((1u << (n)) - 1), (p)))
#define PARTIAL_STORE(p, n, v) _mm512_mask_storeu_pd((p), (__mmask8)((1u << (n)) - 1), (__m512d)(v))
#define PARTIAL_MIN 4
#define COLUMNS_MAX 8
#define SCALAR double
#define COLUMN f64x16
#define VEC f64x8
#define WIDTH 8
#define BLOCK 12
#define TARGET __attribute__((target("avx512f,fma")))
#include "PackedKernelBody.h"
#undef COLUMNS_MAX
#undef PARTIAL_LOAD
#undef PARTIAL_STORE
#undef PARTIAL_MIN
#undef NAME
#undef VEC
#undef WIDTH
#undef BLOCK
#undef TARGET

#define NAME swift_blas_rnn_packed_gemm_f64_avx2
#define PARTIAL_LOAD(p, n) \
  ((f64x4)_mm256_maskload_pd((p), _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(n)), _mm256_setr_epi64x(0, 1, 2, 3))))
#define PARTIAL_STORE(p, n, v) \
  _mm256_maskstore_pd((p), _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(n)), _mm256_setr_epi64x(0, 1, 2, 3)), (__m256d)(v))
#define PARTIAL_MIN 2
#define COLUMNS_MAX 2
#define VEC f64x4
#define WIDTH 4
#define BLOCK 6
#define TARGET __attribute__((target("avx2,fma")))
#include "PackedKernelBody.h"
#undef COLUMNS_MAX
#undef PARTIAL_LOAD
#undef PARTIAL_STORE
#undef PARTIAL_MIN
#undef NAME
#undef SCALAR
#undef COLUMN
#undef VEC
#undef WIDTH
#undef BLOCK
#undef TARGET
#undef FMA
DEFINE_GEMV(swift_blas_rnn_packed_gemv_f32_avx512, float, f32x16, 4, FUSED, __attribute__((target("avx512f,fma"))))
DEFINE_GEMV(swift_blas_rnn_packed_gemv_f32_avx2, float, f32x16, 4, FUSED, __attribute__((target("avx2,fma"))))
DEFINE_GEMV(swift_blas_rnn_packed_gemv_f64_avx512, double, f64x8, 4, FUSED, __attribute__((target("avx512f,fma"))))
DEFINE_GEMV(swift_blas_rnn_packed_gemv_f64_avx2, double, f64x8, 4, FUSED, __attribute__((target("avx2,fma"))))
#endif

// The baseline: the build's own target (SSE2 on x86-64, NEON on arm64), no FMA on x86-64.
#define FMA UNFUSED
#define TARGET
#define BLOCK 6
#define NAME swift_blas_rnn_packed_gemm_f32_baseline
#define COLUMNS_MAX 2
#define SCALAR float
#define COLUMN f32x16
#define VEC f32x4
#define WIDTH 4
#include "PackedKernelBody.h"
#undef COLUMNS_MAX
#undef PARTIAL_LOAD
#undef PARTIAL_STORE
#undef PARTIAL_MIN
#undef NAME
#undef SCALAR
#undef VEC
#undef WIDTH

#define NAME swift_blas_rnn_packed_gemm_f64_baseline
#define COLUMNS_MAX 1
#define SCALAR double
#undef COLUMN
#define COLUMN f64x16
#define VEC f64x2
#define WIDTH 2
#include "PackedKernelBody.h"
#undef COLUMNS_MAX
#undef PARTIAL_LOAD
#undef PARTIAL_STORE
#undef PARTIAL_MIN

DEFINE_GEMV(swift_blas_rnn_packed_gemv_f32_baseline, float, f32x16, 2, UNFUSED, )
DEFINE_GEMV(swift_blas_rnn_packed_gemv_f64_baseline, double, f64x8, 2, UNFUSED, )

#if !defined(__x86_64__)
// Elsewhere the AVX names run the baseline (DenseMatrix never selects them off x86-64).
void swift_blas_rnn_packed_gemm_f32_avx512(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                           size_t n, int beta, float *c, size_t ldc) {
  swift_blas_rnn_packed_gemm_f32_baseline(packed, m, k, h, ldh, n, beta, c, ldc);
}
void swift_blas_rnn_packed_gemm_f32_avx2(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                         size_t n, int beta, float *c, size_t ldc) {
  swift_blas_rnn_packed_gemm_f32_baseline(packed, m, k, h, ldh, n, beta, c, ldc);
}
void swift_blas_rnn_packed_gemm_f64_avx512(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                           size_t n, int beta, double *c, size_t ldc) {
  swift_blas_rnn_packed_gemm_f64_baseline(packed, m, k, h, ldh, n, beta, c, ldc);
}
void swift_blas_rnn_packed_gemm_f64_avx2(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                         size_t n, int beta, double *c, size_t ldc) {
  swift_blas_rnn_packed_gemm_f64_baseline(packed, m, k, h, ldh, n, beta, c, ldc);
}
void swift_blas_rnn_packed_gemv_f32_avx512(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                           int beta, float *c, size_t ldc) {
  swift_blas_rnn_packed_gemv_f32_baseline(packed, m, k, h, ldh, beta, c, ldc);
}
void swift_blas_rnn_packed_gemv_f32_avx2(const float *packed, size_t m, size_t k, const float *h, size_t ldh,
                                         int beta, float *c, size_t ldc) {
  swift_blas_rnn_packed_gemv_f32_baseline(packed, m, k, h, ldh, beta, c, ldc);
}
void swift_blas_rnn_packed_gemv_f64_avx512(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                           int beta, double *c, size_t ldc) {
  swift_blas_rnn_packed_gemv_f64_baseline(packed, m, k, h, ldh, beta, c, ldc);
}
void swift_blas_rnn_packed_gemv_f64_avx2(const double *packed, size_t m, size_t k, const double *h, size_t ldh,
                                         int beta, double *c, size_t ldc) {
  swift_blas_rnn_packed_gemv_f64_baseline(packed, m, k, h, ldh, beta, c, ldc);
}
#endif
