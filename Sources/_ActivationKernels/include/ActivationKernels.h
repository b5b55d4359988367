#ifndef SWIFT_BLAS_RNN_ACTIVATION_KERNELS_H
#define SWIFT_BLAS_RNN_ACTIVATION_KERNELS_H
// Vectorized bias-and-activation passes, one per instruction set, each compiled for its ISA with a
// function-level target attribute (a package cannot pass -mavx2 without unsafeFlags). The caller
// chooses one at run time from the CPU's features; calling one the CPU lacks raises SIGILL.
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

/// Whether this build has the kernels for x86-64 (0 elsewhere: the functions then do nothing).
int swift_blas_rnn_activation_kernels_available(void);

/// destination[r * destinationStride + c] = g(source[r * sourceStride + c] + bias[r]) for
/// 0 <= r < rows, 0 <= c < columns; without the addition when bias is NULL. source and
/// destination may be the same buffer (same strides). 4 doubles per vector, AVX2 and FMA.
void swift_blas_rnn_activation_avx2(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const double *source, ptrdiff_t sourceStride,
    const double *bias, double *destination, ptrdiff_t destinationStride);

/// The same with 8 doubles per vector, AVX-512F.
void swift_blas_rnn_activation_avx512(
    int kind, ptrdiff_t rows, ptrdiff_t columns, const double *source, ptrdiff_t sourceStride,
    const double *bias, double *destination, ptrdiff_t destinationStride);

#ifdef __cplusplus
}
#endif

#endif
