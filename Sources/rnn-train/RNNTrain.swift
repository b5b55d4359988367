import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import PyTorchIO
import RNN
import RNNTraining
import _CommandLineSupport

/// Trains a PyTorch recurrent network's weights on sequences stored in `.npy` files.
@main
struct RNNTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rnn-train",
    abstract:
      "Trains a recurrent network (RNN, LSTM or GRU, any layers, either direction) from PyTorch weights on .npy sequences.",
    discussion: """
      Weights (--weights): a PyTorch state dict of nn.RNN, nn.LSTM or nn.GRU \
      (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, _reverse when \
      bidirectional) in a torch.save file, a .safetensors file or an .npz archive, \
      read as rnn-forward reads it (--module NAME picks the recurrent module of a \
      whole model's state dict); an LSTM's proj_size (weight_hr_l{k}) trains too.

      Data, in PyTorch's batch_first=False layout: --inputs T × B × I (or T × I), \
      --targets shaped like the network's output, T × B × D·H (or T × D·H; P for H \
      with proj_size). \
      Optional: --lengths (B integers in 1...T, a padded batch as \
      pack_padded_sequence(enforce_sorted=False) takes it: the output is zero at \
      padded steps, as pad_packed_sequence(total_length=T) gives it, and the loss \
      is taken over that padded output), --initial-state h_0 and --initial-cell c_0 \
      ((D·L) × B × H; h_0's P with proj_size).

      Each of --steps steps (default 100) is one full-batch step; with --epochs N, \
      each epoch shuffles the B sequences (--seed; Fisher–Yates from \
      DenseMatrix's SeededGenerator) and takes one step per minibatch of \
      --batch-size of them (the last one smaller). A step is a forward pass, the loss \
      nn.MSELoss() over every element of the output (--reduction sum for its \
      sum), its gradients by backpropagation through time, optionally \
      clip_grad_norm_ (--clip-grad-norm), and one step of torch.optim's SGD \
      (--momentum, --weight-decay), Adam or AdamW (--weight-decay; AdamW's \
      default 0.01), the same arithmetic as PyTorch's. The loss of each step \
      (before its update) and the gradients' norm (before clipping) are printed \
      on stderr; --log FILE.csv writes step, epoch, loss, gradient norm and \
      seconds since the start for every step, --plot FILE.svg a chart of the loss \
      per step (log scale, in rnn-bench's style).

      Output (--output): the trained state dict with PyTorch's names (the \
      module's own, without its prefix: load it with \
      module.load_state_dict(...)) and the weights' shapes, in the weights' \
      dtype: a .safetensors file (safetensors.torch.load_file reads it) or an \
      .npz archive, by the name's extension. The computation runs in the weights' \
      dtype, or in --dtype's. Files are written as rnn-forward writes them: \
      atomically and together (output, log and plot), only after the last step; on \
      any error (a bad file, a loss that is no longer finite) the command exits \
      1 and leaves every existing file exactly as it was.
      """)

  @Option(help: "The weights: a torch.save file (.pt), .safetensors or .npz.")
  var weights: String

  @Option(help: "A .npy array of inputs: T × B × I, or T × I.")
  var inputs: String

  @Option(help: "A .npy array of targets, shaped like the output: T × B × D·H, or T × D·H.")
  var targets: String

  @Option(help: "Optional .npy of B integers in 1...T: each sequence's length in a padded batch.")
  var lengths: String?

  @Option(help: "Optional .npy h_0: (D·L) × B × H, or (D·L) × H for a 2-D input.")
  var initialState: String?

  @Option(help: "Optional .npy c_0 for an LSTM, shaped like h_0.")
  var initialCell: String?

  @Option(help: "The recurrent module's name in a whole model's state dict (default: the only one).")
  var module: String?

  @Option(help: "rnn_tanh, rnn_relu, lstm or gru (default: inferred from the state dict).")
  var mode: RecurrentNetwork<Double>.Mode?

  @Option(help: "Training steps, each on the whole batch (default 100; not with --epochs).")
  var steps: Int?

  @Option(help: "Epochs over the batch dimension in shuffled minibatches of --batch-size (instead of --steps).")
  var epochs: Int?

  @Option(help: "Sequences per minibatch with --epochs (default: all B, one step per epoch).")
  var batchSize: Int?

  @Option(help: "The seed of the minibatches' shuffle (--epochs).")
  var seed: UInt64 = 0

  @Option(help: "The loss: mse (nn.MSELoss).")
  var loss: LossChoice = .mse

  @Option(help: "mean (PyTorch's default) or sum of the squared errors.")
  var reduction: MSELoss.Reduction = .mean

  @Option(help: "sgd, adam or adamw.")
  var optimizer: OptimizerChoice = .adam

  @Option(help: "The learning rate (torch.optim's lr).")
  var learningRate = 1e-3

  @Option(help: "SGD's momentum.")
  var momentum = 0.0

  @Option(help: "Weight decay (default 0; 0.01 for adamw, as PyTorch's).")
  var weightDecay: Double?

  @Option(help: "Scale the gradients to at most this total 2-norm each step (clip_grad_norm_).")
  var clipGradNorm: Double?

  @Option(help: "Where to write the trained state dict: FILE.safetensors or FILE.npz.")
  var output: String

  @Option(help: "Where to write a CSV of step, epoch, loss, gradient norm and seconds.")
  var log: String?

  @Option(help: "Where to write an SVG chart of the loss per step (log scale).")
  var plot: String?

  @Option(help: "float32 or float64: compute in this type, converting every array (default: the weights' dtype).")
  var dtype: ElementType?

  @Option(help: "fused, split or hoisted: how the forward pass computes its steps.")
  var formulation: Formulation = .hoisted

  @Option(help: BLASCoreChoice.help)
  var blasCore: BLASCoreChoice = .auto

  @Option(help: "The most memory the files may take decoded: bytes, or with K, M, G (powers of 1024).")
  var memoryLimit: ByteCount = ByteCount(1 << 33)

  enum LossChoice: String, ExpressibleByArgument, CaseIterable {
    case mse
  }

  enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable {
    case sgd, adam, adamw
  }

  func validate() throws {
    if let steps, !(1...10_000_000).contains(steps) { throw ValidationError("--steps must be in 1...10000000") }
    if let epochs {
      guard steps == nil else { throw ValidationError("--steps and --epochs exclude each other") }
      guard (1...10_000_000).contains(epochs) else { throw ValidationError("--epochs must be in 1...10000000") }
    } else if batchSize != nil {
      throw ValidationError("--batch-size takes minibatches over --epochs: pass --epochs too")
    }
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    guard learningRate.isFinite, learningRate >= 0 else {
      throw ValidationError("--learning-rate must be a finite number ≥ 0")
    }
    guard momentum.isFinite, momentum >= 0 else { throw ValidationError("--momentum must be a finite number ≥ 0") }
    guard optimizer == .sgd || momentum == 0 else {
      throw ValidationError("--momentum is SGD's; Adam and AdamW keep their own moments")
    }
    if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) {
      throw ValidationError("--weight-decay must be a finite number ≥ 0")
    }
    if let clipGradNorm, !(clipGradNorm.isFinite && clipGradNorm > 0) {
      throw ValidationError("--clip-grad-norm must be a finite number > 0")
    }
    guard output.hasSuffix(".safetensors") || output.hasSuffix(".npz") else {
      throw ValidationError("--output must name a .safetensors or an .npz file, got '\(output)'")
    }
  }

  func run() throws {
    removeStagedFilesOnInterrupt()
    _ = try applyBLASCore(blasCore, tool: "rnn-train")
    do {
      try execute()
    } catch let error as ToolError {
      throw failure(error.message)
    } catch let error as NPYError {
      throw failure(error.description)
    } catch let error as ShapeError {
      throw failure(error.description)
    } catch let error as RecurrentNetworkError {
      throw failure("--weights: \(weights): \(error.description)")
    }
  }

  /// The run: the destinations checked, the files read, the steps, the outputs written.
  private func execute() throws {
    // The destinations first: a bad path fails before any work, and is left alone.
    let outputDestination = try destination("--output", output)
    let logDestination = try log.map { try destination("--log", $0) }
    let plotDestination = try plot.map { try destination("--plot", $0) }
    let named = [("--output", outputDestination), ("--log", logDestination), ("--plot", plotDestination)]
      .compactMap { option, destination in destination.map { (option, $0) } }
    for (i, first) in named.enumerated() {
      for second in named[(i + 1)...] where first.1.isSameFile(as: second.1) {
        throw ToolError("\(first.0) and \(second.0) name the same file")
      }
    }
    var remaining = memoryLimit.bytes
    let file = try RecurrentWeightsFile(path: weights, module: module, maximumBytes: remaining, tool: "rnn-train")
    remaining -= file.decodedBytes
    func read(_ option: String, _ path: String) throws -> NPYArray {
      let array = try with(option) { () throws(NPYError) in try NPYArray(path: path, maximumBytes: max(0, remaining))
      }
      remaining -= array.decodedBytes
      return array
    }
    let data = TrainingData(
      weights: file.archive, inputs: try read("--inputs", inputs), targets: try read("--targets", targets),
      lengths: try lengths.map { try read("--lengths", $0) },
      initialState: try initialState.map { try read("--initial-state", $0) },
      initialCell: try initialCell.map { try read("--initial-cell", $0) })
    let trained: Trained
    switch try computeType(data) {
    case .float32: trained = try train(Float.self, data)
    case .float64: trained = try train(Double.self, data)
    }
    var files: [(CheckedFileDestination, any FileContents)] = [
      output.hasSuffix(".safetensors")
        ? (outputDestination, SafeTensorsContents(StateDict(tensors: trained.weights)))
        : (outputDestination, NPZArchive(arrays: trained.weights))
    ]
    if let logDestination { files.append((logDestination, FileBytes(Array(trained.log.utf8)))) }
    if let plotDestination { files.append((plotDestination, FileBytes(Array(trained.chart.svg().utf8)))) }
    do {
      try CheckedFileDestination.write(files)
    } catch {
      let failed = files.first { destination, _ in
        if case .io(let path, _) = error { return path == destination.path }
        return false
      }
      let option = failed.map { failed in named.first { $0.1.path == failed.0.path }?.0 ?? "--output" } ?? "--output"
      throw ToolError("\(option): \(error.description)")
    }
  }

  private func failure(_ message: String) -> ExitCode {
    printError("rnn-train: error: \(message)")
    return ExitCode.failure
  }

  func destination(_ option: String, _ path: String) throws(ToolError) -> CheckedFileDestination {
    do {
      return try CheckedFileDestination(path: path)
    } catch {
      throw ToolError("\(option): \(error.description)")
    }
  }

}
