#ifndef SWIFT_BLAS_RNN_CBLAS_SHIM_H
#define SWIFT_BLAS_RNN_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface. The include directory comes from pkg-config `openblas`
// (on Debian 12: /usr/include/<triple>/openblas-pthread). Never vendor this header.
#include <cblas.h>

// The provider-neutral runtime calls every CBLAS provider's shim defines
// (Sources/BLASProviders/*/CBLAS/shim.h define the same four).
static inline const char *swift_blas_rnn_blas_config(void) { return openblas_get_config(); }
static inline const char *swift_blas_rnn_blas_corename(void) { return openblas_get_corename(); }
static inline int swift_blas_rnn_blas_get_num_threads(void) { return openblas_get_num_threads(); }
static inline void swift_blas_rnn_blas_set_num_threads(int n) { openblas_set_num_threads(n); }
#endif
