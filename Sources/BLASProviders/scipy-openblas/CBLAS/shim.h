#ifndef SWIFT_BLAS_RNN_CBLAS_SHIM_H
#define SWIFT_BLAS_RNN_CBLAS_SHIM_H
// OpenBLAS as numpy and scipy ship it: the `scipy-openblas32` wheel from PyPI (a DYNAMIC_ARCH
// build of a current OpenBLAS). Its symbols carry the prefix `scipy_`, so the calls this package
// makes are mapped here. The include directory comes from its pkg-config file `scipy-openblas`.
#include <cblas.h>

static inline void cblas_dgemm(
    const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
    const blasint m, const blasint n, const blasint k, const double alpha, const double *a, const blasint lda,
    const double *b, const blasint ldb, const double beta, double *c, const blasint ldc) {
  scipy_cblas_dgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static inline void cblas_dgemv(
    const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m, const blasint n,
    const double alpha, const double *a, const blasint lda, const double *x, const blasint incx,
    const double beta, double *y, const blasint incy) {
  scipy_cblas_dgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

static inline void cblas_sgemm(
    const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
    const blasint m, const blasint n, const blasint k, const float alpha, const float *a, const blasint lda,
    const float *b, const blasint ldb, const float beta, float *c, const blasint ldc) {
  scipy_cblas_sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static inline void cblas_sgemv(
    const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m, const blasint n,
    const float alpha, const float *a, const blasint lda, const float *x, const blasint incx, const float beta,
    float *y, const blasint incy) {
  scipy_cblas_sgemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

static inline double cblas_ddot(const blasint n, const double *x, const blasint incx, const double *y, const blasint incy) {
  return scipy_cblas_ddot(n, x, incx, y, incy);
}
static inline float cblas_sdot(const blasint n, const float *x, const blasint incx, const float *y, const blasint incy) {
  return scipy_cblas_sdot(n, x, incx, y, incy);
}
static inline double cblas_dnrm2(const blasint n, const double *x, const blasint incx) {
  return scipy_cblas_dnrm2(n, x, incx);
}
static inline float cblas_snrm2(const blasint n, const float *x, const blasint incx) {
  return scipy_cblas_snrm2(n, x, incx);
}

static inline const char *swift_blas_rnn_blas_config(void) { return scipy_openblas_get_config(); }
static inline const char *swift_blas_rnn_blas_corename(void) { return scipy_openblas_get_corename(); }
static inline int swift_blas_rnn_blas_get_num_threads(void) { return scipy_openblas_get_num_threads(); }
static inline void swift_blas_rnn_blas_set_num_threads(int n) { scipy_openblas_set_num_threads(n); }
#endif
