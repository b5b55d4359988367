public import DenseMatrix

/// The mean squared error, `nn.MSELoss`: over every element of an output and its target,
/// `Σ (output − target)²` divided by the count (``Reduction/mean``, PyTorch's default) or not
/// (``Reduction/sum``), with its gradient with respect to the output.
public struct MSELoss: Sendable, Hashable {
  /// How the squared errors are combined.
  public enum Reduction: String, Sendable, Hashable, CaseIterable {
    /// Their mean (`reduction='mean'`).
    case mean
    /// Their sum (`reduction='sum'`).
    case sum
  }

  /// How the squared errors are combined.
  public var reduction: Reduction

  /// The loss with `reduction` (the mean by default, as PyTorch's).
  public init(reduction: Reduction = .mean) {
    self.reduction = reduction
  }

  /// The loss and dL/d(output): `2 (output − target)`, divided by the count for the mean.
  ///
  /// - Throws: `ShapeError` when the shapes differ.
  /// - Complexity: O(count); the sum is accumulated in `Double`. Allocates the gradient (see
  ///   ``callAsFunction(_:_:gradient:)`` for a buffer reused from call to call).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func callAsFunction<Scalar: BLASScalar>(
    _ output: Matrix<Scalar>, _ target: Matrix<Scalar>
  ) throws(ShapeError) -> (loss: Scalar, gradient: Matrix<Scalar>) {
    var gradient = Matrix<Scalar>(rows: 0, columns: 0, scalars: [])
    let loss = try self(output, target, gradient: &gradient)
    return (loss, gradient)
  }

  /// The loss, with dL/d(output) written into `gradient`: its own buffer when it already has
  /// the output's shape (no allocation, as a training loop needs), else a new one.
  ///
  /// - Throws: `ShapeError` when the output's and the target's shapes differ; `gradient` is then
  ///   unchanged.
  /// - Complexity: O(count); the sum is accumulated in `Double`.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func callAsFunction<Scalar: BLASScalar>(
    _ output: Matrix<Scalar>, _ target: Matrix<Scalar>, gradient: inout Matrix<Scalar>
  ) throws(ShapeError) -> Scalar {
    guard output.shape == target.shape else {
      throw ShapeError(
        operation: "MSELoss", reason: "output and target must have the same shape",
        shapes: [output.shape, target.shape])
    }
    let count = output.count
    let scale = reduction == .mean && count > 0 ? Scalar(2) / Scalar(count) : 2
    if gradient.shape != output.shape {
      gradient = Matrix(rows: output.rows, columns: output.columns, scalars: Array(repeating: 0, count: count))
    }
    var total = 0.0
    gradient.withUnsafeMutableBufferPointer { g in
      output.withUnsafeBufferPointer { o in
        target.withUnsafeBufferPointer { t in
          guard let g = g.baseAddress, let o = o.baseAddress, let t = t.baseAddress else { return }
          // Four running sums (one would wait on each addition before the next), added at the end.
          var sums = (0.0, 0.0, 0.0, 0.0)
          var index = 0
          while index &+ 4 <= count {
            let d = (
              o[index] - t[index], o[index &+ 1] - t[index &+ 1], o[index &+ 2] - t[index &+ 2],
              o[index &+ 3] - t[index &+ 3]
            )
            sums.0 += Double(d.0 * d.0)
            sums.1 += Double(d.1 * d.1)
            sums.2 += Double(d.2 * d.2)
            sums.3 += Double(d.3 * d.3)
            (g[index], g[index &+ 1], g[index &+ 2], g[index &+ 3]) = (
              scale * d.0, scale * d.1, scale * d.2, scale * d.3
            )
            index &+= 4
          }
          while index < count {
            let difference = o[index] - t[index]
            sums.0 += Double(difference * difference)
            g[index] = scale * difference
            index &+= 1
          }
          total = (sums.0 + sums.1) + (sums.2 + sums.3)
        }
      }
    }
    let loss = reduction == .mean && count > 0 ? total / Double(count) : total
    return Scalar(loss)
  }
}
