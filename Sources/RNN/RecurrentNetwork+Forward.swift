public import DenseMatrix
import Dispatch

extension RecurrentNetwork {
  /// Runs every layer and direction over a batch of sequences, in PyTorch's layouts (see
  /// ``RecurrentNetwork``).
  ///
  /// - Parameters:
  ///   - input: PyTorch's `T × B × I` input as a `(T · B) × I` matrix (row `t · B + b` is
  ///     sequence b's step t). T may be 0.
  ///   - batchSize: B ≥ 1; `input.rows` must be a multiple of it.
  ///   - lengths: Each sequence's length, B values in 1...T in any order, for a padded batch
  ///     (PyTorch's `pack_padded_sequence(input, lengths, enforce_sorted=False)` → module →
  ///     `pad_packed_sequence(total_length=T)`); `nil` when every sequence has T steps. Sequence
  ///     b's output rows at steps ≥ `lengths[b]` are exactly 0, its `h_n` (and `c_n`) is its state
  ///     after its own last step, the backward direction starts at that step, and the padding
  ///     is never read (NaN there changes nothing). The arithmetic is proportional to Σ lengths: the
  ///     sequences are sorted by length once and each step runs only those still going.
  ///   - batchFirst: `true` when `input` is PyTorch's `batch_first=True` layout, `B × T × I` as
  ///     `(B · T) × I` (row `b · T + t`); the output is then `(B · T) × (D · H)` too. The states
  ///     keep their `(D · L · B) × H` layout either way, as in PyTorch.
  ///   - initialState: PyTorch's `h_0`, `(D · L) × B × H` as `(D · L · B) × H`; zero if `nil`.
  ///   - initialCell: PyTorch's `c_0` (LSTM only), same shape; zero if `nil`.
  /// - Returns: the output `(T · B) × (D · H)` (`(B · T) × (D · H)` with `batchFirst`), `h_n`
  ///   and (LSTM) `c_n`, each `(D · L · B) × H`; with a projection (``projectionSize`` P > 0) the
  ///   output and `h_n` have P in place of H, and so must `initialState`.
  ///   With T = 0 the output is empty and the final states are the initial ones.
  /// - Throws: `ShapeError` naming the argument, the expected and the found shape (or the length
  ///   out of 1...T); nothing is computed then.
  /// - Complexity: O(T · B · L · D · G·H · (I + H)) for G gates (Σ lengths in place of T · B for
  ///   a padded batch, whose input is packed once); the products go through
  ///   `cblas_?gemm` (`?gemv` for the per-step products when B = 1). Allocates the output, and
  ///   on a network's first pass for a batch shape one workspace per layer and direction and the
  ///   scratch between layers, which the network keeps for its later passes of that shape (at
  ///   most two sets, shared by copies of the network, released with it); nothing per step. With ``threads``
  ///   of 2 or more, a bidirectional layer's two directions run at the same time on two threads
  ///   (Dispatch's `concurrentPerform`), with the same results bit for bit.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    _ input: Matrix<Scalar>, batchSize: Int, lengths: [Int]? = nil, batchFirst: Bool = false,
    initialState: Matrix<Scalar>? = nil, initialCell: Matrix<Scalar>? = nil
  ) throws(ShapeError) -> Output {
    try forward(
      input, batchSize: batchSize, lengths: lengths, batchFirst: batchFirst, initialState: initialState,
      initialCell: initialCell, tapeWidth: 0
    ).output
  }

  /// ``forward(_:batchSize:lengths:batchFirst:initialState:initialCell:)``, and with `tapeWidth` >
  /// 0 (a hoisted run of a gated cell, time-major) each layer and direction's tape, what its
  /// backward pass reads (see `RecurrentLayerBackward.Kind.tapeWidth(hidden:)`): `(T · B) ×
  /// tapeWidth`, row `t · B + b` sequence b's step t (zero for a padded step).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  func forward(
    _ input: Matrix<Scalar>, batchSize: Int, lengths: [Int]?, batchFirst: Bool, initialState: Matrix<Scalar>?,
    initialCell: Matrix<Scalar>?, tapeWidth: Int
  ) throws(ShapeError) -> (output: Output, tapes: [Matrix<Scalar>]) {
    let stateRows = directionCount * layerCount * batchSize
    guard batchSize >= 1, input.rows % batchSize == 0, input.columns == inputSize else {
      throw ShapeError(
        operation: "RecurrentNetwork.forward",
        reason: "input must be ((T·B)×I) with B = \(batchSize) ≥ 1 dividing its rows and I = \(inputSize)",
        shapes: [input.shape])
    }
    for (name, state, size) in [
      ("initialState (h_0)", initialState, outputSize), ("initialCell (c_0)", initialCell, hiddenSize),
    ] {
      guard let state else { continue }
      guard state.rows == stateRows, state.columns == size else {
        let what = size == hiddenSize ? "H" : "P"
        throw ShapeError(
          operation: "RecurrentNetwork.forward",
          reason:
            "\(name) must be ((D·L·B)×\(what)) = (\(stateRows)×\(size)) for D = \(directionCount), L = \(layerCount), B = \(batchSize)",
          shapes: [state.shape])
      }
    }
    if initialCell != nil && mode != .lstm {
      throw ShapeError(
        operation: "RecurrentNetwork.forward", reason: "initialCell (c_0) is for LSTMs only; this network is \(mode)",
        shapes: [])
    }
    let steps = input.rows / batchSize
    if let lengths {
      guard lengths.count == batchSize else {
        throw ShapeError(
          operation: "RecurrentNetwork.forward",
          reason: "lengths has \(lengths.count) values but the batch has B = \(batchSize) sequences", shapes: [])
      }
      if let bad = lengths.firstIndex(where: { !(1...max(1, steps)).contains($0) || steps == 0 }) {
        throw ShapeError(
          operation: "RecurrentNetwork.forward",
          reason: "lengths[\(bad)] is \(lengths[bad]); every length must be in 1...T = 1...\(steps)", shapes: [])
      }
    }
    // Every sequence full length is the unpadded run. A padded batch is packed straight from
    // either layout and padded back into it; a full batch_first one is regrouped on both sides.
    let padded = lengths.flatMap { lengths in
      lengths.contains { $0 != steps } ? PaddedBatch(lengths: lengths, steps: steps, batchFirst: batchFirst) : nil
    }
    let regroup = batchFirst && padded == nil
    var run = LayerRun(
      network: self, batch: batchSize, initialState: initialState, initialCell: initialCell,
      input: regroup ? regroupingRows(input, outer: batchSize, inner: steps) : input)
    if tapeWidth > 0 {
      checkPrecondition(
        formulation == .hoisted && !batchFirst, "RecurrentNetwork: a tape is recorded hoisted, time-major")
      // Written before read: the backward pass reads no padded step's row.
      run.tapes = (0..<(layerCount * directionCount)).map { _ in scratch.matrix(rows: input.rows, columns: tapeWidth) }
    }
    switch cells {
    case .rnn(let cells): run.layers(cells, padded: padded, cell: { _ in nil }, setCell: { _, _ in })
    case .gru(let cells): run.layers(cells, padded: padded, cell: { _ in nil }, setCell: { _, _ in })
    case .lstm(let cells):
      run.layers(cells, padded: padded, cell: { $0.cellState }, setCell: { $0.cellState = $1 })
    }
    let output = run.batchMajorOutput ?? run.sequence.transposed()
    let result = Output(
      output: regroup ? regroupingRows(output, outer: steps, inner: batchSize) : output,
      finalState: run.finalState, finalCell: mode == .lstm ? run.finalCell : nil)
    return (result, run.tapes)
  }
}

