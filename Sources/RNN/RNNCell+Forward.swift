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
  /// With ``Formulation/hoisted`` the input projection `W_ih · X` is one `cblas_?gemm` for all
  /// T steps, into the workspace's projection buffer (allocated on the first run of a sequence
  /// length, then reused); each step then accumulates `W_hh · h_{t-1}` onto its block
  /// (`beta = 1`) and applies the bias and `g`. The other formulations run
  /// ``step(x:into:formulation:)``'s computation for each t, reading `x_t` in place. The same
  /// driver runs ``LSTMCell`` and ``GRUCell``.
  ///
  /// - Parameters:
  ///   - inputs: `inputSize × (T · B)`, with B the workspace's batch size.
  ///   - workspace: Holds `h_0` on entry, `h_T` on return.
  ///   - states: `hiddenSize × (T · B)`, overwritten.
  ///   - formulation: Overrides the cell's ``formulation``.
  ///   - reversed: Runs the steps from the last input to the first.
  /// - Precondition: the shapes fit; the message names them. Use
  ///   ``forward(checkingInputs:into:states:formulation:reversed:)`` for data.
  /// - Complexity: O(T · H · (H + I) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    inputs: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) {
    runSequence(inputs: inputs, workspace: &workspace, states: &states, formulation: formulation, reversed: reversed)
  }

  /// Runs the cell over a sequence, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError`; the workspace and `states` are then unchanged.
  /// - Complexity: O(T · H · (H + I) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func forward(
    checkingInputs inputs: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, states: inout Matrix<Scalar>,
    formulation: Formulation? = nil, reversed: Bool = false
  ) throws(ShapeError) {
    try forwardError(inputs: inputs.shape, workspace: workspace, states: states.shape).throwIfPresent()
    uncheckedRun(inputs: inputs, workspace: &workspace, states: &states, formulation: formulation, reversed: reversed)
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
  /// - Complexity: O(T · H · (H + I) · B).
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
  /// - Complexity: O(T · H · (H + I) · B).
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
    guard let first = inputs.first else { return [] }
    var workspace = makeWorkspace(batchSize: first.columns, initialState: initialState)
    return runList(inputs, workspace: &workspace, formulation: formulation)
  }
}
