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
    var result = Output.empty
    var tapes: [Matrix<Scalar>] = []
    try forward(
      input, batchSize: batchSize, lengths: lengths, batchFirst: batchFirst, initialState: initialState,
      initialCell: initialCell, layers: nil, tapes: &tapes, into: &result)
    return result
  }

  /// ``forward(_:batchSize:lengths:batchFirst:initialState:initialCell:)`` of the layers
  /// `layers` (every layer when `nil`) into `result`'s buffers, each reused when its shape fits
  /// (no allocation; a new one otherwise): the last of those layers' output into
  /// `result.output` (in the padded layout for a padded batch), and each of their cells' `h_n`
  /// (and `c_n`) into its rows of `result.finalState` (`finalCell`), which hold every layer's
  /// rows, `(D · L · B) × H`: the rows of the layers not run are left as they were (zero in a new
  /// buffer). A run of layers after the first takes its input (`input`) with that layer's
  /// width, `D · H`.
  ///
  /// With `tapes` not empty (L · D matrices, `(T · B) ×` the kind's tape width each, for a hoisted
  /// run of a gated cell, time-major), each cell run records what its backward pass reads (see
  /// `RecurrentLayerBackward.Kind.tapeWidth(hidden:)`) in `tapes[layer · D + direction]`, row
  /// `t · B + b` sequence b's step t (not written for a padded step).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  func forward(
    _ input: Matrix<Scalar>, batchSize: Int, lengths: [Int]?, batchFirst: Bool, initialState: Matrix<Scalar>?,
    initialCell: Matrix<Scalar>?, layers: Range<Int>?, tapes: inout [Matrix<Scalar>], into result: inout Output
  ) throws(ShapeError) {
    let layerRange = layers ?? 0..<layerCount
    let firstInput = layerRange.lowerBound == 0 ? inputSize : directionCount * outputSize
    let stateRows = directionCount * layerCount * batchSize
    guard batchSize >= 1, input.rows % batchSize == 0, input.columns == firstInput else {
      throw ShapeError(
        operation: "RecurrentNetwork.forward",
        reason: "input must be ((T·B)×I) with B = \(batchSize) ≥ 1 dividing its rows and I = \(firstInput)",
        shapes: [input.shape])
    }
    // (A function called twice, not a loop over an array literal: the array would be allocated.)
    func check(_ name: String, _ state: Matrix<Scalar>?, _ size: Int) throws(ShapeError) {
      guard let state, state.rows != stateRows || state.columns != size else { return }
      let what = size == hiddenSize ? "H" : "P"
      throw ShapeError(
        operation: "RecurrentNetwork.forward",
        reason:
          "\(name) must be ((D·L·B)×\(what)) = (\(stateRows)×\(size)) for D = \(directionCount), L = \(layerCount), B = \(batchSize)",
        shapes: [state.shape])
    }
    try check("initialState (h_0)", initialState, outputSize)
    try check("initialCell (c_0)", initialCell, hiddenSize)
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
    // The result's buffers, moved out of it so that each is the only reference to its storage.
    let rows =
      (layerRange.lowerBound * directionCount * batchSize)..<(layerRange.upperBound * directionCount * batchSize)
    var finalState = result.finalState
    var finalCell = result.finalCell ?? .empty
    var output = result.output
    result = .empty
    prepareStates(&finalState, columns: outputSize, rows: stateRows, from: initialState, in: rows)
    if mode == .lstm { prepareStates(&finalCell, columns: hiddenSize, rows: stateRows, from: initialCell, in: rows) }
    var run = LayerRun(
      network: self, batch: batchSize, initialState: initialState, initialCell: initialCell,
      input: regroup ? regroupingRows(input, outer: batchSize, inner: steps) : input, layers: layerRange,
      finalState: finalState, finalCell: finalCell)
    (finalState, finalCell) = (.empty, .empty)
    run.outputBuffer = output
    output = .empty
    if !tapes.isEmpty {
      checkPrecondition(
        formulation == .hoisted && !batchFirst, "RecurrentNetwork: a tape is recorded hoisted, time-major")
      swap(&run.tapes, &tapes)
    }
    switch cells {
    case .rnn(let cells): run.layers(cells, padded: padded)
    case .gru(let cells): run.layers(cells, padded: padded)
    case .lstm(let cells): run.layers(cells, padded: padded)
    }
    swap(&run.tapes, &tapes)
    output = run.batchMajorOutput ?? run.sequence.transposed()
    result.output = regroup ? regroupingRows(output, outer: steps, inner: batchSize) : output
    (run.batchMajorOutput, output) = (nil, .empty)
    swap(&result.finalState, &run.finalState)
    if mode == .lstm {
      result.finalCell = .empty
      swap(&result.finalCell!, &run.finalCell)
    }
  }
}

