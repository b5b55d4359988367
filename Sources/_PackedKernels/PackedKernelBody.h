// One packed-product body, included once per (element type, instruction set) by PackedKernels.c
// with these macros defined:
//   NAME     the function's name          SCALAR  float or double
//   VEC      a vector type of SCALAR      WIDTH   its lanes
//   BLOCK    rows per pass (a panel's rows in PANEL_ROWS / BLOCK passes; a pass keeps
//            BLOCK x TILES accumulators in registers, a tile row being TILES = 2 vectors)
//   TARGET   the function attributes (a target, or nothing for the baseline)
//   COLUMN   a 16-lane vector of SCALAR (one panel column, ROWS <= 16 lanes used)
//   FMA      the vector multiply-add (fused on the AVX paths)
// The whole tiles sum over k in increasing order; the columns past them in four interleaved
// partial sums. Both agree with BLAS to rounding.

#define ROWS SWIFT_BLAS_RNN_PANEL_ROWS
#define TILES 2

TARGET void NAME(const SCALAR *packed, size_t m, size_t k, const SCALAR *h, size_t ldh, size_t n, int beta,
                 SCALAR *c, size_t ldc) {
  const size_t panels = (m + ROWS - 1) / ROWS;
  const size_t tile = (size_t)TILES * WIDTH;
  const size_t full = n / tile * tile;
  for (size_t p = 0; p < panels; p++) {
    const SCALAR *a = packed + p * k * ROWS;
    const size_t rows = m - p * ROWS < ROWS ? m - p * ROWS : ROWS;
    for (size_t j = 0; j < full; j += tile) {
      for (int r0 = 0; r0 < ROWS && (size_t)r0 < rows; r0 += BLOCK) {
        // The BLOCK x TILES accumulators stay in registers: every loop over them is unrolled.
        VEC acc[BLOCK][TILES];
#pragma clang loop unroll(full)
        for (int r = 0; r < BLOCK; r++)
#pragma clang loop unroll(full)
          for (int t = 0; t < TILES; t++) acc[r][t] = (VEC)0;
        for (size_t kk = 0; kk < k; kk++) {
          VEC x[TILES];
#pragma clang loop unroll(full)
          for (int t = 0; t < TILES; t++) __builtin_memcpy(&x[t], h + kk * ldh + j + (size_t)t * WIDTH, sizeof(VEC));
          const SCALAR *ak = a + kk * ROWS + r0;
#pragma clang loop unroll(full)
          for (int r = 0; r < BLOCK; r++) {
            VEC w = (VEC)ak[r];
#pragma clang loop unroll(full)
            for (int t = 0; t < TILES; t++) acc[r][t] = FMA(w, x[t], acc[r][t]);
          }
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < BLOCK; r++) {
          if ((size_t)(r0 + r) >= rows) break;
          SCALAR *row = c + (p * ROWS + (size_t)(r0 + r)) * ldc + j;
#pragma clang loop unroll(full)
          for (int t = 0; t < TILES; t++) {
            VEC value = acc[r][t];
            if (beta) {
              VEC old;
              __builtin_memcpy(&old, row + (size_t)t * WIDTH, sizeof(VEC));
              value = old + value;
            }
            __builtin_memcpy(row + (size_t)t * WIDTH, &value, sizeof(VEC));
          }
        }
      }
    }
    // The columns past the last whole tile, one at a time: all the panel's rows in one vector
    // of 16 lanes (a panel's column is ROWS contiguous elements; the lanes past them read the
    // next column, or the 16 elements of padding after the last panel, and are dropped). Four
    // partial sums (k, k + 1, k + 2, k + 3 apart), so that the multiply-adds do not wait for each
    // other, added at the end.
    for (size_t j = full; j < n; j++) {
      COLUMN s0 = (COLUMN)0, s1 = (COLUMN)0, s2 = (COLUMN)0, s3 = (COLUMN)0;
      size_t kk = 0;
      for (; kk + 4 <= k; kk += 4) {
        COLUMN w0, w1, w2, w3;
        __builtin_memcpy(&w0, a + kk * ROWS, sizeof(COLUMN));
        __builtin_memcpy(&w1, a + (kk + 1) * ROWS, sizeof(COLUMN));
        __builtin_memcpy(&w2, a + (kk + 2) * ROWS, sizeof(COLUMN));
        __builtin_memcpy(&w3, a + (kk + 3) * ROWS, sizeof(COLUMN));
        s0 = FMA(w0, (COLUMN)h[kk * ldh + j], s0);
        s1 = FMA(w1, (COLUMN)h[(kk + 1) * ldh + j], s1);
        s2 = FMA(w2, (COLUMN)h[(kk + 2) * ldh + j], s2);
        s3 = FMA(w3, (COLUMN)h[(kk + 3) * ldh + j], s3);
      }
      for (; kk < k; kk++) {
        COLUMN w;
        __builtin_memcpy(&w, a + kk * ROWS, sizeof(COLUMN));
        s0 = FMA(w, (COLUMN)h[kk * ldh + j], s0);
      }
      const COLUMN sum = (s0 + s1) + (s2 + s3);
      for (size_t r = 0; r < rows; r++) {
        SCALAR *out = c + (p * ROWS + r) * ldc + j;
        *out = beta ? *out + sum[r] : sum[r];
      }
    }
  }
}

#undef ROWS
#undef TILES
