import DenseMatrix
import Foundation
import NumPyIO
import RNN
import RNNTraining
import _CommandLineSupport

// The training loop, in the element type the run computes in.
extension RNNTrain {
  /// The decoded input files.
  struct TrainingData {
    var weights: NPZArchive
    var inputs: NPYArray
    var targets: NPYArray
    var lengths: NPYArray?
    var initialState: NPYArray?
    var initialCell: NPYArray?
  }

  /// The trained weights (their names and shapes as read, the weights' dtype), the CSV log and
  /// the loss chart.
  struct Trained {
    var weights: [String: NPYArray]
    var log: String
    var chart: LossChart
  }

  /// --dtype, or else the weights' dtype (float32 only if every weight is), which the inputs,
  /// targets and initial states must then share.
  func computeType(_ data: TrainingData) throws(ToolError) -> ElementType {
    if let dtype { return dtype }
    let weightsType = weightsDtype(data.weights)
    var others = [("--inputs", data.inputs), ("--targets", data.targets)]
    if let array = data.initialState { others.append(("--initial-state", array)) }
    if let array = data.initialCell { others.append(("--initial-cell", array)) }
    if let (option, array) = others.first(where: { $0.1.dtypeName != weightsType.rawValue }) {
      throw ToolError(
        "\(option) is \(array.dtypeName) but the weights are \(weightsType.rawValue): "
          + "pass --dtype float32 or --dtype float64 to compute in one type, converting the others")
    }
    return weightsType
  }

  /// float32 when every weight is float32 (as PyTorch saves them), else float64.
  func weightsDtype(_ archive: NPZArchive) -> ElementType {
    archive.arrays.values.allSatisfy { $0.dtypeName == "float32" } ? .float32 : .float64
  }

