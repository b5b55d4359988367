public import DenseMatrix

extension RNNCell: CellKernels {
  static var name: String { "RNNCell" }

  /// Advances the workspace's hidden state by one step: `h ← g(W_ih · x + W_hh · h + b)`.
  ///
  /// No heap allocation happens here in steady state, except with
  /// ``Formulation/fusedConcatenatingEachStep`` (which joins matrices by design). With
  /// ``Formulation/hoisted`` a single step runs ``Formulation/split``.
  ///
  /// The products go through `cblas_?gemm`, or `cblas_?gemv` when the batch size is 1 (with
  /// the default `Backend.blas`); then the bias and `g` run in the vector kernels.
  ///
  /// - Parameters:
  ///   - x: The input, `inputSize × workspace.batchSize`.
  ///   - workspace: Holds `h` before and after the step.
  ///   - formulation: Overrides the cell's ``formulation`` for this call.
  /// - Precondition: the workspace was made by a cell of the same sizes and `x` fits it; the
  ///   message names the shapes. Use ``step(checkingX:into:formulation:)`` for data.
  /// - Complexity: O(H · (H + I) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(x: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, formulation: Formulation? = nil) {
    checkedStep(x: x, workspace: &workspace, formulation: formulation)
  }

  /// Advances the workspace's state by one step, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError`; the workspace is then unchanged.
  /// - Complexity: O(H · (H + I) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(
    checkingX x: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, formulation: Formulation? = nil
  ) throws(ShapeError) {
    try stepError(x: x.shape, workspace: workspace).throwIfPresent()
    uncheckedStep(x: x, workspace: &workspace, formulation: formulation)
  }

  /// The notebook's step: from `h` to the next hidden state, `g(W_hh · h + W_hx · x + b)`.
  ///
  /// The convenience form of ``step(x:into:formulation:)``: it makes a workspace, so it
  /// allocates, and it returns exactly (bit for bit) what the workspace path computes.
  ///
  /// - Parameters:
  ///   - h: The previous hidden state, `hiddenSize × B` (B ≥ 1).
  ///   - x: The input, `inputSize × B`.
  ///   - formulation: Overrides the cell's ``formulation``.
  /// - Returns: The new hidden state, `hiddenSize × B`.
  /// - Precondition: the shapes fit; the message names them. Use ``step(checkingH:x:formulation:)``.
  /// - Complexity: O(H · (H + I) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(h: Matrix<Scalar>, x: Matrix<Scalar>, formulation: Formulation? = nil) -> Matrix<Scalar> {
    stepError(h: h.shape, x: x.shape).trapIfPresent()
    var workspace = makeWorkspace(batchSize: h.columns, initialState: h)
    uncheckedStep(x: x, workspace: &workspace, formulation: formulation)
    return workspace.state
  }

  /// The notebook's step from `h`, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError` naming the shapes, e.g.
  ///   `RNNCell.step: x must be (3×1) to match W_hx and h: (2×1), (4×1)`.
  /// - Complexity: O(H · (H + I) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(
    checkingH h: Matrix<Scalar>, x: Matrix<Scalar>, formulation: Formulation? = nil
  ) throws(ShapeError) -> Matrix<Scalar> {
    try stepError(h: h.shape, x: x.shape).throwIfPresent()
    var workspace = makeWorkspace(batchSize: h.columns, initialState: h)
    uncheckedStep(x: x, workspace: &workspace, formulation: formulation)
    return workspace.state
  }

  /// Why `h` and `x` cannot be stepped, or `nil`.
  func stepError(h: Shape, x: Shape) -> ShapeError? {
    guard h.rows == hiddenSize, h.columns >= 1 else {
      return ShapeError(
        operation: "RNNCell.step", reason: "h must be (\(hiddenSize)×B) with B ≥ 1 to match W_hh",
        shapes: [recurrentWeights.shape, h])
    }
    guard x.rows == inputSize, x.columns == h.columns else {
      return ShapeError(
        operation: "RNNCell.step", reason: "x must be (\(inputSize)×\(h.columns)) to match W_hx and h",
        shapes: [h, x])
    }
    return nil
  }

  /// One step on raw buffers: `x` is I × B with row stride `xStride` (nil when I = 0); the new
  /// h goes into the workspace and, if given, `output`.
  func advance(
    x: UnsafePointer<Scalar>?, xStride: Int, workspace: inout RNNWorkspace<Scalar>, formulation: Formulation,
    output: StateStore<Scalar>? = nil
  ) {
    let (input, batch) = (inputSize, workspace.batchSize)
    let backend = resolvedBackend
    if formulation == .fusedConcatenatingEachStep {
      // The notebook, literally: join W_h = [W_hh | W_hx] and [h; x], multiply. Allocates by design.
      let xt = Matrix<Scalar>(rows: input, columns: batch) { r, c in x![r * xStride + c] }
      workspace.preactivation = withBackend(backend) {
        matmul(hstack([recurrentWeights, inputWeights]), vstack([workspace.state, xt]))
      }
    }
    workspace.stacked.withUnsafeMutableBufferPointer { stacked in
      let s = stacked.baseAddress!
      let h = s + input * batch
      workspace.preactivation.withUnsafeMutableBufferPointer { pre_ in
        let pre = pre_.baseAddress!
        switch formulation {
        case .fusedConcatenatingEachStep:
          break
        case .fused:
          // [x; h]: x into the upper block (one copy when x is contiguous); h is already below.
          copyRows(x, stride: xStride, rows: input, batch: batch, into: s)
          fusedProduct(stacked: s, batch: batch, into: pre, backend: backend)
        case .split, .hoisted:
          // pre = W_ih · x;  pre += W_hh · h  (beta = 1: no temporary for the sum)
          inputProduct(x: x, xStride: xStride, batch: batch, into: pre, backend: backend)
          recurrentProduct(h: h, batch: batch, beta: 1, into: pre, stride: batch, backend: backend)
        }
        // The new h straight into the lower block of [x; h].
        biasActivate(columns: batch, source: pre, sourceStride: batch, destination: h, destinationStride: batch)
        output?.store(h, hidden: hiddenSize, batch: batch)
      }
    }
  }

  /// The vanilla cell projects straight into an output in its own layout at B > 1; otherwise
  /// (B = 1, so that each step's vector is contiguous, and PyTorch's batch-major layout, run by
  /// the shared driver) into the workspace's buffer, H × (T · B).
  func projectionRows(batch: Int, featureMajorOutput: Bool) -> Int {
    batch > 1 && featureMajorOutput ? 0 : hiddenSize
  }

  /// ``Formulation/hoisted`` over a sequence: one product for every step's `W_ih · x_t`, then
  /// per step `W_hh · h_{t-1}` onto that step's block, and the bias and `g`.
  ///
  /// In the cells' layout each step reads `h_{t-1}` from the output block before and activates
  /// into its own block: no copy per step (the last state goes back into the workspace once).
  /// PyTorch's batch-major output and padded batches run the shared driver, as the gated cells
  /// do (``hoistedStep(column:layout:workspace:output:tape:)``, h in the workspace, each step's
  /// states copied to the output by the transpose kernel).
  func runHoisted(
    x: UnsafePointer<Scalar>?, batchMajor: Bool, batches: StepBatches, workspace: inout RNNWorkspace<Scalar>,
    output: SequenceOutput<Scalar>, reversed: Bool, states: RunningStates<Scalar>?, tape: SequenceOutput<Scalar>?
  ) {
    // PyTorch's batch-major output and padded batches: h in the workspace, as the gated cells.
    guard output.isFeatureMajor, states == nil else {
      runSteps(
        x: x, batchMajor: batchMajor, batches: batches, workspace: &workspace, formulation: .hoisted, output: output,
        reversed: reversed, states: states)
      return
    }
    let (hidden, input, batch, steps) = (hiddenSize, inputSize, workspace.batchSize, batches.steps)
    let backend = resolvedBackend
    // B > 1: the projection goes into the output itself (it has the projection's layout);
    // B = 1: into the workspace's T × H buffer, so that each step's vector is contiguous.
    workspace.projection.withUnsafeMutableBufferPointer { projection in
      let p = batch > 1 ? output.base : projection.baseAddress!
      let layout = hoistedProjection(
        inputWeights, x: x, batchMajor: batchMajor, columns: steps * batch, transposed: batch == 1, into: p,
        backend: backend)
      workspace.stacked.withUnsafeMutableBufferPointer { stacked in
        let h = stacked.baseAddress! + input * batch
        for s in 0..<steps {
          let t = stepIndex(s, of: steps, reversed: reversed)
          let block = p + t * batch * layout.columnStep
          // h_{t-1}: the workspace's h₀ first, then the output block of the step before.
          let previous = output.block(at: stepIndex(s - 1, of: steps, reversed: reversed) * batch).base
          recurrentProduct(
            h: s == 0 ? h : previous, hStride: s == 0 ? batch : output.rowStride, batch: batch, beta: 1,
            into: block, stride: layout.stride, backend: backend)
          biasActivate(
            columns: batch, source: block, sourceStride: layout.stride, destination: output.block(at: t * batch).base,
            destinationStride: output.rowStride)
        }
        let last = output.block(at: stepIndex(steps - 1, of: steps, reversed: reversed) * batch).base
        for r in 0..<hidden { (h + r * batch).update(from: last + r * output.rowStride, count: batch) }
      }
    }
  }

  /// One ``Formulation/hoisted`` step with h in the workspace (the shared driver's steps):
  /// `W_hh · h` onto the step's block of the projection, then `h ← g(block + b)`, copied into
  /// `output`. A batch that is not whole vectors (a padded batch's shrinking steps) first
  /// gathers the block and the bias into the contiguous pre-activation, as the gated cells do,
  /// so that `g` runs over H · B contiguous values with one tail instead of one per row.
  func hoistedStep(
    column: Int, layout: ProjectionLayout, workspace: inout RNNWorkspace<Scalar>, output: StateStore<Scalar>,
    tape: StateStore<Scalar>?
  ) {
    let (hidden, input, batch) = (hiddenSize, inputSize, workspace.batchSize)
    let backend = resolvedBackend
    workspace.stacked.withUnsafeMutableBufferPointer { stacked in
      workspace.projection.withUnsafeMutableBufferPointer { projection in
        let (h, block) = (stacked.baseAddress! + input * batch, projection.baseAddress! + column * layout.columnStep)
        guard gathersGates(batch: batch, Scalar.self) else {
          recurrentProduct(h: h, batch: batch, beta: 1, into: block, stride: layout.stride, backend: backend)
          biasActivate(
            columns: batch, source: block, sourceStride: layout.stride, destination: h, destinationStride: batch)
          output.store(h, hidden: hidden, batch: batch)
          return
        }
        workspace.preactivation.withUnsafeMutableBufferPointer { preactivation in
          let (pre, count) = (preactivation.baseAddress!, hidden * batch)
          gather(block, stride: layout.stride, rows: hidden, batch: batch, adding: bias, into: pre)
          recurrentProduct(h: h, batch: batch, beta: 1, into: pre, stride: batch, backend: backend)
          activation.apply(
            rows: 1, columns: count, source: pre, sourceStride: count, destination: h, destinationStride: count)
        }
        output.store(h, hidden: hidden, batch: batch)
      }
    }
  }

  /// `destination = g(source + b)` over H × `columns`.
  private func biasActivate(
    columns: Int, source: UnsafePointer<Scalar>, sourceStride: Int, destination: UnsafeMutablePointer<Scalar>,
    destinationStride: Int
  ) {
    bias.withUnsafeBufferPointer { b in
      activation.apply(
        rows: hiddenSize, columns: columns, source: source, sourceStride: sourceStride, bias: b.baseAddress,
        destination: destination, destinationStride: destinationStride)
    }
  }

}
