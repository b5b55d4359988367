public import DenseMatrix

/// One LSTM layer's cell with PyTorch's `nn.LSTM` equations and gate order (i, f, g, o), for
/// inference:
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// The weights are PyTorch's `weight_ih_l0` (4H × I) and `weight_hh_l0` (4H × H), rows in the
/// order i, f, g, o; the two biases add. A step is one product over all four gates,
/// `[W_ih | W_hh] · [x; h]` (`cblas_?gemm`, or `?gemv` for one sequence), then the gates' bias and
/// nonlinearities in the vector kernels. Batches are columns: x is I × B, h and c are H × B.
public struct LSTMCell<Scalar: BLASScalar>: Sendable {
  /// `W_ih`, 4H × I (PyTorch's `weight_ih_l0`).
  public let inputWeights: Matrix<Scalar>
  /// `W_hh`, 4H × H (PyTorch's `weight_hh_l0`).
  public let recurrentWeights: Matrix<Scalar>
  /// `b_ih + b_hh`, 4H × 1.
  public let bias: Matrix<Scalar>
  /// The product backend; `nil` means `Backend.current` at each step.
  public var backend: Backend?
  /// `[W_ih | W_hh]`, 4H × (I + H), built once.
  let fusedWeights: Matrix<Scalar>

  /// H, the hidden (and cell) state's size.
  public var hiddenSize: Int { recurrentWeights.columns }
  /// I, the input's size.
  public var inputSize: Int { inputWeights.columns }

  /// A cell from PyTorch's parameters; a bias may be `nil` (PyTorch's `bias=False`), a 4H-vector
  /// as a 4H × 1 or 1 × 4H matrix.
  ///
  /// - Throws: `ShapeError` naming the parameter, the expected and the found shape.
  public init(
    inputWeights: Matrix<Scalar>, recurrentWeights: Matrix<Scalar>, inputBias: Matrix<Scalar>? = nil,
    recurrentBias: Matrix<Scalar>? = nil, backend: Backend? = nil
  ) throws(ShapeError) {
    let hidden = recurrentWeights.columns
    try checkGateShapes(
      "LSTMCell", gates: 4, hidden: hidden, input: inputWeights, recurrent: recurrentWeights,
      biases: [("bias_ih", inputBias), ("bias_hh", recurrentBias)])
    self.inputWeights = inputWeights
    self.recurrentWeights = recurrentWeights
    self.bias = summedBias(4 * hidden, inputBias, recurrentBias)
    self.backend = backend
    self.fusedWeights = hstack([inputWeights, recurrentWeights])
  }

  /// A workspace for `batchSize` sequences, with h₀ and c₀ (zero when `nil`, H × B each).
  ///
  /// - Precondition: `batchSize >= 1`; given states are H × B.
  /// - Complexity: O((I + 5H) × B); this is where the workspace allocates.
  public func makeWorkspace(
    batchSize: Int, initialState: Matrix<Scalar>? = nil, initialCell: Matrix<Scalar>? = nil
  ) -> LSTMWorkspace<Scalar> {
    var workspace = LSTMWorkspace<Scalar>(hidden: hiddenSize, input: inputSize, batch: batchSize)
    if let initialState { workspace.state = initialState }
    if let initialCell { workspace.cellState = initialCell }
    return workspace
  }

  /// One step in place: `x` (I × B) advances the workspace's h and c. No allocation.
  ///
  /// - Precondition: `x` is I × B for the workspace's B, and the workspace is this cell's shape.
  /// - Complexity: O(4H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(x: Matrix<Scalar>, into workspace: inout LSTMWorkspace<Scalar>) {
    let (hidden, input, batch) = (hiddenSize, inputSize, workspace.batchSize)
    checkPrecondition(
      workspace.hidden == hidden && workspace.input == input && x.rows == input && x.columns == batch,
      "LSTMCell.step: x must be (\(input)×\(batch)) for this cell and workspace, got \(x.shape.compact)")
    let backend = self.backend ?? Backend.current
    x.withUnsafeBufferPointer { x_ in
      workspace.stacked.withUnsafeMutableBufferPointer { stacked in
        workspace.gates.withUnsafeMutableBufferPointer { gates in
          workspace.cell.withUnsafeMutableBufferPointer { cell in
            workspace.scratch.withUnsafeMutableBufferPointer { scratch in
              let s = stacked.baseAddress!
              if input > 0 { s.update(from: x_.baseAddress!, count: input * batch) }  // [x; h]
              fusedWeights.withUnsafeBufferPointer { w in
                GEMMOperands(
                  m: 4 * hidden, n: batch, k: input + hidden, a: w.baseAddress, lda: input + hidden, b: s,
                  ldb: batch, c: gates.baseAddress, ldc: batch
                ).run(backend)
              }
              let g = gates.baseAddress!
              bias.withUnsafeBufferPointer { b in
                let bias = b.baseAddress!
                // i, f: sigmoid; g: tanh; o: sigmoid — each with its bias, in place.
                Activation.sigmoid.apply(
                  rows: 2 * hidden, columns: batch, source: g, sourceStride: batch, bias: bias, destination: g,
                  destinationStride: batch)
                Activation.tanh.apply(
                  rows: hidden, columns: batch, source: g + 2 * hidden * batch, sourceStride: batch,
                  bias: bias + 2 * hidden, destination: g + 2 * hidden * batch, destinationStride: batch)
                Activation.sigmoid.apply(
                  rows: hidden, columns: batch, source: g + 3 * hidden * batch, sourceStride: batch,
                  bias: bias + 3 * hidden, destination: g + 3 * hidden * batch, destinationStride: batch)
              }
              let count = hidden * batch
              let (i, f, gg, o) = (g, g + count, g + 2 * count, g + 3 * count)
              let c = cell.baseAddress!
              for k in 0..<count { c[k] = f[k] * c[k] + i[k] * gg[k] }
              let t = scratch.baseAddress!
              Activation.tanh.apply(
                rows: 1, columns: count, source: c, sourceStride: count, destination: t, destinationStride: count)
              let h = s + input * batch
              for k in 0..<count { h[k] = o[k] * t[k] }
            }
          }
        }
      }
    }
  }

  /// Runs a sequence from h₀ and c₀ (zero when `nil`): every hidden state, and the last cell state.
  ///
  /// - Precondition: every input is I × B with the same B ≥ 1; given states are H × B.
  /// - Complexity: O(T · 4H · (I + H) · B).
  public func forward(
    inputs: [Matrix<Scalar>], initialState: Matrix<Scalar>? = nil, initialCell: Matrix<Scalar>? = nil
  ) -> (states: [Matrix<Scalar>], cell: Matrix<Scalar>) {
    guard let first = inputs.first else { return ([], initialCell ?? .zeros(rows: hiddenSize, columns: 1)) }
    var workspace = makeWorkspace(batchSize: first.columns, initialState: initialState, initialCell: initialCell)
    var states: [Matrix<Scalar>] = []
    for x in inputs {
      step(x: x, into: &workspace)
      states.append(workspace.state)
    }
    return (states, workspace.cellState)
  }
}

