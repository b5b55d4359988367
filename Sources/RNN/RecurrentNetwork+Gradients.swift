public import DenseMatrix

extension RecurrentNetwork {
  /// The gradients of a loss with respect to everything a forward pass reads, in PyTorch's
  /// names and layouts (what `loss.backward()` leaves in `.grad`).
  public struct Gradients: Sendable {
    /// dL/d(parameter) for every tensor of the network's state dict, by PyTorch's names
    /// (`weight_ih_l0`, `bias_hh_l1_reverse`, …): weights in their state-dict shapes, biases as
    /// `n × 1` columns.
    public var parameters: [String: Matrix<Scalar>]
    /// dL/d(input), `(T · B) × I`.
    public var input: Matrix<Scalar>
    /// dL/d(h_0), `(D · L · B) × H` (P with a projection; zero-initial states included: the
    /// gradient is the same).
    public var initialState: Matrix<Scalar>
    /// dL/d(c_0) for an LSTM, `(D · L · B) × H`; `nil` for the others.
    public var initialCell: Matrix<Scalar>?
  }

  /// A forward pass and the gradients of a loss through it by backpropagation through time.
  ///
  /// The loss is given by its gradients with respect to the pass's results: `outputGradient`
  /// (dL/d(output), shaped like ``Output/output``) and, when the loss reads them,
  /// `finalStateGradient` (dL/d(h_n)) and `finalCellGradient` (dL/d(c_n), an LSTM's). For
  /// `nn.MSELoss()` between the output and targets, `outputGradient` is `2 (output − target) /
  /// count`.
  ///
  /// The forward pass is ``forward(_:batchSize:lengths:batchFirst:initialState:initialCell:)``'s
  /// arithmetic, run hoisted by each layer's cells with the network's backend, the gated cells
  /// recording each step's activated gates as they go (the LSTM's c_{t−1} and tanh(c_t) too, the
  /// GRU's `W_hn · h_{t−1}`), so that the backward pass computes nothing of the forward pass
  /// again: it carries dL/dh (and dL/dc) back step by step through `W_hhᵀ` (`cblas_?gemm`), the
  /// gates' derivatives one pass over contiguous columns per unit, and forms each weight gradient
  /// as one product over all steps (`dW_ih = Σ_t δ_t x_tᵀ`, `dW_hh = Σ_t δ_t h_{t−1}ᵀ`), and the
  /// input's gradient as one more (`dX = W_ihᵀ Δ`), each layer's input gradient being the one
  /// below's output gradient.
  ///
  /// - Parameters:
  ///   - input: `(T · B) × I`, as for the forward pass.
  ///   - batchSize: B ≥ 1.
  ///   - lengths: Each sequence's length for a padded batch (B values in 1...T, any order), as
  ///     for the forward pass; `nil` when every sequence has T steps. Steps past a sequence's
  ///     end get no gradient (their output is 0, as PyTorch's padded output is).
  ///   - initialState: `h_0`, `(D · L · B) × H` (P with a projection, PyTorch's `proj_size`),
  ///     or `nil` for zeros.
  ///   - initialCell: `c_0` for an LSTM (`(D · L · B) × H`), or `nil` for zeros.
  ///   - outputGradient: dL/d(output), `(T · B) × (D · H)` (D · P with a projection).
  ///   - finalStateGradient: dL/d(h_n), shaped like `h_0`, or `nil` for zeros.
  ///   - finalCellGradient: dL/d(c_n) for an LSTM, or `nil` for zeros.
  /// - Returns: The forward pass's ``Output`` and the ``Gradients``.
  /// - Throws: `ShapeError` naming the shapes that do not fit.
  /// - Complexity: about three forward passes' arithmetic (one forward, two backward):
  ///   O(L · D · T · B · G·H · (I + H)). Memory: each layer's inputs and states, and per layer
  ///   and direction its gates' record (6H × T·B for an LSTM, 4H × T·B for a GRU).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func gradients(
    _ input: Matrix<Scalar>, batchSize: Int, lengths: [Int]? = nil, initialState: Matrix<Scalar>? = nil,
    initialCell: Matrix<Scalar>? = nil, outputGradient: Matrix<Scalar>, finalStateGradient: Matrix<Scalar>? = nil,
    finalCellGradient: Matrix<Scalar>? = nil
  ) throws(ShapeError) -> (output: Output, gradients: Gradients) {
    try gradients(
      input, batchSize: batchSize, lengths: lengths, initialState: initialState, initialCell: initialCell
    ) { _ in
      OutputGradient(output: outputGradient, finalState: finalStateGradient, finalCell: finalCellGradient)
    }
  }

  /// dL/d(output), dL/d(h_n) and dL/d(c_n): what a loss computed from a forward pass's
  /// ``Output`` hands back to ``gradients(_:batchSize:lengths:initialState:initialCell:loss:)``.
  public struct OutputGradient: Sendable {
    /// dL/d(output), `(T · B) × (D · H)`.
    public var output: Matrix<Scalar>
    /// dL/d(h_n), `(D · L · B) × H`, or `nil` for zeros.
    public var finalState: Matrix<Scalar>?
    /// dL/d(c_n) for an LSTM, or `nil` for zeros.
    public var finalCell: Matrix<Scalar>?

    /// The gradients of a loss; `nil` for a state the loss does not read.
    public init(output: Matrix<Scalar>, finalState: Matrix<Scalar>? = nil, finalCell: Matrix<Scalar>? = nil) {
      self.output = output
      self.finalState = finalState
      self.finalCell = finalCell
    }
  }

  /// ``gradients(_:batchSize:lengths:initialState:initialCell:outputGradient:finalStateGradient:finalCellGradient:)``
  /// for a loss of the pass's own results: `loss` receives the forward pass's ``Output`` and
  /// returns the loss's gradients with respect to it (one forward pass in all, as a training
  /// step needs).
  ///
  /// ```swift
  /// var lossValue: Float = 0
  /// let (_, gradients) = try network.gradients(x, batchSize: 8) { output in
  ///   let (loss, dOutput) = try MSELoss()(output.output, targets)
  ///   lossValue = loss
  ///   return .init(output: dOutput)
  /// }
  /// ```
  ///
  /// - Throws: what `loss` throws, and `ShapeError` as the other form does.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func gradients(
    _ input: Matrix<Scalar>, batchSize: Int, lengths: [Int]? = nil, initialState: Matrix<Scalar>? = nil,
    initialCell: Matrix<Scalar>? = nil, loss: (Output) throws(ShapeError) -> OutputGradient
  ) throws(ShapeError) -> (output: Output, gradients: Gradients) {
    var pass = TrainingPass()
    try gradients(
      input, batchSize: batchSize, lengths: lengths, initialState: initialState, initialCell: initialCell, into: &pass,
      loss: loss)
    return (pass.output, pass.gradients)
  }

  /// The results of a forward and backward pass, and the buffers between them, kept from one
  /// training step to the next: ``gradients(_:batchSize:lengths:initialState:initialCell:into:loss:)``
  /// writes into the buffers of the pass before it where their shapes fit, so that a training
  /// loop that keeps one `TrainingPass` (and steps an optimizer in place, and loads the weights
  /// with ``load(stateDict:)``) allocates nothing after its first step.
  ///
  /// A copy of ``output`` or ``gradients`` kept by the caller is a value like any other: the
  /// next pass then writes into new buffers (one copy each), not into the kept one.
  public struct TrainingPass: Sendable {
    /// The forward pass's output, `h_n` and `c_n` (empty before the first pass).
    public internal(set) var output: Output
    /// The gradients (empty before the first pass); the caller may change them in place (clip
    /// them, say) before an optimizer reads them. The next pass writes over them.
    public var gradients: Gradients
    /// The inner layers' outputs (each the next layer's input), `(T · B) × (D · H)`.
    var layerOutputs: [Matrix<Scalar>]
    /// Each layer and direction's tape (see `LayerRun.tapes`).
    var tapes: [Matrix<Scalar>]

    /// No results yet: the first pass makes its buffers.
    public init() {
      self.init(
        output: .empty, gradients: Gradients(parameters: [:], input: .empty, initialState: .empty, initialCell: nil),
        layerOutputs: [], tapes: [])
    }

    init(output: Output, gradients: Gradients, layerOutputs: [Matrix<Scalar>], tapes: [Matrix<Scalar>]) {
      (self.output, self.gradients, self.layerOutputs, self.tapes) = (output, gradients, layerOutputs, tapes)
    }
  }

  /// ``gradients(_:batchSize:lengths:initialState:initialCell:loss:)`` into `pass`: the forward
  /// pass's ``Output`` and the ``Gradients`` are written into `pass.output` and `pass.gradients`,
  /// reusing their buffers (and the pass's own) where the shapes fit. With the same shapes as the
  /// pass before, and every sequence of the batch full length, it allocates nothing: a training
  /// loop's steady state.
  ///
  /// ```swift
  /// var pass = RecurrentNetwork<Float>.TrainingPass()
  /// var dOutput = Matrix<Float>.zeros(rows: 0, columns: 0)
  /// var optimizer = Adam<Float>(learningRate: 1e-3)
  /// for _ in 0..<100 {
  ///   try network.gradients(x, batchSize: 8, into: &pass) { output in
  ///     _ = try MSELoss()(output.output, targets, gradient: &dOutput)
  ///     return .init(output: dOutput)
  ///   }
  ///   optimizer.step(&weights, gradients: pass.gradients.parameters)
  ///   try network.load(stateDict: weights)
  /// }
  /// ```
  ///
  /// - Throws: what `loss` throws, and `ShapeError` as the other forms do; `pass` then holds no
  ///   results (its buffers may be kept for the next pass).
  /// - Complexity: as ``gradients(_:batchSize:lengths:initialState:initialCell:outputGradient:finalStateGradient:finalCellGradient:)``.
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func gradients(
    _ input: Matrix<Scalar>, batchSize: Int, lengths: [Int]? = nil, initialState: Matrix<Scalar>? = nil,
    initialCell: Matrix<Scalar>? = nil, into pass: inout TrainingPass,
    loss: (Output) throws(ShapeError) -> OutputGradient
  ) throws(ShapeError) {
    // h's size (P with a projection, otherwise H) and c's (H).
    let (directions, layers, hidden, cellSize) = (directionCount, layerCount, outputSize, hiddenSize)
    let stateRows = directions * layers * batchSize
    func fail(_ reason: String, _ shapes: [Shape]) -> ShapeError {
      ShapeError(operation: "RecurrentNetwork.gradients", reason: reason, shapes: shapes)
    }
    guard batchSize >= 1, input.rows % batchSize == 0, input.columns == inputSize else {
      throw fail(
        "input must be ((T·B)×I) with B = \(batchSize) ≥ 1 dividing its rows and I = \(inputSize)", [input.shape])
    }
    let columns = input.rows
    func check(_ name: String, _ matrix: Matrix<Scalar>?, _ width: Int) throws(ShapeError) {
      guard let matrix, matrix.rows != stateRows || matrix.columns != width else { return }
      throw fail("\(name) must be (D·L·B × \(width)) = (\(stateRows)×\(width))", [matrix.shape])
    }
    try check("initialState", initialState, hidden)
    try check("initialCell", initialCell, cellSize)
    if mode != .lstm, initialCell != nil {
      throw fail("only an LSTM has a cell state", [])
    }
    let backend = resolvedBackend
    let tapeWidth = backward(0, lengths: nil).kind.tapeWidth(hidden: cellSize)

    // The pass's buffers, moved out of it (each then the only reference to its storage): its
    // results stay empty until the pass is done.
    var result = pass.output
    var parameters = pass.gradients.parameters
    var (inputGradient, initialStateGradient) = (pass.gradients.input, pass.gradients.initialState)
    var initialCellGradient = pass.gradients.initialCell ?? .empty
    var (layerOutputs, tapes) = (pass.layerOutputs, pass.tapes)
    pass = TrainingPass()
    // Every layer's output but the last (the result's), and each cell's tape: the buffers the
    // pass before left, where their shapes fit.
    func fit(_ matrix: inout Matrix<Scalar>, rows: Int, columns: Int) {
      guard matrix.rows != rows || matrix.columns != columns else { return }
      matrix = Matrix(rows: rows, columns: columns, initializingEvery: { _ in })
    }
    if layerOutputs.count != layers - 1 { layerOutputs = Array(repeating: .empty, count: layers - 1) }
    for layer in layerOutputs.indices { fit(&layerOutputs[layer], rows: columns, columns: directions * hidden) }
    let cellCount = layers * directions
    if tapes.count != (tapeWidth > 0 ? cellCount : 0) {
      tapes = Array(repeating: .empty, count: tapeWidth > 0 ? cellCount : 0)
    }
    for index in tapes.indices { fit(&tapes[index], rows: columns, columns: tapeWidth) }

    // Forward, layer by layer, each by the network's own hoisted forward pass (with the lengths,
    // if any), keeping each layer's output (PyTorch's batch-major layout, which the backward
    // pass reads in place; a padded batch's in its padded layout) and the tapes its gated cells
    // record. A padded batch's input may hold anything at the steps not run (NaN included): the
    // forward pass never reads it, and dW_ih's product reads it as zero (the layers' outputs are
    // zero there already). Zeroed once, here.
    let x = lengths.map { input.zeroingPadding(lengths: $0, batch: batchSize) } ?? input
    var hoisted = self
    hoisted.formulation = .hoisted
    hoisted.backend = backend
    for layer in 0..<layers {
      var layerResult = Output(
        output: .empty, finalState: result.finalState, finalCell: mode == .lstm ? result.finalCell : nil)
      result.finalState = .empty
      result.finalCell = nil
      if layer == layers - 1 {
        swap(&layerResult.output, &result.output)
      } else {
        swap(&layerResult.output, &layerOutputs[layer])
      }
      try hoisted.forward(
        layer == 0 ? x : layerOutputs[layer - 1], batchSize: batchSize, lengths: lengths, batchFirst: false,
        initialState: initialState, initialCell: initialCell, layers: layer..<(layer + 1), tapes: &tapes,
        into: &layerResult)
      if layer == layers - 1 {
        swap(&layerResult.output, &result.output)
      } else {
        swap(&layerResult.output, &layerOutputs[layer])
      }
      result.finalState = layerResult.finalState
      result.finalCell = layerResult.finalCell
    }
    func layerInput(_ layer: Int) -> Matrix<Scalar> { layer == 0 ? x : layerOutputs[layer - 1] }
    func layerOutput(_ layer: Int) -> Matrix<Scalar> { layer == layers - 1 ? result.output : layerOutputs[layer] }

    let lossGradient = try loss(result)
    let (outputGradient, finalStateGradient, finalCellGradient) =
      (lossGradient.output, lossGradient.finalState, lossGradient.finalCell)
    guard outputGradient.rows == columns, outputGradient.columns == directions * hidden else {
      throw fail(
        "the output's gradient must be shaped like the output, (\(columns)×\(directions * hidden))",
        [outputGradient.shape])
    }
    try check("h_n's gradient", finalStateGradient, hidden)
    try check("c_n's gradient", finalCellGradient, cellSize)
    if mode != .lstm, finalCellGradient != nil { throw fail("only an LSTM has a cell state", []) }

    // Backward, layer by layer from the top, each layer's input gradient the output gradient of
    // the layer below (both directions' added); the first layer's is dL/dX.
    fit(&initialStateGradient, rows: stateRows, columns: hidden)
    if mode == .lstm { fit(&initialCellGradient, rows: stateRows, columns: cellSize) }
    var above = outputGradient
    for layer in (0..<layers).reversed() {
      let x = layerInput(layer)
      // Written by the first direction (not added to), every element.
      var below: Matrix<Scalar>
      if layer == 0 {
        below = inputGradient
        inputGradient = .empty
        fit(&below, rows: x.rows, columns: x.columns)
      } else {
        below = scratch.matrix(rows: x.rows, columns: x.columns)
      }
      for direction in 0..<directions {
        let index = layer * directions + direction
        var targets = RecurrentLayerBackward<Scalar>.Targets(
          parameters: parameters, initialState: initialStateGradient, initialCell: initialCellGradient,
          names: parameterNames[index], hasBias: hasBias, stateRow: index * batchSize)
        (parameters, initialStateGradient, initialCellGradient) = ([:], .empty, .empty)
        backward(index, lengths: lengths).gradients(
          x: x, output: layerOutput(layer), column: direction * hidden, tape: tapes.isEmpty ? nil : tapes[index],
          h0: initialState, batch: batchSize, outputGradient: above, finalState: finalStateGradient,
          finalCell: finalCellGradient, inputGradient: &below, accumulate: direction == 1, into: &targets,
          scratch: scratch, backend: backend)
        swap(&parameters, &targets.parameters)
        swap(&initialStateGradient, &targets.initialState)
        swap(&initialCellGradient, &targets.initialCell)
      }
      // The gradient from above is scratch again (not the caller's).
      if layer != layers - 1 { scratch.keep(above) }
      above = below
    }
    // Every name of this network was written; a pass that ran another network may have left
    // names this one does not have.
    if parameters.count != parameterCount {
      let names = Set(parameterNames.flatMap { $0.names(bias: hasBias, projection: projectionSize > 0) })
      parameters = parameters.filter { names.contains($0.key) }
    }
    pass = TrainingPass(
      output: result,
      gradients: Gradients(
        parameters: parameters, input: above, initialState: initialStateGradient,
        initialCell: mode == .lstm ? initialCellGradient : nil),
      layerOutputs: layerOutputs, tapes: tapes)
  }

  /// Cell `index`'s backward pass: its weights (the bias is on the tape, with the gates, but for
  /// the GRU's b_hn), its direction, the lengths.
  private func backward(_ index: Int, lengths: [Int]?) -> RecurrentLayerBackward<Scalar> {
    let reversed = index % directionCount == 1
    switch cells {
    case .rnn(let cells):
      return RecurrentLayerBackward(
        kind: .vanilla(cells[index].activation), inputWeights: cells[index].inputWeights,
        recurrentWeights: cells[index].recurrentWeights, recurrentBias: nil, reversed: reversed, lengths: lengths,
        packedRecurrent: cells[index].packedRecurrent)
    case .lstm(let cells):
      return RecurrentLayerBackward(
        kind: .lstm, inputWeights: cells[index].inputWeights, recurrentWeights: cells[index].recurrentWeights,
        recurrentBias: nil, reversed: reversed, lengths: lengths, projectionWeights: cells[index].projectionWeights,
        packedRecurrent: cells[index].packedRecurrent)
    case .gru(let cells):
      return RecurrentLayerBackward(
        kind: .gru, inputWeights: cells[index].inputWeights, recurrentWeights: cells[index].recurrentWeights,
        recurrentBias: cells[index].recurrentBias, reversed: reversed, lengths: lengths,
        packedRecurrent: cells[index].packedRecurrent)
    }
  }
}

extension Matrix {
  /// This matrix (N × k, row t · B + b sequence b's step t) with the rows of steps past each
  /// sequence's length zero.
  func zeroingPadding(lengths: [Int], batch: Int) -> Matrix {
    var result = self
    result.withUnsafeMutableBufferPointer { m in
      guard let base = m.baseAddress else { return }
      for row in 0..<rows where row / batch >= lengths[row % batch] {
        (base + row * columns).update(repeating: 0, count: columns)
      }
    }
    return result
  }
}
