internal import _PackedKernels
public import RealModule

/// The element types of a ``Matrix``: `Float` and `Double`, each tied to its BLAS, LAPACK and
/// vector-kernel routines (`cblas_sgemm` or `cblas_dgemm`, `LAPACKE_sgesv` or `LAPACKE_dgesv`, ...).
///
/// The generic code of this package (``Matrix``, the products, the decompositions, the RNN) is
/// written once and calls the routine of its element type through the underscored requirements
/// of the capabilities it is composed of: ``BLASRoutines``, ``LAPACKRoutines``,
/// ``VectorKernels`` and ``SIMDLanes``. Only `Float+BLASScalar.swift` and
/// `Double+BLASScalar.swift` name a typed routine, one witness per routine. The underscored
/// requirements are that mapping, not API to call: their arguments are unchecked.
///
/// Only `Float` and `Double` conform; other types cannot (the requirements are the C routines).
/// It refines swift-numerics' `Real`, so generic code has `Scalar.exp(x)`, `Scalar.log(x)` and the
/// other elementary functions.
public protocol BLASScalar: BinaryFloatingPoint, Real, SIMDScalar, Codable, Sendable, LosslessStringConvertible,
  BLASRoutines, LAPACKRoutines, VectorKernels, SIMDLanes
where RawSignificand: FixedWidthInteger {
  /// numpy's name of the type: `float32` or `float64`.
  static var dtypeName: String { get }
}

/// The BLAS routines of one element type (`cblas_sgemm` or `cblas_dgemm`, ...). A capability of
/// ``BLASScalar``; the requirements are the routines, unchecked.
public protocol BLASRoutines {
  /// The BLAS/LAPACK type letter: `s` or `d` (`cblas_sgemm`, `LAPACKE_dgesv`).
  static var routinePrefix: String { get }

  /// `cblas_?gemm` on row-major buffers: `C = alpha · op(A) · op(B) + beta · C`. Unchecked.
  static func _gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

  /// `cblas_?gemv` on a row-major `rows × columns` matrix: `y = alpha · op(A) · x + beta · y`. Unchecked.
  static func _gemv(
    transpose: Bool, rows: Int, columns: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)

  /// `cblas_?dot`: the inner product of `n` elements of `x` and `y`, `incx` and `incy` apart. Unchecked.
  static func _dot(n: Int, x: UnsafePointer<Self>, incx: Int, y: UnsafePointer<Self>, incy: Int) -> Self

  /// `cblas_?nrm2`: the Euclidean norm of `n` elements of `x`, `incx` apart, without overflow. Unchecked.
  static func _nrm2(n: Int, x: UnsafePointer<Self>, incx: Int) -> Self
}

/// The LAPACK routines of one element type (`LAPACKE_sgesv` or `LAPACKE_dgesv`, ...), row-major.
/// A capability of ``BLASScalar``; the requirements are the routines, unchecked.
public protocol LAPACKRoutines {
  /// `LAPACKE_?gesv`: solves `A·X = B` in place; returns `info`. Unchecked.
  static func _gesv(
    n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Self>, lda: Int32, pivots: UnsafeMutablePointer<Int32>,
    b: UnsafeMutablePointer<Self>, ldb: Int32
  ) -> Int32

  /// `LAPACKE_?geqrf` on a square `n × n` matrix: its QR factorisation in place (R above the
  /// diagonal, the reflectors below, their scalars in `tau`); returns `info`. Unchecked.
  static func _geqrf(n: Int32, a: UnsafeMutablePointer<Self>, tau: UnsafeMutablePointer<Self>) -> Int32

  /// `LAPACKE_?orgqr` on ``_geqrf(n:a:tau:)``'s result: Q in place; returns `info`. Unchecked.
  static func _orgqr(n: Int32, a: UnsafeMutablePointer<Self>, tau: UnsafeMutablePointer<Self>) -> Int32

  /// `LAPACKE_?gesdd` with `jobz = 'N'`: the singular values into `s`; returns `info`. Unchecked.
  static func _gesdd(m: Int32, n: Int32, a: UnsafeMutablePointer<Self>, s: UnsafeMutablePointer<Self>) -> Int32

  /// `LAPACKE_?geev` without eigenvectors: eigenvalues into `wr`, `wi`; returns `info`. Unchecked.
  static func _geev(
    n: Int32, a: UnsafeMutablePointer<Self>, wr: UnsafeMutablePointer<Self>, wi: UnsafeMutablePointer<Self>
  ) -> Int32
}

/// The vector kernels of one element type (`swift_blas_rnn_activation_f32_avx2`, ...), one per
/// ``ActivationPath``. A capability of ``BLASScalar``; the requirements are the kernels, unchecked.
public protocol VectorKernels {
  /// The bias-and-activation kernel of `path`: `destination[r, c] = g(source[r, c] + bias[r])`.
  /// Unchecked; the path must be supported.
  static func _activate(
    _ activation: Activation, path: ActivationPath, rows: Int, columns: Int, source: UnsafePointer<Self>,
    sourceStride: Int, bias: UnsafePointer<Self>?, destination: UnsafeMutablePointer<Self>, destinationStride: Int)

