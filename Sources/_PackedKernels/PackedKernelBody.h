// One packed-product body, included once per (element type, instruction set) by PackedKernels.c
// with these macros defined:
//   NAME     the function's name          SCALAR  float or double
//   VEC      a vector type of SCALAR      WIDTH   its lanes
//   BLOCK    rows per pass (a panel's rows in PANEL_ROWS / BLOCK passes; a pass keeps
//            BLOCK x TILES accumulators in registers, a tile row being TILES = 2 vectors)
//   TARGET   the function attributes (a target, or nothing for the baseline)
//   COLUMN   a 16-lane vector of SCALAR (one panel column, ROWS <= 16 lanes used)
//   FMA      the vector multiply-add (fused on the AVX paths)
//   PARTIAL_LOAD(p, n)  (optional) a VEC of the n < WIDTH elements at p, zeros past them,
//            touching no memory past them; PARTIAL_STORE(p, n, v) stores v's first n lanes at p,
//            touching nothing else; PARTIAL_MIN: the fewest columns they are used for
//   COLUMNS_MAX  columns per block past the whole tiles (1, 2, 4 or 8: at most 8 COLUMNs, the
//            sums a block keeps, fit the registers with room to spare)
// Every element is summed over k in increasing order, in the whole tiles and past them. Results
// agree with BLAS to rounding.

#ifndef SWIFT_BLAS_RNN_CAT
#define SWIFT_BLAS_RNN_CAT_(a, b) a##b
#define SWIFT_BLAS_RNN_CAT(a, b) SWIFT_BLAS_RNN_CAT_(a, b)
#endif
#define COLUMNS_NAME SWIFT_BLAS_RNN_CAT(NAME, _columns)
#define COLUMNS_GROUP_NAME SWIFT_BLAS_RNN_CAT(NAME, _group)
#define TILE_NAME SWIFT_BLAS_RNN_CAT(NAME, _tile)

#define ROWS SWIFT_BLAS_RNN_PANEL_ROWS
#define TILES 2

// Panels p ..< p + pg, columns j ..< j + nr: pg x nr sums in registers (pg x nr <= 8 COLUMNs).
static inline __attribute__((always_inline)) TARGET void COLUMNS_GROUP_NAME(const SCALAR *packed, size_t p,
                                                                           const int pg, size_t m, size_t k,
                                                                           const SCALAR *h, size_t ldh, size_t j,
                                                                           const int nr, int beta, SCALAR *c,
                                                                           size_t ldc) {
  COLUMN s[8][8];
#pragma clang loop unroll(full)
  for (int g = 0; g < pg; g++)
#pragma clang loop unroll(full)
    for (int q = 0; q < nr; q++) s[g][q] = (COLUMN)0;
  const SCALAR *a = packed + p * k * ROWS;
  for (size_t kk = 0; kk < k; kk++) {
    const SCALAR *hk = h + kk * ldh + j;
#pragma clang loop unroll(full)
    for (int g = 0; g < pg; g++) {
      COLUMN w;
      __builtin_memcpy(&w, a + ((size_t)g * k + kk) * ROWS, sizeof(COLUMN));
#pragma clang loop unroll(full)
      for (int q = 0; q < nr; q++) s[g][q] = FMA(w, (COLUMN)hk[q], s[g][q]);
    }
  }
#pragma clang loop unroll(full)
  for (int g = 0; g < pg; g++) {
    const size_t first = (p + (size_t)g) * ROWS;
    const size_t rows = m - first < ROWS ? m - first : ROWS;
#pragma clang loop unroll(full)
    for (int q = 0; q < nr; q++)
      for (size_t r = 0; r < rows; r++) {
        SCALAR *out = c + (first + r) * ldc + j + (size_t)q;
        *out = beta ? *out + s[g][q][r] : s[g][q][r];
      }
  }
}

// NR columns from column j, for every panel, PG panels at a time (the rest one at a time); NR and
// PG are constants at every call, so that the accumulators stay in registers.
static inline __attribute__((always_inline)) TARGET void COLUMNS_NAME(const SCALAR *packed, size_t panels, size_t m,
                                                                     size_t k, const SCALAR *h, size_t ldh,
                                                                     size_t j, const int nr, const int pg, int beta,
                                                                     SCALAR *c, size_t ldc) {
  size_t p = 0;
  for (; p + (size_t)pg <= panels; p += (size_t)pg)
    COLUMNS_GROUP_NAME(packed, p, pg, m, k, h, ldh, j, nr, beta, c, ldc);
  for (; p < panels; p++) COLUMNS_GROUP_NAME(packed, p, 1, m, k, h, ldh, j, nr, beta, c, ldc);
}