/// One forward pass's state: the network's input (PyTorch's (T · B) × I), the current layer's
/// input sequence in the cells' layout (features × (T · B)), and the final states as they are
/// filled.
struct LayerRun<Scalar: BLASScalar> {
  let network: RecurrentNetwork<Scalar>
  let batch: Int
  let initialState: Matrix<Scalar>?
  let initialCell: Matrix<Scalar>?
  /// The first layer's input, batch-major: the hoisted layers read it in place; the other
  /// formulations read it transposed into the cells' layout.
  let input: Matrix<Scalar>
  var sequence: Matrix<Scalar>
  /// The last layer's output in PyTorch's layout, (T · B) × (D · H), when the layers ran
  /// batch-major (hoisted); `nil` when `sequence` holds it in the cells' layout.
  var batchMajorOutput: Matrix<Scalar>?
  var finalState: Matrix<Scalar>
  var finalCell: Matrix<Scalar>
  /// For a backward pass: each layer and direction's tape (index `layer · D + direction`, each
  /// `(T · B) × width`), which a hoisted run of a gated cell fills; empty when nothing is
  /// recorded.
  var tapes: [Matrix<Scalar>] = []

  init(
    network: RecurrentNetwork<Scalar>, batch: Int, initialState: Matrix<Scalar>?, initialCell: Matrix<Scalar>?,
    input: Matrix<Scalar>
  ) {
    (self.network, self.batch, self.initialState, self.initialCell) = (network, batch, initialState, initialCell)
    self.input = input
    self.sequence = Matrix(rows: 0, columns: 0, scalars: [])
    let rows = network.directionCount * network.layerCount * batch
    finalState = initialState ?? .zeros(rows: rows, columns: network.outputSize)
    finalCell = initialCell ?? .zeros(rows: rows, columns: network.hiddenSize)
  }

