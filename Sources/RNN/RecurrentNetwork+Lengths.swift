import DenseMatrix

// Sequences of different lengths in one batch: PyTorch's packed sequences.
extension LayerRun {
  /// Every layer: ``packedLayers(_:lengths:cell:setCell:)`` for a padded batch, otherwise all
  /// sequences over all steps.
  mutating func layers<Cell: CellKernels>(
    _ cells: [Cell], lengths: [Int]?, cell: (Cell.Workspace) -> Matrix<Scalar>?,
    setCell: (inout Cell.Workspace, Matrix<Scalar>) -> Void
  ) where Cell.Scalar == Scalar {
    if let lengths {
      packedLayers(cells, lengths: lengths, cell: cell, setCell: setCell)
    } else {
      layers(cells, cell: cell, setCell: setCell)
    }
  }

  /// Every layer over a padded batch whose sequence b has `lengths[b]` steps, with PyTorch's
  /// semantics for `pack_padded_sequence(enforce_sorted=False)` → module →
  /// `pad_packed_sequence(total_length=T)`: outputs at padded steps are 0, each sequence's final
  /// state is its state after its own last step, the backward direction starts at each
  /// sequence's last step, and padding is never read.
  ///
  /// The batch is sorted by length once (longest first), so that the sequences still running
  /// at step t are always a prefix of it; the steps are then run in segments during which that
  /// prefix does not change (at most one per distinct length), each segment one cell run over
  /// its own steps and active batch (as `PackedSequence.batch_sizes` shrinks). The work is
  /// proportional to Σ lengths, not T · B; the forward direction drops sequences as they end,
  /// the backward one takes them in, from their initial states, as it reaches their last step.
  mutating func packedLayers<Cell: CellKernels>(
    _ cells: [Cell], lengths: [Int], cell: (Cell.Workspace) -> Matrix<Scalar>?,
    setCell: (inout Cell.Workspace, Matrix<Scalar>) -> Void
  ) where Cell.Scalar == Scalar {
    // h (and each direction's output) has `hidden` values, an LSTM's c `cellSize`.
    let (hidden, cellSize, directions) = (network.outputSize, network.hiddenSize, network.directionCount)
    let backend = network.backend ?? Backend.current
    let formulation = network.formulation
    let order = lengths.indices.sorted { (lengths[$0], $1) > (lengths[$1], $0) }
    let sorted = order.map { lengths[$0] }
    // The segments: steps start..<end, during which the first `active` sorted sequences run.
    var segments: [(start: Int, end: Int, active: Int)] = []
    var (time, active) = (0, batch)
    while active > 0 {
      let end = sorted[active - 1]
      if end > time { segments.append((time, end, active)) }
      time = end
      while active > 0 && sorted[active - 1] <= time { active -= 1 }
    }
    var layerInput = input
    for layer in 0..<network.layerCount {
      var output = Matrix<Scalar>.zeros(rows: input.rows, columns: directions * hidden)
      for direction in 0..<directions {
        let index = layer * directions + direction
        var runner = cells[index]
        runner.backend = backend
        runner.formulation = formulation
        // Sequence j's (in sorted order) initial state, as a row.
        func initial(_ states: Matrix<Scalar>?, _ j: Int, size: Int) -> [Scalar] {
          guard let states else { return [Scalar](repeating: 0, count: size) }
          let row = index * batch + order[j]
          return (0..<size).map { states[row, $0] }
        }
        // The running sequences' states, row j for sorted sequence j.
        var state: [[Scalar]] = []
        var cellState: [[Scalar]] = []
        let isLSTM = network.mode == .lstm
        for segment in direction == 0 ? segments : segments.reversed() {
          let (steps, b) = (segment.end - segment.start, segment.active)
          // Forward: the first b keep running. Backward: the next ones join from h_0 (c_0).
          if state.count > b {
            state.removeLast(state.count - b)
            cellState.removeLast(max(0, cellState.count - b))
          }
          while state.count < b {
            state.append(initial(initialState, state.count, size: hidden))
            if isLSTM { cellState.append(initial(initialCell, cellState.count, size: cellSize)) }
          }
          var workspace = runner.makeWorkspace(batchSize: b)
          workspace.state = Matrix(rows: b, columns: hidden, scalars: state.flatMap { $0 }).transposed()
          if isLSTM {
            setCell(&workspace, Matrix(rows: b, columns: cellSize, scalars: cellState.flatMap { $0 }).transposed())
          }
          // The segment's inputs, batch-major: row s · b + j is sorted sequence j's step start + s.
          let features = layerInput.columns
          let inputs = Matrix<Scalar>(rows: steps * b, columns: features) { target in
            layerInput.withUnsafeBufferPointer { source in
              for s in 0..<steps {
                for j in 0..<b {
                  let from = ((segment.start + s) * batch + order[j]) * features
                  let to = (s * b + j) * features
                  for f in 0..<features { target[to + f] = source[from + f] }
                }
              }
            }
          }
          let states: Matrix<Scalar>
          if formulation == .hoisted {
            states = Matrix<Scalar>(rows: steps * b, columns: hidden) { outputs in
              runner.runHoisted(
                batchMajorInputs: inputs, workspace: &workspace, outputs: outputs, columns: hidden, column: 0,
                reversed: direction == 1)
            }
          } else {
            var featureMajor = Matrix<Scalar>.zeros(rows: hidden, columns: steps * b)
            runner.forward(
              inputs: inputs.transposed(), into: &workspace, states: &featureMajor, formulation: nil,
              reversed: direction == 1)
            states = featureMajor.transposed()
          }
          // Each state to its sequence's row of the layer's output, in the direction's columns.
          output.withUnsafeMutableBufferPointer { target in
            states.withUnsafeBufferPointer { source in
              let width = directions * hidden
              for s in 0..<steps {
                for j in 0..<b {
                  let to = ((segment.start + s) * batch + order[j]) * width + direction * hidden
                  let from = (s * b + j) * hidden
                  for h in 0..<hidden { target[to + h] = source[from + h] }
                }
              }
            }
          }
          let last = workspace.state.transposed()
          state = (0..<b).map { j in (0..<hidden).map { last[j, $0] } }
          if isLSTM, let c = cell(workspace)?.transposed() {
            cellState = (0..<b).map { j in (0..<cellSize).map { c[j, $0] } }
          }
          // Forward: the sequences that end here keep this state as their h_n (c_n).
          if direction == 0 {
            for j in 0..<b where sorted[j] == segment.end {
              keepFinal(row: index * batch + order[j], state[j], isLSTM ? cellState[j] : nil)
            }
          }
        }
        if direction == 1 {
          for j in 0..<batch { keepFinal(row: index * batch + order[j], state[j], isLSTM ? cellState[j] : nil) }
        }
      }
      layerInput = output
    }
    batchMajorOutput = layerInput
  }

  private mutating func keepFinal(row: Int, _ state: [Scalar], _ cell: [Scalar]?) {
    finalState.withMutableView(rows: row..<(row + 1), columns: 0..<state.count) {
      $0.assign(Matrix(rows: 1, columns: state.count, scalars: state))
    }
    if let cell {
      finalCell.withMutableView(rows: row..<(row + 1), columns: 0..<cell.count) {
        $0.assign(Matrix(rows: 1, columns: cell.count, scalars: cell))
      }
    }
  }
}

/// `matrix`'s rows regrouped: row `o · inner + i` becomes row `i · outer + o` (PyTorch's
/// batch_first (B · T) rows to time-major (T · B) ones with outer = B, inner = T, and back with
/// them swapped).
func regroupingRows<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>, outer: Int, inner: Int) -> Matrix<Scalar> {
  let columns = matrix.columns
  return Matrix(rows: matrix.rows, columns: columns) { target in
    matrix.withUnsafeBufferPointer { source in
      for o in 0..<outer {
        for i in 0..<inner {
          let from = (o * inner + i) * columns
          let to = (i * outer + o) * columns
          for c in 0..<columns { target[to + c] = source[from + c] }
        }
      }
    }
  }
}
