public import DenseMatrix

/// A vanilla RNN cell with PyTorch's `nn.RNN` equation, the one-gate case of the cells:
///
///     h' = g(W_ih x + b_ih + W_hh h + b_hh)
///
/// with `g` = tanh (PyTorch's default), ReLU, or any `Activation`. The weights are PyTorch's
/// `weight_ih_l{k}` (H × I) and `weight_hh_l{k}` (H × H); the two biases add. Batches are
/// columns: x is I × B and h is H × B, one column per sequence (B = 1 is the notebook's case,
/// and takes the `cblas_?gemv` route).
///
/// It runs through the same driver as ``LSTMCell`` and ``GRUCell``, with the same formulations:
/// - ``Formulation/fused``: one product, `[W_ih | W_hh] · [x; h]`, the joined weights built
///   once (the notebook's `W_h · [h; x]` with the blocks in PyTorch's order).
/// - ``Formulation/split``: `W_ih · x`, then `W_hh · h` accumulated onto it (`beta = 1`).
/// - ``Formulation/hoisted``: for a sequence, `W_ih · [x_1 … x_T]` as one product, then per
///   step only `W_hh · h`.
/// - ``Formulation/fusedConcatenatingEachStep``: the notebook taken literally, joining
///   `[W_hh | W_hx]` and `[h; x]` on every step (allocates; a baseline).
///
/// A cell is an immutable value, safe to share between tasks; each task steps it with its own
/// ``RNNWorkspace``.
///
/// ```swift
/// let cell = try RNNCell(inputWeights: wIH, recurrentWeights: wHH, inputBias: bIH, recurrentBias: bHH)
/// var workspace = cell.makeWorkspace(batchSize: 1)       // hot path: no allocation per step
/// cell.step(x: x1, into: &workspace)
/// ```
///
/// The notebook's names stay available: ``init(hiddenToHidden:inputToHidden:bias:activation:formulation:backend:)``
/// (`W_hh`, `W_hx`, `b`), ``step(h:x:formulation:)`` (returns the new h), ``notebookFusedWeights``
/// (`W_h = [W_hh | W_hx]`) and ``hiddenPreactivation(hiddenToHidden:inputToHidden:h:x:formulation:backend:)``.
public struct RNNCell<Scalar: BLASScalar>: RecurrentCell {
  /// `W_ih`, H × I (PyTorch's `weight_ih_l{k}`; the notebook's `W_hx`).
  public internal(set) var inputWeights: Matrix<Scalar>
  /// `W_hh`, H × H (PyTorch's `weight_hh_l{k}`).
  public internal(set) var recurrentWeights: Matrix<Scalar>
  /// `recurrentWeights` packed for the `.packed` backend, on first use.
  var packedRecurrent = PackedRecurrentWeights<Scalar>()
  /// `b_ih + b_hh`, H × 1 (the notebook's `b`; zero without biases).
  public internal(set) var bias: Matrix<Scalar>
  /// The activation `g`.
  public let activation: Activation
  /// The formulation used when a call does not name one; ``Formulation/fused`` by default.
  public var formulation: Formulation
  /// The product backend, or `nil` to use `Backend.current` at each call.
  public var backend: Backend?
  /// `[W_ih | W_hh]`, H × (I + H), built once for ``Formulation/fused``.
  var joinedWeights: Matrix<Scalar>

  /// H, the hidden state's size (the notebook's n_h).
  public var hiddenSize: Int { recurrentWeights.columns }
  /// I, the input's size (the notebook's n_x).
  public var inputSize: Int { inputWeights.columns }

  /// A cell from PyTorch's parameters; a bias may be `nil` (`bias=False`), an H-vector as an
  /// H × 1 or 1 × H matrix.
  ///
  /// - Parameters:
  ///   - inputWeights: `W_ih`, H × I (I may be 0).
  ///   - recurrentWeights: `W_hh`, H × H with H ≥ 1.
  ///   - inputBias: `b_ih`, or `nil`.
  ///   - recurrentBias: `b_hh`, or `nil`.
  ///   - activation: `g`; `tanh` by default (`nn.RNN`'s `nonlinearity='tanh'`).
  ///   - formulation: The default formulation for calls that do not name one; `fused` by default.
  ///   - backend: The product backend; `nil` (the default) follows `Backend.current`.
  /// - Throws: `ShapeError` naming the parameter, the expected and the found shape, e.g.
  ///   `RNNCell: weight_ih must have 4 rows (1·H for H = 4), found: (3×2)`.
  /// - Complexity: O(H · (I + H)) to join the weights.
  public init(
    inputWeights: Matrix<Scalar>, recurrentWeights: Matrix<Scalar>, inputBias: Matrix<Scalar>? = nil,
    recurrentBias: Matrix<Scalar>? = nil, activation: Activation = .tanh, formulation: Formulation = .fused,
    backend: Backend? = nil
  ) throws(ShapeError) {
    let hidden = recurrentWeights.columns
    try checkGateShapes(
      "RNNCell", gates: 1, hidden: hidden, input: inputWeights, recurrent: recurrentWeights,
      biases: [("bias_ih", inputBias), ("bias_hh", recurrentBias)])
    self.inputWeights = inputWeights
    self.recurrentWeights = recurrentWeights
    self.bias = summedBias(hidden, inputBias, recurrentBias)
    self.activation = activation
    self.formulation = formulation
    self.backend = backend
    self.joinedWeights = Matrix(rows: hidden, columns: inputWeights.columns + hidden, initializingEvery: { _ in })
    joinedWeights.writeSideBySide(inputWeights, recurrentWeights)
  }

