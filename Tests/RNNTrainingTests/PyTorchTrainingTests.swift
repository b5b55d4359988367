import DenseMatrix
import RNN
import RNNTraining
import Testing
import _TestSupport

/// Training steps against PyTorch's own: the same weights, inputs, initial states and targets;
/// `nn.MSELoss()` on the output; the first step's gradients, and the weights after 1 SGD step
/// and 3 steps of momentum SGD, Nesterov SGD, Adam (with weight decay) and AdamW (amsgrad, with
/// gradient clipping), Float64 and Float32, every mode, stacked and bidirectional, with and without biases, and a
/// padded batch (packed, run, padded again with `total_length = T`, the loss over the padded
/// output).
@Suite("Training against PyTorch", .enabled(if: Torch.isAvailable, Comment(rawValue: Torch.unavailableReason)))
struct PyTorchTrainingTests {
  struct Configuration: CustomTestStringConvertible, Sendable {
    var mode: RecurrentNetwork<Double>.Mode
    var layers: Int
    var bidirectional: Bool
    var bias: Bool
    /// A padded batch's lengths (`pack_padded_sequence(enforce_sorted=False)`), or `nil`.
    var lengths: [Int]? = nil
    /// An LSTM's `proj_size` (0: none).
    var projection = 0
    var testDescription: String {
      "\(mode) L=\(layers)\(bidirectional ? " bidirectional" : "")\(bias ? "" : " no bias")"
        + (lengths.map { " lengths \($0)" } ?? "") + (projection > 0 ? " proj_size \(projection)" : "")
    }
  }

  static let configurations: [Configuration] =
    RecurrentNetwork<Double>.Mode.allCases.flatMap { mode in
      [
        Configuration(mode: mode, layers: 2, bidirectional: true, bias: true),
        Configuration(mode: mode, layers: 1, bidirectional: false, bias: false),
        Configuration(mode: mode, layers: 2, bidirectional: true, bias: true, lengths: [3, 4, 1]),
      ]
    } + [
      Configuration(mode: .lstm, layers: 2, bidirectional: true, bias: true, projection: 3),
      Configuration(mode: .lstm, layers: 1, bidirectional: false, bias: true, lengths: [3, 4, 1], projection: 2),
    ]

  /// (name, steps, the torch optimizer, gradient clipping's maximum norm or 0).
  static let optimizers: [(name: String, steps: Int, torch: String, clip: Double)] = [
    ("sgd", 1, "torch.optim.SGD(ps, lr=0.1)", 0),
    ("momentum", 3, "torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)", 0),
    ("nesterov", 3, "torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True)", 0),
    ("adam", 3, "torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)", 0),
    ("adamw", 3, "torch.optim.AdamW(ps, lr=0.02, weight_decay=0.1, amsgrad=True)", 0.5),
  ]

