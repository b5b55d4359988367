#ifndef SWIFT_BLAS_RNN_CZLIB_SHIM_H
#define SWIFT_BLAS_RNN_CZLIB_SHIM_H
// zlib: raw deflate/inflate and CRC-32 for the .npz container (Debian: zlib1g-dev).
#include <zlib.h>
#endif
