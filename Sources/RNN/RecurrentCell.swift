public import DenseMatrix

/// What ``RNNCell``, ``LSTMCell`` and ``GRUCell`` have in common: a cell advanced one step, or
/// run over a sequence, in a workspace that holds its state, by any ``Formulation``.
///
/// Batches are columns: an input is `inputSize × B` and a state `hiddenSize × B`. A sequence is
/// stored side by side, `X = [x_1 | x_2 | … | x_T]` (`inputSize × (T · B)`), and so are the
/// states a run writes. ``RecurrentNetwork`` stacks cells of one kind into PyTorch's layers;
/// `rnn-bench` times any of them through this protocol.
public protocol RecurrentCell<Scalar>: Sendable {
  /// The element type.
  associatedtype Scalar: BLASScalar
  /// The buffers and the state a step advances.
  associatedtype Workspace: RecurrentWorkspace<Scalar>

  /// H, the size of the hidden state.
  var hiddenSize: Int { get }
  /// I, the size of an input.
  var inputSize: Int { get }
  /// The formulation used when a call does not name one.
  var formulation: Formulation { get set }
  /// The product backend, or `nil` to use `Backend.current` at each call.
  var backend: Backend? { get set }

  /// A workspace for batches of `batchSize` sequences, every state zero.
  ///
  /// - Precondition: `batchSize >= 1`.
  func makeWorkspace(batchSize: Int) -> Workspace

  /// Advances the workspace's state by one step with input `x` (`inputSize × B`), without
  /// allocating (except ``Formulation/fusedConcatenatingEachStep``, which joins by design).
  ///
  /// - Precondition: `x` is `inputSize × B` for the workspace's B; the workspace is this cell's.
  func step(x: Matrix<Scalar>, into workspace: inout Workspace, formulation: Formulation?)

  /// Runs a sequence: `inputs` is `inputSize × (T · B)`, `states` (`hiddenSize × (T · B)`)
  /// receives every hidden state in the same layout. The workspace's state is the initial state
  /// on entry and the last one on return. With `reversed`, the steps run from `x_T` down to
  /// `x_1` (the backward direction of a bidirectional layer); `states` still holds the state
  /// computed at each input's position.
  ///
  /// - Precondition: the shapes fit; the message names them.
  func forward(
    inputs: Matrix<Scalar>, into workspace: inout Workspace, states: inout Matrix<Scalar>,
    formulation: Formulation?, reversed: Bool)
}

/// The state and buffers of a ``RecurrentCell``.
public protocol RecurrentWorkspace<Scalar>: Sendable {
  /// The element type.
  associatedtype Scalar: BLASScalar
  /// B, the number of sequences stepped together.
  var batchSize: Int { get }
  /// The hidden state h, `hiddenSize × batchSize` (a copy; setting it copies in).
  var state: Matrix<Scalar> { get set }
  /// Sets every state (h, and an LSTM's c) to zero.
  mutating func resetState()
}

/// The order in which a run visits its T steps.
@inline(__always)
func stepIndex(_ s: Int, of steps: Int, reversed: Bool) -> Int { reversed ? steps - 1 - s : s }

/// Checks a sequence run's shapes against a cell's sizes and a workspace's batch size.
func sequenceShapeError(
  _ operation: String, hidden: Int, input: Int, batch: Int, inputs: Shape, states: Shape
) -> ShapeError? {
  guard inputs.rows == input, inputs.columns % batch == 0 else {
    return ShapeError(
      operation: operation,
      reason: "inputs must be (\(input)×T·\(batch)): I rows and a whole number of batches of \(batch) columns",
      shapes: [inputs])
  }
  guard states.rows == hidden, states.columns == inputs.columns else {
    return ShapeError(
      operation: operation, reason: "states must be (\(hidden)×\(inputs.columns)) to match the inputs",
      shapes: [inputs, states])
  }
  return nil
}

/// A `rows × columns` block's loop shape: one run of `rows · columns` when the rows are
/// contiguous (`stride == columns`), so that a batch-1 step is one loop, not one per row.
@inline(__always)
func loopShape(rows: Int, columns: Int, stride: Int) -> (rows: Int, columns: Int, stride: Int) {
  stride == columns ? (1, rows * columns, rows * columns) : (rows, columns, stride)
}
