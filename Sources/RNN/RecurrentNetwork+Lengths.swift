import DenseMatrix

/// A padded batch as PyTorch's `pack_padded_sequence(enforce_sorted=False)` packs it: the
/// sequences sorted by length, longest first (ties in batch order), so that the sequences still
/// running at step t are always the first `batch_sizes[t]`; the packed rows are step 0's running
/// sequences, then step 1's, and so on (Σ lengths rows in all).
struct PaddedBatch {
  /// T, the padded length.
  let steps: Int
  /// B.
  let batch: Int
  /// Whether the padded layout is `batch_first` ((B · T) rows) rather than time-major.
  let batchFirst: Bool
  /// The sorted batch: place j holds sequence `order[j]`.
  let order: [Int]
  /// PyTorch's `batch_sizes`, one per step up to the longest length, and each step's first row.
  let batches: StepBatches

  /// - Precondition: `lengths` has B ≥ 1 values in 1...T.
  init(lengths: [Int], steps: Int, batchFirst: Bool) {
    (self.steps, batch, self.batchFirst) = (steps, lengths.count, batchFirst)
    order = lengths.indices.sorted { (lengths[$0], $1) > (lengths[$1], $0) }
    // batch_sizes[t] = how many sequences are longer than t.
    var sizes = [Int](repeating: 0, count: lengths[order[0]])
    for length in lengths { sizes[length - 1] += 1 }
    for t in sizes.indices.reversed().dropFirst() { sizes[t] += sizes[t + 1] }
    batches = StepBatches(sizes: sizes)
  }

  /// Sequence b's row at step t in the padded layout.
  @inline(__always)
  private func paddedRow(_ t: Int, _ b: Int) -> Int { batchFirst ? b * steps + t : t * batch + b }

  /// The padded `(T · B) × I` input's rows that exist, packed (Σ lengths × I) into `packed`; the
  /// padding is not read.
  func pack<Scalar: BLASScalar>(_ padded: Matrix<Scalar>, into packed: inout Matrix<Scalar>) {
    let columns = padded.columns
    packed.withUnsafeMutableBufferPointer { target in
      padded.withUnsafeBufferPointer { source in
        for t in 0..<batches.steps {
          let start = batches.start(t)
          for j in 0..<batches.size(t) {
            (target.baseAddress! + (start + j) * columns).update(
              from: source.baseAddress! + paddedRow(t, order[j]) * columns, count: columns)
          }
        }
      }
    }
  }

  /// Each packed row's row in the padded layout (Σ lengths values).
  func paddedRows() -> [Int] {
    var rows: [Int] = []
    rows.reserveCapacity(batches.columns)
    for t in 0..<batches.steps {
      for j in 0..<batches.size(t) { rows.append(paddedRow(t, order[j])) }
    }
    return rows
  }

  /// Zeros the padding's rows of a padded `(T · B) × columns` buffer (`pad_packed_sequence`'s
  /// zeros).
  func zeroPadding<Scalar: BLASScalar>(_ padded: UnsafeMutableBufferPointer<Scalar>, columns: Int) {
    for t in 0..<steps {
      let size = t < batches.steps ? batches.size(t) : 0
      for j in size..<batch {
        (padded.baseAddress! + paddedRow(t, order[j]) * columns).update(repeating: 0, count: columns)
      }
    }
  }
}