  static func swiftOptimizer<Scalar: BLASScalar>(_ name: String, _: Scalar.Type) -> any Optimizer<Scalar> {
    switch name {
    case "sgd": SGD<Scalar>(learningRate: 0.1)
    case "momentum": SGD<Scalar>(learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
    case "nesterov": SGD<Scalar>(learningRate: 0.05, momentum: 0.8, nesterov: true)
    case "adam": Adam<Scalar>(learningRate: 0.01, betas: (0.8, 0.99), weightDecay: 0.01)
    default: Adam<Scalar>.adamW(learningRate: 0.02, weightDecay: 0.1, amsgrad: true)
    }
  }

  @Test(arguments: configurations)
  func stepsMatchPyTorch(_ configuration: Configuration) throws {
    var rng = SeededGenerator(seed: 7)
    let (hidden, input, steps, batch) = (5, 3, 4, 3)
    let lengths = configuration.lengths
    let gates = configuration.mode.gateCount
    let directions = configuration.bidirectional ? 2 : 1
    let stateDict = randomStateDict(
      gates: gates, hidden: hidden, input: input, layers: configuration.layers,
      bidirectional: configuration.bidirectional, bias: configuration.bias, standardDeviation: 0.4,
      projection: configuration.projection, using: &rng)
    let stateRows = directions * configuration.layers * batch
    let isLSTM = configuration.mode == .lstm
    // h's size: P with a projection.
    let stateSize = configuration.projection > 0 ? configuration.projection : hidden
    let x = Matrix<Double>.randomNormal(rows: steps * batch, columns: input, using: &rng)
    let h0 = Matrix<Double>.randomNormal(rows: stateRows, columns: stateSize, standardDeviation: 0.5, using: &rng)
    let c0 = Matrix<Double>.randomNormal(rows: stateRows, columns: hidden, standardDeviation: 0.5, using: &rng)
    let target = Matrix<Double>.randomNormal(
      rows: steps * batch, columns: directions * stateSize, standardDeviation: 0.5, using: &rng)

    let module =
      switch configuration.mode {
      case .lstm: "torch.nn.LSTM"
      case .gru: "torch.nn.GRU"
      case .rnnTanh: "lambda **k: torch.nn.RNN(nonlinearity='tanh', **k)"
      case .rnnReLU: "lambda **k: torch.nn.RNN(nonlinearity='relu', **k)"
      }
    var script = """
      torch.set_default_dtype(torch.float64)
      T, B, I, H, L, D = \(steps), \(batch), \(input), \(hidden), \(configuration.layers), \(directions)
      P = \(stateSize)
      make = \(module)
      x = torch.tensor(inp['x']).reshape(T, B, I)
      target = torch.tensor(inp['target']).reshape(T, B, D * P)
      h0 = torch.tensor(inp['h0']).reshape(D * L, B, P)
      c0 = torch.tensor(inp['c0']).reshape(D * L, B, H)
      def run(name, steps, make_optimizer, clip):
          net = make(input_size=I, hidden_size=H, num_layers=L, bidirectional=\(configuration.bidirectional ? "True" : "False"), bias=\(configuration.bias ? "True" : "False")\(configuration.projection > 0 ? ", proj_size=\(configuration.projection)" : ""))
          with torch.no_grad():
              for n, p in net.named_parameters():
                  p.copy_(torch.tensor(inp[n]).reshape(p.shape))
          optimizer = make_optimizer(list(net.parameters()))
          for step in range(steps):
              optimizer.zero_grad()
              lengths = \(lengths.map { "\($0)" } ?? "None")
              packed = x if lengths is None else torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
              output, _ = net(packed, (h0, c0) if \(isLSTM ? "True" : "False") else h0)
              if lengths is not None:
                  output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, total_length=T)
              loss = torch.nn.functional.mse_loss(output, target)
              loss.backward()
              if step == 0 and name == 'sgd':
                  for n, p in net.named_parameters():
                      out['grad_' + n] = p.grad.detach().reshape(p.shape[0], -1)
              if clip > 0:
                  torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
              optimizer.step()
          for n, p in net.named_parameters():
              out[name + '_' + n] = p.detach().reshape(p.shape[0], -1)

      """
    for optimizer in Self.optimizers {
      script += "run('\(optimizer.name)', \(optimizer.steps), lambda ps: \(optimizer.torch), \(optimizer.clip))\n"
    }
    var inputs = stateDict
    inputs["x"] = x
    inputs["target"] = target
    inputs["h0"] = h0
    inputs["c0"] = c0
    let expected = try Torch.run(script, inputs: inputs)

    // Float64 to 1e-9 of each tensor's largest element, Float32 to 1e-4 (against float64 torch).
    func check<Scalar: BLASScalar>(_: Scalar.Type, tolerance: Double) throws {
      func close(_ got: Matrix<Scalar>, _ want: Matrix<Double>) -> Bool {
        let scale = max(want.scalars.map(abs).max() ?? 0, 1e-300)
        return zip(got.scalars, want.scalars).allSatisfy { abs(Double($0) - $1) <= tolerance * scale }
      }
      func converted(_ matrix: Matrix<Double>) -> Matrix<Scalar> { Matrix<Scalar>(converting: matrix) }
      let (x, h0, c0, target) = (converted(x), converted(h0), converted(c0), converted(target))
      for optimizer in Self.optimizers {
        var weights = stateDict.mapValues(converted)
        var swiftOptimizer = Self.swiftOptimizer(optimizer.name, Scalar.self)
        for step in 0..<optimizer.steps {
          let network = try RecurrentNetwork(
            stateDict: weights, mode: RecurrentNetwork<Scalar>.Mode(rawValue: configuration.mode.rawValue)!)
          var (_, gradients) = try network.gradients(
            x, batchSize: batch, lengths: lengths, initialState: h0, initialCell: isLSTM ? c0 : nil
          ) { (output) throws(ShapeError) in
            RecurrentNetwork<Scalar>.OutputGradient(output: try MSELoss()(output.output, target).gradient)
          }
          if step == 0 && optimizer.name == "sgd" {
            for (name, gradient) in gradients.parameters {
              let want = expected["grad_" + name]!
              #expect(
                close(gradient.reshaped(rows: want.rows, columns: want.columns), want),
                "\(Scalar.self) \(configuration.testDescription) gradient of \(name)")
            }
          }
          if optimizer.clip > 0 { _ = clipGradientNorm(&gradients.parameters, maximumNorm: optimizer.clip) }
          swiftOptimizer.step(&weights, gradients: gradients.parameters)
        }
        for (name, value) in weights {
          let want = expected[optimizer.name + "_" + name]!
          #expect(
            close(value.reshaped(rows: want.rows, columns: want.columns), want),
            "\(Scalar.self) \(configuration.testDescription) \(optimizer.name) after \(optimizer.steps) steps: \(name)")
        }
      }
    }
    try check(Double.self, tolerance: 1e-9)
    try check(Float.self, tolerance: 1e-4)
  }
}
