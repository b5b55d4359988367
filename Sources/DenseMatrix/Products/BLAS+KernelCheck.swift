public import BLASDiagnostics

extension BLAS {
  /// `BLASDiagnostics`' report on the BLAS kernels in use (its `KernelReport`).
  public typealias KernelReport = BLASDiagnostics.KernelReport

  /// The kernel report for this process (`KernelReport.current` in `BLASDiagnostics`): the
  /// core the BLAS runs, `OPENBLAS_CORETYPE`, this machine's CPU, and the verdict.
  ///
  /// The corresponding functions are `openblas_get_config` and `openblas_get_corename`.
  /// - Complexity: O(1) after the first call (the CPU is read once).
  public static var kernelReport: KernelReport { .current }

  /// Evaluated once, before this package's first BLAS or LAPACK call: traps with the kernel
  /// report's message when OpenBLAS runs kernels that execute instructions this CPU lacks
  /// (`OPENBLAS_CORETYPE=SkylakeX` on a CPU without AVX-512, say), which would otherwise die of
  /// SIGILL, or compute wrong results, in the call.
  static let kernelsRunHere: Void = {
    let report = KernelReport.current
    if case .unsupported = report.verdict {
      trap(
        "BLAS: \(report.problem ?? report.description). Stopped before the first BLAS call, which would die of SIGILL."
      )
    }
  }()

  /// Traps once, with a message, if the BLAS kernels cannot run on this CPU (see
  /// ``kernelsRunHere``); every BLAS and LAPACK witness of ``BLASScalar`` calls it first.
  @inline(__always)
  static func requireRunnableKernels() { _ = kernelsRunHere }
}
