#ifndef SWIFT_BLAS_RNN_CBLAS_SHIM_H
#define SWIFT_BLAS_RNN_CBLAS_SHIM_H
// BLIS with its CBLAS layer (Debian: libblis-pthread-dev; `blis.h` is the Debian alternative
// for the installed threading variant and declares the CBLAS functions). BLIS has no
// OpenBLAS-style configuration string or kernel name: they are composed from its own API.
// The C library first: blis.h defines _POSIX_C_SOURCE, which would otherwise give its textual
// includes of <time.h> a `struct tm` that differs from the one Swift's Glibc module has.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <pthread.h>
#include <blis.h>

typedef f77_int blasint;  // OpenBLAS's name for the CBLAS integer (32 bits in Debian's BLIS)

static inline const char *swift_blas_rnn_blas_config(void) {
  static char config[96];
  snprintf(config, sizeof config, "BLIS %s (%s)", bli_info_get_version_str(), bli_arch_string(bli_arch_query_id()));
  return config;
}
static inline const char *swift_blas_rnn_blas_corename(void) { return bli_arch_string(bli_arch_query_id()); }
static inline int swift_blas_rnn_blas_get_num_threads(void) {
  dim_t n = bli_thread_get_num_threads();  // -1 until set (BLIS_NUM_THREADS or the call below)
  return n < 1 ? 1 : (int)n;
}
static inline void swift_blas_rnn_blas_set_num_threads(int n) { bli_thread_set_num_threads(n); }
#endif
