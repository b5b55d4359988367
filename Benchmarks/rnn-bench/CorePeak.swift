import DenseMatrix
import _FMAPeak

/// The floating-point peak of one core, measured: independent multiply-adds on whole vectors of
/// the widest path this machine has (``ActivationPath/best``), nothing read from memory. The
/// physical limit a row's GFLOP/s is set against.
struct CorePeak {
  /// The vector path measured: AVX-512F + FMA, AVX2 + FMA, or the baseline (SSE2 on x86-64, a
  /// multiply then an add).
  var path: ActivationPath
  /// GFLOP/s, `Float` and `Double`.
  var float32: Double
  var float64: Double

  /// Runs each type's loop until a call takes at least 10 ms, then keeps the fastest of five
  /// calls (a peak: the best the core did, not a typical time). About 0.2 s in all.
  static func measure(path: ActivationPath = .best) -> CorePeak {
    let code: Int32 = path == .avx512 ? 2 : path == .avx2 ? 1 : 0
    func best(_ kernel: (Int32, Int, UnsafeMutablePointer<Double>) -> Double) -> Double {
      var flops = 0.0
      var iterations = 1 << 14
      func seconds(_ iterations: Int) -> Double {
        let start = now()
        blackHole(kernel(code, iterations, &flops))
        return Double(now() - start) / 1e9
      }
      while seconds(iterations) < 0.01, iterations < 1 << 34 { iterations *= 2 }
      let fastest = (0..<5).map { _ in seconds(iterations) }.min()!
      return flops / fastest / 1e9
    }
    return CorePeak(
      path: path, float32: best(swift_blas_rnn_fma_peak_f32), float64: best(swift_blas_rnn_fma_peak_f64))
  }

  /// The peak of `Scalar`'s type.
  func gflops<Scalar: BLASScalar>(_: Scalar.Type) -> Double { Scalar.self == Float.self ? float32 : float64 }

  /// `This core's peak, measured (AVX2 + FMA, one thread): 90.1 GFLOP/s float32, 45.0 float64`.
  var line: String {
    let kind = path == .avx512 ? "AVX-512F + FMA" : path == .avx2 ? "AVX2 + FMA" : "the baseline vectors"
    return "This core's peak, measured (\(kind), one thread): \(fixed(float32, 1)) GFLOP/s float32, "
      + "\(fixed(float64, 1)) float64"
  }
}
