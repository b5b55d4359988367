#ifndef SWIFT_BLAS_RNN_CBLAS_SHIM_H
#define SWIFT_BLAS_RNN_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface. The include directory comes from pkg-config `openblas`
// (on Debian 12: /usr/include/<triple>/openblas-pthread). Never vendor this header.
#include <cblas.h>
#endif
