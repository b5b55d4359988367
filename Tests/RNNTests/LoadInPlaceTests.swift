import DenseMatrix
import RNN
import Testing
import _TestSupport

/// `RecurrentNetwork.load(stateDict:)` overwrites the cells' own buffers when the names and
/// shapes are the network's: the loaded network computes exactly what a network made from the
/// same tensors computes (its summed biases, joined weights and packed copies made again), in
/// every formulation, on both backends, at a batch of one (the one-column packed layout) and a batch whose `W_hh`
/// takes the packed panels; and a copy made before the load keeps its weights, packed copies
/// included.
@Suite("Loading weights in place")
struct LoadInPlaceTests {
  /// A mode, with an LSTM's projection size (0: none).
  struct Case: CustomTestStringConvertible, Sendable {
    let mode: RecurrentNetwork<Float>.Mode
    let projection: Int
    var testDescription: String { projection > 0 ? "\(mode) proj_size \(projection)" : "\(mode)" }
  }

  static let cases = [
    Case(mode: .lstm, projection: 0), Case(mode: .lstm, projection: 24), Case(mode: .gru, projection: 0),
    Case(mode: .rnnTanh, projection: 0),
  ]

  @Test(arguments: cases, [(Backend.blas, 1), (.blas, 16), (.packed, 1), (.packed, 16)])
  func loadedEqualsMade(_ test: Case, run: (backend: Backend, batch: Int)) throws {
    let (backend, batch) = run
    var rng = SeededGenerator(seed: 11)
    // B = 1 takes the one-column layout from 4 KiB of W_hh on; B = 16 the panels from 128 KiB.
    let (hidden, input, steps) = (batch == 1 ? 32 : 192, 8, 3)
    func weights(bias: Bool = true) -> [String: Matrix<Float>] {
      randomStateDict(
        gates: test.mode.gateCount, hidden: hidden, input: input, layers: 2, bidirectional: true, bias: bias,
        standardDeviation: 0.2, projection: test.projection, using: &rng
      ).mapValues { Matrix(converting: $0) }
    }
    let (first, second) = (weights(), weights())
    // A 1 × n bias is taken as its n values, as a new network takes it.
    let reshaped = second.mapValues { $0.columns == 1 ? $0.reshaped(rows: 1, columns: $0.rows) : $0 }
    let x = Matrix<Float>.randomNormal(rows: steps * batch, columns: input, using: &rng)
    // Every formulation's output and h_n (the fused one reads the joined weights).
    func output(_ network: RecurrentNetwork<Float>) throws -> Matrix<Float> {
      var parts: [Matrix<Float>] = []
      for formulation in [Formulation.hoisted, .split, .fused] {
        var network = network
        network.formulation = formulation
        let result = try network.forward(x, batchSize: batch)
        parts += [result.output, result.finalState].map { $0.reshaped(rows: $0.count, columns: 1) }
      }
      return vstack(parts)
    }

    // Deep copies: the state dicts a network was made from or loaded must not change either.
    let (firstScalars, secondScalars) = (
      first.mapValues { $0.scalars.map { $0 } }, reshaped.mapValues { $0.scalars.map { $0 } }
    )
    var network = try RecurrentNetwork(stateDict: first, mode: test.mode, backend: backend)
    let before = try output(network)  // packs W_hh where the backend's rule says so
    let copy = network
    try network.load(stateDict: reshaped)
    let made = try RecurrentNetwork(stateDict: second, mode: test.mode, backend: backend)
    #expect(try output(network) == output(made))
    #expect(try output(copy) == before)
    // Loaded again, now the only owner of its buffers: back to the first weights exactly.
    try network.load(stateDict: first)
    #expect(try output(network) == before)
    try network.load(stateDict: second)
    #expect(try output(network) == output(made))
    #expect(try output(copy) == before)
    let unchanged = (first.mapValues(\.scalars) == firstScalars, reshaped.mapValues(\.scalars) == secondScalars)
    #expect(unchanged.0, "the state dict the network was made from changed")
    #expect(unchanged.1, "the state dict the network loaded changed")
  }

  /// A state dict with other names or shapes is not loaded in place: it is checked as a new
  /// network's would be, and a refused one leaves the network as it was.
  @Test func otherTensorsAreCheckedAsNew() throws {
    var rng = SeededGenerator(seed: 12)
    let weights = randomStateDict(
      gates: 3, hidden: 6, input: 4, layers: 1, bidirectional: false, bias: true, standardDeviation: 0.3, using: &rng
    ).mapValues { Matrix<Float>(converting: $0) }
    var network = try RecurrentNetwork(stateDict: weights)
    let x = Matrix<Float>.randomNormal(rows: 8, columns: 4, using: &rng)
    let before = try network.forward(x, batchSize: 2).output
    var extra = weights
    extra["head.weight"] = .zeros(rows: 1, columns: 6)
    #expect(throws: RecurrentNetworkError.self) { try network.load(stateDict: extra) }
    var wrongBias = weights
    wrongBias["bias_hh_l0"] = .zeros(rows: 17, columns: 1)
    #expect(throws: RecurrentNetworkError.self) { try network.load(stateDict: wrongBias) }
    #expect(try network.forward(x, batchSize: 2).output == before)
  }
}