  /// The largest (`greatest`) or smallest of `count ≥ 1` contiguous elements, NaN if one is NaN,
  /// by the kernel of `path`. Unchecked.
  static func _extreme(path: ActivationPath, _ p: UnsafePointer<Self>, count: Int, greatest: Bool) -> Self

  /// Each column's largest or smallest element (NaN where one is NaN) of a `rows ≥ 1` × `columns`
  /// row-major block into `out`, by the kernel of `path`. Unchecked.
  static func _columnExtremes(
    path: ActivationPath, _ a: UnsafePointer<Self>, rows: Int, columns: Int, greatest: Bool,
    into out: UnsafeMutablePointer<Self>)

  /// The activation of one value (the scalar reference of the kernels).
  static func _activate(_ activation: Activation, _ x: Self) -> Self

  /// One row of a recurrent cell's backpropagation through time, by the kernel of `path`: from
  /// `dh = ds + carry`, the gates' gradients into `delta` (and the GRU's recurrent side into
  /// `recurrentDelta`), the carries for the step before updated (see
  /// `swift_blas_rnn_gate_gradients_f32_avx512` in `ActivationKernels.h` for each cell's
  /// arithmetic). Unchecked; the path must be supported.
  static func _gateGradients(
    _ cell: GateGradientCell, path: ActivationPath, hidden: Int, tape: UnsafePointer<Self>?,
    state: UnsafePointer<Self>?, previous: UnsafePointer<Self>?, hnBias: UnsafePointer<Self>?, ds: UnsafePointer<Self>,
    carry: UnsafeMutablePointer<Self>, cellCarry: UnsafeMutablePointer<Self>?, delta: UnsafeMutablePointer<Self>,
    recurrentDelta: UnsafeMutablePointer<Self>?)

  /// An LSTM step's pointwise part for `hidden` units of `batch` sequences, by the kernel of
  /// `path`: gate q (i, f, g, o) of unit r, sequence k at `gates[(q · hidden + r) · gateStride +
  /// k]`, its `bias` (4 · hidden values, or `nil` when the gates have it) added, activated in
  /// place; then, `cell`, `tanhCell` and `out` being `hidden × batch` and contiguous,
  /// `c ← f ⊙ c + i ⊙ g`, `tanhCell = tanh(c)`, `out = o ⊙ tanhCell`. The same results as the
  /// activation passes and the products one at a time. Unchecked; no buffer overlaps another.
  static func _lstmPointwise(
    path: ActivationPath, hidden: Int, batch: Int, gates: UnsafeMutablePointer<Self>, gateStride: Int,
    bias: UnsafePointer<Self>?, cell: UnsafeMutablePointer<Self>, tanhCell: UnsafeMutablePointer<Self>,
    out: UnsafeMutablePointer<Self>)

  /// A GRU step's pointwise part for `hidden` units of `batch` sequences, by the kernel of
  /// `path`: gate q (r, z, n) of unit u, sequence k at `gates[(q · hidden + u) · gateStride + k]`
  /// (its input part), `recurrentRZ` (2 · hidden × batch, or `nil` when the gates have them) r's
  /// and z's recurrent parts, `recurrentN` `W_hn · h`, `bias` (3 · hidden, or `nil`) and `hnBias`
  /// (b_hn): r, z = σ(gate + recurrent + bias), n = tanh(gate + r ⊙ (W_hn h + b_hn) + bias), stored
  /// over the gates, and `state ← n + z ⊙ (state − n)` (hidden × batch, contiguous). The same
  /// results as the activation passes and the products one at a time. Unchecked; no buffer
  /// overlaps another.
  static func _gruPointwise(
    path: ActivationPath, hidden: Int, batch: Int, gates: UnsafeMutablePointer<Self>, gateStride: Int,
    recurrentRZ: UnsafePointer<Self>?, recurrentN: UnsafePointer<Self>, bias: UnsafePointer<Self>?,
    hnBias: UnsafePointer<Self>, state: UnsafeMutablePointer<Self>)

  /// `destination[(rows?[c] ?? c) · destinationStride + r] = source[r · sourceStride + c]` for
  /// `r < rowCount`, `c < columns`: a transpose (with `rows`, a scatter of the transposed rows),
  /// in 8 × 8 tiles transposed in registers by the kernel of `path`. The buffers do not overlap.
  /// Unchecked; the path must be supported.
  static func _transpose(
    path: ActivationPath, rowCount: Int, columns: Int, source: UnsafePointer<Self>, sourceStride: Int,
    destination: UnsafeMutablePointer<Self>, destinationStride: Int, rows: UnsafePointer<Int>?)

