#include "ActivationKernels.h"

#include <string.h>

#if defined(__x86_64__) && defined(__clang__)

int swift_blas_rnn_activation_kernels_available(void) { return 1; }

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