/// `states` as a `rows × columns` buffer (reused when it has that shape, else new and zero),
/// its rows `range` set to `initial`'s, or zero.
private func prepareStates<Scalar: BLASScalar>(
  _ states: inout Matrix<Scalar>, columns: Int, rows: Int, from initial: Matrix<Scalar>?, in range: Range<Int>
) {
  if states.rows != rows || states.columns != columns { states = .zeros(rows: rows, columns: columns) }
  states.withUnsafeMutableBufferPointer { target in
    guard let base = target.baseAddress else { return }
    let (start, count) = (base + range.lowerBound * columns, range.count * columns)
    guard let initial else { return start.update(repeating: 0, count: count) }
    initial.withUnsafeBufferPointer { start.update(from: $0.baseAddress! + range.lowerBound * columns, count: count) }
  }
}

extension Optional {
  /// Calls `body` with the wrapped matrix's storage, or with `nil`.
  func withUnsafeOptionalPointer<Scalar, R>(_ body: (UnsafePointer<Scalar>?) -> R) -> R
  where Wrapped == Matrix<Scalar> {
    guard let matrix = self else { return body(nil) }
    return matrix.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}

extension Matrix {
  /// A 0 × 0 matrix: no storage (a buffer moved out leaves one behind).
  static var empty: Matrix { Matrix(rows: 0, columns: 0, scalars: []) }
}

extension RecurrentNetwork.Output {
  /// No output and no states: what a pass writing into an `Output` starts from.
  static var empty: Self { Self(output: .empty, finalState: .empty, finalCell: nil) }
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
  /// `h_n` and `c_n` (`(D · L · B) ×` h's and c's size; c's 0 × 0 but for an LSTM), each
  /// layer's rows written as it finishes.
  var finalState: Matrix<Scalar>
  var finalCell: Matrix<Scalar>
  /// The layers run, in order (every layer, or those of a backward pass's one at a time).
  let layerRange: Range<Int>
  /// Where the last layer's output goes when it has the output's shape (a new matrix otherwise).
  var outputBuffer: Matrix<Scalar> = .empty
  /// For a backward pass: each layer and direction's tape (index `layer · D + direction`, each
  /// `(T · B) × width`), which a hoisted run of a gated cell fills; empty when nothing is
  /// recorded.
  var tapes: [Matrix<Scalar>] = []

  /// A run of `layers` from `input`, writing `h_n` and `c_n` into `finalState` and `finalCell`
  /// (their rows prepared: the initial states, or zero).
  init(
    network: RecurrentNetwork<Scalar>, batch: Int, initialState: Matrix<Scalar>?, initialCell: Matrix<Scalar>?,
    input: Matrix<Scalar>, layers: Range<Int>, finalState: Matrix<Scalar>, finalCell: Matrix<Scalar>
  ) {
    (self.network, self.batch, self.initialState, self.initialCell) = (network, batch, initialState, initialCell)
    self.input = input
    self.sequence = .empty
    self.layerRange = layers
    (self.finalState, self.finalCell) = (finalState, finalCell)
  }

  /// The last layer's output buffer, `rows × columns`: ``outputBuffer`` when it has that shape.
  mutating func takeOutputBuffer(rows: Int, columns: Int) -> Matrix<Scalar> {
    var buffer = Matrix<Scalar>.empty
    swap(&buffer, &outputBuffer)
    guard buffer.rows == rows, buffer.columns == columns else {
      return Matrix(rows: rows, columns: columns, initializingEvery: { _ in })
    }
    return buffer
  }

  /// Runs every layer: each direction's cell over `sequence`, the directions' states stacked
  /// into the next layer's input; a padded batch through ``packedLayers(_:padded:)``.
  mutating func layers<Cell: CellKernels>(_ cells: [Cell], padded: PaddedBatch?) where Cell.Scalar == Scalar {
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
      hoistedLayers(cells)
      return
    }
    let (backend, formulation) = (network.resolvedBackend, network.formulation)
    sequence = input.transposed()
    let network = self.network
    for layer in layerRange {
      var outputs = (0..<directions).map { _ in Matrix<Scalar>.zeros(rows: hidden, columns: width) }
      let layerInput = sequence
      withWorkspaces(cells, layer: layer) { workspaces in
        outputs.withUnsafeMutableBufferPointer { states in
          let states = states
          // As in hoistedLayers: each direction its own cell, workspace and states.
          Self.eachDirection(of: network) { direction in
            var runner = cells[layer * directions + direction]
            runner.formulation = formulation
            runner.backend = backend
            runner.forward(
              inputs: layerInput, into: &workspaces[direction], states: &states[direction], formulation: nil,
              reversed: direction == 1)
          }
        }
      }
      sequence = directions == 1 ? outputs[0] : vstack(outputs)
    }
  }

