#ifndef SWIFT_BLAS_RNN_CRC32_FOLD_H
#define SWIFT_BLAS_RNN_CRC32_FOLD_H
// CRC-32 (the zip and gzip polynomial, bit-reflected) of long buffers by folding with carry-less
// multiplication (PCLMULQDQ), 64 bytes per iteration: several times zlib's table-driven speed, for
// the CRC checks of .npz and torch.save archives. The method and its constants are those of Intel's
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et al., 2009).
// No stable API: used by NumPyIO only.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this build has the folding kernel and the CPU has PCLMULQDQ and SSE4.1, else 0.
int swift_blas_rnn_crc32_fold_available(void);

/// The CRC state after `length` more bytes, from `state` (zlib's running CRC with its bits
/// inverted: pass ~crc, invert the result). `length` is at least 64 and a multiple of 16.
/// Call only when swift_blas_rnn_crc32_fold_available() is 1.
uint32_t swift_blas_rnn_crc32_fold(uint32_t state, const unsigned char *bytes, size_t length);

#ifdef __cplusplus
}
#endif

#endif
