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
  var inputWeights: Matrix<Scalar> { get }
  /// `W_hh`, G·H × H.
  var recurrentWeights: Matrix<Scalar> { get }
  /// `W_hh` packed for ``DenseMatrix/Backend/packed``, on first use.
  var packedRecurrent: PackedRecurrentWeights<Scalar> { get }
  /// The fused formulation's joined weights, `rows × (I + H)` (`[W_ih | W_hh]`, or the GRU's block
  /// matrix).
  var joinedWeights: Matrix<Scalar> { get }
  /// One step: `x` is I × B with row stride `xStride` (nil when I = 0); the new h goes into the
  /// workspace and, if given, `output`.
  func advance(
    x: UnsafePointer<Scalar>?, xStride: Int, workspace: inout Workspace, formulation: Formulation,
    output: StateStore<Scalar>?)
  /// The rows of the hoisted projection buffer the driver prepares for a batch of `batch`
  /// (T · B columns) and an output in the cells' layout or not; 0 when the cell projects
  /// straight into the output.
  func projectionRows(batch: Int, featureMajorOutput: Bool) -> Int
  /// ``Formulation/hoisted`` over `steps` steps of `x` (I × (T · B), or with `batchMajor`
  /// PyTorch's (T · B) × I), writing every h to `output` (the cells' layout or PyTorch's).
  func runHoisted(
    x: UnsafePointer<Scalar>?, batchMajor: Bool, steps: Int, workspace: inout Workspace,
    output: SequenceOutput<Scalar>, reversed: Bool)
}

/// What the shared drivers need of a cell's workspace.
protocol CellWorkspace<Scalar>: RecurrentWorkspace {
  var hidden: Int { get }
  var input: Int { get }
  /// `[x; h]`, (I + H) × B; rows I..<I+H are h.
  var stacked: Matrix<Scalar> { get set }
  /// The hoisted input projection, G·H × (T · B).
  var projection: Matrix<Scalar> { get set }
}

