public import DenseMatrix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam and AdamW with PyTorch's semantics (`torch.optim.Adam`, `torch.optim.AdamW`, their
/// single-tensor implementations): at step t, with `g` the gradient and `p` the parameter,
///
/// ```
/// g ← g + weightDecay · p                       (Adam, if weightDecay ≠ 0)
/// p ← p · (1 − learningRate · weightDecay)      (AdamW)
/// m ← β₁ m + (1 − β₁) g
/// v ← β₂ v + (1 − β₂) g²
/// v̂ ← max(v̂, v) if amsgrad, else v
/// p ← p − (learningRate / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
/// ```
///
/// The bias corrections are computed in `Double` with the C library's `pow`, as Python's
/// floats are.
///
/// - Complexity: O(parameters' elements) per step; two buffers per parameter (three with
///   amsgrad).
public struct Adam<Scalar: BLASScalar>: Optimizer {
  /// The step size (PyTorch's `lr`).
  public var learningRate: Double
  /// The decay rates of the first and second moment estimates (β₁, β₂).
  public var betas: (Double, Double)
  /// Added to the denominator (PyTorch's `eps`).
  public var epsilon: Double
  /// The weight decay λ: an L2 term added to the gradient (Adam), or a decay of the parameter
  /// (AdamW).
  public var weightDecay: Double
  /// Whether the largest second moment so far is used (AMSGrad).
  public var amsgrad: Bool
  /// Whether the weight decay multiplies the parameters (AdamW) instead of adding to the
  /// gradient (Adam).
  public var decoupledWeightDecay: Bool

  /// A parameter's state: its steps, first and second moment estimates and, with amsgrad, the
  /// largest second moment so far.
  public struct State: Sendable {
    /// The steps taken.
    public var step: Int
    /// m, PyTorch's `exp_avg`.
    public var firstMoment: Matrix<Scalar>
    /// v, PyTorch's `exp_avg_sq`.
    public var secondMoment: Matrix<Scalar>
    /// v̂ with amsgrad (PyTorch's `max_exp_avg_sq`), else `nil`.
    public var maximumSecondMoment: Matrix<Scalar>?
  }

  /// The state of each parameter seen, by name.
  public private(set) var states: [String: State] = [:]

  /// Adam (`torch.optim.Adam`'s defaults: β = (0.9, 0.999), ε = 1e-8, no weight decay).
  ///
  /// - Precondition: `learningRate ≥ 0`, `epsilon ≥ 0`, each β in [0, 1), `weightDecay ≥ 0`.
  public init(
    learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8,
    weightDecay: Double = 0, amsgrad: Bool = false
  ) {
    self.init(
      learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad,
      decoupled: false)
  }

  /// AdamW (`torch.optim.AdamW`'s defaults: weight decay 0.01).
  public static func adamW(
    learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8,
    weightDecay: Double = 1e-2, amsgrad: Bool = false
  ) -> Adam {
    Adam(
      learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad,
      decoupled: true)
  }

  private init(
    learningRate: Double, betas: (Double, Double), epsilon: Double, weightDecay: Double, amsgrad: Bool, decoupled: Bool
  ) {
    precondition(learningRate >= 0, "Adam: invalid learning rate \(learningRate)")
    precondition(epsilon >= 0, "Adam: invalid epsilon \(epsilon)")
    precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "Adam: invalid betas \(betas)")
    precondition(weightDecay >= 0, "Adam: invalid weight decay \(weightDecay)")
    self.learningRate = learningRate
    self.betas = betas
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.amsgrad = amsgrad
    self.decoupledWeightDecay = decoupled
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
    // states are updated where they are (no copy while each is the only reference to its
    // storage), so that steps after the first allocate nothing.
    let settings = Settings(
      learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad,
      decoupled: decoupledWeightDecay)
    for (name, gradient) in gradients where parameters[name] != nil {
      precondition(parameters[name]!.count == gradient.count, "parameter and gradient differ in size")
      if states[name] == nil {
        let (rows, columns) = (gradient.rows, gradient.columns)
        states[name] = State(
          step: 0, firstMoment: .zeros(rows: rows, columns: columns),
          secondMoment: .zeros(rows: rows, columns: columns),
          maximumSecondMoment: amsgrad ? .zeros(rows: rows, columns: columns) : nil)
      }
      Self.update(&parameters[name]!, state: &states[name]!, gradient: gradient, settings: settings)
    }
  }

  /// The hyperparameters, apart from the states (which a step updates while it reads them).
  private struct Settings {
    var learningRate: Double
    var betas: (Double, Double)
    var epsilon: Double
    var weightDecay: Double
    var amsgrad: Bool
    var decoupled: Bool
  }

  /// One parameter's step (the update above), in place.
  private static func update(
    _ parameter: inout Matrix<Scalar>, state: inout State, gradient: Matrix<Scalar>, settings: Settings
  ) {
    let (learningRate, betas, epsilon, weightDecay) = (
      settings.learningRate, settings.betas, settings.epsilon, settings.weightDecay
    )
    let (decoupledWeightDecay, amsgrad) = (settings.decoupled, settings.amsgrad)
    let (beta1, beta2) = (Scalar(betas.0), Scalar(betas.1))
    state.step += 1
    let step = Double(state.step)
    let biasCorrection1 = 1 - pow(betas.0, step)
    let biasCorrection2 = 1 - pow(betas.1, step)
    let stepSize = Scalar(learningRate / biasCorrection1)
    let correction2Root = Scalar(biasCorrection2.squareRoot())
    let eps = Scalar(epsilon)
    let (decay, factor) = (Scalar(weightDecay), Scalar(1 - learningRate * weightDecay))
    let (coupled, decoupled) = (weightDecay != 0 && !decoupledWeightDecay, weightDecay != 0 && decoupledWeightDecay)
    // Without amsgrad the maximum is not read: any buffer stands in for it.
    var maximum = state.maximumSecondMoment ?? Matrix(rows: 0, columns: 0, scalars: [])
    state.maximumSecondMoment = nil
    defer { if amsgrad { state.maximumSecondMoment = maximum } }
    gradient.withUnsafeBufferPointer { g in
      parameter.withUnsafeMutableBufferPointer { p in
        state.firstMoment.withUnsafeMutableBufferPointer { m in
          state.secondMoment.withUnsafeMutableBufferPointer { v in
            maximum.withUnsafeMutableBufferPointer { maximum in
              for index in 0..<p.count {
                var gradient = g[index]
                if coupled { gradient += decay * p[index] }
                if decoupled { p[index] *= factor }
                m[index] = m[index] * beta1 + (1 - beta1) * gradient
                v[index] = v[index] * beta2 + (1 - beta2) * gradient * gradient
                var second = v[index]
                if amsgrad {
                  maximum[index] = max(maximum[index], second)
                  second = maximum[index]
                }
                let denominator = second.squareRoot() / correction2Root + eps
                p[index] += -stepSize * (m[index] / denominator)
              }
            }
          }
        }
      }
    }
  }
}