  func train<Scalar: BLASScalar>(_: Scalar.Type, _ data: TrainingData) throws -> Trained {
    let convert = dtype != nil
    guard !data.weights.names.contains("W_hh") && !data.weights.names.contains("W_hx") else {
      throw ToolError(
        "--weights: \(weights): W_hh/W_hx weights (one vanilla layer) are run by rnn-forward; rnn-train trains PyTorch state dicts (weight_ih_l0, ...)"
      )
    }
    var parameters: Parameters<Scalar> = [:]
    for name in data.weights.names {
      let array = data.weights.arrays[name]!
      parameters[name] = try with("--weights \(name)") { () throws(NPYError) in
        try Matrix<Scalar>(npy: NPYArray(shape: [array.elements.count], elements: array.elements), converting: convert)
          .reshaped(rows: array.shape.first ?? 1, columns: array.elements.count / max(1, array.shape.first ?? 1))
      }
    }
    var network = try RecurrentNetwork(stateDict: parameters, mode: mode.flatMap { .init(rawValue: $0.rawValue) })
    network.formulation = formulation
    // h's size (P for an LSTM with proj_size, otherwise H) and c's (H).
    let (hidden, directions, layers) = (network.outputSize, network.directionCount, network.layerCount)
    let cellSize = network.hiddenSize
    let shape = data.inputs.shape
    guard shape.count == 2 || shape.count == 3 else {
      throw ToolError("--inputs must be T × B × I or T × I, got a \(shape.count)-D array of shape \(shape)")
    }
    let unbatched = shape.count == 2
    let (steps, batch, features) = unbatched ? (shape[0], 1, shape[1]) : (shape[0], shape[1], shape[2])
    guard features == network.inputSize, steps >= 1, batch >= 1 else {
      throw ToolError(
        "--inputs has shape \(shape); the network expects T × B × I with I = \(network.inputSize), T ≥ 1 and B ≥ 1")
    }
    let outputShape = unbatched ? [steps, directions * hidden] : [steps, batch, directions * hidden]
    guard data.targets.shape == outputShape else {
      throw ToolError(
        "--targets must be shaped like the output, \(outputShape) (T × \(unbatched ? "" : "B × ")D·H with D = \(directions), H = \(hidden)\(cellSize == hidden ? "" : ", proj_size's P")); got \(data.targets.shape)"
      )
    }
    let lengths = try data.lengths.map { array throws(ToolError) in
      guard array.elements.count == batch else {
        throw ToolError("--lengths has \(array.elements.count) values but --inputs has B = \(batch) sequences")
      }
      return try sequenceLengths(array, steps: steps)
    }
    func matrix(_ option: String, _ array: NPYArray, rows: Int, columns: Int) throws(ToolError) -> Matrix<Scalar> {
      try with(option) { () throws(NPYError) in
        try Matrix<Scalar>(npy: NPYArray(shape: [array.elements.count], elements: array.elements), converting: convert)
          .reshaped(rows: rows, columns: columns)
      }
    }
    func state(_ option: String, _ array: NPYArray?, width: Int) throws(ToolError) -> Matrix<Scalar>? {
      guard let array else { return nil }
      let expected = unbatched ? [directions * layers, width] : [directions * layers, batch, width]
      guard array.shape == expected else {
        throw ToolError(
          "\(option) must be (D·L) × \(unbatched ? "" : "B × ")\(width == hidden ? "H" : "P") = \(expected) for D = \(directions), L = \(layers); got \(array.shape)"
        )
      }
      return try matrix(option, array, rows: directions * layers * batch, columns: width)
    }
    if data.initialCell != nil && network.mode != .lstm {
      throw ToolError("--initial-cell: only an LSTM has a cell state; these weights are a \(network.mode)")
    }
    let x = try matrix("--inputs", data.inputs, rows: steps * batch, columns: features)
    let target = try matrix("--targets", data.targets, rows: steps * batch, columns: directions * hidden)
    let h0 = try state("--initial-state", data.initialState, width: hidden)
    let c0 = try state("--initial-cell", data.initialCell, width: cellSize)

    var optimizer = makeOptimizer(Scalar.self)
    let loss = MSELoss(reduction: reduction)
    var log = "step,epoch,loss,gradient_norm,seconds\n"
    var (losses, lossEpochs) = ([Double](), [Int]())
    let start = Date()
    var first = 0.0
    var last = 0.0
    // The steps: each the whole batch, or each epoch's shuffled minibatches (sequence indices).
    var plan: [(epoch: Int, sequences: [Int]?)] = []
    if let epochs {
      guard (batchSize ?? batch) <= batch else {
        throw ToolError("--batch-size is \(batchSize!) but --inputs has B = \(batch) sequences")
      }
      var generator = SeededGenerator(seed: seed)
      for epoch in 1...epochs {
        plan += minibatches(count: batch, size: batchSize ?? batch, using: &generator).map { (epoch, $0) }
      }
    } else {
      plan = Array(repeating: (1, nil), count: self.steps ?? 100)
    }
    let every = max(1, plan.count / 100)
    var pass = RecurrentNetwork<Scalar>.TrainingPass()
    var outputGradient = Matrix<Scalar>(rows: 0, columns: 0, scalars: [])
    for (index, (epoch, sequences)) in plan.enumerated() {
      let step = index + 1
      var value: Scalar = 0
      let size = sequences?.count ?? batch
      // Into the pass and the loss's gradient of the step before: their buffers are reused.
      try network.gradients(
        sequences.map { x.sequences($0, of: batch) } ?? x, batchSize: size,
        lengths: sequences.flatMap { chosen in lengths.map { all in chosen.map { all[$0] } } } ?? lengths,
        initialState: sequences.flatMap { chosen in h0?.sequences(chosen, of: batch) } ?? h0,
        initialCell: sequences.flatMap { chosen in c0?.sequences(chosen, of: batch) } ?? c0, into: &pass
      ) { (output) throws(ShapeError) in
        value = try loss(
          output.output, sequences.map { target.sequences($0, of: batch) } ?? target, gradient: &outputGradient)
        return .init(output: outputGradient)
      }
      let norm: Double
      if let clipGradNorm {
        norm = clipGradientNorm(&pass.gradients.parameters, maximumNorm: clipGradNorm)
      } else {
        norm = gradientNorm(pass.gradients.parameters)
      }
      guard value.isFinite, norm.isFinite else {
        if step == 1 {
          throw ToolError(
            "the loss or its gradient is not finite at the first step (loss \(value), gradient norm \(norm)): "
              + "--inputs, --targets, the initial states or the weights hold NaN or infinity")
        }
        throw ToolError(
          "the loss or its gradient is no longer finite at step \(step) (loss \(value), gradient norm \(norm)): "
            + "lower --learning-rate, or pass --clip-grad-norm")
      }
      optimizer.step(&parameters, gradients: pass.gradients.parameters)
      if let name = parameters.keys.sorted().first(where: { !parameters[$0]!.scalars.allSatisfy(\.isFinite) }) {
        throw ToolError(
          "\(name) is no longer finite after step \(step): lower --learning-rate, or pass --clip-grad-norm")
      }
      // The new weights into the same network: its buffers are reused by the next step.
      try network.load(stateDict: parameters)
      let seconds = Date().timeIntervalSince(start)
      log += "\(step),\(epoch),\(value),\(norm),\(seconds)\n"
      losses.append(Double(value))
      lossEpochs.append(epoch)
      if step == 1 { first = Double(value) }
      last = Double(value)
      if step % every == 0 || step == plan.count {
        let where_ = epochs.map { "epoch \(epoch)/\($0), " } ?? ""
        printError(
          "rnn-train: \(where_)step \(step)/\(plan.count)  loss \(value)  gradient norm \(norm)  \(format(seconds)) s")
      }
    }
    printError(
      "rnn-train: \(plan.count) steps of \(optimizer is SGD<Scalar> ? "SGD" : self.optimizer.rawValue): loss \(first) at the first, \(last) at the last; \(format(Date().timeIntervalSince(start))) s"
    )
    // In the weights' dtype, names and shapes as read.
    let outputType = weightsDtype(data.weights)
    var trained: [String: NPYArray] = [:]
    for (name, value) in parameters {
      let shape = data.weights.arrays[name]!.shape
      let elements: NPYArray.Elements =
        outputType == .float32
        ? .float32(value.scalars.map { Float($0) }) : .float64(value.scalars.map { Double($0) })
      trained[name] = NPYArray(shape: shape, elements: elements)
    }
    let subtitle =
      "\(network.mode) H = \(network.hiddenSize), \(layers) layer(s)\(directions == 2 ? ", bidirectional" : ""); "
      + "\(self.optimizer.rawValue), learning rate \(learningRate); \(Scalar.self == Float.self ? "float32" : "float64"); "
      + "nn.MSELoss(reduction='\(reduction.rawValue)')"
    return Trained(
      weights: trained, log: log, chart: LossChart(losses: losses, epochs: lossEpochs, subtitle: subtitle))
  }

  func makeOptimizer<Scalar: BLASScalar>(_: Scalar.Type) -> any Optimizer<Scalar> {
    switch optimizer {
    case .sgd:
      SGD<Scalar>(
        learningRate: Scalar(learningRate), momentum: Scalar(momentum), weightDecay: Scalar(weightDecay ?? 0))
    case .adam: Adam<Scalar>(learningRate: learningRate, weightDecay: weightDecay ?? 0)
    case .adamw: Adam<Scalar>.adamW(learningRate: learningRate, weightDecay: weightDecay ?? 1e-2)
    }
  }

  private func format(_ seconds: Double) -> String {
    String(format: "%.3f", seconds)
  }
}
