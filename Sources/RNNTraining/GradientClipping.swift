public import DenseMatrix

/// Scales `gradients` so that their total 2-norm (over every element of every tensor) is at
/// most `maximumNorm`, as `torch.nn.utils.clip_grad_norm_` does: with `n` the total norm, each
/// gradient is multiplied by `min(1, maximumNorm / (n + 1e-6))`.
///
/// - Returns: The total norm before clipping.
/// - Precondition: `maximumNorm ≥ 0`.
/// - Complexity: O(elements); the norm is accumulated in `Double`.
@discardableResult
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func clipGradientNorm<Scalar: BLASScalar>(_ gradients: inout Parameters<Scalar>, maximumNorm: Double) -> Double {
  precondition(maximumNorm >= 0, "clipGradientNorm: the maximum norm must be non-negative, got \(maximumNorm)")
  let norm = gradientNorm(gradients)
  let coefficient = Scalar(min(1, maximumNorm / (norm + 1e-6)))
  for name in gradients.keys {
    gradients[name]!.withUnsafeMutableBufferPointer { g in
      for index in g.indices { g[index] *= coefficient }
    }
  }
  return norm
}

/// The total 2-norm of `gradients`, over every element of every tensor.
///
/// - Complexity: O(elements), accumulated in `Double`.
@specialized(where Scalar == Float)
@specialized(where Scalar == Double)
public func gradientNorm<Scalar: BLASScalar>(_ gradients: Parameters<Scalar>) -> Double {
  var sum = 0.0
  for gradient in gradients.values {
    gradient.withUnsafeBufferPointer { g in
      for value in g { sum += Double(value) * Double(value) }
    }
  }
  return sum.squareRoot()
}
