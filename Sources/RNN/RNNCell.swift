public import DenseMatrix

/// A vanilla RNN cell: `h_t = g(W_hh · h_{t-1} + W_hx · x_t + b)`.
///
/// Hidden states and inputs are batches of column vectors: `h` is `hiddenSize × B` and `x` is
/// `inputSize × B`, one column per sequence in the batch (B = 1 is the notebook's case, and
/// takes the `cblas_dgemv` route).
///
/// A cell is an immutable value, safe to share between tasks; each task steps it with its own
/// ``RNNWorkspace``.
///
/// ```swift
/// let cell = try RNNCell(hiddenToHidden: wHH, inputToHidden: wHX, bias: b, activation: .sigmoid)
/// let h1 = cell.step(h: h0, x: x1)                       // convenience: allocates the result
/// var workspace = cell.makeWorkspace(batchSize: 1)       // hot path: no allocation per step
/// cell.step(x: x1, into: &workspace)
/// ```
public struct RNNCell<Scalar: BLASScalar>: RecurrentCell {
  /// `W_hh`, `hiddenSize × hiddenSize`.
  public let hiddenToHidden: Matrix<Scalar>
  /// `W_hx`, `hiddenSize × inputSize`.
  public let inputToHidden: Matrix<Scalar>
  /// `b`, `hiddenSize × 1`.
  public let bias: Matrix<Scalar>
  /// The activation `g`.
  public let activation: Activation
  /// The formulation used when a call does not name one.
  public var formulation: Formulation
  /// The product backend, or `nil` to use `Backend.current` at each call.
  public var backend: Backend?
  /// `W_h = [W_hh | W_hx]`, built once by `hstack` for ``Formulation/fused``.
  public let fusedWeights: Matrix<Scalar>

  /// The number of hidden units, n_h.
  public var hiddenSize: Int { hiddenToHidden.rows }
  /// The number of input features, n_x.
  public var inputSize: Int { inputToHidden.columns }

  /// Creates a cell, validating every shape (weights usually come from data).
  ///
  /// - Parameters:
  ///   - hiddenToHidden: `W_hh`, square, n_h × n_h with n_h ≥ 1.
  ///   - inputToHidden: `W_hx`, n_h × n_x.
  ///   - bias: `b`, n_h × 1.
  ///   - activation: `g`; `tanh` by default.
  ///   - formulation: the default formulation for calls that do not name one; `fused` by default.
  ///   - backend: the product backend; `nil` (the default) follows `Backend.current`.
  /// - Throws: `ShapeError` naming the mismatch and the shapes involved, e.g.
  ///   `RNNCell: W_hx must have as many rows as W_hh: (4×4), (3×2)`.
  /// - Complexity: O(n_h · (n_h + n_x)) to build `W_h`.
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
    self.hiddenToHidden = hiddenToHidden
    self.inputToHidden = inputToHidden
    self.bias = bias
    self.activation = activation
    self.formulation = formulation
    self.backend = backend
    self.fusedWeights = hstack([hiddenToHidden, inputToHidden])
  }
}
