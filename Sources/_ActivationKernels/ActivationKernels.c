#include "ActivationKernels.h"

#include <string.h>

// The build's own instruction set: 16 doubles per vector are eight SSE2 registers on baseline x86-64
// (the independent chains hide the latency of the polynomials; measured faster than 8 or 4 on an
// AMD EPYC, Zen 5) and eight NEON registers on arm64.
// The functions passing these vectors by value are always inlined, so clang's note that a
// wide vector argument without AVX changes the ABI does not apply.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
#define VW 16
#define SUFFIX baseline
#define TARGET
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
#define HAS_FMA 1
#else
#define HAS_FMA 0
#endif
#include "ActivationKernelBody.h"
#undef VW
#undef SUFFIX
#undef TARGET
#undef HAS_FMA
#pragma clang diagnostic pop

#if defined(__x86_64__) && defined(__clang__)

int swift_blas_rnn_activation_kernels_available(void) { return 1; }

#define HAS_FMA 1

#define VW 4
#define SUFFIX avx2
#define TARGET __attribute__((target("avx2,fma")))
#include "ActivationKernelBody.h"
#undef VW
#undef SUFFIX
#undef TARGET

#define VW 8
#define SUFFIX avx512
#define TARGET __attribute__((target("avx512f")))
#include "ActivationKernelBody.h"
#undef VW
#undef SUFFIX
#undef TARGET

#else

int swift_blas_rnn_activation_kernels_available(void) { return 0; }

void swift_blas_rnn_activation_avx2(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const double *source, ptrdiff_t sourceStride, const double *bias,
    double *destination, ptrdiff_t destinationStride) {}

void swift_blas_rnn_activation_avx512(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const double *source, ptrdiff_t sourceStride, const double *bias,
    double *destination, ptrdiff_t destinationStride) {}

#endif
