#ifndef SWIFT_BLAS_RNN_FMA_PEAK_H
#define SWIFT_BLAS_RNN_FMA_PEAK_H
// The core's arithmetic peak, measured: `iterations` rounds of 12 independent multiply-adds on
// whole vectors (12 accumulators hide the FMA latency on every x86-64 core since Haswell), so
// the time of a call is the floating-point pipes' throughput and nothing else (no memory is
// read). `path` is 2 for AVX-512F + FMA (64-byte vectors), 1 for AVX2 + FMA (32 bytes), 0 for
// the build's baseline (16 bytes, a multiply then an add on x86-64's SSE2); calling a path the
// CPU lacks raises SIGILL. `flops` receives the floating-point operations done (a fused
// multiply-add counts two). The return value depends on every result, so that nothing is
// optimised away. Used by rnn-bench to print "GFLOP/s of the core's peak" beside its rows.

#ifdef __cplusplus
extern "C" {
#endif

double swift_blas_rnn_fma_peak_f32(int path, long iterations, double *flops);
double swift_blas_rnn_fma_peak_f64(int path, long iterations, double *flops);

#ifdef __cplusplus
}
#endif

#endif
