public import DenseMatrix
import Glibc

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

  /// H, the size of the hidden state (of an LSTM's gates and cell state).
  var hiddenSize: Int { get }
  /// The size of h, the state a step returns and feeds back: ``hiddenSize``, except for an
  /// ``LSTMCell`` with a projection (PyTorch's `proj_size`), whose h has P values.
  var stateSize: Int { get }
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

  /// ``step(x:into:formulation:)``, throwing instead of trapping when `x` or the workspace does
  /// not fit: for shapes that come from data.
  ///
  /// - Throws: `ShapeError` naming the shapes; the workspace is then unchanged.
  func step(
    checkingX x: Matrix<Scalar>, into workspace: inout Workspace, formulation: Formulation?)
    throws(ShapeError)

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

  /// ``forward(inputs:into:states:formulation:reversed:)``, throwing instead of trapping when the
  /// shapes do not fit: for sequences that come from data.
  ///
  /// - Throws: `ShapeError` naming the shapes; the workspace and `states` are then unchanged.
  func forward(
    checkingInputs inputs: Matrix<Scalar>, into workspace: inout Workspace, states: inout Matrix<Scalar>,
    formulation: Formulation?, reversed: Bool) throws(ShapeError)
}

extension RecurrentCell {
  /// ``hiddenSize``: h is the hidden state itself.
  public var stateSize: Int { hiddenSize }
}

/// The state and buffers of a ``RecurrentCell``.
public protocol RecurrentWorkspace<Scalar>: Sendable {
  /// The element type.
  associatedtype Scalar: BLASScalar
  /// B, the number of sequences stepped together.
  var batchSize: Int { get }
  /// The hidden state h, `hiddenSize × batchSize` (a copy; setting it copies in).
  var state: Matrix<Scalar> { get set }
}

extension RecurrentCell {
  /// The backend for this call: the cell's, or `Backend.current` when it has none.
  var resolvedBackend: Backend { backend ?? Backend.current }
}

/// The order in which a run visits its T steps.
@inline(__always)
func stepIndex(_ s: Int, of steps: Int, reversed: Bool) -> Int { reversed ? steps - 1 - s : s }

