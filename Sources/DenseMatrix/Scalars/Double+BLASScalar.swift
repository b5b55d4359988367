import CBLAS
import CLAPACKE
public import RealModule
import _ActivationKernels
import _PackedKernels

// Double's routines: the only place that names the d-prefixed BLAS and LAPACK functions and the
// f64 vector kernels. Each witness is the routine's name and its arguments; what the routines
// share (checks, the LAPACK sign fix, the choice of kernel path) is generic code.

extension Double: BLASScalar {
  /// `"float64"`.
  public static var dtypeName: String { "float64" }
}

extension Double: SIMDLanes {
  /// `SIMD4<Double>`: 32 bytes.
  public typealias _Lanes = SIMD4<Double>
  /// `SIMD2<Double>`: 16 bytes.
  public typealias _HalfLanes = SIMD2<Double>

  /// `SIMD4<Double>(lowHalf: low, highHalf: high)`.
  @inlinable
  public static func _lanes(_ low: SIMD2<Double>, _ high: SIMD2<Double>) -> SIMD4<Double> {
    SIMD4<Double>(lowHalf: low, highHalf: high)
  }
}

extension Double: BLASRoutines {
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
}

extension Double: LAPACKRoutines {
  /// Calls `LAPACKE_dgesv`.
  public static func _gesv(
    n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Double>, lda: Int32, pivots: UnsafeMutablePointer<Int32>,
    b: UnsafeMutablePointer<Double>, ldb: Int32
  ) -> Int32 {
    BLAS.requireRunnableKernels()
    return LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, nrhs, a, lda, pivots, b, ldb)
  }

  /// Calls `LAPACKE_dgeqrf`.
  public static func _geqrf(n: Int32, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>) -> Int32 {
    BLAS.requireRunnableKernels()
    return LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, n, a, n, tau)
  }

  /// Calls `LAPACKE_dorgqr`.
  public static func _orgqr(n: Int32, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>) -> Int32 {
    BLAS.requireRunnableKernels()
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
}

