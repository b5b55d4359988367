import DenseMatrix
import RNN
import Testing
import _TestSupport

/// The `.packed` backend against `.blas` in every cell and formulation, at batches the packed
/// kernel takes (32: whole tiles on every path; 48: on the AVX2 and baseline paths, and BLAS on
/// AVX-512's), on every vector path this CPU runs, and through a bidirectional network.
@Suite("Packed backend")
struct PackedBackendTests {
  @Test(arguments: scalarTypes, ActivationPath.supported)
  func cellsAgreeWithBLAS(type: any BLASScalar.Type, path: ActivationPath) throws {
    switch type {
    case is Float.Type: try check(Float.self, path: path)
    default: try check(Double.self, path: path)
    }
  }

  private func check<Scalar: BLASScalar>(_: Scalar.Type, path: ActivationPath) throws {
    var rng = SeededGenerator(seed: 3)
    let (hidden, input, steps) = (19, 6, 5)
    func weights(_ gates: Int, _ columns: Int) -> Matrix<Scalar> {
      .randomNormal(rows: gates * hidden, columns: columns, standardDeviation: 0.3, using: &rng)
    }
    let lstm = try LSTMCell(
      inputWeights: weights(4, input), recurrentWeights: weights(4, hidden), inputBias: weights(4, 1))
    let gru = try GRUCell(
      inputWeights: weights(3, input), recurrentWeights: weights(3, hidden), inputBias: weights(3, 1))
    let rnn = try RNNCell(
      inputWeights: weights(1, input), recurrentWeights: weights(1, hidden), inputBias: weights(1, 1))
    let tolerance = Scalar(Scalar.self == Float.self ? 1e-4 : 1e-12)
    func agree<Cell: RecurrentCell>(_ cell: Cell, batch: Int) where Cell.Scalar == Scalar {
      let inputs = Matrix<Scalar>.randomNormal(rows: input, columns: steps * batch, using: &rng)
      for formulation in [Formulation.hoisted, .split, .fused] {
        func run(_ backend: Backend) -> Matrix<Scalar> {
          var bound = cell
          bound.backend = backend
          var workspace = bound.makeWorkspace(batchSize: batch)
          var states = Matrix<Scalar>.zeros(rows: hidden, columns: steps * batch)
          withActivationPath(path) {
            bound.forward(inputs: inputs, into: &workspace, states: &states, formulation: formulation, reversed: false)
          }
          return states
        }
        #expect(
          allclose(run(.packed), run(.blas), rtol: tolerance, atol: tolerance),
          "\(Cell.self) \(formulation) B \(batch) \(path)")
      }
    }
    for batch in [32, 48] {
      agree(lstm, batch: batch)
      agree(gru, batch: batch)
      agree(rnn, batch: batch)
    }
    // A 2-layer bidirectional LSTM network, PyTorch's layouts.
    var stateDict: [String: Matrix<Scalar>] = [:]
    for layer in 0..<2 {
      for suffix in ["", "_reverse"] {
        stateDict["weight_ih_l\(layer)\(suffix)"] = weights(4, layer == 0 ? input : 2 * hidden)
        stateDict["weight_hh_l\(layer)\(suffix)"] = weights(4, hidden)
      }
    }
    var network = try RecurrentNetwork(stateDict: stateDict)
    let x = Matrix<Scalar>.randomNormal(rows: steps * 32, columns: input, using: &rng)
    network.backend = .blas
    let expected = try network.forward(x, batchSize: 32)
    network.backend = .packed
    let got = try withActivationPath(path) { try network.forward(x, batchSize: 32) }
    #expect(allclose(got.output, expected.output, rtol: tolerance, atol: tolerance))
    #expect(allclose(got.finalState, expected.finalState, rtol: tolerance, atol: tolerance))
  }
}
