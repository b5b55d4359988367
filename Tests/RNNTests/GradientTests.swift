import DenseMatrix
import RNN
import Testing
import _TestSupport

/// `RecurrentNetwork.gradients` against central finite differences of the forward pass, in
/// Float64: every mode, 1–3 layers, one and two directions, with and without biases, with
/// initial states, for every parameter, the input and the initial states.
@Suite("Gradients through time")
struct GradientTests {
  struct Configuration: CustomTestStringConvertible, Sendable {
    var mode: RecurrentNetwork<Double>.Mode
    var layers: Int
    var bidirectional: Bool
    var bias: Bool
    var formulation: Formulation = .hoisted
    /// Each sequence's length (a padded batch), or `nil`.
    var lengths: [Int]? = nil
    /// B when there are no lengths: 2 takes the steps' gathered gates, 1 the transposed
    /// projection's layout, 8 the gates in place in the projection (whole vectors on every path).
    var batch = 2
    /// An LSTM's `proj_size` P (0: none).
    var projection = 0
    var testDescription: String {
      "\(mode) L=\(layers)\(bidirectional ? " bidirectional" : "")\(bias ? "" : " no bias") \(formulation)"
        + (lengths.map { " lengths \($0)" } ?? (batch == 2 ? "" : " B=\(batch)"))
        + (projection > 0 ? " proj_size \(projection)" : "")
    }
  }

  static let configurations: [Configuration] =
    RecurrentNetwork<Double>.Mode.allCases.flatMap { mode in
      [
        Configuration(mode: mode, layers: 1, bidirectional: false, bias: true),
        Configuration(mode: mode, layers: 2, bidirectional: true, bias: true),
        Configuration(mode: mode, layers: 1, bidirectional: true, bias: false),
        Configuration(mode: mode, layers: 3, bidirectional: false, bias: true, formulation: .split),
        Configuration(mode: mode, layers: 2, bidirectional: true, bias: true, lengths: [2, 3, 1]),
        Configuration(mode: mode, layers: 1, bidirectional: true, bias: true, batch: 1),
        Configuration(mode: mode, layers: 1, bidirectional: true, bias: true, batch: 8),
        Configuration(mode: mode, layers: 1, bidirectional: true, bias: true, lengths: [3, 1, 2, 3, 3, 2, 1, 3]),
      ]
    } + [
      Configuration(mode: .lstm, layers: 2, bidirectional: true, bias: true, formulation: .fused),
      Configuration(mode: .lstm, layers: 1, bidirectional: false, bias: true, projection: 3),
      Configuration(mode: .lstm, layers: 2, bidirectional: true, bias: true, projection: 2),
      Configuration(mode: .lstm, layers: 2, bidirectional: true, bias: false, lengths: [2, 3, 1], projection: 3),
      Configuration(mode: .lstm, layers: 1, bidirectional: true, bias: true, batch: 8, projection: 3),
    ]

