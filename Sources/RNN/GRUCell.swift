public import DenseMatrix

/// One GRU layer's cell with PyTorch's `nn.GRU` equations and gate order (r, z, n), for inference:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// The weights are PyTorch's `weight_ih_l{k}` (3H × I) and `weight_hh_l{k}` (3H × H), rows r, z,
/// n. The n gate's recurrent product is scaled by r *before* it meets its input product, so
/// its two halves cannot be summed inside one product the way the r and z gates' can.
///
/// Formulations (all give the same states up to rounding; `rnn-bench --cell gru` times them):
/// - ``Formulation/fused``: one product over `[x; h]` with the 4H × (I + H) block matrix
///
///       [ W_ir  W_hr ]     r's two halves, summed by the product
///       [ W_iz  W_hz ]     z's two halves, summed
///       [ W_in   0   ]     n's input half
///       [  0    W_hn ]     n's recurrent half, kept apart for r ⊙ (·)
///
///   built once: one `cblas_?gemm` (`?gemv` for one sequence) for all gates, at the price of
///   multiplying the two zero blocks (4H rows instead of 3H).
/// - ``Formulation/split``: `W_ih · x` and `W_hh · h` into two 3H × B blocks, added for r and z.
/// - ``Formulation/hoisted``: for a sequence, `W_ih · [x_1 … x_T]` as one product, then per
///   step `W_hh · h`. A single ``step(x:into:formulation:)`` runs ``Formulation/split``.
/// - ``Formulation/fusedConcatenatingEachStep``: ``Formulation/fused`` with `[x; h]` joined
///   by `vstack` on every step, allocating (a baseline).
public struct GRUCell<Scalar: BLASScalar>: RecurrentCell {
  /// `W_ih`, 3H × I (PyTorch's `weight_ih_l{k}`).
  public internal(set) var inputWeights: Matrix<Scalar>
  /// `W_hh`, 3H × H (PyTorch's `weight_hh_l{k}`).
  public internal(set) var recurrentWeights: Matrix<Scalar>
  /// `recurrentWeights` packed for the `.packed` backend, on first use.
  var packedRecurrent = PackedRecurrentWeights<Scalar>()
  /// `b_ih`, 3H × 1 (zero without a bias).
  public internal(set) var inputBias: Matrix<Scalar>
  /// `b_hh`, 3H × 1 (zero without a bias).
  public internal(set) var recurrentBias: Matrix<Scalar>
  /// The formulation used when a call does not name one; ``Formulation/fused`` by default.
  public var formulation: Formulation
  /// The product backend; `nil` means `Backend.current` at each step.
  public var backend: Backend?
  /// The fused formulation's 4H × (I + H) block matrix (see above), built once.
  var joinedWeights: Matrix<Scalar>
  /// The bias added before the r, z and n nonlinearities' input parts: `b_ir + b_hr`,
  /// `b_iz + b_hz`, `b_in` (3H × 1); `b_hn` is added inside `r ⊙ (·)`.
  var gateBias: Matrix<Scalar>

  /// H, the hidden state's size.
  public var hiddenSize: Int { recurrentWeights.columns }
  /// I, the input's size.
  public var inputSize: Int { inputWeights.columns }

  /// A cell from PyTorch's parameters; a bias may be `nil` (`bias=False`), a 3H-vector as a
  /// 3H × 1 or 1 × 3H matrix.
  ///
  /// - Throws: `ShapeError` naming the parameter, the expected and the found shape.
  /// - Complexity: O(H · (I + H)) to build the fused block matrix.
  public init(
    inputWeights: Matrix<Scalar>, recurrentWeights: Matrix<Scalar>, inputBias: Matrix<Scalar>? = nil,
    recurrentBias: Matrix<Scalar>? = nil, formulation: Formulation = .fused, backend: Backend? = nil
  ) throws(ShapeError) {
    let hidden = recurrentWeights.columns
    try checkGateShapes(
      "GRUCell", gates: 3, hidden: hidden, input: inputWeights, recurrent: recurrentWeights,
      biases: [("bias_ih", inputBias), ("bias_hh", recurrentBias)])
    let input = inputWeights.columns
    self.inputWeights = inputWeights
    self.recurrentWeights = recurrentWeights
    self.inputBias = summedBias(3 * hidden, inputBias, nil)
    self.recurrentBias = summedBias(3 * hidden, recurrentBias, nil)
    self.formulation = formulation
    self.backend = backend
    self.joinedWeights = Matrix(rows: 4 * hidden, columns: input + hidden, initializingEvery: { _ in })
    self.gateBias = Matrix(rows: 3 * hidden, columns: 1, initializingEvery: { _ in })
    writeDerivedBuffers()
  }

  /// The biases from `tensors`, and the block matrix and gate bias from them and the cell's
  /// weights, in place.
  mutating func reloadDerived(from tensors: CellTensors<Scalar>) {
    writeSummedBias(&inputBias, tensors.inputBias, nil)
    writeSummedBias(&recurrentBias, tensors.recurrentBias, nil)
    writeDerivedBuffers()
  }

  /// ``joinedWeights`` (the block matrix above) and ``gateBias`` from the weights and biases.
  private mutating func writeDerivedBuffers() {
    let (hidden, input) = (hiddenSize, inputSize)
    let (rz, n) = (0..<(2 * hidden), (2 * hidden)..<(3 * hidden))
    joinedWeights.writeBlock(row: 0, column: 0, from: inputWeights, rows: rz, columns: input)
    joinedWeights.writeBlock(row: 0, column: input, from: recurrentWeights, rows: rz, columns: hidden)
    joinedWeights.writeBlock(row: rz.count, column: 0, from: inputWeights, rows: n, columns: input)
    joinedWeights.writeBlock(row: rz.count, column: input, from: nil, rows: n, columns: hidden)
    joinedWeights.writeBlock(row: 3 * hidden, column: 0, from: nil, rows: n, columns: input)
    joinedWeights.writeBlock(row: 3 * hidden, column: input, from: recurrentWeights, rows: n, columns: hidden)
    // b_ir + b_hr, b_iz + b_hz, then b_in.
    gateBias.withUnsafeMutableBufferPointer { gate in
      inputBias.withUnsafeBufferPointer { bi in
        recurrentBias.withUnsafeBufferPointer { bh in
          for index in 0..<gate.count { gate[index] = rz.contains(index) ? bi[index] + bh[index] : bi[index] }
        }
      }
    }
  }

  /// A workspace for `batchSize` sequences with h zero.
  ///
  /// - Precondition: `batchSize >= 1`.
  /// - Complexity: O((I + 8H) × B); this is where the workspace allocates.
  public func makeWorkspace(batchSize: Int) -> GRUWorkspace<Scalar> {
    GRUWorkspace<Scalar>(hidden: hiddenSize, input: inputSize, batch: batchSize)
  }

  /// A workspace for `batchSize` sequences with h₀ (zero when `nil`, H × B).
  ///
  /// - Precondition: `batchSize >= 1`; a given state is H × B.
  /// - Complexity: O((I + 8H) × B); this is where the workspace allocates.
  public func makeWorkspace(batchSize: Int, initialState: Matrix<Scalar>?) -> GRUWorkspace<Scalar> {
    var workspace = makeWorkspace(batchSize: batchSize)
    if let initialState { workspace.state = initialState }
    return workspace
  }
}
