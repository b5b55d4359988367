public import DenseMatrix

extension GRUCell: CellKernels {
  static var name: String { "GRUCell" }

  /// One step in place: `x` (I × B) advances the workspace's h. No allocation (except
  /// ``Formulation/fusedConcatenatingEachStep``).
  ///
  /// - Parameters:
  ///   - x: The input, I × B for the workspace's B.
  ///   - workspace: Holds h before and after the step.
  ///   - formulation: Overrides the cell's ``formulation``; ``Formulation/hoisted`` runs
  ///     ``Formulation/split`` for a single step.
  /// - Precondition: `x` is I × B for the workspace's B, and the workspace is this cell's shape.
  /// - Complexity: O(3H · (I + H) · B); fused multiplies 4H · (I + H) · B.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(x: Matrix<Scalar>, into workspace: inout GRUWorkspace<Scalar>, formulation: Formulation? = nil) {
    checkedStep(x: x, workspace: &workspace, formulation: formulation)
  }

  /// ``step(x:into:formulation:)``, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError` naming the shapes; the workspace is then unchanged.
  /// - Complexity: O(3H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(
    checkingX x: Matrix<Scalar>, into workspace: inout GRUWorkspace<Scalar>, formulation: Formulation? = nil
  ) throws(ShapeError) {
    try stepError(x: x.shape, workspace: workspace).throwIfPresent()
    uncheckedStep(x: x, workspace: &workspace, formulation: formulation)
  }

  /// Runs a sequence on preallocated buffers: `inputs` is I × (T · B), `states` (H × (T · B))
  /// receives every h. The workspace holds h₀ on entry and h_T on return; with `reversed` the
  /// steps run from the last input to the first.
  ///
  /// With ``Formulation/hoisted``, `W_ih · X` for all T steps is one `cblas_?gemm` into the
  /// workspace's projection buffer (allocated on the first run of a sequence length, then
  /// reused); each step computes only `W_hh · h`. No allocation per step.
  ///
  /// - Precondition: the shapes fit; the message names them.
  /// - Complexity: O(T · 3H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    inputs: Matrix<Scalar>, into workspace: inout GRUWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) {
    runSequence(inputs: inputs, workspace: &workspace, states: &states, formulation: formulation, reversed: reversed)
  }

  /// ``forward(inputs:into:states:formulation:reversed:)``, throwing instead of trapping on a
  /// shape mismatch.
  ///
  /// - Throws: `ShapeError` naming the shapes; the workspace and `states` are then unchanged.
  /// - Complexity: O(T · 3H · (I + H) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    checkingInputs inputs: Matrix<Scalar>, into workspace: inout GRUWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) throws(ShapeError) {
    try forwardError(inputs: inputs.shape, workspace: workspace, states: states.shape).throwIfPresent()
    uncheckedRun(inputs: inputs, workspace: &workspace, states: &states, formulation: formulation, reversed: reversed)
  }

  /// Runs a sequence from h₀ (zero when `nil`): every hidden state. The convenience form: it
  /// allocates.
  ///
  /// - Precondition: every input is I × B with the same B ≥ 1; a given state is H × B.
  /// - Complexity: O(T · 3H · (I + H) · B).
  public func forward(
    inputs: [Matrix<Scalar>], initialState: Matrix<Scalar>? = nil, formulation: Formulation? = nil
  ) -> [Matrix<Scalar>] {
    guard let first = inputs.first else { return [] }
    var workspace = makeWorkspace(batchSize: first.columns, initialState: initialState)
    return runList(inputs, workspace: &workspace, formulation: formulation)
  }

  /// One step on raw buffers: `x` is I × B with row stride `xStride` (nil when I = 0); the new
  /// h goes into the workspace and, if given, `output`.
  func advance(
    x: UnsafePointer<Scalar>?, xStride: Int, workspace: inout GRUWorkspace<Scalar>, formulation: Formulation,
    output: StateStore<Scalar>? = nil
  ) {
    let (hidden, input, batch) = (hiddenSize, inputSize, workspace.batchSize)
    let backend = resolvedBackend
    if formulation == .fusedConcatenatingEachStep {
      // [x; h] joined on every step, by design (a baseline).
      let xt = Matrix<Scalar>(rows: input, columns: batch) { r, c in x![r * xStride + c] }
      workspace.gates = withBackend(backend) { matmul(joinedWeights, vstack([xt, workspace.state])) }
    }
    workspace.withBuffers { buffers in
      let (s, g, gh) = (buffers.stacked, buffers.gates, buffers.recurrent)
      switch formulation {
      case .fusedConcatenatingEachStep:
        pointwise(
          buffers, inputSide: g, inputStride: batch, recurrentRZ: nil, recurrentN: g + 3 * hidden * batch,
          batch: batch, output: output)
      case .fused:
        copyRows(x, stride: xStride, rows: input, batch: batch, into: s)
        fusedProduct(stacked: s, batch: batch, into: g, backend: backend)
        pointwise(
          buffers, inputSide: g, inputStride: batch, recurrentRZ: nil, recurrentN: g + 3 * hidden * batch,
          batch: batch, output: output)
      case .split, .hoisted:
        inputProduct(x: x, xStride: xStride, batch: batch, into: g, backend: backend)
        recurrentProduct(h: buffers.h, batch: batch, beta: 0, into: gh, stride: batch, backend: backend)
        pointwise(
          buffers, inputSide: g, inputStride: batch, recurrentRZ: gh, recurrentN: gh + 2 * hidden * batch,
          batch: batch, output: output)
      }
    }
  }

  /// One ``Formulation/hoisted`` step: `W_hh · h` into the workspace's recurrent block, then the
  /// pointwise update with the step's block of the projection (its input side).
  func hoistedStep(
    column: Int, layout: ProjectionLayout, workspace: inout GRUWorkspace<Scalar>, output: StateStore<Scalar>,
    tape: StateStore<Scalar>?
  ) {
    let (hidden, batch) = (hiddenSize, workspace.batchSize)
    let backend = resolvedBackend
    workspace.withBuffers { buffers in
      recurrentProduct(h: buffers.h, batch: batch, beta: 0, into: buffers.recurrent, stride: batch, backend: backend)
      let block = buffers.projection! + column * layout.columnStep
      guard gathersGates(batch: batch, Scalar.self) else {
        // Whole vectors per row: the gates' kernels row by row on the step's block.
        pointwise(
          buffers, inputSide: block, inputStride: layout.stride, recurrentRZ: buffers.recurrent,
          recurrentN: buffers.recurrent + 2 * hidden * batch, batch: batch, output: output, tape: tape)
        return
      }
      // Rows that would each end in a partial vector (a padded batch's shrinking steps): the
      // step's input side and its bias into the workspace's contiguous gates first, so that the
      // gates' kernels run over whole gates at once, one tail each.
      let g = buffers.gates
      gather(block, stride: layout.stride, rows: 3 * hidden, batch: batch, adding: gateBias, into: g)
      pointwise(
        buffers, inputSide: g, inputStride: batch, recurrentRZ: buffers.recurrent,
        recurrentN: buffers.recurrent + 2 * hidden * batch, batch: batch, biased: true, output: output, tape: tape)
    }
  }

  /// The gates from their pre-activations, then `h ← (1 − z) ⊙ n + z ⊙ h`, h also copied into
  /// `output`. `inputSide` holds the r, z and n rows' input parts (3H × B, row stride
  /// `inputStride`, overwritten); `recurrentRZ`, when given, the r and z rows' recurrent parts
  /// to add (2H × B, contiguous; the fused product has already summed them); `recurrentN` the n
  /// gate's `W_hn · h` (H × B, contiguous). `tape`, when given, receives r, z and n (rows
  /// 0..<3H) and `W_hn · h` (rows 3H..<4H, without b_hn). Gates not yet biased are one pass of
  /// the fused kernel (`VectorKernels._gruPointwise`); gathered ones, the passes (the same
  /// arithmetic).
  private func pointwise(
    _ buffers: GRUBuffers<Scalar>, inputSide a: UnsafeMutablePointer<Scalar>, inputStride sa: Int,
    recurrentRZ: UnsafePointer<Scalar>?, recurrentN: UnsafePointer<Scalar>, batch: Int, biased: Bool = false,
    output: StateStore<Scalar>?, tape: StateStore<Scalar>? = nil
  ) {
    let hidden = hiddenSize
    let h = buffers.h
    guard biased else {
      // One pass: the gates and h in the fused kernel (gathered gates keep the passes below,
      // which run each gate over the whole contiguous block with one tail).
      gateBias.withUnsafeBufferPointer { b in
        recurrentBias.withUnsafeBufferPointer { bh in
          Scalar._gruPointwise(
            path: ActivationPath.current, hidden: hidden, batch: batch, gates: a, gateStride: sa,
            recurrentRZ: recurrentRZ, recurrentN: recurrentN, bias: b.baseAddress!,
            hnBias: bh.baseAddress! + 2 * hidden, state: h)
        }
      }
      if let tape {
        tape.store(a, rowCount: 3 * hidden, batch: batch, sourceStride: sa)
        tape.store(recurrentN, rowCount: hidden, batch: batch, sourceStride: batch, firstRow: 3 * hidden)
      }
      output?.store(h, hidden: hidden, batch: batch)
      return
    }
    if let rz = recurrentRZ {
      let shape = loopShape(rows: 2 * hidden, columns: batch, stride: sa)
      for r in 0..<shape.rows {
        let (ar, rr) = (a + r * shape.stride, rz + r * shape.columns)
        for k in 0..<shape.columns { ar[k] += rr[k] }
      }
    }
    // With `biased`, the input side has its bias and is contiguous: r and z are one run, n one.
    let (rows, columns, stride) = biased ? (1, hidden * batch, hidden * batch) : (hidden, batch, sa)
    gateBias.withUnsafeBufferPointer { b_ in
      recurrentBias.withUnsafeBufferPointer { bh_ in
        let (b, bhn) = (biased ? nil : b_.baseAddress!, bh_.baseAddress! + 2 * hidden)
        Activation.sigmoid.apply(
          rows: biased ? 1 : 2 * hidden, columns: biased ? 2 * columns : batch, source: a,
          sourceStride: biased ? 2 * stride : sa, bias: b, destination: a, destinationStride: biased ? 2 * stride : sa)
        // n's argument: W_in x + r ⊙ (W_hn h + b_hn); b_in comes with the tanh pass.
        let n = a + 2 * hidden * sa
        for row in 0..<hidden {
          let (nr, rr, hn) = (n + row * sa, a + row * sa, recurrentN + row * batch)
          let bias = bhn[row]
          for k in 0..<batch { nr[k] += rr[k] * (hn[k] + bias) }
        }
        Activation.tanh.apply(
          rows: rows, columns: columns, source: n, sourceStride: stride, bias: b.map { $0 + 2 * hidden },
          destination: n, destinationStride: stride)
      }
    }
    if let tape {
      tape.store(a, rowCount: 3 * hidden, batch: batch, sourceStride: sa)
      tape.store(recurrentN, rowCount: hidden, batch: batch, sourceStride: batch, firstRow: 3 * hidden)
    }
    // h' = n + z ⊙ (h − n).
    let (z, n) = (a + hidden * sa, a + 2 * hidden * sa)
    let shape = loopShape(rows: hidden, columns: batch, stride: sa)
    for r in 0..<shape.rows {
      let (zr, nr, hr) = (z + r * shape.stride, n + r * shape.stride, h + r * shape.columns)
      for k in 0..<shape.columns { hr[k] = nr[k] + zr[k] * (hr[k] - nr[k]) }
    }
    output?.store(h, hidden: hidden, batch: batch)
  }
}