  /// `body(d)` for every direction d: at the same time on two threads when the network's
  /// ``RecurrentNetwork/threads`` (or `BLAS.threadCount`) allows two and there are two.
  func eachDirection(_ body: (Int) -> Void) {
    Self.eachDirection(of: network, body)
  }

  /// ``eachDirection(_:)`` without `self` (for a body run while `self` is being modified).
  static func eachDirection(of network: RecurrentNetwork<Scalar>, _ body: (Int) -> Void) {
    let directions = network.directionCount
    if directions == 2 && (network.threads ?? BLAS.threadCount) >= 2 {
      performConcurrently(iterations: directions, body)
    } else {
      for direction in 0..<directions { body(direction) }
    }
  }

  /// `body` with each direction's workspace for `layer` (the pool's, with h_0 and c_0's rows for
  /// it), in a buffer on the stack; then each one's h_n (and c_n) kept in their rows and the
  /// workspaces kept for the next pass.
  private mutating func withWorkspaces<Cell: CellKernels>(
    _ cells: [Cell], layer: Int, _ body: (UnsafeMutableBufferPointer<Cell.Workspace>) -> Void
  ) where Cell.Scalar == Scalar {
    let directions = network.directionCount
    withUnsafeTemporaryAllocation(of: Cell.Workspace.self, capacity: directions) { workspaces in
      for direction in 0..<directions {
        let index = layer * directions + direction
        var workspace = takeWorkspace(cells[index], index: index)
        let first = index * batch
        initialState.withUnsafeOptionalPointer { h in
          initialCell.withUnsafeOptionalPointer { c in
            workspace.setStates(
              fromRows: h.map { $0 + first * workspace.hidden }, cells: c.map { $0 + first * workspace.cellRows })
          }
        }
        workspaces.initializeElement(at: direction, to: workspace)
      }
      body(workspaces)
      for direction in 0..<directions {
        let index = layer * directions + direction
        var workspace = workspaces.moveElement(from: direction)
        let first = index * batch
        let (hidden, cellRows) = (workspace.hidden, workspace.cellRows)
        finalState.withUnsafeMutableBufferPointer { h in
          finalCell.withUnsafeMutableBufferPointer { c in
            workspace.copyStates(
              toRows: h.baseAddress! + first * hidden, cells: cellRows > 0 ? c.baseAddress! + first * cellRows : nil)
          }
        }
        keepWorkspace(workspace, index: index)
      }
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

  /// The layers of ``layerRange`` hoisted and batch-major: each reads its (T · B) × I input in
  /// place and each direction writes its states into columns `d · H ..< (d + 1) · H` of the next
  /// input.
  private mutating func hoistedLayers<Cell: CellKernels>(_ cells: [Cell]) where Cell.Scalar == Scalar {
    let (hidden, directions) = (network.outputSize, network.directionCount)
    let (network, backend) = (self.network, self.network.resolvedBackend)
    var layerInput = input
    for layer in layerRange {
      // Not zero-filled: the directions' runs write every column block of every row. An inner
      // layer's output is scratch, kept for the next pass.
      let (rows, columns) = (input.rows, directions * hidden)
      var output: Matrix<Scalar> =
        layer == layerRange.upperBound - 1
        ? takeOutputBuffer(rows: rows, columns: columns) : network.scratch.matrix(rows: rows, columns: columns)
      var tapes = self.tapes
      self.tapes = []
      withWorkspaces(cells, layer: layer) { workspaces in
        output.withUnsafeMutableBufferPointer { outputs in
          tapes.withUnsafeMutableBufferPointer { tapes in
            let tapes = tapes
            // Each direction reads the layer's input and its own cell and workspace, and writes its
            // own column block of the output (and its own tape): nothing is shared but what is
            // only read. (A closure passed as it is written: its context stays on the stack.)
            Self.eachDirection(of: network) { direction in
              let index = layer * directions + direction
              var runner = cells[index]
              runner.backend = backend
              withTape(tapes, index) { tape in
                runner.runHoisted(
                  batchMajorInputs: layerInput, workspace: &workspaces[direction], outputs: outputs,
                  columns: directions * hidden, column: direction * hidden, reversed: direction == 1, tape: tape)
              }
            }
          }
        }
      }
      self.tapes = tapes
      if layer > layerRange.lowerBound { network.scratch.keep(layerInput) }
      layerInput = output
    }
    batchMajorOutput = layerInput
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
