import DenseMatrix
import RNN
import Testing
import _TestSupport

/// Random sizes: every formulation and backend agree with each other and with numpy.
@Suite("Formulations agree")
struct FormulationAgreementTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var seed: UInt64
    var hidden: Int, input: Int, batch: Int, steps: Int
    var activation: Activation
    var testDescription: String { "seed \(seed): n_h \(hidden), n_x \(input), B \(batch), T \(steps), \(activation)" }
  }

  /// n_h, n_x drawn from 1…300, B from {1, 2, 7, 32}, T from {1, 5, 50}; draws whose work
  /// exceeds a budget are redrawn so the debug-build suite stays quick (the pure-Swift
  /// backend is the reference triple loop here).
  static let cases: [Case] = {
    var rng = SeededGenerator(seed: 2024)
    var cases: [Case] = []
    var seed: UInt64 = 0
    while cases.count < 14 {
      seed += 1
      let c = Case(
        seed: seed, hidden: Int.random(in: 1...300, using: &rng), input: Int.random(in: 1...300, using: &rng),
        batch: [1, 2, 7, 32].randomElement(using: &rng)!, steps: [1, 5, 50].randomElement(using: &rng)!,
        activation: [.tanh, .sigmoid, .relu, .identity].randomElement(using: &rng)!)
      if c.hidden * (c.hidden + c.input) * c.batch * c.steps <= 3_000_000 { cases.append(c) }
    }
    return cases
  }()

  struct Problem<Scalar: BLASScalar> {
    var cell: RNNCell<Scalar>
    var inputs: [Matrix<Scalar>]
    var h0: Matrix<Scalar>
  }

  /// The same problem for both types: `Float`'s data are `Double`'s rounded (same seed).
  func problem<S: BLASScalar>(_ c: Case, _: S.Type = Double.self) throws -> Problem<S> {
    var rng = SeededGenerator(seed: c.seed)
    let scale = 1 / S(c.hidden).squareRoot()
    let cell = try RNNCell<S>(
      hiddenToHidden: .randomNormal(rows: c.hidden, columns: c.hidden, standardDeviation: scale, using: &rng),
      inputToHidden: .randomNormal(rows: c.hidden, columns: c.input, standardDeviation: scale, using: &rng),
      bias: .randomNormal(rows: c.hidden, columns: 1, standardDeviation: 0.1, using: &rng), activation: c.activation)
    let inputs = (0..<c.steps).map { _ in Matrix<S>.randomNormal(rows: c.input, columns: c.batch, using: &rng) }
    let h0 = Matrix<S>.randomNormal(rows: c.hidden, columns: c.batch, standardDeviation: 0.5, using: &rng)
    return Problem(cell: cell, inputs: inputs, h0: h0)
  }

  /// Within the reduction tolerance of one step's length n_h + n_x, times 4, and times √(t + 1)
  /// at step t: the weights are scaled by 1/√n_h, so with identity or ReLU the recurrence is
  /// only marginally stable and each step's rounding carries forward, adding up like a random
  /// walk (seen: Float, identity, n_h 44, step 46 under BLIS, 1.2× the flat tolerance). A wrong
  /// formulation is off by far more.
  @Test(arguments: scalarTypes, cases)
  func allFormulationsAndBackendsAgree(type: any BLASScalar.Type, _ c: Case) throws {
    try agree(type, c)
  }

  private func agree<S: BLASScalar>(_ type: S.Type, _ c: Case) throws {
    let p = try problem(c, S.self)
    let tolerance: S = 4 * reductionTolerance(S.self, length: c.hidden + c.input)
    let reference = p.cell.forward(inputs: p.inputs, initialState: p.h0, formulation: .split)
    for backend in Backend.allCases {
      for formulation in Formulation.allCases {
        var cell = p.cell
        cell.backend = backend
        let states = cell.forward(inputs: p.inputs, initialState: p.h0, formulation: formulation)
        #expect(states.count == c.steps)
        for (t, (s, r)) in zip(states, reference).enumerated() {
          let carried = tolerance * S(t + 1).squareRoot()
          #expect(
            allclose(s, r, rtol: carried, atol: carried), "\(S.self): \(formulation) on \(backend), step \(t)")
        }
      }
    }
  }

  /// Every formulation against numpy's float64 recurrence on the same numbers (the Float cell's
  /// own): Double within 1e-12; Float within the reduction tolerance of a step, times 8 for the
  /// error carried over T ≤ 50 contractive steps.
  @Test(arguments: scalarTypes, cases.prefix(6))
  func agreesWithNumpy(type: any BLASScalar.Type, _ c: Case) throws {
    try #require(NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason))
    try agreeWithNumpy(type, c)
  }

  private func agreeWithNumpy<S: BLASScalar>(_: S.Type, _ c: Case) throws {
    let p = try problem(c, S.self)
    let numpyActivation = [
      Activation.tanh: "np.tanh(z)", .sigmoid: "1 / (1 + np.exp(-z))", .relu: "np.maximum(z, 0)", .identity: "z",
    ][c.activation]!
    let wide = { (m: Matrix<S>) in Matrix<Double>(converting: m) }
    let out = try NumPy.run(
      """
      h = inp['h0']
      X = inp['X']
      B = h.shape[1]
      hs = []
      for t in range(X.shape[1] // B):
          z = inp['whh'] @ h + inp['whx'] @ X[:, t*B:(t+1)*B] + inp['b']
          h = \(numpyActivation)
          hs.append(h)
      out['H'] = np.hstack(hs)
      """,
      inputs: [
        "whh": wide(p.cell.recurrentWeights), "whx": wide(p.cell.inputWeights), "b": wide(p.cell.bias),
        "h0": wide(p.h0), "X": wide(hstack(p.inputs)),
      ])
    let tolerance = 8 * Double(reductionTolerance(S.self, length: c.hidden + c.input))
    for formulation in Formulation.allCases {
      let states = hstack(p.cell.forward(inputs: p.inputs, initialState: p.h0, formulation: formulation))
      #expect(allclose(wide(states), out["H"]!, rtol: tolerance, atol: tolerance), "\(S.self) \(formulation)")
    }
  }

  @Test(arguments: Formulation.allCases, [1, 3])
  func workspacePathIsBitIdenticalToConvenience(formulation: Formulation, batch: Int) throws {
    var rng = SeededGenerator(seed: 77)
    let cell = try RNNCell.random(hiddenSize: 37, inputSize: 11, formulation: formulation, using: &rng)
    let inputs = (0..<6).map { _ in Matrix.randomNormal(rows: 11, columns: batch, using: &rng) }
    let h0 = Matrix.randomNormal(rows: 37, columns: batch, using: &rng)

    // step: convenience vs workspace.
    var workspace = cell.makeWorkspace(batchSize: batch, initialState: h0)
    var h = h0
    for x in inputs {
      h = cell.step(h: h, x: x)
      cell.step(x: x, into: &workspace)
      #expect(workspace.state == h)
    }

    // forward: convenience vs workspace.
    let viaConvenience = cell.forward(inputs: inputs, initialState: h0)
    var workspace2 = cell.makeWorkspace(batchSize: batch, initialState: h0)
    var states = Matrix.zeros(rows: 37, columns: 6 * batch)
    cell.forward(inputs: hstack(inputs), into: &workspace2, states: &states)
    #expect(hstack(viaConvenience) == states)
    #expect(workspace2.state == viaConvenience.last)

    // A sequence fed in two chunks continues from the workspace's state.
    var workspace3 = cell.makeWorkspace(batchSize: batch, initialState: h0)
    var first = Matrix.zeros(rows: 37, columns: 4 * batch)
    var second = Matrix.zeros(rows: 37, columns: 2 * batch)
    cell.forward(inputs: hstack(Array(inputs[..<4])), into: &workspace3, states: &first)
    cell.forward(inputs: hstack(Array(inputs[4...])), into: &workspace3, states: &second)
    #expect(allclose(hstack([first, second]), states, rtol: 1e-13, atol: 1e-14))
  }

  @Test func concurrentTasksShareOneCell() async throws {
    var rng = SeededGenerator(seed: 5)
    let cell = try RNNCell.random(hiddenSize: 48, inputSize: 16, using: &rng)
    let sequences = (0..<8).map { _ in (0..<10).map { _ in Matrix.randomNormal(rows: 16, columns: 4, using: &rng) } }
    let sequential = sequences.map { cell.forward(inputs: $0, formulation: .fused) }
    let concurrent = await withTaskGroup(of: (Int, [Matrix<Double>]).self) { group in
      for (i, sequence) in sequences.enumerated() {
        group.addTask {
          var workspace = cell.makeWorkspace(batchSize: 4)
          var out: [Matrix<Double>] = []
          for x in sequence {
            cell.step(x: x, into: &workspace, formulation: .fused)
            out.append(workspace.state)
          }
          return (i, out)
        }
      }
      var results = [[Matrix<Double>]](repeating: [], count: sequences.count)
      for await (i, out) in group { results[i] = out }
      return results
    }
    #expect(concurrent == sequential)
  }
}
