import DenseMatrix
import RNN
import Testing
import _TestSupport

/// `RecurrentNetwork` against a numpy implementation of PyTorch's documented equations for
/// `nn.RNN`, `nn.LSTM` and `nn.GRU` (multi-layer, bidirectional, `bias`, `h_0`/`c_0`), in
/// PyTorch's `(T, B, F)` layout: every mode × layers {1, 2, 3} × direction, each with and
/// without biases and initial states, every formulation and backend, both element types.
@Suite("Recurrent networks", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct RecurrentNetworkTests {
  typealias Mode = RecurrentNetwork<Double>.Mode

  struct Case: CustomTestStringConvertible, Sendable {
    var mode: Mode, layers: Int, bidirectional: Bool
    var hidden: Int, input: Int, batch: Int, steps: Int
    var testDescription: String {
      "\(mode) L \(layers) \(bidirectional ? "bidirectional" : "forward") H \(hidden) I \(input) B \(batch) T \(steps)"
    }
  }

  /// Sizes cycle through H ∈ {1, 5, 8, 17}, I ∈ {1, 3, 9, 4}, B ∈ {1, 3, 2}, T ∈ {1, 4, 6, 3, 0}.
  static let cases: [Case] = {
    var cases: [Case] = []
    var i = 0
    for mode in Mode.allCases {
      for layers in 1...3 {
        for bidirectional in [false, true] {
          cases.append(
            Case(
              mode: mode, layers: layers, bidirectional: bidirectional, hidden: [1, 5, 8, 17][i % 4],
              input: [1, 3, 9, 4][(i / 2) % 4], batch: [1, 3, 2][i % 3], steps: [1, 4, 6, 3, 0][i % 5]))
          i += 1
        }
      }
      // H = 1 with one direction: PyTorch's output layout then has the cells' strides (a row of
      // one feature per step); states carried over several steps and sequences.
      for (layers, bidirectional) in [(1, false), (2, false), (2, true)] {
        cases.append(
          Case(mode: mode, layers: layers, bidirectional: bidirectional, hidden: 1, input: 2, batch: 3, steps: 4))
      }
    }
    return cases
  }()

  /// PyTorch's equations in numpy, float64. `inp` holds the state dict (biases as n × 1), the
  /// input ((T·B) × I), h0/c0 ((D·L·B) × H) and the configuration; the outputs are computed for
  /// every combination of bias (b) and initial state (s) given or not.
  static let oracle = """
    sig = lambda v: 1 / (1 + np.exp(-v))
    mode, L, D, B = (int(inp[k][0, 0]) for k in ('mode', 'L', 'D', 'B'))
    H = inp['weight_hh_l0'].shape[1]
    T = inp['input'].shape[0] // B
    X = inp['input'].reshape(T, B, inp['input'].shape[1])
    def cell(k, sfx, use_bias, x, h, c):
        wih, whh = inp[f'weight_ih_l{k}{sfx}'], inp[f'weight_hh_l{k}{sfx}']
        gi, gh = x @ wih.T, h @ whh.T
        if use_bias:
            gi = gi + inp[f'bias_ih_l{k}{sfx}'].ravel()
            gh = gh + inp[f'bias_hh_l{k}{sfx}'].ravel()
        if mode == 0: return np.tanh(gi + gh), c
        if mode == 1: return np.maximum(gi + gh, 0), c
        if mode == 2:
            g = gi + gh
            i, f, gg, o = sig(g[:, :H]), sig(g[:, H:2*H]), np.tanh(g[:, 2*H:3*H]), sig(g[:, 3*H:])
            c = f * c + i * gg
            return o * np.tanh(c), c
        r, z = sig(gi[:, :H] + gh[:, :H]), sig(gi[:, H:2*H] + gh[:, H:2*H])
        n = np.tanh(gi[:, 2*H:] + r * gh[:, 2*H:])
        return (1 - z) * n + z * h, c
    for use_bias in (0, 1):
        for use_state in (0, 1):
            layer_in, hn, cn = X, [], []
            for k in range(L):
                outs = []
                for d in range(D):
                    idx = k * D + d
                    h = inp['h0'][idx*B:(idx+1)*B] if use_state else np.zeros((B, H))
                    c = inp['c0'][idx*B:(idx+1)*B] if use_state else np.zeros((B, H))
                    ys = [None] * T
                    for t in (range(T - 1, -1, -1) if d else range(T)):
                        h, c = cell(k, '_reverse' if d else '', use_bias, layer_in[t], h, c)
                        ys[t] = h
                    outs.append(np.stack(ys) if T else np.zeros((0, B, H)))
                    hn.append(h); cn.append(c)
                layer_in = np.concatenate(outs, axis=2)
            key = f'b{use_bias}s{use_state}'
            out['output_' + key] = layer_in.reshape(T * B, D * H)
            out['hn_' + key] = np.concatenate(hn, 0)
            out['cn_' + key] = np.concatenate(cn, 0)
    """

  @Test(arguments: scalarTypes, cases)
  func networksMatchPyTorchsEquations(type: any BLASScalar.Type, c: Case) throws {
    try check(type, c)
  }

  private func check<S: BLASScalar>(_: S.Type, _ c: Case) throws {
    var rng = SeededGenerator(seed: UInt64(c.hidden * 1000 + c.input * 10 + c.layers))
    let gates = RecurrentNetwork<S>.Mode(rawValue: c.mode.rawValue)!.gateCount
    let directions = c.bidirectional ? 2 : 1
    let scale = 1 / S(c.hidden).squareRoot()
    func random(_ rows: Int, _ columns: Int, _ sd: S) -> Matrix<S> {
      Matrix<S>.randomNormal(rows: rows, columns: columns, standardDeviation: sd, using: &rng)
    }
    var withBias: [String: Matrix<S>] = [:]
    for layer in 0..<c.layers {
      for suffix in c.bidirectional ? ["", "_reverse"] : [""] {
        let input = layer == 0 ? c.input : directions * c.hidden
        withBias["weight_ih_l\(layer)\(suffix)"] = random(gates * c.hidden, input, scale)
        withBias["weight_hh_l\(layer)\(suffix)"] = random(gates * c.hidden, c.hidden, scale)
        withBias["bias_ih_l\(layer)\(suffix)"] = random(gates * c.hidden, 1, 0.3)
        // PyTorch saves biases as 1-D tensors: some as 1 × n here, the rest n × 1.
        withBias["bias_hh_l\(layer)\(suffix)"] = random(1, gates * c.hidden, 0.3)
      }
    }
    let withoutBias = withBias.filter { !$0.key.hasPrefix("bias") }
    let stateRows = directions * c.layers * c.batch
    let input = random(c.steps * c.batch, c.input, 1)
    let (h0, c0) = (random(stateRows, c.hidden, 0.5), random(stateRows, c.hidden, 0.5))
    let wide = { (m: Matrix<S>) in Matrix<Double>(converting: m) }
    // The biases as n × 1 (the 1 × n ones transposed), the weights as they are.
    var inputs = Dictionary(
      uniqueKeysWithValues: withBias.map { name, value in
        (name, name.hasPrefix("bias") && value.rows == 1 ? wide(value).transposed() : wide(value))
      })
    inputs["input"] = wide(input)
    inputs["h0"] = wide(h0)
    inputs["c0"] = wide(c0)
    inputs["mode"] = Matrix([[Double(Mode.allCases.firstIndex(of: c.mode)!)]])
    inputs["L"] = Matrix([[Double(c.layers)]])
    inputs["D"] = Matrix([[Double(directions)]])
    inputs["B"] = Matrix([[Double(c.batch)]])
    let out = try NumPy.run(Self.oracle, inputs: inputs)

    // Double: 1e-12. Float: a step's reduction tolerance (I + H terms), 8× for the steps
    // carried and once more per layer.
    let width = max(c.input, directions * c.hidden) + c.hidden
    let tolerance =
      8 * Double(c.layers) * Double(reductionTolerance(S.self, length: width))
    for bias in [false, true] {
      for state in [false, true] {
        let key = "b\(bias ? 1 : 0)s\(state ? 1 : 0)"
        let mode = RecurrentNetwork<S>.Mode(rawValue: c.mode.rawValue)!
        // The mode is inferred from the shapes except for ReLU, which only the caller knows.
        var network = try RecurrentNetwork<S>(
          stateDict: bias ? withBias : withoutBias, mode: mode == .rnnReLU ? mode : nil)
        #expect(network.mode == mode && network.layerCount == c.layers && network.isBidirectional == c.bidirectional)
        #expect(network.hasBias == bias && network.hiddenSize == c.hidden && network.inputSize == c.input)
        for formulation in Formulation.allCases {
          for backend in Backend.allCases {
            network.formulation = formulation
            network.backend = backend
            let result = try network.forward(
              input, batchSize: c.batch, initialState: state ? h0 : nil,
              initialCell: state && mode == .lstm ? c0 : nil)
            let label = "\(S.self) \(key) \(formulation) \(backend)"
            #expect(result.output.shape == Shape(rows: c.steps * c.batch, columns: directions * c.hidden), "\(label)")
            #expect(allclose(wide(result.output), out["output_" + key]!, rtol: tolerance, atol: tolerance), "\(label)")
            #expect(allclose(wide(result.finalState), out["hn_" + key]!, rtol: tolerance, atol: tolerance), "\(label)")
            if mode == .lstm {
              let cn = try #require(result.finalCell)
              #expect(allclose(wide(cn), out["cn_" + key]!, rtol: tolerance, atol: tolerance), "\(label) c_n")
            } else {
              #expect(result.finalCell == nil)
            }
          }
        }
      }
    }
  }
}

/// State dicts that cannot make a network, and inputs that do not fit one: each error names the
/// tensor or argument, the expected and the found shape.
@Suite("Recurrent network errors")
struct RecurrentNetworkErrorTests {
  /// A 2-layer bidirectional LSTM's state dict, H = 2, I = 3, with biases.
  static let lstm: [String: Matrix<Double>] = {
    var dict: [String: Matrix<Double>] = [:]
    for layer in 0..<2 {
      for suffix in ["", "_reverse"] {
        dict["weight_ih_l\(layer)\(suffix)"] = .zeros(rows: 8, columns: layer == 0 ? 3 : 4)
        dict["weight_hh_l\(layer)\(suffix)"] = .zeros(rows: 8, columns: 2)
        dict["bias_ih_l\(layer)\(suffix)"] = .zeros(rows: 8, columns: 1)
        dict["bias_hh_l\(layer)\(suffix)"] = .zeros(rows: 1, columns: 8)
      }
    }
    return dict
  }()

  static func edited(_ edit: (inout [String: Matrix<Double>]) -> Void) -> [String: Matrix<Double>] {
    var dict = lstm
    edit(&dict)
    return dict
  }

  struct Bad: CustomTestStringConvertible, Sendable {
    var name: String
    var dict: [String: Matrix<Double>]
    var mode: RecurrentNetwork<Double>.Mode?
    var message: String
    var testDescription: String { name }
  }

  static let bad: [Bad] = [
    Bad(
      name: "misspelt", dict: edited { $0["weight_ih_10"] = $0["weight_ih_l0"] }, mode: nil,
      message: "weight_ih_10 is not a parameter of this network: did you mean weight_ih_l0?"),
    Bad(
      name: "projection", dict: edited { $0["weight_hr_l0"] = .zeros(rows: 2, columns: 2) }, mode: nil,
      message: "weight_hr_l0 must be (P × H) with 1 ≤ P < H (proj_size < hidden_size), found (2×2)"),
    Bad(
      name: "missing reverse", dict: edited { $0["weight_hh_l1_reverse"] = nil }, mode: nil,
      message: "weight_hh_l1_reverse is missing"),
    Bad(
      name: "missing bias", dict: edited { $0["bias_hh_l1"] = nil }, mode: nil, message: "bias_hh_l1 is missing"),
    Bad(
      name: "layer gap", dict: edited { $0["weight_ih_l3"] = .zeros(rows: 8, columns: 4) }, mode: nil,
      message: "weight_ih_l3 is not a parameter of this network"),
    Bad(
      name: "second layer input", dict: edited { $0["weight_ih_l1"] = .zeros(rows: 8, columns: 3) }, mode: nil,
      message: "weight_ih_l1 must be (8×4) (4·H × D·H), found (8×3)"),
    Bad(
      name: "bias length", dict: edited { $0["bias_ih_l0_reverse"] = .zeros(rows: 6, columns: 1) }, mode: nil,
      message: "bias_ih_l0_reverse must be 8 values (4·H), found (6×1)"),
    Bad(
      name: "mode", dict: lstm, mode: .gru,
      message: "mode gru needs weight_hh_l0 to be (3·H × H) = (6×2), found (8×2)"),
    Bad(
      name: "no gates", dict: edited { $0["weight_hh_l0"] = .zeros(rows: 5, columns: 2) }, mode: nil,
      message: "weight_hh_l0 is (5×2): not (H × H) for an RNN"),
    Bad(
      name: "empty", dict: [:], mode: nil,
      message: "the state dict has no weight_hh_l0 (PyTorch's nn.RNN, nn.LSTM or nn.GRU names): it is empty"),
  ]

  @Test(arguments: bad)
  func badStateDictsNameTheTensor(_ bad: Bad) {
    let error = #expect(throws: RecurrentNetworkError.self) {
      try RecurrentNetwork<Double>(stateDict: bad.dict, mode: bad.mode)
    }
    #expect(error?.description.contains(bad.message) == true, "\(String(describing: error))")
  }

  @Test func badInputsNameTheArgument() throws {
    let network = try RecurrentNetwork<Double>(stateDict: Self.lstm)
    #expect(network.mode == .lstm && network.layerCount == 2 && network.isBidirectional && network.hasBias)
    let input = Matrix<Double>.zeros(rows: 6, columns: 3)
    let rows = #expect(throws: ShapeError.self) { try network.forward(input, batchSize: 4) }
    #expect(
      rows?.description.contains("B = 4 ≥ 1 dividing its rows and I = 3: (6×3)") == true, "\(String(describing: rows))")
    let h0 = #expect(throws: ShapeError.self) {
      try network.forward(input, batchSize: 3, initialState: .zeros(rows: 3, columns: 2))
    }
    #expect(h0?.description.contains("initialState (h_0) must be ((D·L·B)×H) = (12×2)") == true)
    let gru = try RecurrentNetwork<Double>(
      stateDict: Self.lstm.mapValues {
        $0.rows == 8 ? $0[rows: 0..<6, columns: 0..<$0.columns] : $0[rows: 0..<1, columns: 0..<6]
      })
    #expect(gru.mode == .gru)
    let c0 = #expect(throws: ShapeError.self) {
      try gru.forward(input, batchSize: 3, initialCell: .zeros(rows: 12, columns: 2))
    }
    #expect(c0?.description.contains("initialCell (c_0) is for LSTMs only; this network is gru") == true)
  }
}

