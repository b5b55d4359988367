import DenseMatrix
import RNN
import RNNTraining
import Testing
import _TestSupport

/// `RecurrentNetwork.gradients(…, into:)` writes into a `TrainingPass` kept from step to step:
/// its results are exactly the value form's, pass after pass, whatever the pass before left in
/// the buffers (other shapes, a padded batch, other states), and a result the caller kept is
/// not written over.
@Suite("Training passes reused")
struct TrainingPassTests {
  /// A network shape: mode, layers, directions, projection.
  struct Case: CustomTestStringConvertible, Sendable {
    let mode: RecurrentNetwork<Double>.Mode
    let layers: Int
    let bidirectional: Bool
    let projection: Int
    var testDescription: String {
      "\(mode) L=\(layers)\(bidirectional ? " bidirectional" : "")\(projection > 0 ? " proj_size \(projection)" : "")"
    }
  }

  static let cases = [
    Case(mode: .lstm, layers: 2, bidirectional: true, projection: 0),
    Case(mode: .lstm, layers: 1, bidirectional: false, projection: 3),
    Case(mode: .gru, layers: 2, bidirectional: true, projection: 0),
    Case(mode: .rnnTanh, layers: 3, bidirectional: false, projection: 0),
    Case(mode: .rnnReLU, layers: 1, bidirectional: true, projection: 0),
  ]

  @Test(arguments: cases)
  func reusedPassEqualsValueForm(_ test: Case) throws {
    var rng = SeededGenerator(seed: 21)
    let (hidden, input, steps) = (5, 4, 3)
    let weights = randomStateDict(
      gates: test.mode.gateCount, hidden: hidden, input: input, layers: test.layers,
      bidirectional: test.bidirectional, bias: true, standardDeviation: 0.4, projection: test.projection,
      using: &rng)
    let network = try RecurrentNetwork(stateDict: weights, mode: test.mode)
    let (width, stateRows) = (network.directionCount * network.outputSize, network.directionCount * test.layers)
    var pass = RecurrentNetwork<Double>.TrainingPass()
    var dOutput = Matrix<Double>.zeros(rows: 0, columns: 0)
    // Batches of 4, 2 and 4 sequences again, padded or not, with or without initial states: each
    // pass's buffers are left with other shapes or other contents for the next.
    for (round, (batch, lengths, states)) in [
      (4, nil, false), (4, [3, 1, 2, 3], true), (2, nil, true), (4, nil, false), (4, [2, 3, 3, 1], false),
    ].enumerated() {
      let x = Matrix<Double>.randomNormal(rows: steps * batch, columns: input, using: &rng)
      let targets = Matrix<Double>.randomNormal(rows: steps * batch, columns: width, using: &rng)
      let h0: Matrix<Double>? =
        states ? .randomNormal(rows: stateRows * batch, columns: network.outputSize, using: &rng) : nil
      let c0: Matrix<Double>? =
        states && test.mode == .lstm ? .randomNormal(rows: stateRows * batch, columns: hidden, using: &rng) : nil
      let kept = pass
      var reusedLoss = 0.0
      try network.gradients(
        x, batchSize: batch, lengths: lengths, initialState: h0, initialCell: c0, into: &pass
      ) { (output) throws(ShapeError) in
        reusedLoss = try MSELoss()(output.output, targets, gradient: &dOutput)
        return .init(output: dOutput)
      }
      var valueLoss = 0.0
      let (output, gradients) = try network.gradients(
        x, batchSize: batch, lengths: lengths, initialState: h0, initialCell: c0
      ) { (output) throws(ShapeError) in
        let (loss, gradient) = try MSELoss()(output.output, targets)
        valueLoss = loss
        return .init(output: gradient)
      }
      #expect(reusedLoss == valueLoss, "round \(round)")
      #expect(pass.output.output == output.output, "round \(round)")
      #expect(pass.output.finalState == output.finalState, "round \(round)")
      #expect(pass.output.finalCell == output.finalCell, "round \(round)")
      #expect(pass.gradients.parameters == gradients.parameters, "round \(round)")
      #expect(pass.gradients.input == gradients.input, "round \(round)")
      #expect(pass.gradients.initialState == gradients.initialState, "round \(round)")
      #expect(pass.gradients.initialCell == gradients.initialCell, "round \(round)")
      #expect(Set(pass.gradients.parameters.keys) == Set(weights.keys))
      // The copy taken before this pass still holds the pass before's results.
      if round > 0 {
        #expect(kept.output.output.rows == steps * [4, 4, 2, 4, 4][round - 1])
        #expect(kept.output.output != pass.output.output)
      }
    }
  }

