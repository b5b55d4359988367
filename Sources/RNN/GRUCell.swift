public import DenseMatrix

/// One GRU layer's cell with PyTorch's `nn.GRU` equations and gate order (r, z, n), for inference:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// The weights are PyTorch's `weight_ih_l0` (3H × I) and `weight_hh_l0` (3H × H), rows r, z, n.
/// The n-gate's recurrent product is scaled by r *before* it meets the input product, so the two
/// cannot be summed by one product over `[x; h]` as in ``LSTMCell``: a step computes
/// `W_ih · x` and `W_hh · h` into two 3H × B blocks (two `cblas_?gemm`/`?gemv` calls), adds the
/// r and z rows with both biases, and keeps `W_hn h + b_hn` apart for the n gate.
public struct GRUCell<Scalar: BLASScalar>: Sendable {
  /// `W_ih`, 3H × I (PyTorch's `weight_ih_l0`).
  public let inputWeights: Matrix<Scalar>
  /// `W_hh`, 3H × H (PyTorch's `weight_hh_l0`).
  public let recurrentWeights: Matrix<Scalar>
  /// `b_ih`, 3H × 1 (zero without a bias).
  public let inputBias: Matrix<Scalar>
  /// `b_hh`, 3H × 1 (zero without a bias).
  public let recurrentBias: Matrix<Scalar>
  /// The product backend; `nil` means `Backend.current` at each step.
  public var backend: Backend?

  /// H, the hidden state's size.
  public var hiddenSize: Int { recurrentWeights.columns }
  /// I, the input's size.
  public var inputSize: Int { inputWeights.columns }

  /// A cell from PyTorch's parameters; a bias may be `nil` (`bias=False`), a 3H-vector as a
  /// 3H × 1 or 1 × 3H matrix.
  ///
  /// - Throws: `ShapeError` naming the parameter, the expected and the found shape.
  public init(
    inputWeights: Matrix<Scalar>, recurrentWeights: Matrix<Scalar>, inputBias: Matrix<Scalar>? = nil,
    recurrentBias: Matrix<Scalar>? = nil, backend: Backend? = nil
  ) throws(ShapeError) {
    let hidden = recurrentWeights.columns
    try checkGateShapes(
      "GRUCell", gates: 3, hidden: hidden, input: inputWeights, recurrent: recurrentWeights,
      biases: [("bias_ih", inputBias), ("bias_hh", recurrentBias)])
    self.inputWeights = inputWeights
    self.recurrentWeights = recurrentWeights
    self.inputBias = summedBias(3 * hidden, inputBias, nil)
    self.recurrentBias = summedBias(3 * hidden, recurrentBias, nil)
    self.backend = backend
  }

  /// A workspace for `batchSize` sequences with h₀ (zero when `nil`, H × B).
  ///
  /// - Precondition: `batchSize >= 1`; a given state is H × B.
  /// - Complexity: O(7H × B); this is where the workspace allocates.
  public func makeWorkspace(batchSize: Int, initialState: Matrix<Scalar>? = nil) -> GRUWorkspace<Scalar> {
    var workspace = GRUWorkspace<Scalar>(hidden: hiddenSize, input: inputSize, batch: batchSize)
    if let initialState { workspace.state = initialState }
    return workspace
  }