  /// `b_ih + b_hh` from `tensors`' biases and `[W_ih | W_hh]` from the cell's weights, in place.
  mutating func reloadDerived(from tensors: CellTensors<Scalar>) {
    writeSummedBias(&bias, tensors.inputBias, tensors.recurrentBias)
    joinedWeights.writeSideBySide(inputWeights, recurrentWeights)
  }

  /// A cell from the notebook's parameters, `h_t = g(W_hh · h_{t-1} + W_hx · x_t + b)`: the same
  /// cell as ``init(inputWeights:recurrentWeights:inputBias:recurrentBias:activation:formulation:backend:)``
  /// with `W_ih = W_hx`, under the notebook's names.
  ///
  /// - Parameters:
  ///   - hiddenToHidden: `W_hh`, square, n_h × n_h with n_h ≥ 1.
  ///   - inputToHidden: `W_hx`, n_h × n_x.
  ///   - bias: `b`, n_h × 1.
  ///   - activation: `g`; `tanh` by default.
  ///   - formulation: The default formulation for calls that do not name one; `fused` by default.
  ///   - backend: The product backend; `nil` (the default) follows `Backend.current`.
  /// - Throws: `ShapeError` naming the mismatch and the shapes involved, e.g.
  ///   `RNNCell: W_hx must have as many rows as W_hh: (4×4), (3×2)`.
  /// - Complexity: O(n_h · (n_h + n_x)) to join the weights.
  public init(
    hiddenToHidden: Matrix<Scalar>, inputToHidden: Matrix<Scalar>, bias: Matrix<Scalar>, activation: Activation = .tanh,
    formulation: Formulation = .fused, backend: Backend? = nil
  ) throws(ShapeError) {
    let nh = hiddenToHidden.rows
    guard nh >= 1, hiddenToHidden.columns == nh else {
      throw ShapeError(
        operation: "RNNCell", reason: "W_hh must be square and non-empty", shapes: [hiddenToHidden.shape])
    }
    guard inputToHidden.rows == nh else {
      throw ShapeError(
        operation: "RNNCell", reason: "W_hx must have as many rows as W_hh",
        shapes: [hiddenToHidden.shape, inputToHidden.shape])
    }
    guard bias.rows == nh, bias.columns == 1 else {
      throw ShapeError(
        operation: "RNNCell", reason: "b must be a column vector with as many rows as W_hh (\(nh)×1)",
        shapes: [hiddenToHidden.shape, bias.shape])
    }
    try self.init(
      inputWeights: inputToHidden, recurrentWeights: hiddenToHidden, inputBias: bias, activation: activation,
      formulation: formulation, backend: backend)
  }

  /// The notebook's `W_h = [W_hh | W_hx]`, n_h × (n_h + n_x), which multiplies `[h; x]`.
  ///
  /// The fused formulation multiplies the same blocks in PyTorch's order, `[W_ih | W_hh] · [x; h]`.
  ///
  /// - Complexity: O(n_h · (n_h + n_x)): built on each access.
  public var notebookFusedWeights: Matrix<Scalar> { hstack([recurrentWeights, inputWeights]) }

  /// `W_hh`.
  @available(*, deprecated, renamed: "recurrentWeights")
  public var hiddenToHidden: Matrix<Scalar> { recurrentWeights }

  /// `W_hx`.
  @available(*, deprecated, renamed: "inputWeights")
  public var inputToHidden: Matrix<Scalar> { inputWeights }

  /// The notebook's `W_h = [W_hh | W_hx]`.
  @available(
    *, deprecated, renamed: "notebookFusedWeights",
    message:
      "the fused formulation now joins [W_ih | W_hh] (PyTorch's order); the notebook's W_h is notebookFusedWeights"
  )
  public var fusedWeights: Matrix<Scalar> { notebookFusedWeights }
}
