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
        // Sorted sequence j's initial state (h_0 or c_0 of `size` values) appended to `rows`.
        func appendInitial(_ states: Matrix<Scalar>?, _ j: Int, size: Int, to rows: inout [Scalar]) {
          guard let states else {
            rows.append(contentsOf: repeatElement(0, count: size))
            return
          }
          let row = index * batch + order[j]
          states.withUnsafeBufferPointer { rows.append(contentsOf: $0[(row * size)..<((row + 1) * size)]) }
        }
        // The running sequences' states, row-major: row j is sorted sequence j's.
        var state: [Scalar] = []
        var cellState: [Scalar] = []
        let isLSTM = network.mode == .lstm
        let features = layerInput.columns
        for segment in direction == 0 ? segments : segments.reversed() {
          let (steps, b) = (segment.end - segment.start, segment.active)
          // Forward: the first b keep running. Backward: the next ones join from h_0 (c_0).
          if state.count > b * hidden {
            state.removeLast(state.count - b * hidden)
            cellState.removeLast(max(0, cellState.count - b * cellSize))
          }
          while state.count < b * hidden {
            let j = state.count / hidden
            appendInitial(initialState, j, size: hidden, to: &state)
            if isLSTM { appendInitial(initialCell, j, size: cellSize, to: &cellState) }
          }
          var workspace = runner.makeWorkspace(batchSize: b)
          workspace.state = Matrix(rows: b, columns: hidden, scalars: state).transposed()
          if isLSTM { setCell(&workspace, Matrix(rows: b, columns: cellSize, scalars: cellState).transposed()) }
          // The segment's inputs, batch-major: row s · b + j is sorted sequence j's step start + s.
          let inputs = Matrix<Scalar>(rows: steps * b, columns: features) { target in
            layerInput.withUnsafeBufferPointer { source in
              for s in 0..<steps {
                for j in 0..<b {
                  (target.baseAddress! + (s * b + j) * features).update(
                    from: source.baseAddress! + ((segment.start + s) * batch + order[j]) * features, count: features)
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
          let width = directions * hidden
          output.withUnsafeMutableBufferPointer { target in
            states.withUnsafeBufferPointer { source in
              for s in 0..<steps {
                for j in 0..<b {
                  (target.baseAddress! + ((segment.start + s) * batch + order[j]) * width + direction * hidden).update(
                    from: source.baseAddress! + (s * b + j) * hidden, count: hidden)
                }
              }
            }
          }
          state = workspace.state.transposed().scalars
          if isLSTM, let c = cell(workspace) { cellState = c.transposed().scalars }
          // Forward: the sequences that end here keep this state as their h_n (c_n).
          if direction == 0 {
            for j in 0..<b where sorted[j] == segment.end { keepFinal(index: index, order[j], j, state, cellState) }
          }
        }
        if direction == 1 {
          for j in 0..<batch { keepFinal(index: index, order[j], j, state, cellState) }
        }
      }
      layerInput = output
    }
    batchMajorOutput = layerInput
  }

  /// Sequence `sequence`'s h_n (and c_n) for layer-direction `index`: row `j` of the running
  /// states (`cells` empty unless an LSTM).
  private mutating func keepFinal(index: Int, _ sequence: Int, _ j: Int, _ states: [Scalar], _ cells: [Scalar]) {
    let row = index * batch + sequence
    func rowJ(of values: [Scalar], size: Int) -> Matrix<Scalar> {
      Matrix(rows: 1, columns: size, scalars: Array(values[(j * size)..<((j + 1) * size)]))
    }
    let (state, cell) = (network.outputSize, network.hiddenSize)
    finalState.withMutableView(rows: row..<(row + 1), columns: 0..<state) { $0.assign(rowJ(of: states, size: state)) }
    if !cells.isEmpty {
      finalCell.withMutableView(rows: row..<(row + 1), columns: 0..<cell) { $0.assign(rowJ(of: cells, size: cell)) }
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