  /// Rows `index · B ..< (index + 1) · B` of a `(D · L · B) × H` state, as this package's H × B.
  private func slice(_ states: Matrix<Scalar>?, _ index: Int) -> Matrix<Scalar>? {
    states.map { $0[rows: (index * batch)..<((index + 1) * batch), columns: 0..<$0.columns].transposed() }
  }

  /// Runs every layer: each direction's cell over `sequence`, the directions' states stacked
  /// into the next layer's input; a padded batch through ``packedLayers(_:padded:)``.
  mutating func layers<Cell: CellKernels>(
    _ cells: [Cell], padded: PaddedBatch?, cell: (Cell.Workspace) -> Matrix<Scalar>?,
    setCell: (inout Cell.Workspace, Matrix<Scalar>) -> Void
  ) where Cell.Scalar == Scalar {
    if let padded {
      packedLayers(cells, padded: padded)
      return
    }
    let (hidden, directions) = (network.outputSize, network.directionCount)
    let width = input.rows
    guard width > 0 else {
      sequence = .zeros(rows: directions * hidden, columns: 0)
      return
    }
    // Hoisted, every layer runs in PyTorch's batch-major layout: it reads its input in place
    // (the projection's product takes it as its transposed operand) and writes each direction's
    // states straight into its column block of the next input, or of the output. No transpose,
    // no stacking. The other formulations run in the cells' layout, transposing on the way in
    // and out.
    guard network.formulation != .hoisted else {
      hoistedLayers(cells, cell: cell, setCell: setCell)
      return
    }
    let (backend, formulation) = (network.resolvedBackend, network.formulation)
    sequence = input.transposed()
    for layer in 0..<network.layerCount {
      var workspaces = makeWorkspaces(cells, layer: layer, setCell: setCell)
      var outputs = (0..<directions).map { _ in Matrix<Scalar>.zeros(rows: hidden, columns: width) }
      let layerInput = sequence
      workspaces.withUnsafeMutableBufferPointer { buffer in
        outputs.withUnsafeMutableBufferPointer { states in
          let (workspaces, states) = (buffer, states)
          // As in hoistedLayers: each direction its own cell, workspace and states.
          let run = { (direction: Int) in
            var runner = cells[layer * directions + direction]
            runner.formulation = formulation
            runner.backend = backend
            runner.forward(
              inputs: layerInput, into: &workspaces[direction], states: &states[direction], formulation: nil,
              reversed: direction == 1)
          }
          eachDirection(run)
        }
      }
      for direction in 0..<directions {
        keepFinalStates(workspaces[direction], index: layer * directions + direction, cell: cell)
        keepWorkspace(workspaces[direction], index: layer * directions + direction)
      }
      sequence = directions == 1 ? outputs[0] : vstack(outputs)
    }
  }

  /// `body(d)` for every direction d: at the same time on two threads when the network's
  /// ``RecurrentNetwork/threads`` (or `BLAS.threadCount`) allows two and there are two.
  func eachDirection(_ body: (Int) -> Void) {
    let directions = network.directionCount
    if directions == 2 && (network.threads ?? BLAS.threadCount) >= 2 {
      performConcurrently(iterations: directions, body)
    } else {
      for direction in 0..<directions { body(direction) }
    }
  }

  /// Each direction's workspace for `layer`, with its slice of h_0 (and c_0).
  private func makeWorkspaces<Cell: CellKernels>(
    _ cells: [Cell], layer: Int, setCell: (inout Cell.Workspace, Matrix<Scalar>) -> Void
  ) -> [Cell.Workspace] where Cell.Scalar == Scalar {
    let directions = network.directionCount
    return (0..<directions).map { direction in
      let index = layer * directions + direction
      var workspace = takeWorkspace(cells[index], index: index)
      if let h0 = slice(initialState, index) { workspace.state = h0 }
      if let c0 = slice(initialCell, index) { setCell(&workspace, c0) }
      return workspace
    }
  }

  /// Layer-direction `index`'s workspace for B sequences, h (and c) zero: the one a pass before
  /// kept, or a new one.
  func takeWorkspace<Cell: CellKernels>(_ cell: Cell, index: Int) -> Cell.Workspace {
    let key = ScratchPool.Key.workspace(index: index, batch: batch, input: cell.inputSize)
    guard var workspace = network.scratch.take(Cell.Workspace.self, key) else {
      return cell.makeWorkspace(batchSize: batch)
    }
    workspace.clearStates()
    return workspace
  }

  /// Keeps a finished workspace for the next pass.
  func keepWorkspace(_ workspace: some CellWorkspace, index: Int) {
    network.scratch.keep(workspace, .workspace(index: index, batch: batch, input: workspace.input))
  }