extension CellWorkspace {
  /// h, the lower block of `[x; h]`, as a new H × B matrix: one contiguous copy (the block's rows
  /// are the buffer's last H · B elements).
  var stackedState: Matrix<Scalar> {
    let start = input * batchSize
    return stacked.withUnsafeBufferPointer { all in
      Matrix(rows: hidden, columns: batchSize, scalars: Array(all[start..<(start + hidden * batchSize)]))
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
        let (x, out) = (x_.baseAddress, out_.baseAddress!)
        guard formulation == .hoisted else {
          for s in 0..<steps {
            let t = stepIndex(s, of: steps, reversed: reversed)
            advance(
              x: x.map { $0 + t * batch }, xStride: width, workspace: &workspace, formulation: formulation,
              output: StateStore(base: out + t * batch, rowStride: width))
          }
          return
        }
        runHoisted(
          x: x, batchMajor: false, steps: steps, workspace: &workspace,
          output: .featureMajor(out, width: width, batch: batch), reversed: reversed)
      }
    }
  }

  /// ``Formulation/hoisted`` in PyTorch's batch-major layouts, as the network runs its layers:
  /// `inputs` is (T · B) × I (row `t · B + b` is sequence b's step t), read in place by the
  /// projection's product; every h is written into `outputs`, a row-major (T · B) × `columns`
  /// buffer, at columns `column ..< column + H`. No transpose on either side.
  func runHoisted(
    batchMajorInputs inputs: Matrix<Scalar>, workspace: inout Workspace, outputs: UnsafeMutableBufferPointer<Scalar>,
    columns: Int, column: Int, reversed: Bool
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
        x: x.baseAddress, batchMajor: true, steps: steps, workspace: &workspace,
        output: .batchMajor(outputs.baseAddress! + column, leadingDimension: columns, batch: batch), reversed: reversed)
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
    if backend == .packed, batch % PackedMatrix<Scalar>.columnsPerTile(on: ActivationPath.current) == 0 {
      packedRecurrent.matrix(packing: recurrentWeights).multiply(
        h, ldh: hStride ?? batch, columns: batch, beta: beta, into: gates, ldc: stride)
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
/// batch-major output: `rowStride` 1).
struct StateStore<Scalar> {
  var base: UnsafeMutablePointer<Scalar>
  var rowStride: Int
  var columnStride = 1

  /// Copies h (H × B, contiguous) here: a row copy per unit in the cells' layout, a scatter per
  /// sequence otherwise.
  @inline(__always)
  func store(_ h: UnsafePointer<Scalar>, hidden: Int, batch: Int) {
    if columnStride == 1 {
      for r in 0..<hidden { (base + r * rowStride).update(from: h + r * batch, count: batch) }
    } else {
      for b in 0..<batch {
        let target = base + b * columnStride
        for r in 0..<hidden { target[r * rowStride] = h[r * batch + b] }
      }
    }
  }
}

/// Where a sequence run writes its states: step t's H × B block is a ``StateStore`` at
/// `base + t · stepStride`.
struct SequenceOutput<Scalar> {
  var base: UnsafeMutablePointer<Scalar>
  var stepStride: Int
  var rowStride: Int
  var columnStride: Int

  /// H × (T · B), step t in columns t · B ..< (t + 1) · B (the cells' layout).
  static func featureMajor(_ base: UnsafeMutablePointer<Scalar>, width: Int, batch: Int) -> Self {
    Self(base: base, stepStride: batch, rowStride: width, columnStride: 1)
  }

  /// PyTorch's (T · B) × `leadingDimension`, h of sequence b at step t in row t · B + b.
  static func batchMajor(_ base: UnsafeMutablePointer<Scalar>, leadingDimension: Int, batch: Int) -> Self {
    Self(base: base, stepStride: batch * leadingDimension, rowStride: 1, columnStride: leadingDimension)
  }

  /// Whether this is the cells' own layout.
  var isFeatureMajor: Bool { columnStride == 1 }

  /// Step t's block.
  @inline(__always)
  func step(_ t: Int) -> StateStore<Scalar> {
    StateStore(base: base + t * stepStride, rowStride: rowStride, columnStride: columnStride)
  }
}

/// Where ``Formulation/hoisted``'s projection keeps step t's pre-activations: `rows × B` starting
/// at `t · blockStep`, rows `stride` apart.
struct ProjectionLayout {
  var blockStep: Int
  var stride: Int
}

/// The hoisted input projection `W · [x_1 … x_T]` (W is `rows × input`) into `p`, in one
/// product. X is `input × (T · B)` (the cells' layout), or with `batchMajor` PyTorch's
/// `(T · B) × input`, read in place as the product's transposed operand. For B > 1 it is the
/// natural `rows × (T · B)` product, step t's block B columns wide with rows `T · B` apart. For
/// B = 1 it is computed transposed, `Xᵀ · Wᵀ` (`T × rows`), so that each step's pre-activations
/// are one contiguous vector: the gates' vector kernels then run over whole gates instead of one
/// element per row.
func hoistedProjection<Scalar: BLASScalar>(
  _ weights: Matrix<Scalar>, x: UnsafePointer<Scalar>?, batchMajor: Bool = false, steps: Int, batch: Int,
  into p: UnsafeMutablePointer<Scalar>, backend: Backend
) -> ProjectionLayout {
  let (rows, input, width) = (weights.rows, weights.columns, steps * batch)
  // X's leading dimension: T · B columns in the cells' layout, I in PyTorch's.
  let ldx = batchMajor ? max(1, input) : width
  return weights.withUnsafeBufferPointer { w in
    if batch == 1 {
      GEMMOperands(
        transposeA: !batchMajor, transposeB: true, m: steps, n: rows, k: input, a: x, lda: ldx, b: w.baseAddress,
        ldb: max(1, input), c: p, ldc: rows
      ).run(backend)
      return ProjectionLayout(blockStep: rows, stride: 1)
    }
    GEMMOperands(
      transposeB: batchMajor, m: rows, n: width, k: input, a: w.baseAddress, lda: max(1, input), b: x, ldb: ldx,
      c: p, ldc: width
    ).run(backend)
    return ProjectionLayout(blockStep: batch, stride: width)
  }
}