  @Test(arguments: configurations)
  func gradientsMatchFiniteDifferences(_ configuration: Configuration) throws {
    var rng = SeededGenerator(seed: 42)
    let (hidden, input, steps) = (4, 3, 3)
    let batch = configuration.lengths?.count ?? configuration.batch
    let gates = configuration.mode.gateCount
    let directions = configuration.bidirectional ? 2 : 1
    let stateDict = randomStateDict(
      gates: gates, hidden: hidden, input: input, layers: configuration.layers,
      bidirectional: configuration.bidirectional, bias: configuration.bias, standardDeviation: 0.5,
      projection: configuration.projection, using: &rng)
    let stateRows = directions * configuration.layers * batch
    let isLSTM = configuration.mode == .lstm
    // h's size: P with a projection.
    let stateSize = configuration.projection > 0 ? configuration.projection : hidden
    let x = Matrix<Double>.randomNormal(rows: steps * batch, columns: input, using: &rng)
    let h0 = Matrix<Double>.randomNormal(rows: stateRows, columns: stateSize, standardDeviation: 0.5, using: &rng)
    let c0 = Matrix<Double>.randomNormal(rows: stateRows, columns: hidden, standardDeviation: 0.5, using: &rng)
    // L = Σ output ⊙ A + Σ h_n ⊙ B (+ Σ c_n ⊙ C): its gradients are A, B, C.
    let a = Matrix<Double>.randomNormal(rows: steps * batch, columns: directions * stateSize, using: &rng)
    let b = Matrix<Double>.randomNormal(rows: stateRows, columns: stateSize, using: &rng)
    let c = Matrix<Double>.randomNormal(rows: stateRows, columns: hidden, using: &rng)
    func loss(
      _ stateDict: [String: Matrix<Double>], _ x: Matrix<Double>, _ h0: Matrix<Double>, _ c0: Matrix<Double>
    )
      throws -> Double
    {
      let network = try RecurrentNetwork(
        stateDict: stateDict, mode: configuration.mode, formulation: configuration.formulation)
      let result = try network.forward(
        x, batchSize: batch, lengths: configuration.lengths, initialState: h0, initialCell: isLSTM ? c0 : nil)
      var total = (result.output * a).sum() + (result.finalState * b).sum()
      if let cn = result.finalCell { total += (cn * c).sum() }
      return total
    }
    let network = try RecurrentNetwork(
      stateDict: stateDict, mode: configuration.mode, formulation: configuration.formulation)
    let (output, gradients) = try network.gradients(
      x, batchSize: batch, lengths: configuration.lengths, initialState: h0, initialCell: isLSTM ? c0 : nil,
      outputGradient: a,
      finalStateGradient: b, finalCellGradient: isLSTM ? c : nil)
    // The pass's own output is the forward pass's.
    let forward = try network.forward(
      x, batchSize: batch, lengths: configuration.lengths, initialState: h0, initialCell: isLSTM ? c0 : nil)
    #expect(allclose(output.output, forward.output, rtol: 1e-12, atol: 1e-12))
    #expect(allclose(output.finalState, forward.finalState, rtol: 1e-12, atol: 1e-12))
    if let cn = forward.finalCell { #expect(allclose(output.finalCell!, cn, rtol: 1e-12, atol: 1e-12)) }
    #expect(Set(gradients.parameters.keys) == Set(stateDict.keys))

    let epsilon = 1e-6
    func expectClose(_ analytic: Matrix<Double>, _ numeric: Matrix<Double>, _ name: String) {
      let scale = max(numeric.scalars.map(abs).max() ?? 0, 1e-3)
      let error = zip(analytic.scalars, numeric.scalars).map { abs($0 - $1) }.max() ?? 0
      #expect(error <= 1e-6 * scale, "\(configuration.testDescription) \(name): max |Δ| \(error), scale \(scale)")
    }
    func numeric(_ matrix: Matrix<Double>, _ evaluate: (Matrix<Double>) throws -> Double) rethrows -> Matrix<Double> {
      var result = Matrix<Double>.zeros(rows: matrix.rows, columns: matrix.columns)
      for r in 0..<matrix.rows {
        for col in 0..<matrix.columns {
          var plus = matrix
          plus[r, col] += epsilon
          var minus = matrix
          minus[r, col] -= epsilon
          result[r, col] = (try evaluate(plus) - (try evaluate(minus))) / (2 * epsilon)
        }
      }
      return result
    }
    for (name, value) in stateDict.sorted(by: { $0.key < $1.key }) {
      let fd = try numeric(value) { changed in
        var perturbed = stateDict
        perturbed[name] = changed
        return try loss(perturbed, x, h0, c0)
      }
      let analytic = gradients.parameters[name]!.reshaped(rows: value.rows, columns: value.columns)
      expectClose(analytic, fd, name)
    }
    expectClose(gradients.input, try numeric(x) { try loss(stateDict, $0, h0, c0) }, "input")
    expectClose(gradients.initialState, try numeric(h0) { try loss(stateDict, x, $0, c0) }, "h_0")
    if isLSTM {
      expectClose(gradients.initialCell!, try numeric(c0) { try loss(stateDict, x, h0, $0) }, "c_0")
    } else {
      #expect(gradients.initialCell == nil)
    }
  }

  @Test func shapesAreChecked() throws {
    var rng = SeededGenerator(seed: 1)
    let network = try RecurrentNetwork(stateDict: [
      "weight_ih_l0": Matrix<Double>.randomNormal(rows: 12, columns: 3, using: &rng),
      "weight_hh_l0": Matrix<Double>.randomNormal(rows: 12, columns: 4, using: &rng),
    ])
    let x = Matrix<Double>.zeros(rows: 6, columns: 3)
    #expect(throws: ShapeError.self) {
      _ = try network.gradients(x, batchSize: 2, outputGradient: .zeros(rows: 6, columns: 5))
    }
    #expect(throws: ShapeError.self) {
      _ = try network.gradients(
        x, batchSize: 2, outputGradient: .zeros(rows: 6, columns: 4), finalCellGradient: .zeros(rows: 2, columns: 4))
    }
    #expect(throws: ShapeError.self) {
      _ = try network.gradients(x, batchSize: 4, outputGradient: .zeros(rows: 6, columns: 4))
    }
  }

  /// A network's buffers are reused from pass to pass (and across `load(stateDict:)`): a padded
  /// batch after a full one (whose tapes and deltas are left dirty in the pool), and a step on
  /// loaded weights, give exactly what a fresh network gives.
  @Test(arguments: [RecurrentNetwork<Float>.Mode.lstm, .gru, .rnnTanh])
  func reusedBuffersChangeNothing(_ mode: RecurrentNetwork<Float>.Mode) throws {
    var rng = SeededGenerator(seed: 7)
    let (hidden, input, steps, batch) = (5, 3, 4, 16)
    func weights() -> [String: Matrix<Float>] {
      randomStateDict(
        gates: mode.gateCount, hidden: hidden, input: input, layers: 2, bidirectional: true, bias: true,
        standardDeviation: 0.5, using: &rng
      ).mapValues { Matrix(converting: $0) }
    }
    let (first, second) = (weights(), weights())
    let x = Matrix<Float>.randomNormal(rows: steps * batch, columns: input, using: &rng)
    let a = Matrix<Float>.randomNormal(rows: steps * batch, columns: 2 * hidden, using: &rng)
    let lengths = (0..<batch).map { 1 + $0 % steps }
    var network = try RecurrentNetwork(stateDict: first, mode: mode)
    _ = try network.gradients(x, batchSize: batch, outputGradient: a)
    let padded = try network.gradients(x, batchSize: batch, lengths: lengths, outputGradient: a)
    let fresh = try RecurrentNetwork(stateDict: first, mode: mode).gradients(
      x, batchSize: batch, lengths: lengths, outputGradient: a)
    #expect(padded.output.output == fresh.output.output)
    #expect(padded.gradients.parameters == fresh.gradients.parameters)
    #expect(padded.gradients.input == fresh.gradients.input)

    try network.load(stateDict: second)
    let loaded = try network.gradients(x, batchSize: batch, outputGradient: a)
    let made = try RecurrentNetwork(stateDict: second, mode: mode).gradients(x, batchSize: batch, outputGradient: a)
    #expect(loaded.output.output == made.output.output)
    #expect(loaded.gradients.parameters == made.gradients.parameters)
    #expect(loaded.gradients.initialState == made.gradients.initialState)
  }

  /// `load(stateDict:)` takes only the network's own names and shapes, and a refused state dict
  /// leaves the network as it was.
  @Test func loadRefusesAnotherNetwork() throws {
    var rng = SeededGenerator(seed: 8)
    let weights = randomStateDict(
      gates: 4, hidden: 4, input: 3, layers: 1, bidirectional: false, bias: true, standardDeviation: 0.5, using: &rng
    ).mapValues { Matrix<Float>(converting: $0) }
    var network = try RecurrentNetwork(stateDict: weights)
    let x = Matrix<Float>.randomNormal(rows: 6, columns: 3, using: &rng)
    let before = try network.forward(x, batchSize: 2).output
    let wider = randomStateDict(
      gates: 4, hidden: 5, input: 3, layers: 1, bidirectional: false, bias: true, standardDeviation: 0.5, using: &rng
    ).mapValues { Matrix<Float>(converting: $0) }
    #expect(throws: RecurrentNetworkError.self) { try network.load(stateDict: wider) }
    var twoLayers = weights
    twoLayers["weight_ih_l1"] = .zeros(rows: 16, columns: 4)
    twoLayers["weight_hh_l1"] = .zeros(rows: 16, columns: 4)
    twoLayers["bias_ih_l1"] = .zeros(rows: 16, columns: 1)
    twoLayers["bias_hh_l1"] = .zeros(rows: 16, columns: 1)
    #expect(throws: RecurrentNetworkError.self) { try network.load(stateDict: twoLayers) }
    var noBias = weights
    noBias["bias_ih_l0"] = nil
    noBias["bias_hh_l0"] = nil
    #expect(throws: RecurrentNetworkError.self) { try network.load(stateDict: noBias) }
    #expect(try network.forward(x, batchSize: 2).output == before)
  }

  /// The gate-gradient kernels round each product on its own, in the order the header states,
  /// so every activation path (the portable one, AVX2, AVX-512, as this CPU has them) gives what
  /// the formulas give one unit at a time in Swift, bit for bit: units that fill whole vectors
  /// and a tail, every cell.
  @Test(arguments: [
    GateGradientCell.lstm, .gru, .vanilla(.tanh), .vanilla(.sigmoid), .vanilla(.relu), .vanilla(.identity),
  ])
  func gateGradientKernelsFollowTheFormulas(_ cell: GateGradientCell) {
    var rng = SeededGenerator(seed: 9)
    let h = 37
    func values(_ count: Int) -> [Float] { Matrix<Float>.randomNormal(rows: count, columns: 1, using: &rng).scalars }
    let (tape, state, previous, hnBias, ds) = (values(6 * h), values(h), values(h), values(h), values(h))
    let (carry0, cellCarry0) = (values(h), values(h))
    // The reference, one unit at a time.
    var (carry, cellCarry) = (carry0, cellCarry0)
    var (delta, recurrentDelta) = ([Float](repeating: 0, count: 4 * h), [Float](repeating: 0, count: 3 * h))
    for r in 0..<h {
      let dh = ds[r] + carry[r]
      let gate = { (k: Int) in tape[k * h + r] }
      switch cell {
      case .lstm:
        let (i, f, g, o, before, tanhC) = (gate(0), gate(1), gate(2), gate(3), gate(4), gate(5))
        let dc = cellCarry[r] + dh * o * (1 - tanhC * tanhC)
        (delta[r], delta[h + r]) = (dc * g * i * (1 - i), dc * before * f * (1 - f))
        (delta[2 * h + r], delta[3 * h + r]) = (dc * i * (1 - g * g), dh * tanhC * o * (1 - o))
        (cellCarry[r], carry[r]) = (dc * f, 0)
      case .gru:
        let (rg, z, n, hn) = (gate(0), gate(1), gate(2), gate(3) + hnBias[r])
        let dn = dh * (1 - z) * (1 - n * n)
        let dz = dh * (previous[r] - n) * z * (1 - z)
        let dr = dn * hn * rg * (1 - rg)
        (delta[r], delta[h + r], delta[2 * h + r]) = (dr, dz, dn)
        (recurrentDelta[r], recurrentDelta[h + r], recurrentDelta[2 * h + r]) = (dr, dz, dn * rg)
        carry[r] = dh * z
      case .vanilla(let activation):
        let s = state[r]
        delta[r] =
          switch activation {
          case .tanh: dh * (1 - s * s)
          case .sigmoid: dh * (s * (1 - s))
          case .relu: s > 0 ? dh : 0
          case .identity: dh
          }
        carry[r] = 0
      }
    }
    for path in ActivationPath.supported {
      var (kernelCarry, kernelCellCarry) = (carry0, cellCarry0)
      var (kernelDelta, kernelRecurrent) = ([Float](repeating: 0, count: 4 * h), [Float](repeating: 0, count: 3 * h))
      kernelCarry.withUnsafeMutableBufferPointer { carry in
        kernelCellCarry.withUnsafeMutableBufferPointer { cellCarry in
          kernelDelta.withUnsafeMutableBufferPointer { delta in
            kernelRecurrent.withUnsafeMutableBufferPointer { recurrent in
              Float._gateGradients(
                cell, path: path, hidden: h, tape: tape, state: state, previous: previous, hnBias: hnBias, ds: ds,
                carry: carry.baseAddress!, cellCarry: cellCarry.baseAddress!, delta: delta.baseAddress!,
                recurrentDelta: recurrent.baseAddress!)
            }
          }
        }
      }
      #expect(kernelDelta == delta, "\(path)")
      #expect(kernelCarry == carry, "\(path)")
      if cell == .lstm { #expect(kernelCellCarry == cellCarry, "\(path)") }
      if cell == .gru { #expect(kernelRecurrent == recurrentDelta, "\(path)") }
    }
  }

  /// A padded batch's padding is never read: NaN in the input's and the output gradient's
  /// padded rows changes no gradient (also with a projection, and with buffers left dirty by a
  /// pass before).
  @Test(arguments: [(RecurrentNetwork<Double>.Mode.lstm, 0), (.lstm, 2), (.gru, 0), (.rnnTanh, 0)])
  func paddingIsNeverRead(_ mode: RecurrentNetwork<Double>.Mode, _ projection: Int) throws {
    var rng = SeededGenerator(seed: 11)
    let (hidden, input, steps, lengths) = (4, 3, 4, [4, 1, 3])
    let batch = lengths.count
    let network = try RecurrentNetwork(
      stateDict: randomStateDict(
        gates: mode.gateCount, hidden: hidden, input: input, layers: 2, bidirectional: true, bias: true,
        standardDeviation: 0.5, projection: projection, using: &rng),
      mode: mode)
    let width = 2 * (projection > 0 ? projection : hidden)
    let x = Matrix<Double>.randomNormal(rows: steps * batch, columns: input, using: &rng)
    let a = Matrix<Double>.randomNormal(rows: steps * batch, columns: width, using: &rng)
    func padded(_ matrix: Matrix<Double>, with value: Double) -> Matrix<Double> {
      var result = matrix
      for t in 0..<steps {
        for b in 0..<batch where t >= lengths[b] {
          for column in 0..<matrix.columns { result[t * batch + b, column] = value }
        }
      }
      return result
    }
    let clean = try network.gradients(
      padded(x, with: 0), batchSize: batch, lengths: lengths, outputGradient: padded(a, with: 0))
    let dirty = try network.gradients(
      padded(x, with: .nan), batchSize: batch, lengths: lengths, outputGradient: padded(a, with: .nan))
    #expect(dirty.gradients.parameters == clean.gradients.parameters)
    #expect(dirty.gradients.initialState == clean.gradients.initialState)
    // The input's gradient at a step not run is zero.
    #expect(padded(dirty.gradients.input, with: 0) == dirty.gradients.input)
    #expect(dirty.output.output == clean.output.output)
  }
}