/// The buffers of LSTM steps for one batch size: `[x; h]`, the 4H × B gates, c and a scratch
/// block; made once by ``LSTMCell/makeWorkspace(batchSize:initialState:initialCell:)``.
public struct LSTMWorkspace<Scalar: BLASScalar>: Sendable {
  let hidden: Int
  let input: Int
  /// B, the number of sequences stepped together.
  public let batchSize: Int
  var stacked: Matrix<Scalar>
  var gates: Matrix<Scalar>
  var cell: Matrix<Scalar>
  var scratch: Matrix<Scalar>

  init(hidden: Int, input: Int, batch: Int) {
    checkPrecondition(batch >= 1, "LSTMWorkspace: batch size must be at least 1, got \(batch)")
    (self.hidden, self.input, self.batchSize) = (hidden, input, batch)
    stacked = .zeros(rows: input + hidden, columns: batch)
    gates = .zeros(rows: 4 * hidden, columns: batch)
    cell = .zeros(rows: hidden, columns: batch)
    scratch = .zeros(rows: hidden, columns: batch)
  }

  /// h, H × B (a copy; setting it copies in).
  ///
  /// - Precondition: a new value is H × B.
  public var state: Matrix<Scalar> {
    get { stacked[rows: input..<(input + hidden), columns: 0..<batchSize] }
    set {
      checkPrecondition(
        newValue.rows == hidden && newValue.columns == batchSize,
        "LSTMWorkspace.state: expected (\(hidden)×\(batchSize)), got \(newValue.shape.compact)")
      stacked.withMutableView(rows: input..<(input + hidden), columns: 0..<batchSize) { $0.assign(newValue) }
    }
  }

  /// c, H × B (a copy; setting it copies in).
  ///
  /// - Precondition: a new value is H × B.
  public var cellState: Matrix<Scalar> {
    get { cell }
    set {
      checkPrecondition(
        newValue.rows == hidden && newValue.columns == batchSize,
        "LSTMWorkspace.cellState: expected (\(hidden)×\(batchSize)), got \(newValue.shape.compact)")
      cell = newValue
    }
  }
}

/// Validates a gated cell's PyTorch parameters: W_ih (gates·H × I), W_hh (gates·H × H), biases of
/// gates·H values.
func checkGateShapes<Scalar: BLASScalar>(
  _ operation: String, gates: Int, hidden: Int, input: Matrix<Scalar>, recurrent: Matrix<Scalar>,
  biases: [(String, Matrix<Scalar>?)]
) throws(ShapeError) {
  let rows = gates * hidden
  guard hidden >= 1, recurrent.rows == rows else {
    throw ShapeError(
      operation: operation, reason: "weight_hh must be (\(gates)·H × H) with H ≥ 1, found", shapes: [recurrent.shape])
  }
  guard input.rows == rows else {
    throw ShapeError(
      operation: operation, reason: "weight_ih must have \(rows) rows (\(gates)·H for H = \(hidden)), found",
      shapes: [input.shape])
  }
  for (name, bias) in biases {
    guard let bias else { continue }
    guard (bias.rows == rows && bias.columns == 1) || (bias.rows == 1 && bias.columns == rows) else {
      throw ShapeError(
        operation: operation, reason: "\(name) must hold \(rows) values (\(gates)·H), found", shapes: [bias.shape])
    }
  }
}

/// The sum of the given biases as a `count × 1` column (zero when both are `nil`).
func summedBias<Scalar: BLASScalar>(_ count: Int, _ a: Matrix<Scalar>?, _ b: Matrix<Scalar>?) -> Matrix<Scalar> {
  var sum = Matrix<Scalar>.zeros(rows: count, columns: 1)
  for bias in [a, b].compactMap({ $0 }) { sum += bias.reshaped(rows: count, columns: 1) }
  return sum
}
