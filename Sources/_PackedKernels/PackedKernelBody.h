// One packed-product body, included once per (element type, instruction set) by PackedKernels.c
// with these macros defined:
//   NAME     the function's name          SCALAR  float or double
//   VEC      a vector type of SCALAR      WIDTH   its lanes
//   TILES    vectors per tile row (a tile is PANEL_ROWS rows x TILES * WIDTH columns)
//   TARGET   the function attributes (a target, or nothing for the baseline)
//   FMA, SCALAR_FMA  the vector and scalar multiply-add (fused on the AVX paths)
// Every element of C is the sum over k in increasing order, in the vector part and in the scalar
// tail alike, so that a path gives the same result for every column.

#define ROWS SWIFT_BLAS_RNN_PANEL_ROWS

TARGET void NAME(const SCALAR *packed, size_t m, size_t k, const SCALAR *h, size_t ldh, size_t n, int beta,
                 SCALAR *c, size_t ldc) {
  const size_t panels = (m + ROWS - 1) / ROWS;
  const size_t tile = (size_t)TILES * WIDTH;
  const size_t full = n / tile * tile;
  for (size_t p = 0; p < panels; p++) {
    const SCALAR *a = packed + p * k * ROWS;
    const size_t rows = m - p * ROWS < ROWS ? m - p * ROWS : ROWS;
    for (size_t j = 0; j < full; j += tile) {
      // The ROWS x TILES accumulators stay in registers: every loop over them is unrolled.
      VEC acc[ROWS][TILES];
#pragma clang loop unroll(full)
      for (int r = 0; r < ROWS; r++)
#pragma clang loop unroll(full)
        for (int t = 0; t < TILES; t++) acc[r][t] = (VEC)0;
      for (size_t kk = 0; kk < k; kk++) {
        VEC x[TILES];
#pragma clang loop unroll(full)
        for (int t = 0; t < TILES; t++) __builtin_memcpy(&x[t], h + kk * ldh + j + (size_t)t * WIDTH, sizeof(VEC));
        const SCALAR *ak = a + kk * ROWS;
#pragma clang loop unroll(full)
        for (int r = 0; r < ROWS; r++) {
          VEC w = (VEC)ak[r];
#pragma clang loop unroll(full)
          for (int t = 0; t < TILES; t++) acc[r][t] = FMA(w, x[t], acc[r][t]);
        }
      }
#pragma clang loop unroll(full)
      for (int r = 0; r < ROWS; r++) {
        if ((size_t)r >= rows) break;
        SCALAR *row = c + (p * ROWS + (size_t)r) * ldc + j;
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
    // The columns past the last whole tile, one at a time.
    for (size_t j = full; j < n; j++) {
      for (size_t r = 0; r < rows; r++) {
        SCALAR sum = 0;
        for (size_t kk = 0; kk < k; kk++) sum = SCALAR_FMA(a[kk * ROWS + r], h[kk * ldh + j], sum);
        SCALAR *out = c + (p * ROWS + r) * ldc + j;
        *out = beta ? *out + sum : sum;
      }
    }
  }
}

#undef ROWS
