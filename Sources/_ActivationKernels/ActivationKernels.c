#include "ActivationKernels.h"

#include <math.h>
#include <string.h>

// ActivationKernelBody.h is included once per element type and instruction set, with T, TI, BITS,
// VW, SUFFIX, TARGET and HAS_FMA defined (a header cannot be included from a macro); it undefines
// the first five itself.

// The build's own instruction set: 16 doubles (32 floats) per vector are eight SSE2 registers on
// baseline x86-64 (the independent chains hide the latency of the polynomials; measured faster
// than 8 or 4 doubles on an AMD EPYC, Zen 5) and eight NEON registers on arm64. The functions
// passing these vectors by value are always inlined, so clang's note that a wide vector argument
// without AVX changes the ABI does not apply.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
#define HAS_FMA 1
#else
#define HAS_FMA 0
#endif
#define TARGET

#define T double
#define TI long
#define BITS 64
#define VW 16
#define SUFFIX f64_baseline
#include "ActivationKernelBody.h"

#define T float
#define TI int
#define BITS 32
#define VW 32
#define SUFFIX f32_baseline
#include "ActivationKernelBody.h"

#undef TARGET
#undef HAS_FMA
#pragma clang diagnostic pop

#if defined(__x86_64__) && defined(__clang__)

int swift_blas_rnn_activation_kernels_available(void) { return 1; }

#define HAS_FMA 1

#define TARGET __attribute__((target("avx2,fma")))
#define T double
#define TI long
#define BITS 64
#define VW 4
#define SUFFIX f64_avx2
#include "ActivationKernelBody.h"
#define T float
#define TI int
#define BITS 32
#define VW 8
#define SUFFIX f32_avx2
#include "ActivationKernelBody.h"
#undef TARGET

#define TARGET __attribute__((target("avx512f")))
#define T double
#define TI long
#define BITS 64
#define VW 8
#define SUFFIX f64_avx512
#include "ActivationKernelBody.h"
#define T float
#define TI int
#define BITS 32
#define VW 16
#define SUFFIX f32_avx512
#include "ActivationKernelBody.h"
#undef TARGET

#else

int swift_blas_rnn_activation_kernels_available(void) { return 0; }

#define NO_KERNEL(SUFFIX, T)                                                                              \
  void swift_blas_rnn_activation_##SUFFIX(int kind, ptrdiff_t rows, ptrdiff_t columns, const T *source,  \
                                           ptrdiff_t sourceStride, const T *bias, T *destination,         \
                                           ptrdiff_t destinationStride) {}
NO_KERNEL(f64_avx2, double)
NO_KERNEL(f64_avx512, double)
NO_KERNEL(f32_avx2, float)
NO_KERNEL(f32_avx512, float)

#define NO_REDUCTION(SUFFIX, T)                                                                         \
  T swift_blas_rnn_extreme_##SUFFIX(const T *p, ptrdiff_t count, int greatest) { return 0; }            \
  void swift_blas_rnn_column_extremes_##SUFFIX(const T *a, ptrdiff_t rows, ptrdiff_t columns, int greatest, \
                                               T *out) {}
#define NO_GRADIENT(SUFFIX, T)                                                                               \
  void swift_blas_rnn_gate_gradients_##SUFFIX(int kind, ptrdiff_t hidden, const T *tape, const T *state,    \
                                              const T *previous, const T *hnBias, const T *ds, T *carry,    \
                                              T *cellCarry, T *delta, T *recurrentDelta) {}
#define NO_TRANSPOSE(SUFFIX, T)                                                                              \
  void swift_blas_rnn_transpose_##SUFFIX(ptrdiff_t rowCount, ptrdiff_t columns, const T *source,            \
                                         ptrdiff_t sourceStride, T *destination, ptrdiff_t destinationStride, \
                                         const ptrdiff_t *rows) {}
#define NO_LSTM(SUFFIX, T)                                                                                  \
  void swift_blas_rnn_lstm_pointwise_##SUFFIX(ptrdiff_t hidden, ptrdiff_t batch, T *gates,                \
                                              ptrdiff_t gateStride, const T *bias, T *cell, T *tanhCell, \
                                              T *out) {}
NO_LSTM(f64_avx2, double)
NO_LSTM(f64_avx512, double)
NO_LSTM(f32_avx2, float)
NO_LSTM(f32_avx512, float)
#define NO_GRU(SUFFIX, T)                                                                                   \
  void swift_blas_rnn_gru_pointwise_##SUFFIX(ptrdiff_t hidden, ptrdiff_t batch, T *gates,                 \
                                             ptrdiff_t gateStride, const T *recurrentRZ,                 \
                                             const T *recurrentN, const T *bias, const T *hnBias,        \
                                             T *state) {}
NO_GRU(f64_avx2, double)
NO_GRU(f64_avx512, double)
NO_GRU(f32_avx2, float)
NO_GRU(f32_avx512, float)
NO_TRANSPOSE(f64_avx2, double)
NO_TRANSPOSE(f64_avx512, double)
NO_TRANSPOSE(f32_avx2, float)
NO_TRANSPOSE(f32_avx512, float)
NO_GRADIENT(f64_avx2, double)
NO_GRADIENT(f64_avx512, double)
NO_GRADIENT(f32_avx2, float)
NO_GRADIENT(f32_avx512, float)

NO_REDUCTION(f64_avx2, double)
NO_REDUCTION(f64_avx512, double)
NO_REDUCTION(f32_avx2, float)
NO_REDUCTION(f32_avx512, float)

#endif
