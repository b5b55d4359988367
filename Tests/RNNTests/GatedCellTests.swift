import DenseMatrix
import RNN
import Testing
import _TestSupport

/// LSTM and GRU cells against a numpy implementation of PyTorch's documented equations (the
/// `nn.LSTM` and `nn.GRU` pages), on random sizes including H = 1, odd sizes and T = 1, with and
/// without biases and initial states, every backend, both element types.
@Suite("LSTM and GRU cells", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct GatedCellTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var hidden: Int, input: Int, batch: Int, steps: Int
    var bias: Bool, initial: Bool
    var testDescription: String { "H \(hidden), I \(input), B \(batch), T \(steps), bias \(bias), h0 \(initial)" }
  }

  static let cases = [
    Case(hidden: 1, input: 1, batch: 1, steps: 1, bias: true, initial: false),
    Case(hidden: 5, input: 3, batch: 2, steps: 4, bias: true, initial: true),
    Case(hidden: 17, input: 9, batch: 1, steps: 6, bias: false, initial: true),
    Case(hidden: 8, input: 0, batch: 3, steps: 3, bias: true, initial: true),
    Case(hidden: 33, input: 20, batch: 5, steps: 5, bias: true, initial: false),
  ]

  /// The oracle: PyTorch's equations in numpy, float64, on the cell's own (possibly float32) numbers.
  static let oracle = """
    sig = lambda v: 1 / (1 + np.exp(-v))
    H = inp['whh'].shape[1]
    X, B = inp['X'], inp['h0'].shape[1]
    T = X.shape[1] // B
    h, c = inp['h0'], inp['c0']
    wih, whh, bih, bhh = inp['wih'], inp['whh'], inp['bih'], inp['bhh']
    lstm, gru = [], []
    for t in range(T):
        x = X[:, t*B:(t+1)*B]
        g = wih @ x + bih + whh @ h + bhh
        i, f, gg, o = sig(g[:H]), sig(g[H:2*H]), np.tanh(g[2*H:3*H]), sig(g[3*H:])
        c = f * c + i * gg
        h = o * np.tanh(c)
        lstm.append(h)
    out['lstm'], out['lstm_c'] = np.hstack(lstm), c
    h = inp['h0']
    w3ih, w3hh, b3ih, b3hh = inp['w3ih'], inp['w3hh'], inp['b3ih'], inp['b3hh']
    for t in range(T):
        x = X[:, t*B:(t+1)*B]
        gi, gh = w3ih @ x + b3ih, w3hh @ h + b3hh
        r, z = sig(gi[:H] + gh[:H]), sig(gi[H:2*H] + gh[H:2*H])
        n = np.tanh(gi[2*H:] + r * gh[2*H:])
        h = (1 - z) * n + z * h
        gru.append(h)
    out['gru'] = np.hstack(gru)
    """

  @Test(arguments: scalarTypes, cases)
  func cellsMatchPyTorchsEquations(type: any BLASScalar.Type, c: Case) throws {
    try check(type, c)
  }

  private func check<S: BLASScalar>(_: S.Type, _ c: Case) throws {
    var rng = SeededGenerator(seed: UInt64(c.hidden * 100 + c.input))
    let scale = 1 / S(c.hidden).squareRoot()
    func random(_ rows: Int, _ columns: Int, _ sd: S = 1) -> Matrix<S> {
      Matrix<S>.randomNormal(rows: rows, columns: columns, standardDeviation: sd, using: &rng)
    }
    let (h, i, b) = (c.hidden, c.input, c.batch)
    let (wih, whh) = (random(4 * h, i, scale), random(4 * h, h, scale))
    let (w3ih, w3hh) = (random(3 * h, i, scale), random(3 * h, h, scale))
    let zero4 = Matrix<S>.zeros(rows: 4 * h, columns: 1)
    let zero3 = Matrix<S>.zeros(rows: 3 * h, columns: 1)
    let (bih, bhh) = c.bias ? (random(4 * h, 1, 0.3), random(4 * h, 1, 0.3)) : (zero4, zero4)
    let (b3ih, b3hh) = c.bias ? (random(3 * h, 1, 0.3), random(3 * h, 1, 0.3)) : (zero3, zero3)
    let inputs = (0..<c.steps).map { _ in random(i, b) }
    let (h0, c0) =
      c.initial ? (random(h, b, 0.5), random(h, b, 0.5)) : (.zeros(rows: h, columns: b), .zeros(rows: h, columns: b))
    let wide = { (m: Matrix<S>) in Matrix<Double>(converting: m) }
    let out = try NumPy.run(
      Self.oracle,
      inputs: [
        "wih": wide(wih), "whh": wide(whh), "bih": wide(bih), "bhh": wide(bhh), "w3ih": wide(w3ih),
        "w3hh": wide(w3hh), "b3ih": wide(b3ih), "b3hh": wide(b3hh), "X": wide(hstack(inputs)), "h0": wide(h0),
        "c0": wide(c0),
      ])
    // Double: 1e-12. Float: the reduction tolerance of a step (I + H), 8× for T steps carried.
    let tolerance = 8 * Double(reductionTolerance(S.self, length: i + h))
    for backend in Backend.allCases {
      let lstm = try LSTMCell(
        inputWeights: wih, recurrentWeights: whh, inputBias: c.bias ? bih : nil, recurrentBias: c.bias ? bhh : nil,
        backend: backend)
      let (states, cell) = lstm.forward(
        inputs: inputs, initialState: c.initial ? h0 : nil, initialCell: c.initial ? c0 : nil)
      #expect(
        allclose(wide(hstack(states)), out["lstm"]!, rtol: tolerance, atol: tolerance), "\(S.self) LSTM \(backend)")
      #expect(allclose(wide(cell), out["lstm_c"]!, rtol: tolerance, atol: tolerance), "\(S.self) LSTM c \(backend)")
      let gru = try GRUCell(
        inputWeights: w3ih, recurrentWeights: w3hh, inputBias: c.bias ? b3ih : nil,
        recurrentBias: c.bias ? b3hh : nil, backend: backend)
      let gruStates = gru.forward(inputs: inputs, initialState: c.initial ? h0 : nil)
      #expect(
        allclose(wide(hstack(gruStates)), out["gru"]!, rtol: tolerance, atol: tolerance), "\(S.self) GRU \(backend)")
    }
  }

  @Test func badShapesNameTheParameter() {
    let error = #expect(throws: ShapeError.self) {
      try LSTMCell(
        inputWeights: Matrix.zeros(rows: 12, columns: 2), recurrentWeights: Matrix.zeros(rows: 12, columns: 4))
    }
    #expect(error?.description.contains("weight_hh must be (4·H × H)") == true, "\(String(describing: error))")
    let bias = #expect(throws: ShapeError.self) {
      try GRUCell(
        inputWeights: Matrix.zeros(rows: 9, columns: 2), recurrentWeights: Matrix.zeros(rows: 9, columns: 3),
        inputBias: Matrix.zeros(rows: 8, columns: 1))
    }
    #expect(bias?.description.contains("bias_ih must hold 9 values (3·H), found: (8×1)") == true)
  }
}
