import NumPyIO
import _CommandLineSupport

// --weights: any state dict file, the recurrent module found in it, and what was set aside.
extension RNNForward {
  /// The weights the run uses, by their short names (`weight_ih_l0`, or `W_hh`/`W_hx`/`b`), read
  /// from an .npz, torch.save or .safetensors file within what is left of the memory budget.
  /// Notes on stderr say which module was used, what was ignored and what was widened.
  func readWeights(budget: inout MemoryBudget) throws -> NPZArchive {
    let file = try RecurrentWeightsFile(
      path: weights, module: module, maximumBytes: budget.remaining, tool: "rnn-forward")
    try budget.add("--weights", file.decodedBytes)
    return file.archive
  }
}