/// The gated cells' programmer errors trap with a message naming the shapes, in every build
/// configuration (the message is printed under -O too).
@Suite("Gated cell traps")
struct GatedCellTrapTests {
  @Test func lstmStepWithTheWrongInputTraps() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let cell = try! LSTMCell(
        inputWeights: Matrix<Double>.zeros(rows: 8, columns: 3), recurrentWeights: .zeros(rows: 8, columns: 2))
      var workspace = cell.makeWorkspace(batchSize: 2)
      cell.step(x: .zeros(rows: 4, columns: 2), into: &workspace)
    }
    #expect(standardError(of: result).contains("LSTMCell.step: x must be (3×2) for this cell and workspace, got (4×2)"))
  }

  @Test func gruForwardWithTheWrongStatesTraps() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let cell = try! GRUCell(
        inputWeights: Matrix<Float>.zeros(rows: 6, columns: 3), recurrentWeights: .zeros(rows: 6, columns: 2))
      var workspace = cell.makeWorkspace(batchSize: 1)
      var states = Matrix<Float>.zeros(rows: 2, columns: 4)
      cell.forward(inputs: .zeros(rows: 3, columns: 5), into: &workspace, states: &states, reversed: true)
    }
    #expect(standardError(of: result).contains("GRUCell.forward: states must be (2×5) to match the inputs"))
  }
}

