public import DenseMatrix

/// Stochastic gradient descent with PyTorch's semantics (`torch.optim.SGD`, its single-tensor
/// implementation): with `g` the gradient and `p` the parameter,
///
/// ```
/// g ← g + weightDecay · p                                   (if weightDecay ≠ 0)
/// b ← g at the first step, else momentum · b + (1 − dampening) · g   (if momentum ≠ 0)
/// g ← g + momentum · b if nesterov, else b                  (if momentum ≠ 0)
/// p ← p − learningRate · g
/// ```
///
/// - Complexity: O(parameters' elements) per step; one buffer per parameter with momentum.
public struct SGD<Scalar: BLASScalar>: Optimizer {
  /// The step size (PyTorch's `lr`).
  public var learningRate: Scalar
  /// The momentum factor; 0 for none.
  public var momentum: Scalar
  /// The dampening of the gradient in the momentum buffer.
  public var dampening: Scalar
  /// Whether Nesterov momentum is used.
  public var nesterov: Bool
  /// The L2 penalty added to the gradient.
  public var weightDecay: Scalar
  /// The momentum buffers, by parameter name.
  public private(set) var momentumBuffers: Parameters<Scalar> = [:]

  /// - Precondition: `learningRate ≥ 0`, `momentum ≥ 0`, `weightDecay ≥ 0`; Nesterov momentum
  ///   needs `momentum > 0` and `dampening == 0` (as PyTorch requires).
  public init(
    learningRate: Scalar, momentum: Scalar = 0, dampening: Scalar = 0, nesterov: Bool = false,
    weightDecay: Scalar = 0
  ) {
    precondition(learningRate >= 0, "SGD: invalid learning rate \(learningRate)")
    precondition(momentum >= 0, "SGD: invalid momentum \(momentum)")
    precondition(weightDecay >= 0, "SGD: invalid weight decay \(weightDecay)")
    precondition(
      !nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  /// One step of the update above for every parameter that has a gradient, creating its state
  /// at its first step. Each parameter and its state are updated in place, one pass over their
  /// elements: no allocation after a parameter's first step, while `parameters` holds the only
  /// reference to each matrix (one shared with a copy, or with a network made from it, is copied
  /// first, once).
  ///
  /// - Complexity: O(elements).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public mutating func step(_ parameters: inout Parameters<Scalar>, gradients: Parameters<Scalar>) {
    // Each parameter's update is its own (the order of the names does not matter), one pass over
    // its elements with the arithmetic above, element by element, in place: the parameters and
    // momentum buffers are updated where they are (no copy while each is the only reference to
    // its storage), so that steps after the first allocate nothing.
    let (rate, decay, momentum, dampening, nesterov) = (
      self.learningRate, self.weightDecay, self.momentum, self.dampening, self.nesterov
    )
    for (name, gradient) in gradients where parameters[name] != nil {
      precondition(parameters[name]!.count == gradient.count, "parameter and gradient differ in size")
      if momentum == 0 {
        gradient.withUnsafeBufferPointer { g in
          parameters[name]!.withUnsafeMutableBufferPointer { p in
            for index in 0..<p.count {
              var d = g[index]
              if decay != 0 { d += decay * p[index] }
              p[index] -= rate * d
            }
          }
        }
        continue
      }
      let first = momentumBuffers[name] == nil
      if first { momentumBuffers[name] = .zeros(rows: gradient.rows, columns: gradient.columns) }
      gradient.withUnsafeBufferPointer { g in
        parameters[name]!.withUnsafeMutableBufferPointer { p in
          momentumBuffers[name]!.withUnsafeMutableBufferPointer { b in
            for index in 0..<p.count {
              var d = g[index]
              if decay != 0 { d += decay * p[index] }
              b[index] = first ? d : b[index] * momentum + (1 - dampening) * d
              d = nesterov ? d + momentum * b[index] : b[index]
              p[index] -= rate * d
            }
          }
        }
      }
    }
  }
}
