import BLASDiagnostics
import CBLAS

/// The BLAS library this package calls: its build configuration and thread count.
///
/// The provider is chosen when the package is built (`SWIFT_BLAS_RNN_BLAS=openblas`, the default,
/// `scipy-openblas` or `blis`; see the article "Installing BLAS"). OpenBLAS runs one product on
/// several threads when it is large enough. For the small products of an RNN step one thread is
/// often faster; measure with `rnn-bench --threads`.
public enum BLAS {
  /// The provider's configuration string, e.g.
  /// `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64`, or `BLIS 0.9.0 (haswell)`.
  ///
  /// The corresponding function is `openblas_get_config` (`scipy_openblas_get_config` in
  /// scipy-openblas; BLIS: `bli_info_get_version_str` and `bli_arch_string`).
  public static var configuration: String { KernelReport.blasConfiguration }

  /// The CPU kernel the BLAS chose at load time, e.g. `Zen` or `Haswell` (for BLIS, its
  /// configuration name, e.g. `haswell`).
  ///
  /// The corresponding function is `openblas_get_corename` (BLIS: `bli_arch_string`).
  public static var coreName: String { KernelReport.blasCoreName }

  /// The number of threads OpenBLAS uses for one call.
  ///
  /// Setting it affects every later BLAS call in the process (OpenBLAS keeps one global pool).
  /// The initial value comes from `OPENBLAS_NUM_THREADS` or the number of cores.
  ///
  /// The corresponding functions are `openblas_get_num_threads` and `openblas_set_num_threads`
  /// (BLIS: `bli_thread_get_num_threads` and `bli_thread_set_num_threads`).
  /// - Precondition: the new value is at least 1.
  public static var threadCount: Int {
    get { Int(swift_blas_rnn_blas_get_num_threads()) }
    set {
      checkPrecondition(newValue >= 1, "BLAS.threadCount must be at least 1, got \(newValue)")
      swift_blas_rnn_blas_set_num_threads(Int32(clamping: newValue))
    }
  }
}
