import DenseMatrix
import RNN
import Testing
import _TestSupport

/// The `.packed` backend against `.blas` in every cell and formulation, at batches that take
/// every part of the packed kernel (whole tiles, one vector, a masked vector, blocks of columns)
/// and that go to BLAS, with a small `W_hh` and one of 512 KiB (whose small batches the kernel
/// takes too), on every vector path this CPU runs, and through a bidirectional network, with and
/// without a padded batch's lengths.
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
          var states = Matrix<Scalar>.zeros(rows: cell.hiddenSize, columns: steps * batch)
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
    // A small W_hh goes to BLAS at every batch but 1 (the one-column layout from 4 KiB), but with
    // AVX2, whose kernel beats OpenBLAS at every size.
    for batch in [1, 17, 32] {
      #expect(
        PackedMatrix<Scalar>.beatsBLAS(rows: 4 * hidden, columns: hidden, n: batch, on: path)
          == (batch == 1 || path == .avx2))
      agree(lstm, batch: batch)
      agree(gru, batch: batch)
      agree(rnn, batch: batch)
    }
    // W_hh of at least 512 KiB (4·182 × 182): the kernels take B = 1 and every batch from 4,
    // through every part of them (one column, whole tiles, one vector, a masked vector, blocks
    // of columns).
    let large = 182
    let big = try LSTMCell(
      inputWeights: Matrix<Scalar>.randomNormal(rows: 4 * large, columns: input, standardDeviation: 0.1, using: &rng),
      recurrentWeights: Matrix<Scalar>.randomNormal(
        rows: 4 * large, columns: large, standardDeviation: 0.05, using: &rng))
    let bigGRU = try GRUCell(
      inputWeights: Matrix<Scalar>.randomNormal(rows: 3 * large, columns: input, standardDeviation: 0.1, using: &rng),
      recurrentWeights: Matrix<Scalar>.randomNormal(
        rows: 3 * large, columns: large, standardDeviation: 0.05, using: &rng))
    for batch in [1, 4, 9, 17, 21, 27, 32, 48] {
      #expect(PackedMatrix<Scalar>.beatsBLAS(rows: 4 * large, columns: large, n: batch, on: path))
      agree(big, batch: batch)
    }
    agree(bigGRU, batch: 27)
    // A 2-layer bidirectional LSTM network, PyTorch's layouts.
    var stateDict: [String: Matrix<Scalar>] = [:]
    for layer in 0..<2 {
      for suffix in ["", "_reverse"] {
        stateDict["weight_ih_l\(layer)\(suffix)"] = Matrix<Scalar>.randomNormal(
          rows: 4 * large, columns: layer == 0 ? input : 2 * large, standardDeviation: 0.05, using: &rng)
        stateDict["weight_hh_l\(layer)\(suffix)"] = Matrix<Scalar>.randomNormal(
          rows: 4 * large, columns: large, standardDeviation: 0.05, using: &rng)
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
    // A padded batch: the steps' batches shrink through every part of the kernel.
    let lengths = (0..<32).map { 1 + ($0 * 7) % steps }
    network.backend = .blas
    let paddedExpected = try network.forward(x, batchSize: 32, lengths: lengths)
    network.backend = .packed
    let padded = try withActivationPath(path) { try network.forward(x, batchSize: 32, lengths: lengths) }
    #expect(allclose(padded.output, paddedExpected.output, rtol: tolerance, atol: tolerance))
    #expect(allclose(padded.finalState, paddedExpected.finalState, rtol: tolerance, atol: tolerance))
  }

  /// A network without a backend runs `.packed` (the kernel only where its rule says it is
  /// faster), inside `withBackend` that scope's backend; the cells and `Backend.current` keep
  /// `.blas`. Every mode, the vanilla cell included (it runs the shared driver in PyTorch's
  /// layout), with a `W_hh` the kernel takes at B = 32.
  @Test(arguments: ["lstm", "gru", "rnn_tanh"])
  func aNetworkDefaultsToPackedOutsideWithBackend(mode: String) throws {
    var rng = SeededGenerator(seed: 8)
    let mode = RecurrentNetwork<Float>.Mode(rawValue: mode)!
    let (gates, hidden, input, batch) = (mode == .lstm ? 4 : mode == .gru ? 3 : 1, 256, 8, 32)
    let stateDict: [String: Matrix<Float>] = [
      "weight_ih_l0": .randomNormal(rows: gates * hidden, columns: input, standardDeviation: 0.1, using: &rng),
      "weight_hh_l0": .randomNormal(rows: gates * hidden, columns: hidden, standardDeviation: 0.05, using: &rng),
    ]
    #expect(PackedMatrix<Float>.beatsBLAS(rows: gates * hidden, columns: hidden, n: batch, on: .portable))
    var network = try RecurrentNetwork(stateDict: stateDict, mode: mode)
    #expect(network.backend == nil && Backend.current == .blas)
    let x = Matrix<Float>.randomNormal(rows: 5 * batch, columns: input, using: &rng)
    // The portable kernel rounds each product on its own, OpenBLAS's fuses them: the two backends'
    // results differ, so the comparisons below tell them apart (on the AVX paths both sum in the
    // same order with FMA and agree bit for bit).
    let (byDefault, inBLASScope, packed, blas) = try withActivationPath(.portable) {
      let byDefault = try network.forward(x, batchSize: batch).output
      let inBLASScope = try withBackend(.blas) { try network.forward(x, batchSize: batch).output }
      network.backend = .packed
      let packed = try network.forward(x, batchSize: batch).output
      network.backend = .blas
      let blas = try network.forward(x, batchSize: batch).output
      return (byDefault.scalars, inBLASScope.scalars, packed.scalars, blas.scalars)
    }
    #if arch(x86_64)
    let distinguishable = packed != blas
    #expect(distinguishable)
    #endif
    let (defaultIsPacked, scopeIsBLAS) = (byDefault == packed, inBLASScope == blas)
    #expect(defaultIsPacked)
    #expect(scopeIsBLAS)
    #expect(withBackend(.pureSwift) { Backend.current } == .pureSwift)
  }
  /// The backward pass's per-step `Δ · W_hh` on the packed `W_hhᵀ` (transposed delta and carry
  /// for B > 1, in place for B = 1) gives `.blas`'s gradients, on every vector path this CPU
  /// runs: each mode at a size the kernel takes at B = 1, 16 and 32 on every path, the GRU and a
  /// padded batch (whose steps add to what the carry holds), both directions (dX summed over
  /// them), and after new weights are loaded in place.
  @Test(arguments: scalarTypes, ActivationPath.supported)
  func backwardAgreesWithBLAS(type: any BLASScalar.Type, path: ActivationPath) throws {
    switch type {
    case is Float.Type: try checkBackward(Float.self, path: path)
    default: try checkBackward(Double.self, path: path)
    }
  }

  private func checkBackward<Scalar: BLASScalar>(_: Scalar.Type, path: ActivationPath) throws {
    var rng = SeededGenerator(seed: 12)
    let (input, steps) = (6, 3)
    let tolerance = Scalar(Scalar.self == Float.self ? 1e-4 : 1e-11)
    // W_hh of at least 128 KiB in Float: the kernel's rule takes it at B = 1 and from a vector of
    // columns (16 Floats with AVX-512) on every path.
    let hidden = 182
    for mode in [RecurrentNetwork<Scalar>.Mode.lstm, .gru, .rnnTanh] {
      let gates = mode == .lstm ? 4 : mode == .gru ? 3 : 1
      for batch in [1, 16, 32] {
        #expect(PackedMatrix<Scalar>.beatsBLAS(rows: hidden, columns: gates * hidden, n: batch, on: path))
      }
      var stateDict: [String: Matrix<Scalar>] = [:]
      for suffix in ["", "_reverse"] {
        func weights(_ columns: Int) -> Matrix<Scalar> {
          .randomNormal(rows: gates * hidden, columns: columns, standardDeviation: 0.05, using: &rng)
        }
        stateDict["weight_ih_l0\(suffix)"] = weights(input)
        stateDict["weight_hh_l0\(suffix)"] = weights(hidden)
        stateDict["bias_ih_l0\(suffix)"] = weights(1)
        stateDict["bias_hh_l0\(suffix)"] = weights(1)
      }
      var network = try RecurrentNetwork(stateDict: stateDict, mode: mode)
      let runs: [(batch: Int, lengths: [Int]?, load: Bool)] = [
        (1, nil, false), (16, nil, false), (32, nil, false), (32, (0..<32).map { 1 + $0 % steps }, false),
        // New weights loaded in place: the packed W_hhᵀ made above is packed again.
        (1, nil, true), (16, nil, false),
      ]
      for (batch, lengths, load) in runs {
        if load { try network.load(stateDict: stateDict.mapValues { Scalar(0.5) * $0 }) }
        let x = Matrix<Scalar>.randomNormal(rows: steps * batch, columns: input, using: &rng)
        let a = Matrix<Scalar>.randomNormal(rows: steps * batch, columns: 2 * hidden, using: &rng)
        let b = Matrix<Scalar>.randomNormal(rows: 2 * batch, columns: hidden, using: &rng)
        func run(_ backend: Backend) throws -> RecurrentNetwork<Scalar>.Gradients {
          network.backend = backend
          return try withActivationPath(path) {
            try network.gradients(
              x, batchSize: batch, lengths: lengths, outputGradient: a, finalStateGradient: b,
              finalCellGradient: mode == .lstm ? b : nil
            ).gradients
          }
        }
        let (packed, blas) = (try run(.packed), try run(.blas))
        let label = "\(mode) B \(batch)\(lengths == nil ? "" : " padded") \(path)"
        #expect(Set(packed.parameters.keys) == Set(blas.parameters.keys), "\(label)")
        for (name, expected) in blas.parameters {
          #expect(allclose(packed.parameters[name]!, expected, rtol: tolerance, atol: tolerance), "\(name) \(label)")
        }
        #expect(allclose(packed.input, blas.input, rtol: tolerance, atol: tolerance), "dX \(label)")
        #expect(allclose(packed.initialState, blas.initialState, rtol: tolerance, atol: tolerance), "dh_0 \(label)")
        if let cell = blas.initialCell {
          #expect(allclose(packed.initialCell!, cell, rtol: tolerance, atol: tolerance), "dc_0 \(label)")
        }
      }
    }
  }
}
