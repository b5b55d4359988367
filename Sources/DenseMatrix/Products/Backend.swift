/// Which implementation computes matrix products.
///
/// Choose per call (every product takes a `backend:` argument) or per scope with
/// ``withBackend(_:_:)``; the default is ``current``, which is ``blas`` unless a scope says
/// otherwise.
///
/// | Backend | Matrix × matrix | Matrix × vector (one column, or one row on the left) |
/// |---|---|---|
/// | ``blas`` | `cblas_?gemm` | `cblas_?gemv` |
/// | ``blasGEMM`` | `cblas_?gemm` | `cblas_?gemm` |
/// | ``pureSwift`` | Swift | Swift |
/// | ``packed`` | as ``blas``, but a recurrent cell's per-step `W_hh · h` on `W_hh` packed once | as ``blas``, but that product at B = 1 on `W_hh` packed once |
///
/// All of them follow the BLAS contract `C = alpha · op(A) · op(B) + beta · C`, including BLAS's
/// rule that `C` is not read when `beta == 0` (so NaNs in an uninitialised `C` are overwritten).
/// Results agree to rounding, not bit for bit: each backend sums in its own order.
public enum Backend: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// OpenBLAS through CBLAS, with `cblas_?gemv` for matrix–vector products.
  ///
  /// With OpenBLAS 0.3.21, `cblas_?gemm` with a single right-hand column is 3 to 6 times slower
  /// than `cblas_?gemv` for n = 64…1024 (measured in double precision), so this is the default.
  case blas
  /// OpenBLAS through CBLAS, always `cblas_?gemm`, even for a single column. For benchmarks.
  case blasGEMM
  /// Pure Swift, no BLAS call: a cross-check for BLAS and a fallback.
  case pureSwift
  /// ``blas`` for every product but one: the RNN, LSTM and GRU cells' per-step recurrent product
  /// `W_hh · h` (the split and hoisted formulations; and in the backward pass `Δ · W_hh`, on
  /// `W_hhᵀ`) runs on `W_hh` packed once per cell, with this package's register-blocked kernels
  /// (AVX-512F, AVX2 + FMA or the baseline, as `ActivationPath.current` says), where
  /// `cblas_?gemm` would pack `W_hh` again at every step. Used where it is faster than BLAS by
  /// rules measured on two CPUs. With AVX2 (a Zen 3 EPYC, OpenBLAS's Zen kernels): always (the
  /// kernel took 0.20–0.86× OpenBLAS's time from a 16 × 16 `W_hh` to 2048 × 512, B = 1…32).
  /// With AVX-512 and on the baseline (a Zen 4 EPYC): a batch of one with `W_hh` of 4 KiB or
  /// more (a one-column layout, panels of 64 bytes of rows, against `cblas_?gemv`); `W_hh` of
  /// 128 KiB or more and a batch of at least one vector (16 `Float`s or 8 `Double`s); from B = 4
  /// when `W_hh` is 512 KiB or more (an LSTM or GRU with H = 256); other products go to BLAS.
  /// The default of the RNN module's `RecurrentNetwork`.
  /// On the Zen 4 the product alone took 0.51–0.84× OpenBLAS's time on the AVX-512 path, for
  /// H = 64…1024, 3 or 4 gates, B = 32, and 0.58–0.88× `cblas_sgemv`'s at B = 1.
  case packed

  /// The backend that products use when none is passed: ``blas`` unless changed for the current
  /// task (and its child tasks) by ``withBackend(_:_:)``.
  public static var current: Backend { scoped ?? .blas }

  /// The backend of the innermost ``withBackend(_:_:)`` around this task, or `nil` outside any:
  /// a recurrent network's default backend depends on whether one was chosen.
  @TaskLocal package static var scoped: Backend? = nil

  /// The name, as the benchmark and command-line tools spell it.
  public var description: String { rawValue }
}

/// Runs `body` with ``Backend/current`` set to `backend` for the current task and its child tasks.
///
/// ```swift
/// let viaSwift = withBackend(.pureSwift) { matmul(a, b) }
/// ```
public func withBackend<R, E: Error>(_ backend: Backend, _ body: () throws(E) -> R) throws(E) -> R {
  var result: Result<R, E>?
  Backend.$scoped.withValue(backend) {
    do throws(E) { result = .success(try body()) } catch { result = .failure(error) }
  }
  return try result!.get()
}