  /// One step in place: `x` (I × B) advances the workspace's h. No allocation.
  ///
  /// - Precondition: `x` is I × B for the workspace's B, and the workspace is this cell's shape.
  /// - Complexity: O(3H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(x: Matrix<Scalar>, into workspace: inout GRUWorkspace<Scalar>) {
    let (hidden, input, batch) = (hiddenSize, inputSize, workspace.batchSize)
    checkPrecondition(
      workspace.hidden == hidden && workspace.input == input && x.rows == input && x.columns == batch,
      "GRUCell.step: x must be (\(input)×\(batch)) for this cell and workspace, got \(x.shape.compact)")
    let backend = self.backend ?? Backend.current
    let count = hidden * batch
    x.withUnsafeBufferPointer { x_ in
      workspace.h.withUnsafeMutableBufferPointer { h_ in
        workspace.inputGates.withUnsafeMutableBufferPointer { gi_ in
          workspace.recurrentGates.withUnsafeMutableBufferPointer { gh_ in
            let (h, gi, gh) = (h_.baseAddress!, gi_.baseAddress!, gh_.baseAddress!)
            inputWeights.withUnsafeBufferPointer { w in
              GEMMOperands(
                m: 3 * hidden, n: batch, k: input, a: w.baseAddress, lda: Swift.max(1, input), b: x_.baseAddress,
                ldb: batch, c: gi, ldc: batch
              ).run(backend)
            }
            recurrentWeights.withUnsafeBufferPointer { w in
              GEMMOperands(
                m: 3 * hidden, n: batch, k: hidden, a: w.baseAddress, lda: hidden, b: h, ldb: batch, c: gh,
                ldc: batch
              ).run(backend)
            }
            inputBias.withUnsafeBufferPointer { bi_ in
              recurrentBias.withUnsafeBufferPointer { bh_ in
                let (bi, bh) = (bi_.baseAddress!, bh_.baseAddress!)
                // r and z: gi + b_ih + gh + b_hh, then sigmoid (the summed bias per row).
                for row in 0..<(2 * hidden) {
                  let offset = bi[row] + bh[row]
                  for col in 0..<batch { gi[row * batch + col] += gh[row * batch + col] + offset }
                }
                Activation.sigmoid.apply(
                  rows: 2 * hidden, columns: batch, source: gi, sourceStride: batch, destination: gi,
                  destinationStride: batch)
                // n: tanh(gi_n + b_in + r ⊙ (gh_n + b_hn)).
                let (r, n, ghn) = (gi, gi + 2 * count, gh + 2 * count)
                for row in 0..<hidden {
                  let (inBias, hnBias) = (bi[2 * hidden + row], bh[2 * hidden + row])
                  for col in 0..<batch {
                    let k = row * batch + col
                    n[k] = n[k] + inBias + r[k] * (ghn[k] + hnBias)
                  }
                }
                Activation.tanh.apply(
                  rows: 1, columns: count, source: n, sourceStride: count, destination: n, destinationStride: count)
                // h' = (1 − z) ⊙ n + z ⊙ h.
                let z = gi + count
                for k in 0..<count { h[k] = (1 - z[k]) * n[k] + z[k] * h[k] }
              }
            }
          }
        }
      }
    }
  }

  /// Runs a sequence from h₀ (zero when `nil`): every hidden state.
  ///
  /// - Precondition: every input is I × B with the same B ≥ 1; a given state is H × B.
  /// - Complexity: O(T · 3H · (I + H) · B).
  public func forward(inputs: [Matrix<Scalar>], initialState: Matrix<Scalar>? = nil) -> [Matrix<Scalar>] {
    guard let first = inputs.first else { return [] }
    var workspace = makeWorkspace(batchSize: first.columns, initialState: initialState)
    return inputs.map { x in
      step(x: x, into: &workspace)
      return workspace.state
    }
  }
}

/// The buffers of GRU steps for one batch size: h and the two 3H × B gate blocks; made once by
/// ``GRUCell/makeWorkspace(batchSize:initialState:)``.
public struct GRUWorkspace<Scalar: BLASScalar>: Sendable {
  let hidden: Int
  let input: Int
  /// B, the number of sequences stepped together.
  public let batchSize: Int
  var h: Matrix<Scalar>
  var inputGates: Matrix<Scalar>
  var recurrentGates: Matrix<Scalar>

  init(hidden: Int, input: Int, batch: Int) {
    checkPrecondition(batch >= 1, "GRUWorkspace: batch size must be at least 1, got \(batch)")
    (self.hidden, self.input, self.batchSize) = (hidden, input, batch)
    h = .zeros(rows: hidden, columns: batch)
    inputGates = .zeros(rows: 3 * hidden, columns: batch)
    recurrentGates = .zeros(rows: 3 * hidden, columns: batch)
  }

  /// h, H × B.
  ///
  /// - Precondition: a new value is H × B.
  public var state: Matrix<Scalar> {
    get { h }
    set {
      checkPrecondition(
        newValue.rows == hidden && newValue.columns == batchSize,
        "GRUWorkspace.state: expected (\(hidden)×\(batchSize)), got \(newValue.shape.compact)")
      h = newValue
    }
  }
}
