public import DenseMatrix

extension LSTMCell: CellKernels {
  static var name: String { "LSTMCell" }

  /// One step in place: `x` (I × B) advances the workspace's h and c. No allocation (except
  /// ``Formulation/fusedConcatenatingEachStep``).
  ///
  /// - Parameters:
  ///   - x: The input, I × B for the workspace's B.
  ///   - workspace: Holds h and c before and after the step.
  ///   - formulation: Overrides the cell's ``formulation``; ``Formulation/hoisted`` runs
  ///     ``Formulation/split`` for a single step.
  /// - Precondition: `x` is I × B for the workspace's B, and the workspace is this cell's shape.
  /// - Complexity: O(4H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(x: Matrix<Scalar>, into workspace: inout LSTMWorkspace<Scalar>, formulation: Formulation? = nil) {
    checkedStep(x: x, workspace: &workspace, formulation: formulation)
  }

  /// ``step(x:into:formulation:)``, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError` naming the shapes; the workspace is then unchanged.
  /// - Complexity: O(4H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(
    checkingX x: Matrix<Scalar>, into workspace: inout LSTMWorkspace<Scalar>, formulation: Formulation? = nil
  ) throws(ShapeError) {
    try stepError(x: x.shape, workspace: workspace).throwIfPresent()
    uncheckedStep(x: x, workspace: &workspace, formulation: formulation)
  }

  /// Runs a sequence on preallocated buffers: `inputs` is I × (T · B), `states` (H × (T · B))
  /// receives every h. The workspace holds h₀ and c₀ on entry and h_T and c_T on return; with
  /// `reversed` the steps run from the last input to the first.
  ///
  /// With ``Formulation/hoisted``, `W_ih · X` for all T steps is one `cblas_?gemm` into the
  /// workspace's projection buffer (allocated on the first run of a sequence length, then
  /// reused); each step adds `W_hh · h` onto its block. The others step through the sequence,
  /// reading each `x_t` in place. No allocation per step.
  ///
  /// - Precondition: the shapes fit; the message names them.
  /// - Complexity: O(T · 4H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    inputs: Matrix<Scalar>, into workspace: inout LSTMWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) {
    runSequence(inputs: inputs, workspace: &workspace, states: &states, formulation: formulation, reversed: reversed)
  }

  /// ``forward(inputs:into:states:formulation:reversed:)``, throwing instead of trapping on a
  /// shape mismatch.
  ///
  /// - Throws: `ShapeError` naming the shapes; the workspace and `states` are then unchanged.
  /// - Complexity: O(T · 4H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    checkingInputs inputs: Matrix<Scalar>, into workspace: inout LSTMWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) throws(ShapeError) {
    try forwardError(inputs: inputs.shape, workspace: workspace, states: states.shape).throwIfPresent()
    uncheckedRun(inputs: inputs, workspace: &workspace, states: &states, formulation: formulation, reversed: reversed)
  }

  /// Runs a sequence from h₀ and c₀ (zero when `nil`): every hidden state, and the last cell
  /// state. The convenience form: it allocates.
  ///
  /// - Precondition: every input is I × B with the same B ≥ 1; given states are H × B.
  /// - Complexity: O(T · 4H · (I + H) · B).
  public func forward(
    inputs: [Matrix<Scalar>], initialState: Matrix<Scalar>? = nil, initialCell: Matrix<Scalar>? = nil,
    formulation: Formulation? = nil
  ) -> (states: [Matrix<Scalar>], cell: Matrix<Scalar>) {
    guard let first = inputs.first else { return ([], initialCell ?? .zeros(rows: hiddenSize, columns: 1)) }
    var workspace = makeWorkspace(batchSize: first.columns, initialState: initialState, initialCell: initialCell)
    let states = runList(inputs, workspace: &workspace, formulation: formulation)
    return (states, workspace.cellState)
  }

  /// One step on raw buffers: `x` is I × B with row stride `xStride` (nil when I = 0); the new
  /// h goes into the workspace and, if given, `output`.
  func advance(
    x: UnsafePointer<Scalar>?, xStride: Int, workspace: inout LSTMWorkspace<Scalar>, formulation: Formulation,
    output: StateStore<Scalar>? = nil
  ) {
    let (input, batch) = (inputSize, workspace.batchSize)
    let backend = resolvedBackend
    if formulation == .fusedConcatenatingEachStep {
      // The notebook, literally: join, multiply. Allocates by design.
      let xt = Matrix<Scalar>(rows: input, columns: batch) { r, c in x![r * xStride + c] }
      workspace.gates = withBackend(backend) {
        matmul(hstack([inputWeights, recurrentWeights]), vstack([xt, workspace.state]))
      }
    }
    workspace.withBuffers { buffers in
      let (s, g) = (buffers.stacked, buffers.gates)
      switch formulation {
      case .fusedConcatenatingEachStep:
        break
      case .fused:
        // [x; h]: x into the upper block (one copy when x is contiguous); h is already below.
        copyRows(x, stride: xStride, rows: input, batch: batch, into: s)
        fusedProduct(stacked: s, batch: batch, into: g, backend: backend)
      case .split, .hoisted:
        // gates = W_ih · x;  gates += W_hh · h (beta = 1).
        inputProduct(x: x, xStride: xStride, batch: batch, into: g, backend: backend)
        recurrentProduct(h: buffers.h, batch: batch, beta: 1, into: g, stride: batch, backend: backend)
      }
      pointwise(buffers, gates: g, gateStride: batch, batch: batch, output: output, backend: backend)
    }
  }

  /// One ``Formulation/hoisted`` step: `W_hh · h` onto the step's block of the projection (its
  /// input part), then the pointwise update.
  func hoistedStep(
    column: Int, layout: ProjectionLayout, workspace: inout LSTMWorkspace<Scalar>, output: StateStore<Scalar>,
    tape: StateStore<Scalar>?
  ) {
    let batch = workspace.batchSize
    let backend = resolvedBackend
    workspace.withBuffers { buffers in
      let block = buffers.projection! + column * layout.columnStep
      guard gathersGates(batch: batch, Scalar.self) else {
        // Whole vectors per row: W_hh · h onto the step's block, the gates' kernels row by row.
        recurrentProduct(h: buffers.h, batch: batch, beta: 1, into: block, stride: layout.stride, backend: backend)
        pointwise(
          buffers, gates: block, gateStride: layout.stride, batch: batch, output: output, tape: tape, backend: backend)
        return
      }
      // Rows that would each end in a partial vector (a padded batch's shrinking steps): the
      // step's input part and the bias into the workspace's contiguous gates, W_hh · h onto them,
      // and the gates' kernels over whole gates at once, one tail each.
      let g = buffers.gates
      gather(block, stride: layout.stride, rows: 4 * hiddenSize, batch: batch, adding: bias, into: g)
      recurrentProduct(h: buffers.h, batch: batch, beta: 1, into: g, stride: batch, backend: backend)
      pointwise(
        buffers, gates: g, gateStride: batch, batch: batch, biased: true, output: output, tape: tape, backend: backend)
    }
  }

  /// The gates' bias and nonlinearities (in place in `gates`, 4H × B with row stride
  /// `gateStride`), then `c ← f ⊙ c + i ⊙ g` and `h ← o ⊙ tanh(c)` (with a projection
  /// `h ← W_hr · (o ⊙ tanh(c))`, one product), h also copied into `output`, and the gates,
  /// c_{t−1} and tanh(c_t) into `tape` (rows 0..<4H, 4H..<5H, 5H..<6H). Without a projection
  /// all of it is one pass of the fused kernel (`VectorKernels._lstmPointwise`); with one (whose
  /// o ⊙ tanh(c) needs a buffer of its own beside tanh(c), which the tape reads), the
  /// activation passes, then the products in Swift (the same arithmetic).
  private func pointwise(
    _ buffers: LSTMBuffers<Scalar>, gates g: UnsafeMutablePointer<Scalar>, gateStride gs: Int, batch: Int,
    biased: Bool = false, output: StateStore<Scalar>?, tape: StateStore<Scalar>? = nil, backend: Backend
  ) {
    let hidden = hiddenSize
    guard let projectionWeights else {
      // One pass: the gates, c, tanh(c) and h in the fused kernel (c_{t−1} to the tape first).
      let (c, tc, h) = (buffers.cell, buffers.scratch, buffers.h)
      tape?.store(c, rowCount: hidden, batch: batch, sourceStride: batch, firstRow: 4 * hidden)
      bias.withUnsafeBufferPointer { b in
        Scalar._lstmPointwise(
          path: ActivationPath.current, hidden: hidden, batch: batch, gates: g, gateStride: gs,
          bias: biased ? nil : b.baseAddress!, cell: c, tanhCell: tc, out: h)
      }
      if let tape {
        tape.store(g, rowCount: 4 * hidden, batch: batch, sourceStride: gs)
        tape.store(tc, rowCount: hidden, batch: batch, sourceStride: batch, firstRow: 5 * hidden)
      }
      output?.store(h, hidden: stateSize, batch: batch)
      return
    }
    bias.withUnsafeBufferPointer { b_ in
      // i and f: sigmoid; g: tanh; o: sigmoid — each with its bias, unless the gates have it
      // (then contiguous gates are one run each).
      let b = biased ? nil : b_.baseAddress!
      let (rows, columns, stride) = biased ? (1, hidden * batch, hidden * batch) : (hidden, batch, gs)
      let block = hidden * gs
      let (ifRows, ifColumns) = biased ? (1, 2 * columns) : (2 * rows, columns)
      Activation.sigmoid.apply(
        rows: ifRows, columns: ifColumns, source: g, sourceStride: biased ? 2 * stride : stride, bias: b,
        destination: g, destinationStride: biased ? 2 * stride : stride)
      Activation.tanh.apply(
        rows: rows, columns: columns, source: g + 2 * block, sourceStride: stride, bias: b.map { $0 + 2 * hidden },
        destination: g + 2 * block, destinationStride: stride)
      Activation.sigmoid.apply(
        rows: rows, columns: columns, source: g + 3 * block, sourceStride: stride, bias: b.map { $0 + 3 * hidden },
        destination: g + 3 * block, destinationStride: stride)
    }
    let (c, tc, h) = (buffers.cell, buffers.scratch, buffers.h)
    if let tape {
      tape.store(g, rowCount: 4 * hidden, batch: batch, sourceStride: gs)
      tape.store(c, rowCount: hidden, batch: batch, sourceStride: batch, firstRow: 4 * hidden)
    }
    let shape = loopShape(rows: hidden, columns: batch, stride: gs)
    let block = hidden * gs
    for r in 0..<shape.rows {
      let (i, f, gg) = (g + r * shape.stride, g + block + r * shape.stride, g + 2 * block + r * shape.stride)
      let cr = c + r * shape.columns
      for k in 0..<shape.columns { cr[k] = f[k] * cr[k] + i[k] * gg[k] }
    }
    let count = hidden * batch
    Activation.tanh.apply(
      rows: 1, columns: count, source: c, sourceStride: count, destination: tc, destinationStride: count)
    tape?.store(tc, rowCount: hidden, batch: batch, sourceStride: batch, firstRow: 5 * hidden)
    // o ⊙ tanh(c) into the scratch (the tape has tanh(c)), which W_hr maps to h.
    for r in 0..<shape.rows {
      let (o, tr) = (g + 3 * block + r * shape.stride, tc + r * shape.columns)
      for k in 0..<shape.columns { tr[k] = o[k] * tr[k] }
    }
    projectionWeights.withUnsafeBufferPointer { w in
      GEMMOperands(
        m: projectionWeights.rows, n: batch, k: hidden, a: w.baseAddress, lda: hidden, b: tc, ldb: batch, c: h,
        ldc: batch
      ).run(backend)
    }
    output?.store(h, hidden: stateSize, batch: batch)
  }
}

/// A `rows × (T · B)` matrix's T column blocks, each `rows × B`.
func splitColumns<Scalar: BLASScalar>(_ states: Matrix<Scalar>, batch: Int) -> [Matrix<Scalar>] {
  (0..<(states.columns / batch)).map { t in states[rows: 0..<states.rows, columns: (t * batch)..<((t + 1) * batch)] }
}
