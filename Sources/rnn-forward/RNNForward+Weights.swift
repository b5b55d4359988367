import DenseMatrix
import Foundation
import NumPyIO
import PyTorchIO
import RNN

// --weights: any state dict file, the recurrent module found in it, and what was set aside.
extension RNNForward {
  /// The weights the run uses, by their short names (`weight_ih_l0`, or `W_hh`/`W_hx`/`b`), read
  /// from an .npz, torch.save or .safetensors file within what is left of the memory budget.
  /// Notes on stderr say which module was used, what was ignored and what was widened.
  func readWeights(budget: inout MemoryBudget) throws -> NPZArchive {
    let file: StateDict
    do {
      file = try StateDict(
        path: weights, limits: .init(maximumArrayBytes: budget.remaining, maximumTotalBytes: budget.remaining))
    } catch {
      throw ToolError("--weights: \(error.description)")
    }
    try budget.add("--weights", file.tensors.values.reduce(0) { $0 + $1.decodedBytes })
    let names = Set(file.names)
    // The tensors used, full names by the short ones: the notebook's naming (one vanilla layer)
    // is the whole file; otherwise the recurrent module's parameters.
    let used: [String: String]
    if module == nil && (names.contains("W_hh") || names.contains("W_hx")) {
      used = Dictionary(uniqueKeysWithValues: names.map { ($0, $0) })
    } else {
      let selection: (module: String, parameters: [String: String], ignored: [String])
      do {
        selection = try RecurrentNetwork<Double>.selectModule(module, in: names)
      } catch {
        throw ToolError("--weights: \(weights): \(error.description)")
      }
      if !selection.ignored.isEmpty {
        let shown = selection.ignored.prefix(6).joined(separator: ", ")
        let more = selection.ignored.count > 6 ? ", … (\(selection.ignored.count) in all)" : ""
        note("--weights: using module '\(selection.module)'; ignored what is not under it: \(shown)\(more)")
      }
      used = selection.parameters
    }
    try requireDecoded(file, used.values.sorted())
    let widened = used.values.filter { file.widened[$0] != nil }.sorted()
    if let first = widened.first {
      note(
        "--weights: \(widened.count) tensor(s) saved as \(file.widened[first]!) (\(first)\(widened.count > 1 ? ", …" : "")) "
          + "widened to float32 exactly")
    }
    return NPZArchive(arrays: used.mapValues { file.tensors[$0]! })
  }

  /// Refuses tensors of a type that is not decoded (integers, bool) among those the run needs.
  private func requireDecoded(_ file: StateDict, _ names: [String]) throws(ToolError) {
    if let name = names.first(where: { file.tensors[$0] == nil }) {
      let what =
        file.unreadable[name].map { "a tensor of dtype \($0)" } ?? "not a tensor but a \(file.ignored[name] ?? "value")"
      throw ToolError(
        "--weights: \(weights): \(name) is \(what); a recurrent layer's parameters are float32, float64, float16 or bfloat16"
      )
    }
  }

  func note(_ message: String) {
    FileHandle.standardError.write(Data("rnn-forward: note: \(message)\n".utf8))
  }
}