  /// Every layer hoisted and batch-major: each reads its (T · B) × I input in place and each
  /// direction writes its states into columns `d · H ..< (d + 1) · H` of the next input.
  private mutating func hoistedLayers<Cell: CellKernels>(
    _ cells: [Cell], cell: (Cell.Workspace) -> Matrix<Scalar>?, setCell: (inout Cell.Workspace, Matrix<Scalar>) -> Void
  ) where Cell.Scalar == Scalar {
    let (hidden, directions) = (network.outputSize, network.directionCount)
    let backend = network.resolvedBackend
    var layerInput = input
    for layer in 0..<network.layerCount {
      var workspaces = makeWorkspaces(cells, layer: layer, setCell: setCell)
      // Not zero-filled: the directions' runs write every column block of every row. An inner
      // layer's output is scratch, kept for the next pass.
      let (rows, columns) = (input.rows, directions * hidden)
      var output: Matrix<Scalar> =
        layer == network.layerCount - 1
        ? Matrix(rows: rows, columns: columns, initializingEvery: { _ in })
        : network.scratch.matrix(rows: rows, columns: columns)
      var tapes = self.tapes
      self.tapes = []
      output.withUnsafeMutableBufferPointer { outputs in
        workspaces.withUnsafeMutableBufferPointer { buffer in
          tapes.withUnsafeMutableBufferPointer { tapes in
            let (workspaces, tapes) = (buffer, tapes)
            // Each direction reads the layer's input and its own cell and workspace, and writes its
            // own column block of the output (and its own tape): nothing is shared but what is
            // only read.
            let run = { (direction: Int) in
              let index = layer * directions + direction
              var runner = cells[index]
              runner.backend = backend
              withTape(tapes, index) { tape in
                runner.runHoisted(
                  batchMajorInputs: layerInput, workspace: &workspaces[direction], outputs: outputs,
                  columns: directions * hidden, column: direction * hidden, reversed: direction == 1, tape: tape)
              }
            }
            eachDirection(run)
          }
        }
      }
      self.tapes = tapes
      for direction in 0..<directions {
        keepFinalStates(workspaces[direction], index: layer * directions + direction, cell: cell)
        keepWorkspace(workspaces[direction], index: layer * directions + direction)
      }
      if layer > 0 { network.scratch.keep(layerInput) }
      layerInput = output
    }
    batchMajorOutput = layerInput
  }

  /// Rows `index · B ..< (index + 1) · B` of h_n (and c_n) from a finished run's workspace.
  private mutating func keepFinalStates<Workspace: RecurrentWorkspace>(
    _ workspace: Workspace, index: Int, cell: (Workspace) -> Matrix<Scalar>?
  ) where Workspace.Scalar == Scalar {
    let rows = (index * batch)..<((index + 1) * batch)
    finalState.withMutableView(rows: rows, columns: 0..<network.outputSize) {
      $0.assign(workspace.state.transposed())
    }
    if let c = cell(workspace) {
      finalCell.withMutableView(rows: rows, columns: 0..<network.hiddenSize) { $0.assign(c.transposed()) }
    }
  }
}

/// Runs `body(0) … body(iterations − 1)` at the same time on as many threads (Dispatch's
/// `concurrentPerform`) and returns when all are done.
///
/// `body` is not `@Sendable`: the caller guarantees that the iterations share only what they
/// read, and write disjoint memory (a bidirectional layer's two directions: each its own cell,
/// workspace and half of the output).
///
/// The caller's task-local settings that the kernels read (`ActivationPath.current`) hold on the
/// other threads too; the backend is resolved by the caller and set on each cell.
/// Calls `body` with tape `index` as a run's record (its rows the run's columns, or with `rows`
/// the rows they map to), or with `nil` when there are no tapes.
func withTape<Scalar, R>(
  _ tapes: UnsafeMutableBufferPointer<Matrix<Scalar>>, _ index: Int, rows: UnsafePointer<Int>? = nil,
  _ body: (SequenceOutput<Scalar>?) -> R
) -> R {
  guard index < tapes.count else { return body(nil) }
  let width = tapes[index].columns
  return tapes[index].withUnsafeMutableBufferPointer { tape in
    body(.batchMajor(tape.baseAddress!, leadingDimension: width, rows: rows))
  }
}

private func performConcurrently(iterations: Int, _ body: (Int) -> Void) {
  let path = ActivationPath.current
  withoutActuallyEscaping(body) { body in
    let shared = UncheckedSendable(body)
    DispatchQueue.concurrentPerform(iterations: iterations) { index in
      withActivationPath(path) { shared.value(index) }
    }
  }
}

/// A value handed to other threads on the caller's guarantee (see ``performConcurrently``).
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
