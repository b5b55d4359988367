#ifndef SWIFT_BLAS_RNN_CLAPACKE_SHIM_H
#define SWIFT_BLAS_RNN_CLAPACKE_SHIM_H
// LAPACKE's C interface (Debian: liblapacke-dev, pkg-config `lapacke`).
#include <lapacke.h>
#endif
