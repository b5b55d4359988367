#include "FMAPeak.h"

typedef float f32x16 __attribute__((ext_vector_type(16)));
typedef float f32x8 __attribute__((ext_vector_type(8)));
typedef float f32x4 __attribute__((ext_vector_type(4)));
typedef double f64x8 __attribute__((ext_vector_type(8)));
typedef double f64x4 __attribute__((ext_vector_type(4)));
typedef double f64x2 __attribute__((ext_vector_type(2)));

// 12 accumulators a_i = a_i * x + y, x slightly below 1 and y small so that the values stay
// finite and normal however many rounds run; the empty asm keeps the compiler from merging or
// hoisting the rounds.
#define DEFINE_PEAK(NAME, SCALAR, VEC, LANES, MADD, TARGET)                                          \
  TARGET static double NAME(long iterations, double *flops) {                                      \
    VEC a0 = 0, a1 = 1, a2 = 2, a3 = 3, a4 = 4, a5 = 5, a6 = 6, a7 = 7, a8 = 8, a9 = 9, a10 = 10,   \
        a11 = 11;                                                                                   \
    const VEC x = (SCALAR)0.999, y = (SCALAR)0.001;                                                 \
    for (long i = 0; i < iterations; i++) {                                                         \
      a0 = MADD(a0, x, y); a1 = MADD(a1, x, y); a2 = MADD(a2, x, y); a3 = MADD(a3, x, y);           \
      a4 = MADD(a4, x, y); a5 = MADD(a5, x, y); a6 = MADD(a6, x, y); a7 = MADD(a7, x, y);           \
      a8 = MADD(a8, x, y); a9 = MADD(a9, x, y); a10 = MADD(a10, x, y); a11 = MADD(a11, x, y);       \
      KEEP(a0, a1, a2, a3, a4, a5);                                                                 \
      KEEP(a6, a7, a8, a9, a10, a11);                                                               \
    }                                                                                               \
    *flops = 2.0 * 12 * (LANES) * (double)iterations;                                               \
    VEC s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));          \
    double total = 0;                                                                               \
    for (int lane = 0; lane < (LANES); lane++) total += s[lane];                                   \
    return total;                                                                                   \
  }

#if defined(__x86_64__)
#define KEEP(a, b, c, d, e, f) __asm__ volatile("" : "+v"(a), "+v"(b), "+v"(c), "+v"(d), "+v"(e), "+v"(f))
#elif defined(__aarch64__)
#define KEEP(a, b, c, d, e, f) __asm__ volatile("" : "+w"(a), "+w"(b), "+w"(c), "+w"(d), "+w"(e), "+w"(f))
#else
#define KEEP(a, b, c, d, e, f)
#endif
#define FUSED(a, b, c) __builtin_elementwise_fma(a, b, c)
#define UNFUSED(a, b, c) ((a) * (b) + (c))

DEFINE_PEAK(peak_f32_portable, float, f32x4, 4, UNFUSED, )
DEFINE_PEAK(peak_f64_portable, double, f64x2, 2, UNFUSED, )
#if defined(__x86_64__)
DEFINE_PEAK(peak_f32_avx2, float, f32x8, 8, FUSED, __attribute__((target("avx2,fma"))))
DEFINE_PEAK(peak_f64_avx2, double, f64x4, 4, FUSED, __attribute__((target("avx2,fma"))))
DEFINE_PEAK(peak_f32_avx512, float, f32x16, 16, FUSED, __attribute__((target("avx512f,fma"))))
DEFINE_PEAK(peak_f64_avx512, double, f64x8, 8, FUSED, __attribute__((target("avx512f,fma"))))
#endif

double swift_blas_rnn_fma_peak_f32(int path, long iterations, double *flops) {
#if defined(__x86_64__)
  if (path == 2) return peak_f32_avx512(iterations, flops);
  if (path == 1) return peak_f32_avx2(iterations, flops);
#endif
  return peak_f32_portable(iterations, flops);
}

double swift_blas_rnn_fma_peak_f64(int path, long iterations, double *flops) {
#if defined(__x86_64__)
  if (path == 2) return peak_f64_avx512(iterations, flops);
  if (path == 1) return peak_f64_avx2(iterations, flops);
#endif
  return peak_f64_portable(iterations, flops);
}