// Columns j ..< j + tiles · WIDTH of one panel (tiles is 1 or 2, a constant at every call), the
// last vector holding only `last` columns when `partial` (a constant too): h's row is read there
// with a masked load (PARTIAL_LOAD, which touches no element past the last column) and C's
// written with a masked store (PARTIAL_STORE). BLOCK x tiles accumulators in registers.
static inline __attribute__((always_inline)) TARGET void TILE_NAME(const SCALAR *a, size_t first, size_t rows,
                                                                  size_t k, const SCALAR *h, size_t ldh, size_t j,
                                                                  const int tiles, const int partial, size_t last,
                                                                  int beta, SCALAR *c, size_t ldc) {
  (void)partial;
  (void)last;
  for (int r0 = 0; r0 < ROWS && (size_t)r0 < rows; r0 += BLOCK) {
    VEC acc[BLOCK][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < BLOCK; r++)
#pragma clang loop unroll(full)
      for (int t = 0; t < tiles; t++) acc[r][t] = (VEC)0;
    for (size_t kk = 0; kk < k; kk++) {
      VEC x[2];
      const SCALAR *hk = h + kk * ldh + j;
#pragma clang loop unroll(full)
      for (int t = 0; t < tiles; t++) {
#ifdef PARTIAL_LOAD
        if (partial && t == tiles - 1)
          x[t] = PARTIAL_LOAD(hk + (size_t)t * WIDTH, last);
        else
#endif
          __builtin_memcpy(&x[t], hk + (size_t)t * WIDTH, sizeof(VEC));
      }
      const SCALAR *ak = a + kk * ROWS + r0;
#pragma clang loop unroll(full)
      for (int r = 0; r < BLOCK; r++) {
        VEC w = (VEC)ak[r];
#pragma clang loop unroll(full)
        for (int t = 0; t < tiles; t++) acc[r][t] = FMA(w, x[t], acc[r][t]);
      }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < BLOCK; r++) {
      if ((size_t)(r0 + r) >= rows) break;
      SCALAR *row = c + (first + (size_t)(r0 + r)) * ldc + j;
#pragma clang loop unroll(full)
      for (int t = 0; t < tiles; t++) {
        VEC value = acc[r][t];
        SCALAR *out = row + (size_t)t * WIDTH;
#ifdef PARTIAL_LOAD
        if (partial && t == tiles - 1) {
          if (beta) value = PARTIAL_LOAD(out, last) + value;
          PARTIAL_STORE(out, last, value);
          continue;
        }
#endif
        if (beta) {
          VEC old;
          __builtin_memcpy(&old, out, sizeof(VEC));
          value = old + value;
        }
        __builtin_memcpy(out, &value, sizeof(VEC));
      }
    }
  }
}

TARGET void NAME(const SCALAR *packed, size_t m, size_t k, const SCALAR *h, size_t ldh, size_t n, int beta,
                 SCALAR *c, size_t ldc) {
  const size_t panels = (m + ROWS - 1) / ROWS;
  const size_t tile = (size_t)TILES * WIDTH;
  const size_t full = n / tile * tile;
  // Past the whole tiles: more than a vector and PARTIAL_MIN columns, one tile whose second
  // vector is read with a mask; otherwise one vector of whole columns if there is one, then the
  // rest as one vector read with a mask when more than PARTIAL_MIN columns are left (it costs a
  // whole vector's work), else in blocks of columns (below).
  const size_t rest = n - full;
  int pair = 0, single = 0;
  size_t last = 0;
#ifdef PARTIAL_LOAD
  if (rest > (size_t)WIDTH + PARTIAL_MIN && rest < (size_t)tile) {
    pair = 1;
    last = rest - WIDTH;
  } else
#endif
  {
    single = rest >= WIDTH;
#ifdef PARTIAL_LOAD
    if (rest - (single ? WIDTH : 0) > PARTIAL_MIN) last = rest - (single ? WIDTH : 0);
#endif
  }
  for (size_t p = 0; p < panels; p++) {
    const SCALAR *a = packed + p * k * ROWS;
    const size_t first = p * ROWS;
    const size_t rows = m - first < ROWS ? m - first : ROWS;
    for (size_t jj = 0; jj < full; jj += tile) TILE_NAME(a, first, rows, k, h, ldh, jj, TILES, 0, 0, beta, c, ldc);
    if (pair) {
      TILE_NAME(a, first, rows, k, h, ldh, full, 2, 1, last, beta, c, ldc);
      continue;
    }
    if (single) TILE_NAME(a, first, rows, k, h, ldh, full, 1, 0, 0, beta, c, ldc);
    if (last) TILE_NAME(a, first, rows, k, h, ldh, full + (single ? WIDTH : 0), 1, 1, last, beta, c, ldc);
  }
  size_t j = full + (pair || single ? WIDTH : 0) + last;
  // The columns still left (all of them when n is below a vector: a padded batch's shrinking
  // steps, B = 1), in blocks of NR columns (COLUMNS_MAX, then 4, 2, 1) across groups of PG panels:
  // a panel's column (ROWS contiguous elements) is one 16-lane COLUMN vector (the lanes past ROWS
  // read the next panel's column, or the 16 elements of padding, and are dropped), each multiplied
  // by the block's NR elements of h's row, broadcast, so that NR x PG independent sums hide the
  // multiply-add's latency and the cost follows n one column at a time.
  for (; j + COLUMNS_MAX <= n; j += COLUMNS_MAX) COLUMNS_NAME(packed, panels, m, k, h, ldh, j, COLUMNS_MAX, 1, beta, c, ldc);
#if COLUMNS_MAX > 4
  if (j + 4 <= n) {
    COLUMNS_NAME(packed, panels, m, k, h, ldh, j, 4, COLUMNS_MAX / 4, beta, c, ldc);
    j += 4;
  }
#endif
#if COLUMNS_MAX > 2
  if (j + 2 <= n) {
    COLUMNS_NAME(packed, panels, m, k, h, ldh, j, 2, COLUMNS_MAX / 2, beta, c, ldc);
    j += 2;
  }
#endif
#if COLUMNS_MAX > 1
  if (j < n) COLUMNS_NAME(packed, panels, m, k, h, ldh, j, 1, COLUMNS_MAX, beta, c, ldc);
#endif
}

#undef ROWS
#undef TILES
#undef COLUMNS_NAME
#undef COLUMNS_GROUP_NAME
#undef TILE_NAME
