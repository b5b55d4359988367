import CBLAS

/// The BLAS library this package calls: its build configuration and thread count.
///
/// OpenBLAS runs one product on several threads when it is large enough. For the small products
/// of an RNN step one thread is often faster; measure with `rnn-bench --threads`.
public enum BLAS {
  /// OpenBLAS's configuration string, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64`.
  ///
  /// The corresponding function is `openblas_get_config`.
  public static var configuration: String {
    guard let config = openblas_get_config() else { return "unknown" }
    return String(cString: config)
  }

  /// The CPU kernel OpenBLAS chose at load time, e.g. `Zen` or `Haswell`.
  ///
  /// The corresponding function is `openblas_get_corename`.
  public static var coreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }

  /// The number of threads OpenBLAS uses for one call.
  ///
  /// Setting it affects every later BLAS call in the process (OpenBLAS keeps one global pool).
  /// The initial value comes from `OPENBLAS_NUM_THREADS` or the number of cores.
  ///
  /// The corresponding functions are `openblas_get_num_threads` and `openblas_set_num_threads`.
  /// - Precondition: the new value is at least 1.
  public static var threadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set {
      checkPrecondition(newValue >= 1, "BLAS.threadCount must be at least 1, got \(newValue)")
      openblas_set_num_threads(Int32(clamping: newValue))
    }
  }
}
