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
  /// at its first step.
  ///
  /// - Complexity: O(elements).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public mutating func step(_ parameters: inout Parameters<Scalar>, gradients: Parameters<Scalar>) {
    for name in gradients.keys.sorted() {
      guard var parameter = parameters[name], let gradient = gradients[name] else { continue }
      var direction = gradient
      if weightDecay != 0 {
        update(&direction, with: parameter) { g, p in g += weightDecay * p }
      }
      if momentum != 0 {
        if var buffer = momentumBuffers[name] {
          update(&buffer, with: direction) { b, g in b = b * momentum + (1 - dampening) * g }
          momentumBuffers[name] = buffer
        } else {
          momentumBuffers[name] = direction
        }
        let buffer = momentumBuffers[name]!
        if nesterov {
          update(&direction, with: buffer) { g, b in g += momentum * b }
        } else {
          direction = buffer
        }
      }
      update(&parameter, with: direction) { p, g in p -= learningRate * g }
      parameters[name] = parameter
    }
  }
}
