public import DenseMatrix

extension RNNCell {
  /// Runs the cell over a sequence, writing every hidden state into `states`, with no heap
  /// allocation (except with ``Formulation/fusedConcatenatingEachStep``).
  ///
  /// The sequence is stored side by side, `X = [x_1 | x_2 | … | x_T]`: `inputs` is
  /// `inputSize × (T · B)` and step t's input is columns `t·B ..< (t+1)·B`. `states` receives
  /// `[h_1 | … | h_T]` in the same layout. The workspace's state is `h_0` on entry and `h_T` on
  /// return, so a long sequence can be fed in chunks. With `reversed` the steps run from `x_T`
  /// down to `x_1` (a bidirectional layer's backward direction), each state stored at its
  /// input's position.
  ///
  /// With ``Formulation/hoisted`` the input projection `W_hx · X + b` is one `cblas_dgemm` for
  /// all T steps, written straight into `states`; each step then accumulates `W_hh · h_{t-1}`
  /// onto its block (`beta = 1`) and applies `g` in place. The other formulations run
  /// ``step(x:into:formulation:)``'s computation for each t, reading `x_t` in place.
  ///
  /// - Parameters:
  ///   - inputs: `inputSize × (T · B)`, with B the workspace's batch size.
  ///   - workspace: Holds `h_0` on entry, `h_T` on return.
  ///   - states: `hiddenSize × (T · B)`, overwritten.
  ///   - formulation: Overrides the cell's ``formulation``.
  ///   - reversed: Runs the steps from the last input to the first.
  /// - Precondition: the shapes fit; the message names them. Use
  ///   ``forward(checkingInputs:into:states:formulation:reversed:)`` for data.
  /// - Complexity: O(T · n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    inputs: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) {
    forwardError(inputs: inputs.shape, workspace: workspace, states: states.shape).trapIfPresent()
    run(
      inputs: inputs, workspace: &workspace, states: &states, formulation: formulation ?? self.formulation,
      reversed: reversed)
  }

  /// Runs the cell over a sequence, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError`; the workspace and `states` are then unchanged.
  /// - Complexity: O(T · n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    checkingInputs inputs: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) throws(ShapeError) {
    try forwardError(inputs: inputs.shape, workspace: workspace, states: states.shape).throwIfPresent()
    run(
      inputs: inputs, workspace: &workspace, states: &states, formulation: formulation ?? self.formulation,
      reversed: reversed)
  }

  /// Runs the cell over a sequence of inputs and returns every hidden state.
  ///
  /// The convenience form of ``forward(inputs:into:states:formulation:reversed:)``; it allocates.
  ///
  /// - Parameters:
  ///   - inputs: `x_1 … x_T`, each `inputSize × B` with the same B.
  ///   - initialState: `h_0`, `hiddenSize × B`; zero if `nil`.
  ///   - formulation: Overrides the cell's ``formulation``.
  /// - Returns: `h_1 … h_T`, each `hiddenSize × B`.
  /// - Precondition: the shapes fit. Use ``forward(checkingInputs:initialState:formulation:)``.
  /// - Complexity: O(T · n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    inputs: [Matrix<Scalar>], initialState: Matrix<Scalar>? = nil, formulation: Formulation? = nil
  ) -> [Matrix<Scalar>] {
    sequenceError(inputs, initialState).trapIfPresent()
    return runSequence(inputs, initialState, formulation ?? self.formulation)
  }

  /// Runs the cell over a sequence of inputs, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError` naming the first input that does not fit.
  /// - Complexity: O(T · n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    checkingInputs inputs: [Matrix<Scalar>], initialState: Matrix<Scalar>? = nil, formulation: Formulation? = nil
  ) throws(ShapeError) -> [Matrix<Scalar>] {
    try sequenceError(inputs, initialState).throwIfPresent()
    return runSequence(inputs, initialState, formulation ?? self.formulation)
  }

  private func sequenceError(_ inputs: [Matrix<Scalar>], _ initialState: Matrix<Scalar>?) -> ShapeError? {
    let batch = initialState?.columns ?? inputs.first?.columns ?? 1
    let h = initialState?.shape ?? Shape(rows: hiddenSize, columns: batch)
    for (t, x) in inputs.enumerated() {
      if var error = stepError(h: h, x: x.shape) {
        error.reason += " (input \(t))"
        return error
      }
    }
    return nil
  }

  private func runSequence(
    _ inputs: [Matrix<Scalar>], _ initialState: Matrix<Scalar>?, _ formulation: Formulation
  ) -> [Matrix<Scalar>] {
    guard !inputs.isEmpty else { return [] }
    let batch = inputs[0].columns
    var workspace = makeWorkspace(batchSize: batch, initialState: initialState)
    var states = Matrix<Scalar>.zeros(rows: hiddenSize, columns: batch * inputs.count)
    run(inputs: hstack(inputs), workspace: &workspace, states: &states, formulation: formulation)
    return splitColumns(states, batch: batch)
  }

  func forwardError(inputs: Shape, workspace: RNNWorkspace<Scalar>, states: Shape) -> ShapeError? {
    if let error = workspaceError(workspace) { return error }
    let batch = workspace.batchSize
    guard inputs.rows == inputSize, inputs.columns % batch == 0 else {
      return ShapeError(
        operation: "RNNCell.forward",
        reason: "inputs must be (\(inputSize)×T·\(batch)): n_x rows and a whole number of batches of \(batch) columns",
        shapes: [inputToHidden.shape, inputs])
    }
    guard states.rows == hiddenSize, states.columns == inputs.columns else {
      return ShapeError(
        operation: "RNNCell.forward", reason: "states must be (\(hiddenSize)×\(inputs.columns)) to match the inputs",
        shapes: [inputs, states])
    }
    return nil
  }

  private func run(
    inputs: Matrix<Scalar>, workspace: inout RNNWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation, reversed: Bool = false
  ) {
    let (nh, nx, batch) = (hiddenSize, inputSize, workspace.batchSize)
    let width = inputs.columns
    let steps = width / batch
    guard steps > 0 else { return }
    let backend = resolvedBackend
    inputs.withUnsafeBufferPointer { x_ in
      let x = x_.baseAddress  // nil when n_x = 0
      states.withUnsafeMutableBufferPointer { out_ in
        let out = out_.baseAddress!
        guard formulation == .hoisted else {
          for s in 0..<steps {
            let t = stepIndex(s, of: steps, reversed: reversed)
            advance(
              x: x.map { $0 + t * batch }, xStride: width, workspace: &workspace, formulation: formulation,
              output: out + t * batch, outputStride: width)
          }
          return
        }
        // One large product for all steps: states = W_hx · X, then + b.
        inputToHidden.withUnsafeBufferPointer { w in
          GEMMOperands(
            m: nh, n: width, k: nx, a: w.baseAddress, lda: max(1, nx), b: x, ldb: width,
            c: out, ldc: width
          ).run(backend)
        }
        bias.withUnsafeBufferPointer { b in
          for r in 0..<nh {
            let row = out + r * width
            let value = b[r]
            for c in 0..<width { row[c] += value }
          }
        }
        workspace.stacked.withUnsafeMutableBufferPointer { stacked in
          let h0 = stacked.baseAddress!
          hiddenToHidden.withUnsafeBufferPointer { w in
            for s in 0..<steps {
              let t = stepIndex(s, of: steps, reversed: reversed)
              let block = out + t * batch
              // block += W_hh · h_{t-1}, with h_{t-1} the block computed before (or h_0).
              let previous = s == 0 ? UnsafePointer(h0) : UnsafePointer(block + (reversed ? batch : -batch))
              GEMMOperands(
                m: nh, n: batch, k: nh, a: w.baseAddress, lda: nh, b: previous,
                ldb: s == 0 ? batch : width, beta: 1, c: block, ldc: width
              ).run(backend)
              biasActivate(
                columns: batch, addBias: false, source: block, sourceStride: width, destination: block,
                destinationStride: width)
            }
          }
          // h_T back into the workspace.
          let last = out + stepIndex(steps - 1, of: steps, reversed: reversed) * batch
          for r in 0..<nh { (h0 + r * batch).update(from: last + r * width, count: batch) }
        }
      }
    }
  }
}
