public import DenseMatrix

/// One LSTM layer's cell with PyTorch's `nn.LSTM` equations and gate order (i, f, g, o), for
/// inference:
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// The weights are PyTorch's `weight_ih_l{k}` (4H × I) and `weight_hh_l{k}` (4H × H), rows in
/// the order i, f, g, o; the two biases add. Batches are columns: x is I × B, h and c are H × B.
///
/// With a projection (PyTorch's `proj_size = P > 0`, `weight_hr_l{k}`, P × H), the new state is
/// `h' = W_hr · (o ⊙ tanh(c'))`, P × B, and `weight_hh` is 4H × P; c stays H × B. The projection is
/// one more `cblas_?gemm` per step, on the gate block still in cache; ``stateSize`` is P.
///
/// Formulations (all give the same states up to rounding; `rnn-bench --cell lstm` times them):
/// - ``Formulation/fused``: one product for all four gates, `[W_ih | W_hh] · [x; h]`
///   (`cblas_?gemm`, or `cblas_?gemv` for one sequence), the joined weights built once.
/// - ``Formulation/split``: `W_ih · x`, then `W_hh · h` accumulated onto it (`beta = 1`).
/// - ``Formulation/hoisted``: for a sequence, `W_ih · [x_1 … x_T]` as one product, then per
///   step only `W_hh · h` accumulated onto that step's block (PyTorch's and cuDNN's CPU path).
///   A single ``step(x:into:formulation:)`` runs ``Formulation/split``.
/// - ``Formulation/fusedConcatenatingEachStep``: joins `[x; h]` and `[W_ih | W_hh]` on every
///   step, allocating (the notebook's literal form; a baseline).
///
/// Then the gates' bias and nonlinearities run in the vector kernels, and `c` and `h` are
/// updated in place, with no allocation per step.
public struct LSTMCell<Scalar: BLASScalar>: RecurrentCell {
  /// `W_ih`, 4H × I (PyTorch's `weight_ih_l{k}`).
  public internal(set) var inputWeights: Matrix<Scalar>
  /// `W_hh`, 4H × H, or 4H × P with a projection (PyTorch's `weight_hh_l{k}`).
  public internal(set) var recurrentWeights: Matrix<Scalar>
  /// `W_hr`, P × H (PyTorch's `weight_hr_l{k}` when `proj_size > 0`), or `nil`.
  public internal(set) var projectionWeights: Matrix<Scalar>?
  /// `recurrentWeights` packed for the `.packed` backend, on first use.
  var packedRecurrent = PackedRecurrentWeights<Scalar>()
  /// `b_ih + b_hh`, 4H × 1 (zero without biases).
  public internal(set) var bias: Matrix<Scalar>
  /// The formulation used when a call does not name one; ``Formulation/fused`` by default.
  public var formulation: Formulation
  /// The product backend; `nil` means `Backend.current` at each step.
  public var backend: Backend?
  /// `[W_ih | W_hh]`, 4H × (I + P), built once (P = H without a projection).
  var joinedWeights: Matrix<Scalar>

  /// H, the gates' and the cell state's size (PyTorch's `hidden_size`).
  public var hiddenSize: Int { recurrentWeights.rows / 4 }
  /// The size of h: P with a projection, otherwise H.
  public var stateSize: Int { recurrentWeights.columns }
  /// I, the input's size.
  public var inputSize: Int { inputWeights.columns }

  /// A cell from PyTorch's parameters; a bias may be `nil` (PyTorch's `bias=False`), a 4H-vector
  /// as a 4H × 1 or 1 × 4H matrix; `projectionWeights` is `weight_hr_l{k}` (P × H) for an LSTM
  /// with `proj_size = P`, `recurrentWeights` then 4H × P.
  ///
  /// - Throws: `ShapeError` naming the parameter, the expected and the found shape, e.g.
  ///   `LSTMCell: weight_ih must have 12 rows (4·H for H = 3), found: (8×2)`.
  /// - Complexity: O(H · (I + H)) to join the weights.
  public init(
    inputWeights: Matrix<Scalar>, recurrentWeights: Matrix<Scalar>, inputBias: Matrix<Scalar>? = nil,
    recurrentBias: Matrix<Scalar>? = nil, projectionWeights: Matrix<Scalar>? = nil, formulation: Formulation = .fused,
    backend: Backend? = nil
  ) throws(ShapeError) {
    let hidden = projectionWeights?.columns ?? recurrentWeights.columns
    if let projectionWeights {
      guard projectionWeights.rows >= 1, projectionWeights.rows < hidden,
        recurrentWeights.columns == projectionWeights.rows
      else {
        throw ShapeError(
          operation: "LSTMCell",
          reason:
            "weight_hr must be (P × H) with 1 ≤ P < H and weight_hh (4·H × P), found",
          shapes: [projectionWeights.shape, recurrentWeights.shape])
      }
    }
    try checkGateShapes(
      "LSTMCell", gates: 4, hidden: hidden, input: inputWeights, recurrent: recurrentWeights,
      biases: [("bias_ih", inputBias), ("bias_hh", recurrentBias)])
    self.inputWeights = inputWeights
    self.recurrentWeights = recurrentWeights
    self.projectionWeights = projectionWeights
    self.bias = summedBias(4 * hidden, inputBias, recurrentBias)
    self.formulation = formulation
    self.backend = backend
    self.joinedWeights = Matrix(
      rows: 4 * hidden, columns: inputWeights.columns + recurrentWeights.columns, initializingEvery: { _ in })
    joinedWeights.writeSideBySide(inputWeights, recurrentWeights)
  }

  /// W_hr and `b_ih + b_hh` from `tensors` and `[W_ih | W_hh]` from the cell's weights, in place.
  mutating func reloadDerived(from tensors: CellTensors<Scalar>) {
    if let projection = tensors.projectionWeights { projectionWeights!.overwrite(with: projection) }
    writeSummedBias(&bias, tensors.inputBias, tensors.recurrentBias)
    joinedWeights.writeSideBySide(inputWeights, recurrentWeights)
  }

  /// A workspace for `batchSize` sequences, every state zero.
  ///
  /// - Precondition: `batchSize >= 1`.
  /// - Complexity: O((I + 7H) × B); this is where the workspace allocates.
  public func makeWorkspace(batchSize: Int) -> LSTMWorkspace<Scalar> {
    LSTMWorkspace<Scalar>(hidden: hiddenSize, state: stateSize, input: inputSize, batch: batchSize)
  }

  /// A workspace for `batchSize` sequences with h₀ and c₀ (zero when `nil`; h₀ is
  /// ``stateSize`` × B, c₀ H × B).
  ///
  /// - Precondition: `batchSize >= 1`; given states have those shapes.
  /// - Complexity: O((I + 7H) × B); this is where the workspace allocates.
  public func makeWorkspace(
    batchSize: Int, initialState: Matrix<Scalar>?, initialCell: Matrix<Scalar>? = nil
  ) -> LSTMWorkspace<Scalar> {
    var workspace = makeWorkspace(batchSize: batchSize)
    if let initialState { workspace.state = initialState }
    if let initialCell { workspace.cellState = initialCell }
    return workspace
  }
}