  /// A loss that throws leaves the pass with no results, and the next pass runs as usual.
  @Test func aThrowingLossLeavesNoResults() throws {
    var rng = SeededGenerator(seed: 22)
    let weights = randomStateDict(
      gates: 3, hidden: 4, input: 2, layers: 1, bidirectional: false, bias: true, standardDeviation: 0.4, using: &rng)
    let network = try RecurrentNetwork(stateDict: weights)
    let x = Matrix<Double>.randomNormal(rows: 6, columns: 2, using: &rng)
    var pass = RecurrentNetwork<Double>.TrainingPass()
    try network.gradients(x, batchSize: 2, into: &pass) { .init(output: $0.output) }
    #expect(pass.gradients.parameters.count == 4)
    #expect(throws: ShapeError.self) {
      try network.gradients(x, batchSize: 2, into: &pass) { output throws(ShapeError) in
        _ = try MSELoss()(output.output, Matrix<Double>.zeros(rows: 1, columns: 1))
        return .init(output: output.output)
      }
    }
    #expect(pass.gradients.parameters.isEmpty)
    #expect(pass.output.output.count == 0)
    try network.gradients(x, batchSize: 2, into: &pass) { .init(output: $0.output) }
    let (_, gradients) = try network.gradients(x, batchSize: 2) { .init(output: $0.output) }
    #expect(pass.gradients.parameters == gradients.parameters)
  }

  /// A pass reused with another network holds that network's gradients only.
  @Test func aPassReusedWithAnotherNetwork() throws {
    var rng = SeededGenerator(seed: 25)
    func network(bias: Bool, projection: Int) throws -> RecurrentNetwork<Double> {
      try RecurrentNetwork(
        stateDict: randomStateDict(
          gates: 4, hidden: 4, input: 2, layers: 1, bidirectional: false, bias: bias, standardDeviation: 0.4,
          projection: projection, using: &rng))
    }
    let x = Matrix<Double>.randomNormal(rows: 6, columns: 2, using: &rng)
    var pass = RecurrentNetwork<Double>.TrainingPass()
    for (bias, projection) in [(true, 2), (false, 0), (true, 0)] {
      let lstm = try network(bias: bias, projection: projection)
      try lstm.gradients(x, batchSize: 2, into: &pass) { .init(output: $0.output) }
      let (_, gradients) = try lstm.gradients(x, batchSize: 2) { .init(output: $0.output) }
      #expect(pass.gradients.parameters == gradients.parameters)
    }
  }

  /// With no steps (T = 0) the final states are the initial ones, zero without: also in a pass
  /// whose buffers held another pass's states.
  @Test(arguments: [RecurrentNetwork<Double>.Mode.lstm, .gru])
  func noStepsAfterAPassWithStates(_ mode: RecurrentNetwork<Double>.Mode) throws {
    var rng = SeededGenerator(seed: 24)
    let weights = randomStateDict(
      gates: mode.gateCount, hidden: 3, input: 2, layers: 2, bidirectional: true, bias: true, standardDeviation: 0.4,
      using: &rng)
    let network = try RecurrentNetwork(stateDict: weights, mode: mode)
    var pass = RecurrentNetwork<Double>.TrainingPass()
    let h0 = Matrix<Double>.randomNormal(rows: 8, columns: 3, using: &rng)
    let c0: Matrix<Double>? = mode == .lstm ? .randomNormal(rows: 8, columns: 3, using: &rng) : nil
    let x = Matrix<Double>.randomNormal(rows: 4, columns: 2, using: &rng)
    try network.gradients(x, batchSize: 2, initialState: h0, initialCell: c0, into: &pass) { .init(output: $0.output) }
    try network.gradients(.zeros(rows: 0, columns: 2), batchSize: 2, into: &pass) { .init(output: $0.output) }
    #expect(pass.output.finalState == .zeros(rows: 8, columns: 3))
    #expect(pass.output.finalCell == (mode == .lstm ? .zeros(rows: 8, columns: 3) : nil))
    try network.gradients(.zeros(rows: 0, columns: 2), batchSize: 2, initialState: h0, into: &pass) {
      .init(output: $0.output)
    }
    #expect(pass.output.finalState == h0)
  }

  /// The loss written into a reused gradient equals the value form's; a gradient of another
  /// shape is replaced, and a refused target leaves it as it was.
  @Test func mseLossIntoABuffer() throws {
    var rng = SeededGenerator(seed: 23)
    let output = Matrix<Float>.randomNormal(rows: 5, columns: 3, using: &rng)
    let target = Matrix<Float>.randomNormal(rows: 5, columns: 3, using: &rng)
    for reduction in MSELoss.Reduction.allCases {
      let loss = MSELoss(reduction: reduction)
      let (value, gradient) = try loss(output, target)
      var buffer = Matrix<Float>.zeros(rows: 2, columns: 2)
      #expect(try loss(output, target, gradient: &buffer) == value)
      #expect(buffer == gradient)
      let kept = buffer
      #expect(try loss(output, target, gradient: &buffer) == value)
      #expect(buffer == gradient && kept == gradient)
      #expect(throws: ShapeError.self) {
        _ = try loss(output, Matrix<Float>.zeros(rows: 3, columns: 5), gradient: &buffer)
      }
      #expect(buffer == gradient)
    }
  }
}