/// Empty dimensions: no input features (I = 0, the recurrence alone) and no steps (T = 0).
@Suite("Recurrent networks with empty dimensions")
struct RecurrentNetworkEmptyDimensionTests {
  @Test(arguments: RecurrentNetwork<Double>.Mode.allCases)
  func noInputFeaturesRunsTheRecurrenceAlone(mode: RecurrentNetwork<Double>.Mode) throws {
    var rng = SeededGenerator(seed: 11)
    let rows = mode.gateCount * 3
    let stateDict: [String: Matrix<Double>] = [
      "weight_ih_l0": .zeros(rows: rows, columns: 0),
      "weight_hh_l0": .randomNormal(rows: rows, columns: 3, standardDeviation: 0.5, using: &rng),
      "bias_ih_l0": .randomNormal(rows: rows, columns: 1, standardDeviation: 0.5, using: &rng),
      "bias_hh_l0": .zeros(rows: rows, columns: 1),
    ]
    var network = try RecurrentNetwork(stateDict: stateDict, mode: mode)
    let h0 = Matrix<Double>.randomNormal(rows: 2, columns: 3, using: &rng)
    var results: [Matrix<Double>] = []
    for formulation in Formulation.allCases {
      network.formulation = formulation
      let result = try network.forward(.zeros(rows: 4 * 2, columns: 0), batchSize: 2, initialState: h0)
      #expect(result.output.shape == Shape(rows: 8, columns: 3))
      results.append(result.output)
    }
    for result in results.dropFirst() { #expect(allclose(result, results[0], rtol: 1e-12, atol: 1e-12)) }
    // Not constant: the recurrence moved the state.
    #expect(results[0][rows: 0..<2, columns: 0..<3] != results[0][rows: 6..<8, columns: 0..<3])
  }
}
