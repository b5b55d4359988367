import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import _CommandLineSupport

/// Runs a trained vanilla RNN, saved by numpy or PyTorch, over a sequence stored in a `.npy` file.
@main
struct RNNForward: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rnn-forward",
    abstract:
      "Runs a recurrent network (RNN, LSTM or GRU, any layers, either direction) from PyTorch or numpy weights over a .npy sequence.",
    discussion: """
      Weights (--weights): a file torch.save wrote (.pt, .pth, .bin: PyTorch 1.6 \
      or later), a .safetensors file or an .npz archive, recognised by its \
      contents. A torch.save file is read without Python and runs nothing: only \
      tensors, containers, numbers and strings are read (a pickled nn.Module is \
      refused: save model.state_dict()). float16 and bfloat16 tensors are \
      widened to float32 (a note on stderr says so). A whole model's state dict \
      or a checkpoint ({"model_state_dict": ...}, nested names joined with '.') \
      works too: the recurrent module is the prefix of its weight_ih_l0 \
      (encoder.rnn for encoder.rnn.weight_ih_l0); with exactly one it is used \
      and the rest ignored (listed on stderr), with several --module NAME \
      chooses. The weights use either naming:
        weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}
          PyTorch's nn.RNN, nn.LSTM or nn.GRU state dict, any number of layers \
      k, each also with _reverse when bidirectional (bias=False: no bias tensors). \
      The mode is inferred (weight_hh_l0 has 4·H rows for an LSTM, 3·H for a GRU, \
      H for an RNN: rnn_tanh unless --mode rnn_relu); layers and directions come \
      from the names. An LSTM with proj_size has weight_hr_l{k} (P × H): its \
      outputs, h_0 and h_n then have P features, c_0 and c_n H.
        W_hh (n_h × n_h), W_hx (n_h × n_x), b (n_h or n_h × 1)
          one vanilla RNN layer with any --activation

      Inputs (--inputs, a .npy array), in PyTorch's batch_first=False layout:
        2-D  T × I        one sequence           -> output T × D·H
        3-D  T × B × I    a batch of B sequences -> output T × B × D·H
      or with --batch-first B × T × I -> output B × T × D·H (D = 2 for a \
      bidirectional network, the backward direction in the last H columns). \
      Other ranks are refused.

      Padded batches: --lengths FILE.npy holds each sequence's length (B \
      integers in 1...T, any order), as pack_padded_sequence(enforce_sorted=False) \
      takes them: the output is 0 at padded steps (as pad_packed_sequence gives \
      it), h_n and c_n are each sequence's state at its own last step, the \
      backward direction starts there, and padding is never read.

      States, in PyTorch's layouts (L layers): --initial-state h_0 and, for an \
      LSTM, --initial-cell c_0 are (D·L) × B × H ((D·L) × H for a 2-D input; a \
      one-layer one-direction network also takes H or B × H); zero when not \
      given. --final-state writes h_n and --final-cell c_n (LSTM) in the same \
      shape.

      Element type: the run computes in the weights' dtype (float32 for a \
      PyTorch state dict saved as is, float64 for numpy's default) and writes \
      every output in it. The inputs and the initial states must have that \
      dtype too; --dtype float32 or --dtype float64 computes in that type \
      instead, converting every array to it (rounded to nearest when narrowing).

      Files: inputs must be regular files (or links to them). The outputs are \
      written atomically and together: each to a temporary file in its \
      directory; then every destination is checked again and all are renamed \
      into place, or none (a rename that fails undoes the ones before it). An \
      existing regular file is replaced and keeps its permissions, a symbolic \
      link is followed; a directory, FIFO or device (/dev/null included), a \
      path ending in '/' and two outputs naming the same file are refused. On \
      any error the command exits 1, names the option and the path as typed, \
      and leaves every existing file exactly as it was. SIGINT, SIGTERM and \
      SIGHUP remove the temporary files; after SIGKILL, files named \
      .NAME.RANDOM.partial or .NAME.RANDOM.backup may remain beside the \
      outputs, which hold their old or their new contents: delete them.

      Memory: every copy the run makes (the files as decoded, --dtype's \
      conversions, the cells' joined weights, the sequences and the outputs) \
      is counted against --memory-limit before it is allocated, so a small \
      file that declares or inflates to a huge array is refused. The peak \
      resident memory stays within the limit plus the program itself (under \
      64 MiB).
      """)

  @Option(help: "The weights: a torch.save file (.pt), .safetensors or .npz (see above).")
  var weights: String

  @Option(help: "A .npy array of inputs: T × I, or T × B × I.")
  var inputs: String

  @Option(help: "Where to write the last layer's hidden states (.npy): T × D·H, or T × B × D·H.")
  var output: String

  @Option(help: "Optional .npy of B integers in 1...T: each sequence's length in a padded batch.")
  var lengths: String?

  @Flag(help: "The inputs are B × T × I and the output B × T × D·H (PyTorch's batch_first=True).")
  var batchFirst = false

  @Option(help: "Optional .npy h_0: (D·L) × B × H, or (D·L) × H for a 2-D input.")
  var initialState: String?

  @Option(help: "Optional .npy c_0 for an LSTM, shaped like h_0.")
  var initialCell: String?

  @Option(help: "Where to write h_n (.npy), shaped like h_0.")
  var finalState: String?

  @Option(help: "Where to write an LSTM's c_n (.npy), shaped like h_0.")
  var finalCell: String?

  @Option(
    help: ArgumentHelp(
      "The recurrent module's name in a whole model's state dict (default: the only one).",
      discussion: "The prefix before weight_ih_l0: encoder.rnn for encoder.rnn.weight_ih_l0; '' for a bare state dict.",
      valueName: "name"))
  var module: String?

  @Option(help: "rnn_tanh, rnn_relu, lstm or gru (default: inferred from the state dict).")
  var mode: RecurrentNetwork<Double>.Mode?

  @Option(help: "fused, split, hoisted or fusedConcatenatingEachStep.")
  var formulation: Formulation = .hoisted

  @Option(help: "W_hh/W_hx weights: tanh (default), sigmoid, relu or identity. PyTorch's: tanh or relu (= --mode).")
  var activation: Activation?

  @Option(
    help: """
      blas, blasGEMM, pureSwift or packed (default: packed, which is blas but for the per-step \
      W_hh · h on W_hh packed once, where that is faster).
      """)
  var backend: Backend?

  @Option(help: "float32 or float64: compute in this type, converting every array (default: the weights' dtype).")
  var dtype: ElementType?

  @Option(help: BLASCoreChoice.help)
  var blasCore: BLASCoreChoice = .auto

  @Option(help: "The most memory the weights, inputs and buffers may take: bytes, or with K, M, G (powers of 1024).")
  var memoryLimit: ByteCount = ByteCount(1 << 33)

  func run() throws {
    removeStagedFilesOnInterrupt()
    _ = try applyBLASCore(blasCore, tool: "rnn-forward")
    var budget = MemoryBudget(limit: memoryLimit.bytes)
    do {
      // The destinations first: a bad output path fails before any work, and is left alone.
      var outputs = [Output(option: "--output", path: output, destination: try destination("--output", output))]
      if let finalState {
        outputs.append(
          .init(option: "--final-state", path: finalState, destination: try destination("--final-state", finalState)))
      }
      if let finalCell {
        outputs.append(
          .init(option: "--final-cell", path: finalCell, destination: try destination("--final-cell", finalCell)))
      }
      for (i, a) in outputs.enumerated() {
        if let b = outputs[(i + 1)...].first(where: { $0.destination.isSameFile(as: a.destination) }) {
          throw ToolError("\(a.option) and \(b.option) name the same file")
        }
      }
      // Each file gets what the ones before it left of --memory-limit.
      let archive = try readWeights(budget: &budget)
      let sequence = try read("--inputs", inputs, budget: &budget)
      let arrays = Arrays(
        archive: archive, sequence: sequence,
        initialState: try initialState.map { try read("--initial-state", $0, budget: &budget) },
        initialCell: try initialCell.map { try read("--initial-cell", $0, budget: &budget) },
        lengths: try lengths.map { try read("--lengths", $0, budget: &budget) })
      let type = try computeType(arrays)
      let results: Results
      switch type {
      case .float32: results = try compute(Float.self, arrays, budget: budget)
      case .float64: results = try compute(Double.self, arrays, budget: budget)
      }
      var writes = [(outputs[0], results.output)]
      if let state = outputs.first(where: { $0.option == "--final-state" }) {
        writes.append((state, results.finalState))
      }
      if let cellOutput = outputs.first(where: { $0.option == "--final-cell" }) {
        guard let cell = results.finalCell else {
          throw ToolError("--final-cell: only an LSTM has a cell state; these weights are a \(results.mode)")
        }
        writes.append((cellOutput, cell))
      }
      try commit(writes)
    } catch let error as NPYError {
      throw failure(error.description)
    } catch let error as ShapeError {
      throw failure(error.description)
    } catch let error as RecurrentNetworkError {
      throw failure("--weights: \(weights): \(error.description)")
    } catch let error as ToolError {
      throw failure(error.message)
    }
  }

  private func failure(_ message: String) -> some Error {
    FileHandle.standardError.write(Data("rnn-forward: error: \(message)\n".utf8))
    return ExitCode.failure
  }

}
