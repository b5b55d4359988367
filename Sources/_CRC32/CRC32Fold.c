#include "CRC32Fold.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#define CRC32_TARGET __attribute__((target("pclmul,sse4.1")))
#define CRC32_TARGET_512 __attribute__((target("avx512f,avx512bw,avx512vl,vpclmulqdq,pclmul,sse4.1")))

static int has_vpclmulqdq(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq");
}

// Four consecutive 128-bit lanes into one by x^128 and x^192 (k3, k4), the remaining 16-byte
// blocks one at a time, then 128 bits reduced to 64 (k5) and Barrett-reduced to 32 (the polynomial
// P' and mu), all in the bit-reflected domain.
static inline CRC32_TARGET uint32_t crc32_finish(__m128i x1, __m128i x2, __m128i x3, __m128i x4,
                                                 const unsigned char *bytes, size_t length) {
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);

  __m128i x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
  x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x2), x5);
  x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
  x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x3), x5);
  x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
  x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x4), x5);

  while (length >= 16) {
    x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, _mm_loadu_si128((const __m128i *)bytes)), x5);
    bytes += 16;
    length -= 16;
  }

  // 128 bits to 64.
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
  x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
  x2 = _mm_srli_si128(x1, 4);
  x1 = _mm_and_si128(x1, low32);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k5k0, 0x00), x2);

  // Barrett reduction to 32 bits.
  x2 = _mm_and_si128(x1, low32);
  x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
  x2 = _mm_and_si128(x2, low32);
  x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
  x1 = _mm_xor_si128(x1, x2);
  return (uint32_t)_mm_extract_epi32(x1, 1);
}

// x · k: each 128-bit lane's low half times k's low half, xor its high half times k's high half.
static inline CRC32_TARGET_512 __m512i fold512(__m512i x, __m512i k, __m512i next) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11),
                                   next, 0x96);
}

// AVX-512 with VPCLMULQDQ: four 512-bit registers (16 lanes) fold 256 bytes per iteration by x^2048
// and x^2112, are folded into one register by x^512 and x^576 (the 64-byte constants of the 128-bit
// kernel, in every lane), which takes the remaining 64-byte blocks; its four lanes then finish as
// the 128-bit kernel's do. The constants are (x^(D+32) mod P, x^(D-32) mod P), bit-reflected and
// shifted left by one, for the fold distance D in bits.
static CRC32_TARGET_512 uint32_t crc32_fold_512(uint32_t state, const unsigned char *bytes, size_t length) {
  const __m512i k2048 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01322d1430, 0x011542778a));
  const __m512i k512 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01c6e41596, 0x0154442bd4));

  __m512i x0 = _mm512_loadu_si512((const void *)(bytes + 0x00));
  __m512i x1 = _mm512_loadu_si512((const void *)(bytes + 0x40));
  __m512i x2 = _mm512_loadu_si512((const void *)(bytes + 0x80));
  __m512i x3 = _mm512_loadu_si512((const void *)(bytes + 0xc0));
  x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)state)));
  bytes += 256;
  length -= 256;

  while (length >= 256) {
    x0 = fold512(x0, k2048, _mm512_loadu_si512((const void *)(bytes + 0x00)));
    x1 = fold512(x1, k2048, _mm512_loadu_si512((const void *)(bytes + 0x40)));
    x2 = fold512(x2, k2048, _mm512_loadu_si512((const void *)(bytes + 0x80)));
    x3 = fold512(x3, k2048, _mm512_loadu_si512((const void *)(bytes + 0xc0)));
    bytes += 256;
    length -= 256;
  }

  x0 = fold512(x0, k512, x1);
  x0 = fold512(x0, k512, x2);
  x0 = fold512(x0, k512, x3);
  while (length >= 64) {
    x0 = fold512(x0, k512, _mm512_loadu_si512((const void *)bytes));
    bytes += 64;
    length -= 64;
  }
  return crc32_finish(_mm512_extracti32x4_epi32(x0, 0), _mm512_extracti32x4_epi32(x0, 1),
                      _mm512_extracti32x4_epi32(x0, 2), _mm512_extracti32x4_epi32(x0, 3), bytes, length);
}

// Four 128-bit lanes fold 64 bytes per iteration by x^512 and x^576 (k1, k2), then finish.
static CRC32_TARGET uint32_t crc32_fold_128(uint32_t state, const unsigned char *bytes, size_t length) {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);

  __m128i x1 = _mm_loadu_si128((const __m128i *)(bytes + 0x00));
  __m128i x2 = _mm_loadu_si128((const __m128i *)(bytes + 0x10));
  __m128i x3 = _mm_loadu_si128((const __m128i *)(bytes + 0x20));
  __m128i x4 = _mm_loadu_si128((const __m128i *)(bytes + 0x30));
  x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)state));
  bytes += 64;
  length -= 64;

  while (length >= 64) {
    __m128i x5 = _mm_clmulepi64_si128(x1, k1k2, 0x00);
    __m128i x6 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
    __m128i x7 = _mm_clmulepi64_si128(x3, k1k2, 0x00);
    __m128i x8 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
    x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11);
    x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
    x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11);
    x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), _mm_loadu_si128((const __m128i *)(bytes + 0x00)));
    x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), _mm_loadu_si128((const __m128i *)(bytes + 0x10)));
    x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), _mm_loadu_si128((const __m128i *)(bytes + 0x20)));
    x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), _mm_loadu_si128((const __m128i *)(bytes + 0x30)));
    bytes += 64;
    length -= 64;
  }
  return crc32_finish(x1, x2, x3, x4, bytes, length);
}

int swift_blas_rnn_crc32_fold_widest(void) {
  if (!__builtin_cpu_supports("pclmul") || !__builtin_cpu_supports("sse4.1")) return 0;
  return has_vpclmulqdq() ? 512 : 128;
}

uint32_t swift_blas_rnn_crc32_fold(int width, uint32_t state, const unsigned char *bytes, size_t length) {
  if (width == 512 && length >= 256) return crc32_fold_512(state, bytes, length);
  return crc32_fold_128(state, bytes, length);
}

#else

int swift_blas_rnn_crc32_fold_widest(void) { return 0; }

uint32_t swift_blas_rnn_crc32_fold(int width, uint32_t state, const unsigned char *bytes, size_t length) {
  (void)width;
  (void)bytes;
  (void)length;
  return state;
}

#endif
