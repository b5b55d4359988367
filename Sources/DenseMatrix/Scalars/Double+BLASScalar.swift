import CBLAS
import CLAPACKE
public import RealModule
import _ActivationKernels

// Double's routines: the only place that names the d-prefixed BLAS and LAPACK functions and the
// f64 activation kernels.

extension Double: BLASScalar {
  /// `SIMD4<Double>`: 32 bytes.
  public typealias _Lanes = SIMD4<Double>
  /// `SIMD2<Double>`: 16 bytes.
  public typealias _HalfLanes = SIMD2<Double>

  /// `SIMD4<Double>(lowHalf: low, highHalf: high)`.
  @inlinable
  public static func _lanes(_ low: SIMD2<Double>, _ high: SIMD2<Double>) -> SIMD4<Double> {
    SIMD4<Double>(lowHalf: low, highHalf: high)
  }

  /// `"float64"`.
  public static var dtypeName: String { "float64" }
  /// `"d"`.
  public static var routinePrefix: String { "d" }

  /// Calls `cblas_dgemm`.
  public static func _gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    BLAS.requireRunnableKernels()
    cblas_dgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  /// Calls `cblas_dgemv`.
  public static func _gemv(
    transpose: Bool, rows: Int, columns: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int
  ) {
    BLAS.requireRunnableKernels()
    cblas_dgemv(
      CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, blasint(rows), blasint(columns), alpha, a,
      blasint(lda), x, blasint(incx), beta, y, blasint(incy))
  }

  /// Calls `cblas_ddot`.
  public static func _dot(n: Int, x: UnsafePointer<Double>, incx: Int, y: UnsafePointer<Double>, incy: Int) -> Double {
    BLAS.requireRunnableKernels()
    return cblas_ddot(blasint(n), x, blasint(incx), y, blasint(incy))
  }

  /// Calls `cblas_dnrm2`.
  public static func _nrm2(n: Int, x: UnsafePointer<Double>, incx: Int) -> Double {
    BLAS.requireRunnableKernels()
    return cblas_dnrm2(blasint(n), x, blasint(incx))
  }

  /// Calls `LAPACKE_dgesv`.
  public static func _gesv(
    n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Double>, lda: Int32, pivots: UnsafeMutablePointer<Int32>,
    b: UnsafeMutablePointer<Double>, ldb: Int32
  ) -> Int32 {
    BLAS.requireRunnableKernels()
    return LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, nrhs, a, lda, pivots, b, ldb)
  }

  /// Calls `LAPACKE_dgeqrf`, records the signs of R's diagonal, then calls `LAPACKE_dorgqr`.
  public static func _orthogonalFactor(
    n: Int32, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>,
    diagonalSigns: UnsafeMutablePointer<Double>
  ) -> Int32 {
    BLAS.requireRunnableKernels()
    let factorised = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, n, a, n, tau)
    guard factorised == 0 else { return factorised }
    for i in 0..<Int(n) { diagonalSigns[i] = a[i * Int(n) + i] < 0 ? -1 : 1 }  // before dorgqr overwrites R
    return LAPACKE_dorgqr(LAPACK_ROW_MAJOR, n, n, n, a, n, tau)
  }

  /// Calls `LAPACKE_dgesdd` with `jobz = 'N'`.
  public static func _gesdd(
    m: Int32, n: Int32, a: UnsafeMutablePointer<Double>, s: UnsafeMutablePointer<Double>
  ) -> Int32 {
    BLAS.requireRunnableKernels()
    return LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), m, n, a, n, s, nil, m, nil, n)
  }

  /// Calls `LAPACKE_dgeev` without eigenvectors.
  public static func _geev(
    n: Int32, a: UnsafeMutablePointer<Double>, wr: UnsafeMutablePointer<Double>, wi: UnsafeMutablePointer<Double>
  ) -> Int32 {
    BLAS.requireRunnableKernels()
    let no = CChar(UInt8(ascii: "N"))
    return LAPACKE_dgeev(LAPACK_ROW_MAJOR, no, no, n, a, n, wr, wi, nil, 1, nil, 1)
  }

  /// Calls `swift_blas_rnn_activation_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _activate(
    _ activation: Activation, path: ActivationPath, rows: Int, columns: Int, source: UnsafePointer<Double>,
    sourceStride: Int, bias: UnsafePointer<Double>?, destination: UnsafeMutablePointer<Double>, destinationStride: Int
  ) {
    let kind = activation.kernelCode
    switch path {
    case .avx512:
      swift_blas_rnn_activation_f64_avx512(
        kind, rows, columns, source, sourceStride, bias, destination, destinationStride)
    case .avx2:
      swift_blas_rnn_activation_f64_avx2(
        kind, rows, columns, source, sourceStride, bias, destination, destinationStride)
    case .portable:
      swift_blas_rnn_activation_f64_baseline(
        kind, rows, columns, source, sourceStride, bias, destination, destinationStride)
    }
  }

  /// The scalar functions of `Activation+Scalar.swift`: the kernels' algorithms, one value at a
  /// time (bit for bit the portable path on x86-64).
  public static func _activate(_ activation: Activation, _ x: Double) -> Double {
    switch activation {
    case .identity: return x
    case .sigmoid: return stableLogistic(x)
    case .tanh: return inlineTanh(x)
    case .relu: return x < 0 ? 0 : x
    }
  }

  /// Calls `swift_blas_rnn_extreme_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _extreme(path: ActivationPath, _ p: UnsafePointer<Double>, count: Int, greatest: Bool) -> Double {
    let flag: CInt = greatest ? 1 : 0
    switch path {
    case .avx512: return swift_blas_rnn_extreme_f64_avx512(p, count, flag)
    case .avx2: return swift_blas_rnn_extreme_f64_avx2(p, count, flag)
    case .portable: return swift_blas_rnn_extreme_f64_baseline(p, count, flag)
    }
  }

  /// Calls `swift_blas_rnn_column_extremes_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _columnExtremes(
    path: ActivationPath, _ a: UnsafePointer<Double>, rows: Int, columns: Int, greatest: Bool,
    into out: UnsafeMutablePointer<Double>
  ) {
    let flag: CInt = greatest ? 1 : 0
    switch path {
    case .avx512: swift_blas_rnn_column_extremes_f64_avx512(a, rows, columns, flag, out)
    case .avx2: swift_blas_rnn_column_extremes_f64_avx2(a, rows, columns, flag, out)
    case .portable: swift_blas_rnn_column_extremes_f64_baseline(a, rows, columns, flag, out)
    }
  }
}
