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
    for (name, matrix, width) in [("initialState", initialState, hidden), ("initialCell", initialCell, cellSize)] {
      guard let matrix else { continue }
      guard matrix.rows == stateRows, matrix.columns == width else {
        throw fail("\(name) must be (D·L·B × \(width)) = (\(stateRows)×\(width))", [matrix.shape])
      }
    }
    if mode != .lstm, initialCell != nil {
      throw fail("only an LSTM has a cell state", [])
    }
    let backend = resolvedBackend
    // The (l·D + d)-th B × H block of a state matrix.
    func block(_ matrix: Matrix<Scalar>?, _ index: Int) -> Matrix<Scalar>? {
      matrix?.rowBlock((index * batchSize)..<((index + 1) * batchSize))
    }
    // Each cell's parameters for its backward pass (the bias is on the tape, with the gates, but
    // for the GRU's b_hn).
    let backwards: [RecurrentLayerBackward<Scalar>]
    switch cells {
    case .rnn(let cells):
      backwards = cells.enumerated().map { index, cell in
        RecurrentLayerBackward(
          kind: .vanilla(cell.activation), inputWeights: cell.inputWeights, recurrentWeights: cell.recurrentWeights,
          recurrentBias: .zeros(rows: cell.recurrentWeights.rows, columns: 1), reversed: index % directions == 1,
          lengths: lengths)
      }
    case .lstm(let cells):
      backwards = cells.enumerated().map { index, cell in
        RecurrentLayerBackward(
          kind: .lstm, inputWeights: cell.inputWeights, recurrentWeights: cell.recurrentWeights,
          recurrentBias: .zeros(rows: cell.recurrentWeights.rows, columns: 1), reversed: index % directions == 1,
          lengths: lengths, projectionWeights: cell.projectionWeights)
      }
    case .gru(let cells):
      backwards = cells.enumerated().map { index, cell in
        RecurrentLayerBackward(
          kind: .gru, inputWeights: cell.inputWeights, recurrentWeights: cell.recurrentWeights,
          recurrentBias: cell.recurrentBias, reversed: index % directions == 1, lengths: lengths)
      }
    }
    let tapeWidth = backwards[0].kind.tapeWidth(hidden: cellSize)

    // Forward, layer by layer, each by the network's own hoisted forward pass (with the lengths,
    // if any), keeping each layer's input and output (PyTorch's batch-major layout, which the
    // backward pass reads in place) and the tapes its gated cells record.
    // A padded batch's input may hold anything at the steps not run (NaN included): the forward
    // pass never reads it, and dW_ih's product reads it as zero (the layers' outputs are zero
    // there already). Zeroed once, here.
    var layerInputs = [lengths.map { input.zeroingPadding(lengths: $0, batch: batchSize) } ?? input]
    var tapes: [Matrix<Scalar>?] = []
    var finalState = Matrix<Scalar>.zeros(rows: stateRows, columns: hidden)
    var finalCells: Matrix<Scalar>? = mode == .lstm ? .zeros(rows: stateRows, columns: cellSize) : nil
    let layerRows = directions * batchSize
    func layerBlock(_ matrix: Matrix<Scalar>?, _ layer: Int) -> Matrix<Scalar>? {
      matrix?.rowBlock((layer * layerRows)..<((layer + 1) * layerRows))
    }
    func setRows(_ matrix: inout Matrix<Scalar>, _ firstRow: Int, _ value: Matrix<Scalar>) {
      matrix.withUnsafeMutableBufferPointer { m in
        value.withUnsafeBufferPointer { v in
          (m.baseAddress! + firstRow * value.columns).update(from: v.baseAddress!, count: v.count)
        }
      }
    }
    for layer in 0..<layers {
      var single = RecurrentNetwork(layer: layer, of: self)
      (single.backend, single.formulation) = (backend, .hoisted)
      let (result, layerTapes) = try single.forward(
        layerInputs[layer], batchSize: batchSize, lengths: lengths, batchFirst: false,
        initialState: layerBlock(initialState, layer), initialCell: layerBlock(initialCell, layer),
        tapeWidth: tapeWidth)
      for direction in 0..<directions { tapes.append(layerTapes.isEmpty ? nil : layerTapes[direction]) }
      setRows(&finalState, layer * layerRows, result.finalState)
      if let cn = result.finalCell { setRows(&finalCells!, layer * layerRows, cn) }
      layerInputs.append(result.output)
    }
    let output = Output(output: layerInputs[layers], finalState: finalState, finalCell: finalCells)
    let lossGradient = try loss(output)
    let (outputGradient, finalStateGradient, finalCellGradient) =
      (lossGradient.output, lossGradient.finalState, lossGradient.finalCell)
    guard outputGradient.rows == columns, outputGradient.columns == directions * hidden else {
      throw fail(
        "the output's gradient must be shaped like the output, (\(columns)×\(directions * hidden))",
        [outputGradient.shape])
    }
    for (name, matrix, width) in [
      ("h_n's gradient", finalStateGradient, hidden), ("c_n's gradient", finalCellGradient, cellSize),
    ] {
      guard let matrix else { continue }
      guard matrix.rows == stateRows, matrix.columns == width else {
        throw fail("\(name) must be (D·L·B × \(width)) = (\(stateRows)×\(width))", [matrix.shape])
      }
    }
    if mode != .lstm, finalCellGradient != nil { throw fail("only an LSTM has a cell state", []) }

    // Backward, layer by layer from the top, each layer's input gradient the output gradient of
    // the layer below (both directions' added).
    var parameters: [String: Matrix<Scalar>] = [:]
    var initialStateGradient = Matrix<Scalar>.zeros(rows: stateRows, columns: hidden)
    var initialCellGradient: Matrix<Scalar>? = mode == .lstm ? .zeros(rows: stateRows, columns: cellSize) : nil
    var above = outputGradient
    for layer in (0..<layers).reversed() {
      let x = layerInputs[layer]
      // Written by the first direction (not added to), every element.
      var below: Matrix<Scalar> = scratch.matrix(rows: x.rows, columns: x.columns)
      for direction in 0..<directions {
        let index = layer * directions + direction
        let result = backwards[index].gradients(
          x: x, output: layerInputs[layer + 1], column: direction * hidden, tape: tapes[index],
          h0: block(initialState, index) ?? .zeros(rows: batchSize, columns: hidden), batch: batchSize,
          outputGradient: above, finalState: block(finalStateGradient, index),
          finalCell: block(finalCellGradient, index), inputGradient: &below, accumulate: direction == 1,
          scratch: scratch, backend: backend)
        let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
        parameters["weight_ih" + suffix] = result.inputWeights
        parameters["weight_hh" + suffix] = result.recurrentWeights
        if let projection = result.projectionWeights { parameters["weight_hr" + suffix] = projection }
        if hasBias {
          parameters["bias_ih" + suffix] = result.inputBias
          // The LSTM's and the vanilla cell's one bias: both PyTorch biases get its gradient.
          parameters["bias_hh" + suffix] = result.recurrentBias
        }
        setRows(&initialStateGradient, index * batchSize, result.initialState)
        if let dc0 = result.initialCell { setRows(&initialCellGradient!, index * batchSize, dc0) }
      }
      // The gradient from above is scratch again (not the caller's), as are this layer's tapes.
      if layer != layers - 1 { scratch.keep(above) }
      for direction in 0..<directions {
        if let tape = tapes[layer * directions + direction] { scratch.keep(tape) }
        tapes[layer * directions + direction] = nil
      }
      above = below
    }
    let gradients = Gradients(
      parameters: parameters, input: above, initialState: initialStateGradient, initialCell: initialCellGradient)
    return (output, gradients)
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

  /// Rows `range` (all columns), a contiguous block of the storage, copied.
  func rowBlock(_ range: Range<Int>) -> Matrix {
    Matrix(
      rows: range.count, columns: columns,
      initializingEvery: { target in
        withUnsafeBufferPointer { source in
          guard let base = target.baseAddress else { return }
          base.update(from: source.baseAddress! + range.lowerBound * columns, count: target.count)
        }
      })
  }
}
