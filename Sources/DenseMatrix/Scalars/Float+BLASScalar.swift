import CBLAS
import CLAPACKE
public import RealModule
import _ActivationKernels
import _PackedKernels

// Float's routines: the only place that names the s-prefixed BLAS and LAPACK functions and the
// f32 vector kernels. Each witness is the routine's name and its arguments; what the routines
// share (checks, the LAPACK sign fix, the choice of kernel path) is generic code.

extension Float: BLASScalar {
  /// `"float32"`.
  public static var dtypeName: String { "float32" }
}

extension Float: SIMDLanes {
  /// `SIMD8<Float>`: 32 bytes.
  public typealias _Lanes = SIMD8<Float>
  /// `SIMD4<Float>`: 16 bytes.
  public typealias _HalfLanes = SIMD4<Float>

  /// `SIMD8<Float>(lowHalf: low, highHalf: high)`.
  @inlinable
  public static func _lanes(_ low: SIMD4<Float>, _ high: SIMD4<Float>) -> SIMD8<Float> {
    SIMD8<Float>(lowHalf: low, highHalf: high)
  }
}

extension Float: BLASRoutines {
  /// `"s"`.
  public static var routinePrefix: String { "s" }

  /// Calls `cblas_sgemm`.
  public static func _gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    BLAS.requireRunnableKernels()
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  /// Calls `cblas_sgemv`.
  public static func _gemv(
    transpose: Bool, rows: Int, columns: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
  ) {
    BLAS.requireRunnableKernels()
    cblas_sgemv(
      CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, blasint(rows), blasint(columns), alpha, a,
      blasint(lda), x, blasint(incx), beta, y, blasint(incy))
  }

  /// Calls `cblas_sdot`.
  public static func _dot(n: Int, x: UnsafePointer<Float>, incx: Int, y: UnsafePointer<Float>, incy: Int) -> Float {
    BLAS.requireRunnableKernels()
    return cblas_sdot(blasint(n), x, blasint(incx), y, blasint(incy))
  }

  /// Calls `cblas_snrm2`.
  public static func _nrm2(n: Int, x: UnsafePointer<Float>, incx: Int) -> Float {
    BLAS.requireRunnableKernels()
    return cblas_snrm2(blasint(n), x, blasint(incx))
  }
}

extension Float: LAPACKRoutines {
  /// Calls `LAPACKE_sgesv`.
  public static func _gesv(
    n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Float>, lda: Int32, pivots: UnsafeMutablePointer<Int32>,
    b: UnsafeMutablePointer<Float>, ldb: Int32
  ) -> Int32 {
    BLAS.requireRunnableKernels()
    return LAPACKE_sgesv(LAPACK_ROW_MAJOR, n, nrhs, a, lda, pivots, b, ldb)
  }

  /// Calls `LAPACKE_sgeqrf`.
  public static func _geqrf(n: Int32, a: UnsafeMutablePointer<Float>, tau: UnsafeMutablePointer<Float>) -> Int32 {
    BLAS.requireRunnableKernels()
    return LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, n, n, a, n, tau)
  }

  /// Calls `LAPACKE_sorgqr`.
  public static func _orgqr(n: Int32, a: UnsafeMutablePointer<Float>, tau: UnsafeMutablePointer<Float>) -> Int32 {
    BLAS.requireRunnableKernels()
    return LAPACKE_sorgqr(LAPACK_ROW_MAJOR, n, n, n, a, n, tau)
  }

  /// Calls `LAPACKE_sgesdd` with `jobz = 'N'`.
  public static func _gesdd(m: Int32, n: Int32, a: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>) -> Int32
  {
    BLAS.requireRunnableKernels()
    return LAPACKE_sgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), m, n, a, n, s, nil, m, nil, n)
  }

  /// Calls `LAPACKE_sgeev` without eigenvectors.
  public static func _geev(
    n: Int32, a: UnsafeMutablePointer<Float>, wr: UnsafeMutablePointer<Float>, wi: UnsafeMutablePointer<Float>
  ) -> Int32 {
    BLAS.requireRunnableKernels()
    let no = CChar(UInt8(ascii: "N"))
    return LAPACKE_sgeev(LAPACK_ROW_MAJOR, no, no, n, a, n, wr, wi, nil, 1, nil, 1)
  }
}

