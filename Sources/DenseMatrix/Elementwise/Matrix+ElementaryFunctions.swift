import RealModule

extension Matrix {
  /// `e^x` for every element, like `np.exp(a)` (swift-numerics' `exp`, the C library's `exp` or
  /// `expf`): overflow gives +inf, `exp(-inf)` is 0, NaN stays NaN.
  ///
  /// - Complexity: O(rows × columns).
  public func exp() -> Matrix { map { Scalar.exp($0) } }

  /// The natural logarithm of every element, like `np.log(a)`: `log(0)` is -inf, a negative
  /// element gives NaN (numpy warns; nothing traps here).
  ///
  /// - Complexity: O(rows × columns).
  public func log() -> Matrix { map { Scalar.log($0) } }

  /// The square root of every element, like `np.sqrt(a)`: `sqrt(-0.0)` is -0.0, a negative
  /// element gives NaN.
  ///
  /// - Complexity: O(rows × columns).
  public func sqrt() -> Matrix { map { $0.squareRoot() } }

  /// The magnitude of every element, like `np.abs(a)`: -0.0 becomes 0.0, NaN stays NaN.
  ///
  /// - Complexity: O(rows × columns).
  public func abs() -> Matrix { map { $0.magnitude } }

  /// Every element limited to `[min, max]`, like `np.clip(a, min, max)`, which is
  /// `np.minimum(np.maximum(a, min), max)`: a NaN element stays NaN, and when `min > max` every
  /// element becomes `max`, as numpy documents.
  ///
  /// - Precondition: neither bound is NaN.
  /// - Complexity: O(rows × columns).
  public func clipped(min lower: Scalar, max upper: Scalar) -> Matrix {
    checkPrecondition(!lower.isNaN && !upper.isNaN, "clipped: the bounds must not be NaN, got \(lower) and \(upper)")
    return map { x in
      if x.isNaN { return x }
      let low = x < lower ? lower : x
      return low > upper ? upper : low
    }
  }
}
