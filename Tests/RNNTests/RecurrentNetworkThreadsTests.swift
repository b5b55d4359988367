import DenseMatrix
import RNN
import Testing
import _TestSupport

/// `RecurrentNetwork.threads`: a bidirectional layer's two directions on two threads give the
/// same output and final states, bit for bit, as one after the other, in every mode, with and
/// without initial states, for several layers.
@Suite("Recurrent network threads")
struct RecurrentNetworkThreadsTests {
  typealias Mode = RecurrentNetwork<Double>.Mode

  @Test(arguments: Mode.allCases, [1, 3])
  func twoThreadsGiveTheSameResultBitForBit(mode: Mode, layers: Int) throws {
    try check(Float.self, mode: mode, layers: layers)
    try check(Double.self, mode: mode, layers: layers)
  }

  private func check<Scalar: BLASScalar>(_: Scalar.Type, mode: Mode, layers: Int) throws {
    let (hidden, input, batch, steps) = (7, 5, 3, 9)
    let gates = mode == .lstm ? 4 : mode == .gru ? 3 : 1
    var rng = SeededGenerator(seed: UInt64(layers * 10 + gates))
    var stateDict: [String: Matrix<Scalar>] = [:]
    for layer in 0..<layers {
      for suffix in ["", "_reverse"] {
        let columns = layer == 0 ? input : 2 * hidden
        stateDict["weight_ih_l\(layer)\(suffix)"] = .randomNormal(
          rows: gates * hidden, columns: columns, standardDeviation: 0.4, using: &rng)
        stateDict["weight_hh_l\(layer)\(suffix)"] = .randomNormal(
          rows: gates * hidden, columns: hidden, standardDeviation: 0.4, using: &rng)
        stateDict["bias_ih_l\(layer)\(suffix)"] = .randomNormal(rows: gates * hidden, columns: 1, using: &rng)
        stateDict["bias_hh_l\(layer)\(suffix)"] = .randomNormal(rows: gates * hidden, columns: 1, using: &rng)
      }
    }
    var network = try RecurrentNetwork(
      stateDict: stateDict, mode: RecurrentNetwork<Scalar>.Mode(rawValue: mode.rawValue)!)
    let x = Matrix<Scalar>.randomNormal(rows: steps * batch, columns: input, using: &rng)
    let h0 = Matrix<Scalar>.randomNormal(rows: 2 * layers * batch, columns: hidden, using: &rng)
    let c0 = mode == .lstm ? Matrix<Scalar>.randomNormal(rows: 2 * layers * batch, columns: hidden, using: &rng) : nil
    // Every vector path, forced for the caller's scope: the directions' threads must run it too.
    for (formulation, path) in [Formulation.hoisted, .fused, .split].flatMap({ f in
      ActivationPath.supported.map { (f, $0) }
    }) {
      network.formulation = formulation
      network.threads = 1
      let one = try withActivationPath(path) {
        try network.forward(x, batchSize: batch, initialState: h0, initialCell: c0)
      }
      network.threads = 2
      let two = try withActivationPath(path) {
        try network.forward(x, batchSize: batch, initialState: h0, initialCell: c0)
      }
      #expect(one.output == two.output, "\(mode) \(formulation) \(path): outputs differ")
      #expect(one.finalState == two.finalState, "\(mode) \(formulation) \(path): h_n differs")
      #expect(one.finalCell == two.finalCell, "\(mode) \(formulation) \(path): c_n differs")
      let zero = try network.forward(x, batchSize: batch)
      network.threads = 1
      #expect(try network.forward(x, batchSize: batch).output == zero.output)
    }
  }
}
