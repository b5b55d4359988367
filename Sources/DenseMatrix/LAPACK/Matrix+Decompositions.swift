extension Matrix {
  /// A random n × n orthogonal matrix: the `Q` of the QR factorisation of a standard-normal
  /// matrix, with the sign fix of `torch.nn.init.orthogonal_` (each column of `Q` multiplied by
  /// the sign of the matching diagonal element of `R`), so that `Q` is uniformly distributed
  /// (Haar measure) and reproducible for a seeded generator.
  ///
  /// Orthogonal recurrent weights have every singular value equal to `gain`, so a linear
  /// recurrence neither explodes nor vanishes at initialisation.
  ///
  /// The corresponding LAPACKE functions are `LAPACKE_?geqrf` and `LAPACKE_?orgqr` (`s` for
  /// `Float`, `d` for `Double`).
  ///
  /// - Parameters:
  ///   - n: The size, at least 0.
  ///   - gain: A factor applied to `Q`, as in PyTorch (default 1).
  ///   - generator: The source of the Gaussian matrix.
  /// - Throws: ``LAPACKError/failed(routine:info:)`` if LAPACK reports an error.
  /// - Complexity: O(n³).
  public static func randomOrthogonal<G: RandomNumberGenerator>(
    _ n: Int, gain: Scalar = 1, using generator: inout G
  ) throws(LAPACKError) -> Matrix {
    try makeRandomOrthogonal(n, gain: gain, using: &generator)
  }

  static func makeRandomOrthogonal<G: RandomNumberGenerator>(
    _ n: Int, gain: Scalar, using generator: inout G
  ) throws(LAPACKError) -> Matrix {
    checkPrecondition(n >= 0 && n <= Int32.max, "Matrix.randomOrthogonal: size must be in 0...Int32.max, got \(n)")
    var q = makeRandomNormal(rows: n, columns: n, mean: 0, standardDeviation: 1, using: &generator)
    guard n > 0 else { return q }
    var tau = [Scalar](repeating: 0, count: n)
    var signs = [Scalar](repeating: 1, count: n)
    // Q of the QR factorisation, with the signs of R's diagonal recorded before `?orgqr`
    // overwrites R (PyTorch's fix, so that Q is uniformly distributed).
    let (factored, formed) = q.withUnsafeMutableBufferPointer { a in
      tau.withUnsafeMutableBufferPointer { tau in
        let (a, tau, size) = (a.baseAddress!, tau.baseAddress!, Int32(n))
        let factored = Scalar._geqrf(n: size, a: a, tau: tau)
        guard factored == 0 else { return (factored, Int32(0)) }
        for i in 0..<n { signs[i] = a[i * n + i] < 0 ? -1 : 1 }
        return (factored, Scalar._orgqr(n: size, a: a, tau: tau))
      }
    }
    let p = Scalar.routinePrefix
    guard factored == 0 else { throw .failed(routine: "LAPACKE_\(p)geqrf", info: factored) }
    guard formed == 0 else { throw .failed(routine: "LAPACKE_\(p)orgqr", info: formed) }
    q.withUnsafeMutableBufferPointer { a in
      for r in 0..<n {
        for c in 0..<n { a[r * n + c] *= signs[c] * gain }
      }
    }
    return q
  }
}

