public import RealModule

/// The element types of a ``Matrix``: `Float` and `Double`, each tied to its BLAS, LAPACK and
/// vector-kernel routines (`cblas_sgemm` or `cblas_dgemm`, `LAPACKE_sgesv` or `LAPACKE_dgesv`, ...).
///
/// The generic code of this package (``Matrix``, the products, the decompositions, the RNN) is
/// written once and calls the routine of its element type through the underscored requirements
/// below; only `Float+BLASScalar.swift` and `Double+BLASScalar.swift` name a typed routine. The
/// underscored requirements are that mapping, not API to call: their arguments are unchecked.
///
/// Only `Float` and `Double` conform; other types cannot (the requirements are the C routines).
/// It refines swift-numerics' `Real`, so generic code has `Scalar.exp(x)`, `Scalar.log(x)` and the
/// other elementary functions.
public protocol BLASScalar: BinaryFloatingPoint, Real, SIMDScalar, Codable, Sendable, LosslessStringConvertible
where RawSignificand: FixedWidthInteger {
  /// The pure-Swift kernels' vector: 32 bytes, `SIMD4<Double>` or `SIMD8<Float>` (two SSE2
  /// registers; one AVX register where the build targets it).
  associatedtype _Lanes: SIMD where _Lanes.Scalar == Self

  /// Half of ``_Lanes``: 16 bytes, one SSE2 register (`SIMD2<Double>`, `SIMD4<Float>`).
  associatedtype _HalfLanes: SIMD where _HalfLanes.Scalar == Self

  /// The vector whose halves are `low` and `high`.
  static func _lanes(_ low: _HalfLanes, _ high: _HalfLanes) -> _Lanes

  /// numpy's name of the type: `float32` or `float64`.
  static var dtypeName: String { get }

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

  /// `LAPACKE_?gesv` (row-major): solves `A·X = B` in place; returns `info`. Unchecked.
  static func _gesv(
    n: Int32, nrhs: Int32, a: UnsafeMutablePointer<Self>, lda: Int32, pivots: UnsafeMutablePointer<Int32>,
    b: UnsafeMutablePointer<Self>, ldb: Int32
  ) -> Int32

  /// `LAPACKE_?geqrf` then `LAPACKE_?orgqr` (row-major, square): Q of the QR factorisation in
  /// place, with `diagonalSigns` receiving the signs of R's diagonal first; returns `info`.
  static func _orthogonalFactor(
    n: Int32, a: UnsafeMutablePointer<Self>, tau: UnsafeMutablePointer<Self>,
    diagonalSigns: UnsafeMutablePointer<Self>
  ) -> Int32

  /// `LAPACKE_?gesdd` with `jobz = 'N'` (row-major): the singular values into `s`; returns `info`.
  static func _gesdd(m: Int32, n: Int32, a: UnsafeMutablePointer<Self>, s: UnsafeMutablePointer<Self>) -> Int32

  /// `LAPACKE_?geev` without eigenvectors (row-major): eigenvalues into `wr`, `wi`; returns `info`.
  static func _geev(
    n: Int32, a: UnsafeMutablePointer<Self>, wr: UnsafeMutablePointer<Self>, wi: UnsafeMutablePointer<Self>
  ) -> Int32

  /// The bias-and-activation kernel of `path` for this type (`swift_blas_rnn_activation_f32_avx2`,
  /// ...): `destination[r, c] = g(source[r, c] + bias[r])`. Unchecked; the path must be supported.
  static func _activate(
    _ activation: Activation, path: ActivationPath, rows: Int, columns: Int, source: UnsafePointer<Self>,
    sourceStride: Int, bias: UnsafePointer<Self>?, destination: UnsafeMutablePointer<Self>, destinationStride: Int)

  /// The largest (`greatest`) or smallest of `count ≥ 1` contiguous elements, NaN if one is NaN,
  /// by the vector kernel of `path` (`swift_blas_rnn_extreme_f32_avx512`, ...). Unchecked.
  static func _extreme(path: ActivationPath, _ p: UnsafePointer<Self>, count: Int, greatest: Bool) -> Self

  /// Each column's largest or smallest element (NaN where one is NaN) of a `rows ≥ 1` × `columns`
  /// row-major block into `out`, by the vector kernel of `path`. Unchecked.
  static func _columnExtremes(
    path: ActivationPath, _ a: UnsafePointer<Self>, rows: Int, columns: Int, greatest: Bool,
    into out: UnsafeMutablePointer<Self>)

  /// The activation of one value (the scalar reference of the kernels).
  static func _activate(_ activation: Activation, _ x: Self) -> Self
}