extension Double: VectorKernels {
  /// Calls `swift_blas_rnn_activation_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _activate(
    _ activation: Activation, path: ActivationPath, rows: Int, columns: Int, source: UnsafePointer<Double>,
    sourceStride: Int, bias: UnsafePointer<Double>?, destination: UnsafeMutablePointer<Double>, destinationStride: Int
  ) {
    path.select(
      avx512: swift_blas_rnn_activation_f64_avx512, avx2: swift_blas_rnn_activation_f64_avx2,
      portable: swift_blas_rnn_activation_f64_baseline
    )(activation.kernelCode, rows, columns, source, sourceStride, bias, destination, destinationStride)
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

  /// Calls `swift_blas_rnn_gate_gradients_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _gateGradients(
    _ cell: GateGradientCell, path: ActivationPath, hidden: Int, tape: UnsafePointer<Double>?,
    state: UnsafePointer<Double>?, previous: UnsafePointer<Double>?, hnBias: UnsafePointer<Double>?,
    ds: UnsafePointer<Double>,
    carry: UnsafeMutablePointer<Double>, cellCarry: UnsafeMutablePointer<Double>?, delta: UnsafeMutablePointer<Double>,
    recurrentDelta: UnsafeMutablePointer<Double>?
  ) {
    path.select(
      avx512: swift_blas_rnn_gate_gradients_f64_avx512, avx2: swift_blas_rnn_gate_gradients_f64_avx2,
      portable: swift_blas_rnn_gate_gradients_f64_baseline
    )(cell.kernelCode, hidden, tape, state, previous, hnBias, ds, carry, cellCarry, delta, recurrentDelta)
  }

  /// Calls `swift_blas_rnn_lstm_pointwise_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _lstmPointwise(
    path: ActivationPath, hidden: Int, batch: Int, gates: UnsafeMutablePointer<Double>, gateStride: Int,
    bias: UnsafePointer<Double>?, cell: UnsafeMutablePointer<Double>, tanhCell: UnsafeMutablePointer<Double>,
    out: UnsafeMutablePointer<Double>
  ) {
    path.select(
      avx512: swift_blas_rnn_lstm_pointwise_f64_avx512, avx2: swift_blas_rnn_lstm_pointwise_f64_avx2,
      portable: swift_blas_rnn_lstm_pointwise_f64_baseline
    )(hidden, batch, gates, gateStride, bias, cell, tanhCell, out)
  }

  /// Calls `swift_blas_rnn_gru_pointwise_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _gruPointwise(
    path: ActivationPath, hidden: Int, batch: Int, gates: UnsafeMutablePointer<Double>, gateStride: Int,
    recurrentRZ: UnsafePointer<Double>?, recurrentN: UnsafePointer<Double>, bias: UnsafePointer<Double>?,
    hnBias: UnsafePointer<Double>, state: UnsafeMutablePointer<Double>
  ) {
    path.select(
      avx512: swift_blas_rnn_gru_pointwise_f64_avx512, avx2: swift_blas_rnn_gru_pointwise_f64_avx2,
      portable: swift_blas_rnn_gru_pointwise_f64_baseline
    )(hidden, batch, gates, gateStride, recurrentRZ, recurrentN, bias, hnBias, state)
  }

  /// Calls `swift_blas_rnn_transpose_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _transpose(
    path: ActivationPath, rowCount: Int, columns: Int, source: UnsafePointer<Double>, sourceStride: Int,
    destination: UnsafeMutablePointer<Double>, destinationStride: Int, rows: UnsafePointer<Int>?
  ) {
    path.select(
      avx512: swift_blas_rnn_transpose_f64_avx512, avx2: swift_blas_rnn_transpose_f64_avx2,
      portable: swift_blas_rnn_transpose_f64_baseline
    )(rowCount, columns, source, sourceStride, destination, destinationStride, rows)
  }

  /// Calls `swift_blas_rnn_extreme_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _extreme(path: ActivationPath, _ p: UnsafePointer<Double>, count: Int, greatest: Bool) -> Double {
    path.select(
      avx512: swift_blas_rnn_extreme_f64_avx512, avx2: swift_blas_rnn_extreme_f64_avx2,
      portable: swift_blas_rnn_extreme_f64_baseline
    )(p, count, greatest ? 1 : 0)
  }

  /// Calls `swift_blas_rnn_column_extremes_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _columnExtremes(
    path: ActivationPath, _ a: UnsafePointer<Double>, rows: Int, columns: Int, greatest: Bool,
    into out: UnsafeMutablePointer<Double>
  ) {
    path.select(
      avx512: swift_blas_rnn_column_extremes_f64_avx512, avx2: swift_blas_rnn_column_extremes_f64_avx2,
      portable: swift_blas_rnn_column_extremes_f64_baseline
    )(a, rows, columns, greatest ? 1 : 0, out)
  }

  /// Calls `swift_blas_rnn_pack_f64`.
  public static func _pack(
    _ w: UnsafePointer<Double>?, m: Int, k: Int, rowStride: Int, columnStride: Int,
    into packed: UnsafeMutablePointer<Double>
  ) {
    swift_blas_rnn_pack_f64(w, m, k, rowStride, columnStride, packed)
  }

  /// Calls `swift_blas_rnn_packed_gemm_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _packedProduct(
    path: ActivationPath, _ packed: UnsafePointer<Double>, m: Int, k: Int, h: UnsafePointer<Double>, ldh: Int, n: Int,
    beta: Bool, into c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    path.select(
      avx512: swift_blas_rnn_packed_gemm_f64_avx512, avx2: swift_blas_rnn_packed_gemm_f64_avx2,
      portable: swift_blas_rnn_packed_gemm_f64_baseline
    )(packed, m, k, h, ldh, n, beta ? 1 : 0, c, ldc)
  }

  /// Calls `swift_blas_rnn_pack_vector_f64`.
  public static func _packForVectors(
    _ w: UnsafePointer<Double>?, m: Int, k: Int, rowStride: Int, columnStride: Int,
    into packed: UnsafeMutablePointer<Double>
  ) {
    swift_blas_rnn_pack_vector_f64(w, m, k, rowStride, columnStride, packed)
  }

  /// Calls `swift_blas_rnn_packed_gemv_f64_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _packedVectorProduct(
    path: ActivationPath, _ packed: UnsafePointer<Double>, m: Int, k: Int, h: UnsafePointer<Double>, ldh: Int,
    beta: Bool, into c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    path.select(
      avx512: swift_blas_rnn_packed_gemv_f64_avx512, avx2: swift_blas_rnn_packed_gemv_f64_avx2,
      portable: swift_blas_rnn_packed_gemv_f64_baseline
    )(packed, m, k, h, ldh, beta ? 1 : 0, c, ldc)
  }
}