/// The singular values of `matrix`, largest first, like `np.linalg.svd(a, compute_uv=False)`.
///
/// The largest singular value of an RNN's `W_hh` bounds how much one step can stretch a
/// difference between two hidden states (before the activation, whose slope is at most 1 for
/// `tanh`, `relu` and identity, and 1/4 for `sigmoid`).
///
/// The corresponding LAPACKE function is `LAPACKE_?gesdd` (`sgesdd` or `dgesdd`; no singular
/// vectors).
///
/// - Returns: `min(rows, columns)` non-negative values in descending order.
/// - Throws: ``LAPACKError/notFinite(routine:)`` if an entry is NaN or infinite;
///   ``LAPACKError/failed(routine:info:)`` if the iteration does not converge.
/// - Complexity: O(m · n · min(m, n)).
public func singularValues<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>) throws(LAPACKError) -> [Scalar] {
  let (m, n) = (matrix.rows, matrix.columns)
  guard m > 0, n > 0 else { return [] }
  checkPrecondition(m <= Int32.max && n <= Int32.max, "singularValues: dimension exceeds the 32-bit LAPACK interface")
  let routine = "LAPACKE_\(Scalar.routinePrefix)gesdd"
  guard matrix.isFinite else { throw .notFinite(routine: routine) }
  var a = matrix
  var s = [Scalar](repeating: 0, count: min(m, n))
  let info = a.withUnsafeMutableBufferPointer { a_ in
    s.withUnsafeMutableBufferPointer { s_ in
      Scalar._gesdd(m: Int32(m), n: Int32(n), a: a_.baseAddress!, s: s_.baseAddress!)
    }
  }
  guard info == 0 else { throw .failed(routine: routine, info: info) }
  return s
}

/// The eigenvalues of a square matrix as (real, imaginary) pairs, in LAPACK's order, like
/// `np.linalg.eigvals(a)`.
///
/// The corresponding LAPACKE function is `LAPACKE_?geev` (`sgeev` or `dgeev`; no eigenvectors).
///
/// - Throws: ``LAPACKError/shape(_:)`` if `matrix` is not square;
///   ``LAPACKError/notFinite(routine:)`` if an entry is NaN or infinite;
///   ``LAPACKError/failed(routine:info:)`` if the QR algorithm does not converge.
/// - Complexity: O(n³).
public func eigenvalues<Scalar: BLASScalar>(
  _ matrix: Matrix<Scalar>
) throws(LAPACKError) -> [(real: Scalar, imaginary: Scalar)] {
  guard matrix.rows == matrix.columns else {
    throw .shape(ShapeError(operation: "eigenvalues", reason: "the matrix must be square", shapes: [matrix.shape]))
  }
  let n = matrix.rows
  guard n > 0 else { return [] }
  checkPrecondition(n <= Int32.max, "eigenvalues: dimension exceeds the 32-bit LAPACK interface")
  let routine = "LAPACKE_\(Scalar.routinePrefix)geev"
  guard matrix.isFinite else { throw .notFinite(routine: routine) }
  var a = matrix
  var wr = [Scalar](repeating: 0, count: n)
  var wi = [Scalar](repeating: 0, count: n)
  let info = a.withUnsafeMutableBufferPointer { a_ in
    wr.withUnsafeMutableBufferPointer { wr_ in
      wi.withUnsafeMutableBufferPointer { wi_ in
        Scalar._geev(n: Int32(n), a: a_.baseAddress!, wr: wr_.baseAddress!, wi: wi_.baseAddress!)
      }
    }
  }
  guard info == 0 else { throw .failed(routine: routine, info: info) }
  return zip(wr, wi).map { ($0, $1) }
}

/// The spectral radius of a square matrix: the largest modulus of its eigenvalues.
///
/// A linear recurrence `h ← W·h` is contractive in the long run exactly when this is below 1.
///
/// The corresponding LAPACKE function is `LAPACKE_?geev`.
///
/// - Throws: as ``eigenvalues(_:)``.
/// - Complexity: O(n³).
public func spectralRadius<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>) throws(LAPACKError) -> Scalar {
  try eigenvalues(matrix).map { ($0.real * $0.real + $0.imaginary * $0.imaginary).squareRoot() }.max() ?? 0
}

extension Matrix {
  /// Whether every element is finite (no NaN, no ±inf), like `np.isfinite(a).all()`.
  ///
  /// - Complexity: O(rows × columns).
  public var isFinite: Bool {
    withUnsafeBufferPointer { elements in elements.allSatisfy(\.isFinite) }
  }
}
