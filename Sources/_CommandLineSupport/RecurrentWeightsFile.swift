public import NumPyIO
import PyTorchIO
import RNN

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The weights a tool runs or trains, read from any state dict file (`.npz`, `torch.save`,
/// `.safetensors`): by their short names (`weight_ih_l0`, or the notebook's `W_hh`/`W_hx`/`b`,
/// which are taken as they are), with the recurrent module found as
/// `RecurrentNetwork.selectModule` finds it.
public struct RecurrentWeightsFile {
  /// The tensors used, by their short names.
  public var archive: NPZArchive
  /// The bytes the whole file took once decoded (for a tool's memory budget).
  public var decodedBytes: Int
  /// The module's name in the file ('' for a bare state dict).
  public var module: String

  /// Reads `path` (tensors of at most `maximumBytes` in all); notes on stderr, as `tool: note:`,
  /// say which module was used, what was ignored and what was widened.
  ///
  /// - Throws: ``ToolError`` naming `--weights` and the path.
  public init(path: String, module: String?, maximumBytes: Int, tool: String) throws(ToolError) {
    let file: StateDict
    do {
      file = try StateDict(path: path, limits: .init(maximumArrayBytes: maximumBytes, maximumTotalBytes: maximumBytes))
    } catch {
      throw ToolError("--weights: \(error.description)")
    }
    decodedBytes = file.tensors.values.reduce(0) { $0 + $1.decodedBytes }
    func note(_ message: String) { printError("\(tool): note: \(message)") }
    let names = Set(file.names)
    // The tensors used, full names by the short ones: the notebook's naming (one vanilla layer)
    // is the whole file; otherwise the recurrent module's parameters.
    let used: [String: String]
    if module == nil && (names.contains("W_hh") || names.contains("W_hx")) {
      used = Dictionary(uniqueKeysWithValues: names.map { ($0, $0) })
      self.module = ""
    } else {
      let selection: (module: String, parameters: [String: String], ignored: [String])
      do {
        selection = try RecurrentNetwork<Double>.selectModule(module, in: names)
      } catch {
        throw ToolError("--weights: \(path): \(error.description)")
      }
      if !selection.ignored.isEmpty {
        let shown = selection.ignored.prefix(6).joined(separator: ", ")
        let more = selection.ignored.count > 6 ? ", … (\(selection.ignored.count) in all)" : ""
        note("--weights: using module '\(selection.module)'; ignored what is not under it: \(shown)\(more)")
      }
      used = selection.parameters
      self.module = selection.module
    }
    // Tensors of a type that is not decoded (integers, bool) among those the run needs.
    if let name = used.values.sorted().first(where: { file.tensors[$0] == nil }) {
      let what =
        file.unreadable[name].map { "a tensor of dtype \($0)" } ?? "not a tensor but a \(file.ignored[name] ?? "value")"
      throw ToolError(
        "--weights: \(path): \(name) is \(what); a recurrent layer's parameters are float32, float64, float16 or bfloat16"
      )
    }
    let widened = used.values.filter { file.widened[$0] != nil }.sorted()
    if let first = widened.first {
      note(
        "--weights: \(widened.count) tensor(s) saved as \(file.widened[first]!) (\(first)\(widened.count > 1 ? ", …" : "")) "
          + "widened to float32 exactly")
    }
    archive = NPZArchive(arrays: used.mapValues { file.tensors[$0]! })
  }
}

extension NPYArray {
  /// The bytes this array takes decoded.
  public var decodedBytes: Int { elements.count * itemSize }
}

/// `--lengths`: B integers in 1...T, one per sequence of a padded batch.
///
/// - Throws: ``ToolError`` for another rank or a value that is not such an integer.
public func sequenceLengths(_ array: NPYArray, steps: Int) throws(ToolError) -> [Int] {
  guard array.shape.count == 1 else {
    throw ToolError("--lengths must be a 1-D array of B integers, got shape \(array.shape)")
  }
  var lengths: [Int] = []
  for (index, value) in array.scalars.enumerated() {
    guard value.rounded() == value, value >= 1, value <= Double(steps) else {
      throw ToolError("--lengths[\(index)] is \(value); every length must be an integer in 1...T = 1...\(steps)")
    }
    lengths.append(Int(value))
  }
  return lengths
}