  /// Packs `w` (`m × k`, element `(i, kk)` at `w[i · rowStride + kk · columnStride]`: a
  /// row-major matrix, or with the strides swapped its transpose) into `packed`
  /// (``_packedCount(m:k:)`` elements), the panel layout of
  /// ``_packedProduct(path:_:m:k:h:ldh:n:beta:into:ldc:)``; `w` is `nil` only when the matrix
  /// is empty. Unchecked.
  static func _pack(
    _ w: UnsafePointer<Self>?, m: Int, k: Int, rowStride: Int, columnStride: Int,
    into packed: UnsafeMutablePointer<Self>)

  /// `c = beta · c + W · h` with W packed by ``_pack(_:m:k:rowStride:columnStride:into:)``, `h` `k × n` and `c`
  /// `m × n` row-major with row strides `ldh` and `ldc`, `beta` 0 (c not read) or 1, by the
  /// kernel of `path`. Unchecked.
  static func _packedProduct(
    path: ActivationPath, _ packed: UnsafePointer<Self>, m: Int, k: Int, h: UnsafePointer<Self>, ldh: Int, n: Int,
    beta: Bool, into c: UnsafeMutablePointer<Self>, ldc: Int)

  /// Packs `w` (`m × k`, element `(i, kk)` at `w[i · rowStride + kk · columnStride]`) into
  /// `packed` (``_packedVectorCount(m:k:)`` elements), the one-column layout of
  /// ``_packedVectorProduct(path:_:m:k:h:ldh:beta:into:ldc:)`` (panels of 64 bytes of rows);
  /// `w` is `nil` only when the matrix is empty. Unchecked.
  static func _packForVectors(
    _ w: UnsafePointer<Self>?, m: Int, k: Int, rowStride: Int, columnStride: Int,
    into packed: UnsafeMutablePointer<Self>)

  /// `c = beta · c + W · h` for one column, W packed by
  /// ``_packForVectors(_:m:k:rowStride:columnStride:into:)``:
  /// `h`'s element `i` at `h[i · ldh]`, `c`'s row `r` at `c[r · ldc]`, `beta` 0 (c not read) or 1,
  /// by the kernel of `path`. Unchecked.
  static func _packedVectorProduct(
    path: ActivationPath, _ packed: UnsafePointer<Self>, m: Int, k: Int, h: UnsafePointer<Self>, ldh: Int,
    beta: Bool, into c: UnsafeMutablePointer<Self>, ldc: Int)
}

/// The cell whose step `VectorKernels._gateGradients` differentiates (one row of
/// backpropagation through time).
public enum GateGradientCell: Sendable, Hashable {
  /// A vanilla cell with this activation: its derivative is read off the state.
  case vanilla(Activation)
  /// An LSTM: the tape holds i, f, g, o, c_{t−1} and tanh(c_t).
  case lstm
  /// A GRU: the tape holds r, z, n and `W_hn · h_{t−1}`.
  case gru

  /// The kernels' code for it (`enum swift_blas_rnn_gradient_kind`, or the activation's).
  var kernelCode: CInt {
    switch self {
    case .vanilla(let activation): activation.kernelCode
    case .lstm: 16
    case .gru: 17
    }
  }
}

extension VectorKernels {
  /// The elements of an `m × k` matrix's packed copy: `m` rounded up to whole panels, times `k`.
  public static func _packedCount(m: Int, k: Int) -> Int { Int(swift_blas_rnn_packed_count(m, k)) }

  /// The elements of an `m × k` matrix's one-column packed copy: `m` rounded up to whole panels
  /// of 64 bytes, times `k`, and one panel column of padding.
  public static func _packedVectorCount(m: Int, k: Int) -> Int {
    Int(swift_blas_rnn_packed_vector_count(m, k, MemoryLayout<Self>.stride))
  }
}

/// The vectors of the pure-Swift kernels for one element type. A capability of ``BLASScalar``.
public protocol SIMDLanes: SIMDScalar, Hashable, Codable {
  /// The pure-Swift kernels' vector: 32 bytes, `SIMD4<Double>` or `SIMD8<Float>` (two SSE2
  /// registers; one AVX register where the build targets it).
  associatedtype _Lanes: SIMD where _Lanes.Scalar == Self

  /// Half of ``_Lanes``: 16 bytes, one SSE2 register (`SIMD2<Double>`, `SIMD4<Float>`).
  associatedtype _HalfLanes: SIMD where _HalfLanes.Scalar == Self

  /// The vector whose halves are `low` and `high`.
  static func _lanes(_ low: _HalfLanes, _ high: _HalfLanes) -> _Lanes
}

extension ActivationPath {
  /// The one of three routines, or values, that belongs to this path: the conformances name
  /// their kernels with it, so that the choice of path is written once.
  @inlinable
  func select<Routine>(avx512: Routine, avx2: Routine, portable: Routine) -> Routine {
    switch self {
    case .avx512: return avx512
    case .avx2: return avx2
    case .portable: return portable
    }
  }
}
