#ifndef SWIFT_BLAS_RNN_CLAPACKE_SHIM_H
#define SWIFT_BLAS_RNN_CLAPACKE_SHIM_H
// The LAPACKE inside the `scipy-openblas32` wheel, whose symbols carry the prefix `scipy_`:
// the routines this package calls, under their usual names.
#include <lapacke.h>

static inline lapack_int LAPACKE_dgesv(
    int layout, lapack_int n, lapack_int nrhs, double *a, lapack_int lda, lapack_int *ipiv, double *b, lapack_int ldb) {
  return scipy_LAPACKE_dgesv(layout, n, nrhs, a, lda, ipiv, b, ldb);
}

static inline lapack_int LAPACKE_dgesdd(
    int layout, char jobz, lapack_int m, lapack_int n, double *a, lapack_int lda, double *s, double *u,
    lapack_int ldu, double *vt, lapack_int ldvt) {
  return scipy_LAPACKE_dgesdd(layout, jobz, m, n, a, lda, s, u, ldu, vt, ldvt);
}

static inline lapack_int LAPACKE_dgeev(
    int layout, char jobvl, char jobvr, lapack_int n, double *a, lapack_int lda, double *wr, double *wi,
    double *vl, lapack_int ldvl, double *vr, lapack_int ldvr) {
  return scipy_LAPACKE_dgeev(layout, jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr);
}

static inline lapack_int LAPACKE_dgeqrf(int layout, lapack_int m, lapack_int n, double *a, lapack_int lda, double *tau) {
  return scipy_LAPACKE_dgeqrf(layout, m, n, a, lda, tau);
}

static inline lapack_int LAPACKE_dorgqr(
    int layout, lapack_int m, lapack_int n, lapack_int k, double *a, lapack_int lda, const double *tau) {
  return scipy_LAPACKE_dorgqr(layout, m, n, k, a, lda, tau);
}

static inline lapack_int LAPACKE_sgesv(
    int layout, lapack_int n, lapack_int nrhs, float *a, lapack_int lda, lapack_int *ipiv, float *b, lapack_int ldb) {
  return scipy_LAPACKE_sgesv(layout, n, nrhs, a, lda, ipiv, b, ldb);
}

static inline lapack_int LAPACKE_sgesdd(
    int layout, char jobz, lapack_int m, lapack_int n, float *a, lapack_int lda, float *s, float *u, lapack_int ldu,
    float *vt, lapack_int ldvt) {
  return scipy_LAPACKE_sgesdd(layout, jobz, m, n, a, lda, s, u, ldu, vt, ldvt);
}

static inline lapack_int LAPACKE_sgeev(
    int layout, char jobvl, char jobvr, lapack_int n, float *a, lapack_int lda, float *wr, float *wi, float *vl,
    lapack_int ldvl, float *vr, lapack_int ldvr) {
  return scipy_LAPACKE_sgeev(layout, jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr);
}

static inline lapack_int LAPACKE_sgeqrf(int layout, lapack_int m, lapack_int n, float *a, lapack_int lda, float *tau) {
  return scipy_LAPACKE_sgeqrf(layout, m, n, a, lda, tau);
}

static inline lapack_int LAPACKE_sorgqr(
    int layout, lapack_int m, lapack_int n, lapack_int k, float *a, lapack_int lda, const float *tau) {
  return scipy_LAPACKE_sorgqr(layout, m, n, k, a, lda, tau);
}
#endif