/// Checks a sequence run's shapes against a cell's sizes and a workspace's batch size.
func sequenceShapeError(
  _ operation: @autoclosure () -> String, hidden: Int, input: Int, batch: Int, inputs: Shape, states: Shape
) -> ShapeError? {
  guard inputs.rows == input, inputs.columns % batch == 0 else {
    return ShapeError(
      operation: operation(),
      reason: "inputs must be (\(input)×T·\(batch)): I rows and a whole number of batches of \(batch) columns",
      shapes: [inputs])
  }
  guard states.rows == hidden, states.columns == inputs.columns else {
    return ShapeError(
      operation: operation(), reason: "states must be (\(hidden)×\(inputs.columns)) to match the inputs",
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

/// Copies an n × B block with row stride `stride` into a contiguous n × B block (one copy when
/// the source is contiguous): `x_t` into the fused formulations' stacked operand.
@inline(__always)
func copyRows<Scalar>(
  _ source: UnsafePointer<Scalar>?, stride: Int, rows: Int, batch: Int, into target: UnsafeMutablePointer<Scalar>
) {
  guard let source, rows > 0 else { return }
  if stride == batch {
    target.update(from: source, count: rows * batch)
  } else {
    for r in 0..<rows { (target + r * batch).update(from: source + r * stride, count: batch) }
  }
}

/// The kernels of a cell (``RNNCell`` with one gate, ``LSTMCell`` with four, ``GRUCell`` with
/// three): one step on raw buffers, and the hoisted run of a sequence. The checked step, the
/// throwing checks and the sequence driver are written once, below, for all three.
protocol CellKernels: RecurrentCell where Workspace: CellWorkspace<Scalar> {
  /// The type's name in messages.
  static var name: String { get }
  /// `W_ih`, G·H × I for G gates: the hoisted projection's weights.
  var inputWeights: Matrix<Scalar> { get set }
  /// `W_hh`, G·H × H.
  var recurrentWeights: Matrix<Scalar> { get set }
  /// `W_hh` packed for ``DenseMatrix/Backend/packed``, on first use.
  var packedRecurrent: PackedRecurrentWeights<Scalar> { get set }
  /// The fused formulation's joined weights, `rows × (I + H)` (`[W_ih | W_hh]`, or the GRU's block
  /// matrix).
  var joinedWeights: Matrix<Scalar> { get }
  /// An LSTM's `W_hr` with a projection; `nil` for the others.
  var projectionWeights: Matrix<Scalar>? { get }
  /// ``reload(_:)``'s part for each cell: its parameters from `tensors` other than W_ih and
  /// W_hh (the biases, an LSTM's W_hr), and what it makes from them all (summed biases, joined
  /// weights), in its own buffers.
  mutating func reloadDerived(from tensors: CellTensors<Scalar>)
  /// One step: `x` is I × B with row stride `xStride` (nil when I = 0); the new h goes into the
  /// workspace and, if given, `output`.
  func advance(
    x: UnsafePointer<Scalar>?, xStride: Int, workspace: inout Workspace, formulation: Formulation,
    output: StateStore<Scalar>?)
  /// The rows of the hoisted projection buffer the driver prepares for a batch of `batch`
  /// (T · B columns) and an output in the cells' layout or not; 0 when the cell projects
  /// straight into the output.
  func projectionRows(batch: Int, featureMajorOutput: Bool) -> Int
  /// ``Formulation/hoisted`` over the steps of `batches` (see
  /// ``runSteps(x:batchMajor:batches:workspace:formulation:output:reversed:states:)``, which
  /// every cell runs; the vanilla cell's full batches in its own layout keep h in the output).
  ///
  /// `tape`, when given, receives what a backward pass needs of each step (see
  /// ``hoistedStep(column:layout:workspace:output:tape:)``); the vanilla cell's backward needs
  /// only its states, and it records nothing.
  func runHoisted(
    x: UnsafePointer<Scalar>?, batchMajor: Bool, batches: StepBatches, workspace: inout Workspace,
    output: SequenceOutput<Scalar>, reversed: Bool, states: RunningStates<Scalar>?, tape: SequenceOutput<Scalar>?)
  /// One ``Formulation/hoisted`` step: the workspace's projection holds the step's input part
  /// (G·H × B at column `column`, in `layout`); adds `W_hh · h` and advances h (and c), h also
  /// copied into `output`.
  ///
  /// `tape`, when given, receives the step's columns of what backpropagation through time reads
  /// (a tape, rows by column as `output`'s): the activated gates, and the LSTM's c_{t−1} and tanh(c_t), the GRU's
  /// `W_hn · h_{t−1}`.
  func hoistedStep(
    column: Int, layout: ProjectionLayout, workspace: inout Workspace, output: StateStore<Scalar>,
    tape: StateStore<Scalar>?)
}

/// What the shared drivers need of a cell's workspace.
protocol CellWorkspace<Scalar>: RecurrentWorkspace {
  var hidden: Int { get }
  var input: Int { get }
  /// The sequences running: the buffers' capacity when made, fewer while a padded batch's
  /// shorter sequences are out (``resize(to:states:)``); every buffer is laid out for this many
  /// columns.
  var batchSize: Int { get set }
  /// c's rows (an LSTM's H), 0 for a cell without a cell state.
  var cellRows: Int { get }
  /// Calls `body` with `[x; h]`'s and c's storage (nil without c), each at least capacity wide.
  mutating func withStateStorage<R>(_ body: (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>?) -> R) -> R
  /// `[x; h]`, (I + H) × B; rows I..<I+H are h.
  var stacked: Matrix<Scalar> { get set }
  /// The hoisted input projection, G·H × (T · B).
  var projection: Matrix<Scalar> { get set }
}

extension CellWorkspace {
  /// No cell state (the vanilla cell's and the GRU's workspaces).
  var cellRows: Int { 0 }

  /// `[x; h]`'s storage, and no cell state's.
  mutating func withStateStorage<R>(_ body: (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>?) -> R) -> R {
    stacked.withUnsafeMutableBufferPointer { body($0.baseAddress!, nil) }
  }

  /// h, the lower block of `[x; h]`, as a new H × B matrix: one contiguous copy (the block's rows
  /// are the buffer's last H · B elements).
  var stackedState: Matrix<Scalar> {
    let start = input * batchSize
    return stacked.withUnsafeBufferPointer { all in
      Matrix(rows: hidden, columns: batchSize, scalars: Array(all[start..<(start + hidden * batchSize)]))
    }
  }

  /// Each sequence b's h copied to row b of `h` (B × ``hidden``, rows contiguous) and, when the
  /// cell has a cell state and `c` is given, its c to row b of `c` (B × ``cellRows``): PyTorch's
  /// layout of `h_n` and `c_n`, by the transpose kernel. No allocation.
  mutating func copyStates(toRows h: UnsafeMutablePointer<Scalar>, cells c: UnsafeMutablePointer<Scalar>?) {
    let (input, hidden, cellRows, batch) = (self.input, self.hidden, self.cellRows, batchSize)
    withStateStorage { stacked, cell in
      transpose(stacked + input * batch, rows: hidden, columns: batch, into: h)
      if let cell, let c { transpose(cell, rows: cellRows, columns: batch, into: c) }
    }
  }

  /// h set from rows of `h` (B × ``hidden``) and c from rows of `c` (B × ``cellRows``), PyTorch's
  /// layout of `h_0` and `c_0`, by the transpose kernel; a `nil` source leaves that state as it
  /// is. No allocation.
  mutating func setStates(fromRows h: UnsafePointer<Scalar>?, cells c: UnsafePointer<Scalar>?) {
    let (input, hidden, cellRows, batch) = (self.input, self.hidden, self.cellRows, batchSize)
    guard h != nil || c != nil else { return }
    withStateStorage { stacked, cell in
      if let h { transpose(h, rows: batch, columns: hidden, into: stacked + input * batch) }
      if let cell, let c { transpose(c, rows: batch, columns: cellRows, into: cell) }
    }
  }

  /// Sets h, the lower block of `[x; h]`; `name` is the workspace type's, for the message.
  mutating func setStackedState(_ newValue: Matrix<Scalar>, name: String) {
    checkPrecondition(
      newValue.rows == hidden && newValue.columns == batchSize,
      "\(name).state: expected (\(hidden)×\(batchSize)), got \(newValue.shape.compact)")
    stacked.withMutableView(rows: input..<(input + hidden), columns: 0..<batchSize) { $0.assign(newValue) }
  }
}

extension CellKernels {
  /// No projection but an LSTM's.
  var projectionWeights: Matrix<Scalar>? { nil }

  /// The weights and biases replaced by `tensors`' (this cell's shapes) in the cell's own
  /// buffers, and everything made from them (summed biases, joined weights, packed copies)
  /// made again: what `RecurrentNetwork.load(stateDict:)` does to each cell. No allocation
  /// while the cell is the only owner of its buffers.
  mutating func reload(_ tensors: CellTensors<Scalar>) {
    inputWeights.overwrite(with: tensors.inputWeights)
    recurrentWeights.overwrite(with: tensors.recurrentWeights)
    reloadDerived(from: tensors)
    PackedRecurrentWeights.refreshed(&packedRecurrent, weights: recurrentWeights)
  }

  /// A gated cell's projection holds every gate's input part: G·H rows.
  func projectionRows(batch: Int, featureMajorOutput: Bool) -> Int { inputWeights.rows }

  /// Why `x` cannot be stepped in `workspace`, or `nil`.
  func stepError(x: Shape, workspace: Workspace) -> ShapeError? {
    if let error = workspaceError(workspace, "step") { return error }
    guard x.rows == inputSize, x.columns == workspace.batchSize else {
      return ShapeError(
        operation: "\(Self.name).step",
        reason: "x must be (\(inputSize)×\(workspace.batchSize)) for this cell and workspace, got \(x.compact)",
        shapes: [])
    }
    return nil
  }

  /// Why `workspace` is not this cell's, or `nil`.
  func workspaceError(_ workspace: Workspace, _ call: String) -> ShapeError? {
    guard workspace.hidden == stateSize, workspace.input == inputSize else {
      return ShapeError(
        operation: "\(Self.name).\(call)",
        reason:
          "the workspace was made for H = \(workspace.hidden), I = \(workspace.input), but the cell has H = \(stateSize), I = \(inputSize) (H: h's size)",
        shapes: [])
    }
    return nil
  }

  /// Why a sequence run cannot go ahead, or `nil`.
  func forwardError(inputs: Shape, workspace: Workspace, states: Shape) -> ShapeError? {
    if let error = workspaceError(workspace, "forward") { return error }
    return sequenceShapeError(
      "\(Self.name).forward", hidden: stateSize, input: inputSize, batch: workspace.batchSize, inputs: inputs,
      states: states)
  }

  /// ``RecurrentCell/step(x:into:formulation:)``, unchecked beyond what the caller checked.
  @inline(__always)
  func uncheckedStep(x: Matrix<Scalar>, workspace: inout Workspace, formulation: Formulation?) {
    x.withUnsafeBufferPointer { x in
      advance(
        x: x.baseAddress, xStride: workspace.batchSize, workspace: &workspace,
        formulation: formulation ?? self.formulation, output: nil)
    }
  }

  /// ``RecurrentCell/step(x:into:formulation:)``, checked.
  @inline(__always)
  func checkedStep(x: Matrix<Scalar>, workspace: inout Workspace, formulation: Formulation?) {
    stepError(x: x.shape, workspace: workspace).trapIfPresent()
    uncheckedStep(x: x, workspace: &workspace, formulation: formulation)
  }

  /// ``RecurrentCell/forward(inputs:into:states:formulation:reversed:)``, checked.
  @inline(__always)
  func runSequence(
    inputs: Matrix<Scalar>, workspace: inout Workspace, states: inout Matrix<Scalar>, formulation: Formulation?,
    reversed: Bool
  ) {
    forwardError(inputs: inputs.shape, workspace: workspace, states: states.shape).trapIfPresent()
    uncheckedRun(inputs: inputs, workspace: &workspace, states: &states, formulation: formulation, reversed: reversed)
  }

  /// The sequence driver, on shapes already checked.
  @inline(__always)
  func uncheckedRun(
    inputs: Matrix<Scalar>, workspace: inout Workspace, states: inout Matrix<Scalar>, formulation: Formulation?,
    reversed: Bool
  ) {
    let formulation = formulation ?? self.formulation
    let (batch, width) = (workspace.batchSize, inputs.columns)
    let steps = width / batch
    guard steps > 0 else { return }
    if formulation == .hoisted {
      prepareBuffer(
        &workspace.projection, rows: projectionRows(batch: batch, featureMajorOutput: true), columns: width)
    }
    inputs.withUnsafeBufferPointer { x_ in
      states.withUnsafeMutableBufferPointer { out_ in
        let (x, output) = (x_.baseAddress, SequenceOutput.featureMajor(out_.baseAddress!, width: width))
        guard formulation == .hoisted else {
          runSteps(
            x: x, batchMajor: false, batches: StepBatches(steps: steps, batch: batch), workspace: &workspace,
            formulation: formulation, output: output, reversed: reversed)
          return
        }
        runHoisted(
          x: x, batchMajor: false, batches: StepBatches(steps: steps, batch: batch), workspace: &workspace,
          output: output, reversed: reversed, states: nil, tape: nil)
      }
    }
  }

  /// The gated cells' ``Formulation/hoisted``: the shared driver.
  func runHoisted(
    x: UnsafePointer<Scalar>?, batchMajor: Bool, batches: StepBatches, workspace: inout Workspace,
    output: SequenceOutput<Scalar>, reversed: Bool, states: RunningStates<Scalar>?, tape: SequenceOutput<Scalar>?
  ) {
    runSteps(
      x: x, batchMajor: batchMajor, batches: batches, workspace: &workspace, formulation: .hoisted, output: output,
      reversed: reversed, states: states, tape: tape)
  }

  /// The sequence driver every cell shares: each step t of `batches` in order (or in reverse)
  /// advances the first `batches.size(t)` sequences, reading step t's inputs at columns
  /// `batches.start(t) ..< batches.start(t) + size` of `x` and writing h there in `output`.
  ///
  /// - `x`: I × N in the cells' layout (N = `batches.columns`; row stride N), or with `batchMajor`
  ///   (hoisted only) PyTorch's N × I, read in place by the projection's product.
  /// - ``Formulation/hoisted``: `W_ih · X` for every step is one product into the workspace's
  ///   projection (G·H × N), then ``hoistedStep(column:layout:workspace:output:tape:)`` per step; the
  ///   other formulations ``advance(x:xStride:workspace:formulation:output:)`` per step.
  /// - `states`: for a padded batch (sizes that change; PyTorch's `PackedSequence.batch_sizes`)
  ///   the workspace's running columns follow the sizes: sequences that stop hand their h (and c)
  ///   to `states.leaving`, sequences that start take theirs from `states.joining`; the run starts
  ///   from none running and ends with every sequence handed over. Without it the sizes must be
  ///   the workspace's B throughout, whose state is the initial and then the final one.
  /// - `tape` (hoisted only): where each step records what its backward pass reads, at the same
  ///   columns as `output`'s.
  ///
  /// No allocation per step: the projection buffer is sized once per N.
  func runSteps(
    x: UnsafePointer<Scalar>?, batchMajor: Bool, batches: StepBatches, workspace: inout Workspace,
    formulation: Formulation, output: SequenceOutput<Scalar>, reversed: Bool, states: RunningStates<Scalar>? = nil,
    tape: SequenceOutput<Scalar>? = nil
  ) {
    checkPrecondition(
      !batchMajor || formulation == .hoisted, "\(Self.name): a batch-major sequence runs hoisted only")
    checkPrecondition(tape == nil || formulation == .hoisted, "\(Self.name): only a hoisted run records a tape")
    checkPrecondition(
      states != nil || batches.isUniform && batches.capacity == workspace.batchSize,
      "\(Self.name): steps of changing sizes need the states that join and leave")
    let columns = batches.columns
    guard batches.steps > 0 else { return }
    var layout = ProjectionLayout(columnStep: 0, stride: 0)
    if formulation == .hoisted {
      prepareBuffer(&workspace.projection, rows: inputWeights.rows, columns: columns)
      let backend = resolvedBackend
      layout = workspace.projection.withUnsafeMutableBufferPointer { p in
        hoistedProjection(
          inputWeights, x: x, batchMajor: batchMajor, columns: columns, transposed: batches.capacity == 1,
          into: p.baseAddress!, backend: backend)
      }
    }
    // A padded batch starts from none running: each sequence joins from its initial state.
    if states != nil { workspace.batchSize = 0 }
    for s in 0..<batches.steps {
      let t = stepIndex(s, of: batches.steps, reversed: reversed)
      let start = batches.start(t)
      if let states, batches.size(t) != workspace.batchSize { workspace.resize(to: batches.size(t), states: states) }
      if formulation == .hoisted {
        hoistedStep(
          column: start, layout: layout, workspace: &workspace, output: output.block(at: start),
          tape: tape?.block(at: start))
      } else {
        advance(
          x: x.map { $0 + start }, xStride: columns, workspace: &workspace, formulation: formulation,
          output: output.block(at: start))
      }
    }
    if let states { workspace.resize(to: 0, states: states) }
  }

  /// ``Formulation/hoisted`` in PyTorch's batch-major layouts, as the network runs its layers:
  /// `inputs` is (T · B) × I (row `t · B + b` is sequence b's step t), read in place by the
  /// projection's product; every h is written into `outputs`, a row-major (T · B) × `columns`
  /// buffer, at columns `column ..< column + H`. No transpose on either side.
  func runHoisted(
    batchMajorInputs inputs: Matrix<Scalar>, workspace: inout Workspace, outputs: UnsafeMutableBufferPointer<Scalar>,
    columns: Int, column: Int, reversed: Bool, tape: SequenceOutput<Scalar>? = nil
  ) {
    let batch = workspace.batchSize
    checkPrecondition(
      workspace.hidden == stateSize && workspace.input == inputSize && inputs.columns == inputSize
        && inputs.rows % batch == 0 && outputs.count == inputs.rows * columns && column >= 0
        && column + stateSize <= columns,
      "\(Self.name).forward: inputs must be ((T·B)×\(inputSize)) and outputs ((T·B)×≥\(column + stateSize)), got \(inputs.shape.compact), \(outputs.count / max(1, columns))×\(columns)"
    )
    let width = inputs.rows
    let steps = width / batch
    guard steps > 0 else { return }
    prepareBuffer(
      &workspace.projection, rows: projectionRows(batch: batch, featureMajorOutput: false), columns: width)
    inputs.withUnsafeBufferPointer { x in
      runHoisted(
        x: x.baseAddress, batchMajor: true, batches: StepBatches(steps: steps, batch: batch), workspace: &workspace,
        output: .batchMajor(outputs.baseAddress! + column, leadingDimension: columns), reversed: reversed,
        states: nil, tape: tape)
    }
  }

  /// Every state of a sequence given as a list, from `workspace`'s state: the convenience forms.
  func runList(_ inputs: [Matrix<Scalar>], workspace: inout Workspace, formulation: Formulation?) -> [Matrix<Scalar>] {
    guard let first = inputs.first else { return [] }
    var states = Matrix<Scalar>.zeros(rows: stateSize, columns: first.columns * inputs.count)
    runSequence(
      inputs: hstack(inputs), workspace: &workspace, states: &states, formulation: formulation, reversed: false)
    return splitColumns(states, batch: first.columns)
  }
}

/// The products every cell's kernels make, on raw buffers.
extension CellKernels {
  /// `gates = joinedWeights · [x; h]`: the fused formulation's one product (`stacked` is
  /// `[x; h]`, B columns).
  @inline(__always)
  func fusedProduct(
    stacked: UnsafePointer<Scalar>, batch: Int, into gates: UnsafeMutablePointer<Scalar>, backend: Backend
  ) {
    let k = inputSize + stateSize
    joinedWeights.withUnsafeBufferPointer { w in
      GEMMOperands(
        m: joinedWeights.rows, n: batch, k: k, a: w.baseAddress, lda: k, b: stacked, ldb: batch, c: gates, ldc: batch
      ).run(backend)
    }
  }

  /// `gates = W_ih · x` (`x` I × B with row stride `xStride`, nil when I = 0).
  @inline(__always)
  func inputProduct(
    x: UnsafePointer<Scalar>?, xStride: Int, batch: Int, into gates: UnsafeMutablePointer<Scalar>, backend: Backend
  ) {
    inputWeights.withUnsafeBufferPointer { w in
      GEMMOperands(
        m: inputWeights.rows, n: batch, k: inputSize, a: w.baseAddress, lda: max(1, inputSize), b: x, ldb: xStride,
        c: gates, ldc: batch
      ).run(backend)
    }
  }

  /// `gates = beta · gates + W_hh · h` (`h` H × B with row stride `hStride`, `gates` with row
  /// stride `stride`): the split formulation's second product (`beta = 1`), and each hoisted
  /// step's.
  @inline(__always)
  func recurrentProduct(
    h: UnsafePointer<Scalar>, hStride: Int? = nil, batch: Int, beta: Scalar, into gates: UnsafeMutablePointer<Scalar>,
    stride: Int, backend: Backend
  ) {
    if backend == .packed,
      PackedMatrix<Scalar>.beatsBLAS(
        rows: recurrentWeights.rows, columns: stateSize, n: batch, on: ActivationPath.current)
    {
      let packed =
        batch == 1
        ? packedRecurrent.vectorMatrix(packing: recurrentWeights) : packedRecurrent.matrix(packing: recurrentWeights)
      packed.multiply(h, ldh: hStride ?? batch, columns: batch, beta: beta, into: gates, ldc: stride)
      return
    }
    recurrentWeights.withUnsafeBufferPointer { w in
      GEMMOperands(
        m: recurrentWeights.rows, n: batch, k: stateSize, a: w.baseAddress, lda: stateSize, b: h,
        ldb: hStride ?? batch, beta: beta, c: gates, ldc: stride
      ).run(backend)
    }
  }
}

/// Where a step's new h (H × B, contiguous in the workspace) is copied: element (r, b) at
/// `base + r · rowStride + b · columnStride` (the cells' layout: `columnStride` 1; PyTorch's
/// batch-major output: `rowStride` 1), or with `rows` at `base + r · rowStride + rows[b] ·
/// columnStride` (a padded batch's last layer writing straight into the padded output).
struct StateStore<Scalar: BLASScalar> {
  var base: UnsafeMutablePointer<Scalar>
  var rowStride: Int
  var columnStride = 1
  var rows: UnsafePointer<Int>? = nil

  /// Copies h (H × B, contiguous) here: a row copy per unit in the cells' layout, a scatter per
  /// sequence otherwise.
  @inline(__always)
  func store(_ h: UnsafePointer<Scalar>, hidden: Int, batch: Int) {
    store(h, rowCount: hidden, batch: batch, sourceStride: batch)
  }

  /// Copies `rowCount` rows of B values (row r at `source + r · sourceStride`) to rows
  /// `firstRow ..< firstRow + rowCount` here: a row copy per unit in the cells' layout, otherwise
  /// (PyTorch's batch-major layout, rows mapped or not) the transpose kernel.
  @inline(__always)
  func store(_ source: UnsafePointer<Scalar>, rowCount: Int, batch: Int, sourceStride: Int, firstRow: Int = 0) {
    let base = self.base + firstRow * rowStride
    if columnStride == 1 && rows == nil {
      for r in 0..<rowCount { (base + r * rowStride).update(from: source + r * sourceStride, count: batch) }
    } else {
      // Rows are mapped only in PyTorch's layout (`SequenceOutput.batchMajor`): a transpose.
      Scalar._transpose(
        path: ActivationPath.current, rowCount: rowCount, columns: batch, source: source, sourceStride: sourceStride,
        destination: base, destinationStride: columnStride, rows: rows)
    }
  }
}

/// Where a sequence run writes its states: the H × b block of the steps whose first column is
/// c is a ``StateStore`` at `base + c · columnStride`, or with `rows` (a padded batch's packed
/// columns mapped to their rows in the padded output) column c at `base + rows[c] ·
/// columnStride`.
struct SequenceOutput<Scalar: BLASScalar> {
  var base: UnsafeMutablePointer<Scalar>
  var rowStride: Int
  var columnStride: Int
  var rows: UnsafePointer<Int>? = nil
  /// Whether this is the cells' own layout. Stated, not inferred from the strides: PyTorch's
  /// layout with one feature (H = 1, one direction) has the same strides.
  let isFeatureMajor: Bool

  /// H × N (N = T · B for full batches), column c at `base + c` (the cells' layout).
  static func featureMajor(_ base: UnsafeMutablePointer<Scalar>, width: Int) -> Self {
    Self(base: base, rowStride: width, columnStride: 1, isFeatureMajor: true)
  }

  /// PyTorch's N × `leadingDimension` (N = T · B for full batches): column c (sequence b at step
  /// t, c = t · B + b) is row c, or row `rows[c]` when given.
  static func batchMajor(
    _ base: UnsafeMutablePointer<Scalar>, leadingDimension: Int, rows: UnsafePointer<Int>? = nil
  ) -> Self {
    Self(base: base, rowStride: 1, columnStride: leadingDimension, rows: rows, isFeatureMajor: false)
  }

  /// The block whose first column is `column`.
  @inline(__always)
  func block(at column: Int) -> StateStore<Scalar> {
    guard let rows else {
      return StateStore(base: base + column * columnStride, rowStride: rowStride, columnStride: columnStride)
    }
    return StateStore(base: base, rowStride: rowStride, columnStride: columnStride, rows: rows + column)
  }
}

/// Where ``Formulation/hoisted``'s projection keeps the pre-activations: column c (a sequence at
/// a step) starts at `c · columnStep`, its rows `stride` apart.
struct ProjectionLayout {
  var columnStep: Int
  var stride: Int
}

/// Which sequences run at each step of a sequence run, and where their columns are: every step
/// all B (columns t · B ..< (t + 1) · B), or for a padded batch sorted longest first PyTorch's
/// `PackedSequence.batch_sizes` (step t the first `size(t)` sequences, columns from `start(t)`,
/// the steps' columns one after another).
struct StepBatches {
  /// The steps that run.
  let steps: Int
  /// B, the most sequences a step runs.
  let capacity: Int
  /// N, every step's columns.
  let columns: Int
  private let sizes: [Int]?
  private let starts: [Int]?

  /// `steps` steps of `batch` sequences each.
  init(steps: Int, batch: Int) {
    (self.steps, capacity, columns, sizes, starts) = (steps, batch, steps * batch, nil, nil)
  }

  /// Steps of `sizes[t]` sequences, non-increasing and positive.
  init(sizes: [Int]) {
    var (starts, total) = ([Int](), 0)
    starts.reserveCapacity(sizes.count)
    for size in sizes {
      starts.append(total)
      total += size
    }
    (steps, capacity, columns, self.sizes, self.starts) = (sizes.count, sizes.first ?? 0, total, sizes, starts)
  }

  /// Whether every step runs all B.
  var isUniform: Bool { sizes == nil }

  /// The sequences step t runs.
  @inline(__always)
  func size(_ t: Int) -> Int { sizes?[t] ?? capacity }

  /// Step t's first column.
  @inline(__always)
  func start(_ t: Int) -> Int { starts?[t] ?? t * capacity }
}

/// Column j of a workspace's running states: h's element r at `h[r · stride]`, c's (an LSTM's)
/// at `c[r · stride]`.
struct StateColumn<Scalar> {
  var h: UnsafeMutablePointer<Scalar>
  var c: UnsafeMutablePointer<Scalar>?
  var stride: Int
}

/// Where a padded batch's sequences take their initial states from and hand their final ones
/// to, by their place j in the sorted batch.
struct RunningStates<Scalar> {
  /// Writes sequence j's initial h (and c) into the column.
  var joining: (_ j: Int, _ column: StateColumn<Scalar>) -> Void
  /// Reads sequence j's final h (and c) from the column.
  var leaving: (_ j: Int, _ column: StateColumn<Scalar>) -> Void
}

extension CellWorkspace {
  /// Makes the first `count` sequences the running ones: those beyond it hand their states to
  /// `states.leaving`, then h (and c) are laid out for `count` columns, then those new in it take
  /// theirs from `states.joining`. O((H + C) · capacity), no allocation.
  mutating func resize(to count: Int, states: RunningStates<Scalar>) {
    let old = batchSize
    guard count != old else { return }
    let (input, hidden, cellRows) = (self.input, self.hidden, self.cellRows)
    withStateStorage { stacked, cell in
      if count < old {
        for j in count..<old {
          states.leaving(j, StateColumn(h: stacked + input * old + j, c: cell.map { $0 + j }, stride: old))
        }
      }
      // Each row to its place for the new width (rows in the order that never overwrites one not
      // yet moved; a row may overlap its own old place, hence memmove).
      func relayout(_ base: UnsafeMutablePointer<Scalar>, offset: Int, rows: Int) {
        let (source, target, width) = (base + offset * old, base + offset * count, min(old, count))
        guard width > 0 else { return }
        let bytes = width * MemoryLayout<Scalar>.stride
        if count < old {
          for r in 0..<rows { memmove(target + r * count, source + r * old, bytes) }
        } else {
          for r in (0..<rows).reversed() { memmove(target + r * count, source + r * old, bytes) }
        }
      }
      relayout(stacked, offset: input, rows: hidden)
      if let cell { relayout(cell, offset: 0, rows: cellRows) }
      if count > old {
        for j in old..<count {
          states.joining(j, StateColumn(h: stacked + input * count + j, c: cell.map { $0 + j }, stride: count))
        }
      }
    }
    batchSize = count
  }
}

/// Whether a step of `batch` columns gathers its gates into a contiguous buffer first: when each
/// gate row would end in a partial vector of the activation kernels (a padded batch's shrinking
/// steps, or a batch that is not a whole number of vectors), one run over whole gates, with one
/// tail, is cheaper than a tail per row. Not for one column: the kernels take a column's rows a
/// vector at a time already.
@inline(__always)
func gathersGates<Scalar>(batch: Int, _: Scalar.Type) -> Bool {
  batch > 1 && batch % ActivationPath.current.lanes(of: Scalar.self) != 0
}

/// `target[r, k] = block[r, k] + bias[r]` for the `rows × batch` block with row stride `stride`,
/// into the contiguous `target`: a hoisted step's input part and bias, gathered.
@inline(__always)
func gather<Scalar: BLASScalar>(
  _ block: UnsafePointer<Scalar>, stride: Int, rows: Int, batch: Int, adding bias: Matrix<Scalar>,
  into target: UnsafeMutablePointer<Scalar>
) {
  bias.withUnsafeBufferPointer { b in
    for r in 0..<rows {
      let (row, source, value) = (target + r * batch, block + r * stride, b[r])
      for k in 0..<batch { row[k] = source[k] + value }
    }
  }
}

/// The hoisted input projection `W · X` (W is `rows × input`) over N columns into `p`, in one
/// product. X is `input × N` (the cells' layout), or with `batchMajor` PyTorch's `N × input`,
/// read in place as the product's transposed operand. Usually the natural `rows × N` product
/// (rows N apart). With `transposed` (a batch of one) it is `Xᵀ · Wᵀ` (`N × rows`), so that each
/// step's pre-activations are one contiguous vector: the gates' vector kernels then run over whole
/// gates instead of one element per row.
func hoistedProjection<Scalar: BLASScalar>(
  _ weights: Matrix<Scalar>, x: UnsafePointer<Scalar>?, batchMajor: Bool = false, columns: Int, transposed: Bool,
  into p: UnsafeMutablePointer<Scalar>, backend: Backend
) -> ProjectionLayout {
  let (rows, input) = (weights.rows, weights.columns)
  // X's leading dimension: N columns in the cells' layout, I in PyTorch's.
  let ldx = batchMajor ? max(1, input) : columns
  return weights.withUnsafeBufferPointer { w in
    if transposed {
      GEMMOperands(
        transposeA: !batchMajor, transposeB: true, m: columns, n: rows, k: input, a: x, lda: ldx, b: w.baseAddress,
        ldb: max(1, input), c: p, ldc: rows
      ).run(backend)
      return ProjectionLayout(columnStep: rows, stride: 1)
    }
    GEMMOperands(
      transposeB: batchMajor, m: rows, n: columns, k: input, a: w.baseAddress, lda: max(1, input), b: x, ldb: ldx,
      c: p, ldc: columns
    ).run(backend)
    return ProjectionLayout(columnStep: 1, stride: columns)
  }
}

/// `rows × columns` contiguous at `source` into `columns × rows` contiguous at `destination`
/// (`Scalar._transpose` on the current path): the states between the cells' and PyTorch's
/// layouts, and the backward pass's per-step delta and carry for the packed `W_hhᵀ`.
func transpose<Scalar: BLASScalar>(
  _ source: UnsafePointer<Scalar>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Scalar>
) {
  guard rows > 0, columns > 0 else { return }
  Scalar._transpose(
    path: ActivationPath.current, rowCount: rows, columns: columns, source: source, sourceStride: columns,
    destination: destination, destinationStride: rows, rows: nil)
}
