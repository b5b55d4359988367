import DenseMatrix
import RNN
import Testing
import _TestSupport

/// A network keeps its buffers between passes: every pass, whatever the passes before it were
/// (other shapes, padded or not, with or without initial states, other formulations), gives bit
/// for bit what the same pass gives on a network just built from the same weights.
@Suite("Recurrent network buffers reused between passes")
struct ScratchReuseTests {
  typealias Mode = RecurrentNetwork<Double>.Mode

  @Test(arguments: Mode.allCases)
  func everyPassAsOnAFreshNetwork(mode: Mode) throws {
    let (hidden, input, layers) = (6, 4, 2)
    let gates = mode == .lstm ? 4 : mode == .gru ? 3 : 1
    var rng = SeededGenerator(seed: UInt64(gates))
    var stateDict: [String: Matrix<Float>] = [:]
    for layer in 0..<layers {
      for suffix in ["", "_reverse"] {
        stateDict["weight_ih_l\(layer)\(suffix)"] = .randomNormal(
          rows: gates * hidden, columns: layer == 0 ? input : 2 * hidden, standardDeviation: 0.4, using: &rng)
        stateDict["weight_hh_l\(layer)\(suffix)"] = .randomNormal(
          rows: gates * hidden, columns: hidden, standardDeviation: 0.4, using: &rng)
        stateDict["bias_ih_l\(layer)\(suffix)"] = .randomNormal(rows: gates * hidden, columns: 1, using: &rng)
        stateDict["bias_hh_l\(layer)\(suffix)"] = .randomNormal(rows: gates * hidden, columns: 1, using: &rng)
      }
    }
    let networkMode = RecurrentNetwork<Float>.Mode(rawValue: mode.rawValue)!
    let reused = try RecurrentNetwork(stateDict: stateDict, mode: networkMode)
    // (B, T, lengths, initial states, formulation), in an order that reuses every kind of buffer.
    let passes: [(Int, Int, [Int]?, Bool, Formulation)] = [
      (3, 5, [5, 2, 4], true, .hoisted), (3, 5, nil, false, .hoisted), (3, 5, [1, 5, 3], false, .hoisted),
      (2, 7, nil, true, .hoisted), (3, 5, [5, 2, 4], false, .split), (3, 5, nil, true, .fused),
      (3, 5, [5, 2, 4], true, .hoisted), (2, 7, [7, 6], false, .hoisted),
    ]
    for (batch, steps, lengths, withStates, formulation) in passes {
      let x = Matrix<Float>.randomNormal(rows: steps * batch, columns: input, using: &rng)
      let rows = 2 * layers * batch
      let h0 = withStates ? Matrix<Float>.randomNormal(rows: rows, columns: hidden, using: &rng) : nil
      let c0 = withStates && mode == .lstm ? Matrix<Float>.randomNormal(rows: rows, columns: hidden, using: &rng) : nil
      var network = reused
      network.formulation = formulation
      var fresh = try RecurrentNetwork(stateDict: stateDict, mode: networkMode)
      fresh.formulation = formulation
      let got = try network.forward(x, batchSize: batch, lengths: lengths, initialState: h0, initialCell: c0)
      let want = try fresh.forward(x, batchSize: batch, lengths: lengths, initialState: h0, initialCell: c0)
      let what = "\(mode) B = \(batch) T = \(steps) lengths \(lengths ?? []) states \(withStates) \(formulation)"
      #expect(got.output == want.output, "\(what): output")
      #expect(got.finalState == want.finalState, "\(what): h_n")
      #expect(got.finalCell == want.finalCell, "\(what): c_n")
    }
  }
}
