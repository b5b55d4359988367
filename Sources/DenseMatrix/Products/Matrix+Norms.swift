/// The inner product of two vectors, like `np.dot(a, b)` on 1-D arrays (`np.vdot` on the
/// flattened matrices): Σ a[i]·b[i] over the elements in row-major order.
///
/// The corresponding CBLAS function is `cblas_?dot` (`sdot` for `Float`, `ddot` for `Double`).
///
/// - Precondition: both have the same number of elements; the message names both shapes. A row
///   and a column of the same length are fine (their elements are taken in order).
/// - Complexity: O(count).
public func dot<Scalar: BLASScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> Scalar {
  checkPrecondition(
    a.count == b.count,
    "dot: the operands have \(a.count) and \(b.count) elements: \(a.shape.compact), \(b.shape.compact)")
  checkPrecondition(a.count <= Int32.max, "dot: \(a.count) elements exceed the 32-bit BLAS interface")
  guard a.count > 0 else { return 0 }
  return a.withUnsafeBufferPointer { x in
    b.withUnsafeBufferPointer { y in Scalar._dot(n: x.count, x: x.baseAddress!, incx: 1, y: y.baseAddress!, incy: 1) }
  }
}

extension Matrix {
  /// The Frobenius norm, √(Σ x²) over every element, like `np.linalg.norm(a)`: computed by
  /// `cblas_?nrm2`, which scales as it goes, so it neither overflows nor underflows where the
  /// result is representable (0 for an empty matrix; NaN if an element is NaN; +inf if one is
  /// infinite).
  ///
  /// - Complexity: O(count).
  public func norm() -> Scalar {
    checkPrecondition(count <= Int32.max, "norm: \(count) elements exceed the 32-bit BLAS interface")
    guard count > 0 else { return 0 }
    return withUnsafeBufferPointer { Scalar._nrm2(n: $0.count, x: $0.baseAddress!, incx: 1) }
  }

  /// The spectral norm (the 2-norm), the largest singular value, like `np.linalg.norm(a, 2)`:
  /// from `LAPACKE_?gesdd` (0 for an empty matrix).
  ///
  /// - Throws: as ``singularValues(_:)`` (a NaN or infinite element is ``LAPACKError/notFinite(routine:)``).
  /// - Complexity: O(m · n · min(m, n)).
  public func spectralNorm() throws(LAPACKError) -> Scalar {
    try singularValues(self).first ?? 0
  }
}