// Sequences of different lengths in one batch: PyTorch's packed sequences.
extension LayerRun {
  /// Every layer over a padded batch, with PyTorch's semantics for
  /// `pack_padded_sequence(enforce_sorted=False)` → module → `pad_packed_sequence(total_length=T)`:
  /// outputs at padded steps are 0, each sequence's final state is its state after its own last
  /// step, the backward direction starts at each sequence's last step, and padding is never read.
  ///
  /// The input is packed once (``PaddedBatch``); every layer and direction is one run of the
  /// shared driver over the packed rows, its running batch following `batch_sizes` (the forward
  /// direction drops sequences as they end, the backward one takes them in, from their initial
  /// states, as it reaches their last step), writing its states into the next layer's packed
  /// input, the last layer straight into the padded output (each packed row to its own row, the
  /// padding's rows zeroed). The hoisted projection is one product
  /// over the Σ lengths rows: the work is proportional to Σ lengths, not T · B.
  mutating func packedLayers<Cell: CellKernels>(_ cells: [Cell], padded: PaddedBatch) where Cell.Scalar == Scalar {
    // h (and each direction's output) has `hidden` values, an LSTM's c `cellSize`.
    let (hidden, cellSize, directions) = (network.outputSize, network.hiddenSize, network.directionCount)
    let (backend, formulation) = (network.resolvedBackend, network.formulation)
    let (batch, order, batches, width) = (self.batch, padded.order, padded.batches, directions * hidden)
    let (initialState, initialCell) = (self.initialState, self.initialCell)
    var (finalState, finalCell) = (self.finalState, self.finalCell)
    (self.finalState, self.finalCell) = (.zeros(rows: 0, columns: 0), .zeros(rows: 0, columns: 0))
    let scratch = network.scratch
    var layerInput: Matrix<Scalar> = scratch.matrix(rows: batches.columns, columns: input.columns)
    padded.pack(input, into: &layerInput)
    for layer in layerRange {
      // Hoisted reads the packed rows in place; the other formulations step x in the cells' layout.
      let x = formulation == .hoisted ? layerInput : layerInput.transposed()
      // The last layer writes each packed row straight to its row of the padded output; the inner
      // layers' packed outputs are scratch, kept for the next pass.
      let rows = layer == layerRange.upperBound - 1 ? padded.paddedRows() : nil
      var output: Matrix<Scalar> =
        rows == nil
        ? scratch.matrix(rows: batches.columns, columns: width)
        : takeOutputBuffer(rows: padded.steps * batch, columns: width)
      // Not zero-filled: the directions' runs write every column block of every packed row (and
      // the padding's rows are zeroed).
      var tapes = self.tapes
      self.tapes = []
      output.withUnsafeMutableBufferPointer { outputs in
        if rows != nil { padded.zeroPadding(outputs, columns: width) }
        finalState.withUnsafeMutableBufferPointer { finalH in
          finalCell.withUnsafeMutableBufferPointer { finalC in
            tapes.withUnsafeMutableBufferPointer { tapes in
              let (finalH, finalC, tapes) = (finalH, finalC, tapes)
              // Each direction its own cell, workspace, column block and rows of h_n and c_n.
              let run = { (direction: Int) in
                let index = layer * directions + direction
                var runner = cells[index]
                (runner.backend, runner.formulation) = (backend, formulation)
                var workspace = takeWorkspace(runner, index: index)
                // Sorted sequence j is row index · B + order[j] of h_0/h_n (and c_0/c_n).
                let states = RunningStates<Scalar>(
                  joining: { j, column in
                    let row = index * batch + order[j]
                    copyRow(row, of: initialState, columns: hidden, into: column.h, stride: column.stride)
                    if let c = column.c {
                      copyRow(row, of: initialCell, columns: cellSize, into: c, stride: column.stride)
                    }
                  },
                  leaving: { j, column in
                    let row = index * batch + order[j]
                    for r in 0..<hidden { finalH[row * hidden + r] = column.h[r * column.stride] }
                    if let c = column.c { for r in 0..<cellSize { finalC[row * cellSize + r] = c[r * column.stride] } }
                  })
                rows.withUnsafeOptionalPointer { rows in
                  let output = SequenceOutput.batchMajor(
                    outputs.baseAddress! + direction * hidden, leadingDimension: width, rows: rows)
                  x.withUnsafeBufferPointer { x in
                    if formulation == .hoisted {
                      // A tape (T · B rows) records at the output's rows: the padded ones for the
                      // last layer, the packed ones (the first N) for the others.
                      withTape(tapes, index, rows: rows) { tape in
                        runner.runHoisted(
                          x: x.baseAddress, batchMajor: true, batches: batches, workspace: &workspace, output: output,
                          reversed: direction == 1, states: states, tape: tape)
                      }
                    } else {
                      runner.runSteps(
                        x: x.baseAddress, batchMajor: false, batches: batches, workspace: &workspace,
                        formulation: formulation, output: output, reversed: direction == 1, states: states)
                    }
                  }
                }
                keepWorkspace(workspace, index: index)
              }
              eachDirection(run)
            }
          }
        }
      }
      self.tapes = tapes
      // This layer's input (the packed input, or the layer before's output) is scratch again.
      swap(&layerInput, &output)
      scratch.keep(output)
    }
    (self.finalState, self.finalCell) = (finalState, finalCell)
    batchMajorOutput = layerInput
  }
}

extension Optional {
  /// `body` with the array's elements' address, or nil.
  fileprivate func withUnsafeOptionalPointer<Element, R>(_ body: (UnsafePointer<Element>?) -> R) -> R
  where Wrapped == [Element] {
    guard let array = self else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}

/// Row `row` of a state matrix `columns` wide (h_0 or c_0; zeros when there is none) into
/// `target`, elements `stride` apart.
private func copyRow<Scalar: BLASScalar>(
  _ row: Int, of states: Matrix<Scalar>?, columns: Int, into target: UnsafeMutablePointer<Scalar>, stride: Int
) {
  guard let states else {
    for r in 0..<columns { target[r * stride] = 0 }
    return
  }
  states.withUnsafeBufferPointer { source in
    for r in 0..<columns { target[r * stride] = source[row * columns + r] }
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
          (target.baseAddress! + (i * outer + o) * columns).update(
            from: source.baseAddress! + (o * inner + i) * columns, count: columns)
        }
      }
    }
  }
}