extension Float: VectorKernels {
  /// Calls `swift_blas_rnn_activation_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _activate(
    _ activation: Activation, path: ActivationPath, rows: Int, columns: Int, source: UnsafePointer<Float>,
    sourceStride: Int, bias: UnsafePointer<Float>?, destination: UnsafeMutablePointer<Float>, destinationStride: Int
  ) {
    path.select(
      avx512: swift_blas_rnn_activation_f32_avx512, avx2: swift_blas_rnn_activation_f32_avx2,
      portable: swift_blas_rnn_activation_f32_baseline
    )(activation.kernelCode, rows, columns, source, sourceStride, bias, destination, destinationStride)
  }

  /// Computed in `Double` and rounded: within 0.5 ulp of Float plus Double's 2 ulp (the
  /// kernels compute in `Float`, within 2 ulp).
  public static func _activate(_ activation: Activation, _ x: Float) -> Float {
    Float(Double._activate(activation, Double(x)))
  }

  /// Calls `swift_blas_rnn_gate_gradients_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _gateGradients(
    _ cell: GateGradientCell, path: ActivationPath, hidden: Int, tape: UnsafePointer<Float>?,
    state: UnsafePointer<Float>?, previous: UnsafePointer<Float>?, hnBias: UnsafePointer<Float>?,
    ds: UnsafePointer<Float>,
    carry: UnsafeMutablePointer<Float>, cellCarry: UnsafeMutablePointer<Float>?, delta: UnsafeMutablePointer<Float>,
    recurrentDelta: UnsafeMutablePointer<Float>?
  ) {
    path.select(
      avx512: swift_blas_rnn_gate_gradients_f32_avx512, avx2: swift_blas_rnn_gate_gradients_f32_avx2,
      portable: swift_blas_rnn_gate_gradients_f32_baseline
    )(cell.kernelCode, hidden, tape, state, previous, hnBias, ds, carry, cellCarry, delta, recurrentDelta)
  }

  /// Calls `swift_blas_rnn_lstm_pointwise_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _lstmPointwise(
    path: ActivationPath, hidden: Int, batch: Int, gates: UnsafeMutablePointer<Float>, gateStride: Int,
    bias: UnsafePointer<Float>?, cell: UnsafeMutablePointer<Float>, tanhCell: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>
  ) {
    path.select(
      avx512: swift_blas_rnn_lstm_pointwise_f32_avx512, avx2: swift_blas_rnn_lstm_pointwise_f32_avx2,
      portable: swift_blas_rnn_lstm_pointwise_f32_baseline
    )(hidden, batch, gates, gateStride, bias, cell, tanhCell, out)
  }

  /// Calls `swift_blas_rnn_gru_pointwise_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _gruPointwise(
    path: ActivationPath, hidden: Int, batch: Int, gates: UnsafeMutablePointer<Float>, gateStride: Int,
    recurrentRZ: UnsafePointer<Float>?, recurrentN: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    hnBias: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>
  ) {
    path.select(
      avx512: swift_blas_rnn_gru_pointwise_f32_avx512, avx2: swift_blas_rnn_gru_pointwise_f32_avx2,
      portable: swift_blas_rnn_gru_pointwise_f32_baseline
    )(hidden, batch, gates, gateStride, recurrentRZ, recurrentN, bias, hnBias, state)
  }

  /// Calls `swift_blas_rnn_transpose_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _transpose(
    path: ActivationPath, rowCount: Int, columns: Int, source: UnsafePointer<Float>, sourceStride: Int,
    destination: UnsafeMutablePointer<Float>, destinationStride: Int, rows: UnsafePointer<Int>?
  ) {
    path.select(
      avx512: swift_blas_rnn_transpose_f32_avx512, avx2: swift_blas_rnn_transpose_f32_avx2,
      portable: swift_blas_rnn_transpose_f32_baseline
    )(rowCount, columns, source, sourceStride, destination, destinationStride, rows)
  }

  /// Calls `swift_blas_rnn_extreme_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _extreme(path: ActivationPath, _ p: UnsafePointer<Float>, count: Int, greatest: Bool) -> Float {
    path.select(
      avx512: swift_blas_rnn_extreme_f32_avx512, avx2: swift_blas_rnn_extreme_f32_avx2,
      portable: swift_blas_rnn_extreme_f32_baseline
    )(p, count, greatest ? 1 : 0)
  }

  /// Calls `swift_blas_rnn_column_extremes_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _columnExtremes(
    path: ActivationPath, _ a: UnsafePointer<Float>, rows: Int, columns: Int, greatest: Bool,
    into out: UnsafeMutablePointer<Float>
  ) {
    path.select(
      avx512: swift_blas_rnn_column_extremes_f32_avx512, avx2: swift_blas_rnn_column_extremes_f32_avx2,
      portable: swift_blas_rnn_column_extremes_f32_baseline
    )(a, rows, columns, greatest ? 1 : 0, out)
  }

  /// Calls `swift_blas_rnn_pack_f32`.
  public static func _pack(
    _ w: UnsafePointer<Float>?, m: Int, k: Int, rowStride: Int, columnStride: Int,
    into packed: UnsafeMutablePointer<Float>
  ) {
    swift_blas_rnn_pack_f32(w, m, k, rowStride, columnStride, packed)
  }

  /// Calls `swift_blas_rnn_packed_gemm_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _packedProduct(
    path: ActivationPath, _ packed: UnsafePointer<Float>, m: Int, k: Int, h: UnsafePointer<Float>, ldh: Int, n: Int,
    beta: Bool, into c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    path.select(
      avx512: swift_blas_rnn_packed_gemm_f32_avx512, avx2: swift_blas_rnn_packed_gemm_f32_avx2,
      portable: swift_blas_rnn_packed_gemm_f32_baseline
    )(packed, m, k, h, ldh, n, beta ? 1 : 0, c, ldc)
  }

  /// Calls `swift_blas_rnn_pack_vector_f32`.
  public static func _packForVectors(
    _ w: UnsafePointer<Float>?, m: Int, k: Int, rowStride: Int, columnStride: Int,
    into packed: UnsafeMutablePointer<Float>
  ) {
    swift_blas_rnn_pack_vector_f32(w, m, k, rowStride, columnStride, packed)
  }

  /// Calls `swift_blas_rnn_packed_gemv_f32_avx512`, `_avx2` or `_baseline` as `path` says.
  public static func _packedVectorProduct(
    path: ActivationPath, _ packed: UnsafePointer<Float>, m: Int, k: Int, h: UnsafePointer<Float>, ldh: Int,
    beta: Bool, into c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    path.select(
      avx512: swift_blas_rnn_packed_gemv_f32_avx512, avx2: swift_blas_rnn_packed_gemv_f32_avx2,
      portable: swift_blas_rnn_packed_gemv_f32_baseline
    )(packed, m, k, h, ldh, beta ? 1 : 0, c, ldc)
  }
}
