#ifndef SWIFT_BLAS_RNN_CRC32_FOLD_H
#define SWIFT_BLAS_RNN_CRC32_FOLD_H
// CRC-32 (the zip and gzip polynomial, bit-reflected) of long buffers by folding with carry-less
// multiplication (PCLMULQDQ 64 bytes per iteration; with AVX-512's VPCLMULQDQ 256), several times
// zlib's table-driven speed, for
// the CRC checks of .npz and torch.save archives. The method and its constants are those of Intel's
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et al., 2009).
// No stable API: used by NumPyIO only.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The widest folding kernel this build and CPU have: 512 (AVX-512 with VPCLMULQDQ), 128 (PCLMULQDQ
/// and SSE4.1) or 0 (none).
int swift_blas_rnn_crc32_fold_widest(void);

/// The CRC state after `length` more bytes, from `state` (zlib's running CRC with its bits
/// inverted: pass ~crc, invert the result), by the kernel of `width` (128 or 512, at most
/// swift_blas_rnn_crc32_fold_widest(); 512 folds lengths from 256 bytes, shorter ones take the
/// 128-bit kernel). `length` is at least 64 and a multiple of 16.
uint32_t swift_blas_rnn_crc32_fold(int width, uint32_t state, const unsigned char *bytes, size_t length);

#ifdef __cplusplus
}
#endif

#endif
