#if !PYTORCHIO_STANDALONE  // Tests/Fuzz/fuzz.sh compiles this module's files without the package
public import NumPyIO
#endif

/// Why a state dict file could not be read or written.
///
/// Every case says what was found and, where there is one, what to do instead: a pickled
/// module gets `torch.save(model.state_dict(), path)`, a legacy file gets how to save it again.
public enum StateDictError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The zip container (shared with `.npz`), an `.npz` member, or reading the file.
  case npy(NPYError)
  /// `data.pkl` of a `torch.save` file is malformed or asks for something that is refused.
  case pickle(String)
  /// The `torch.save` container: a missing `data.pkl`, a storage record that is missing or
  /// of the wrong size, a tensor that reaches past its storage.
  case torchArchive(String)
  /// A `.safetensors` file's header or data.
  case safeTensors(String)
  /// The bytes are none of the formats read here.
  case unrecognizedFormat(String)
  /// The tensors need more memory than the limits allow.
  case exceedsLimit(String)
  /// A flattened name occurs twice, or a name cannot be written.
  case name(String)
  /// What is wrong with the file at `path`.
  indirect case file(path: String, error: StateDictError)

  /// The message.
  public var description: String {
    switch self {
    case .npy(let error): return error.description
    case .pickle(let reason): return "torch.save file: data.pkl: \(reason)"
    case .torchArchive(let reason): return "torch.save file: \(reason)"
    case .safeTensors(let reason): return "safetensors: \(reason)"
    case .unrecognizedFormat(let reason): return reason
    case .exceedsLimit(let reason): return reason
    case .name(let reason): return reason
    case .file(let path, let error):
      if case .npy(let inner) = error, case .io = inner { return inner.description }
      return "\(path): \(error.description)"
    }
  }

  /// This error, said to be about the file at `path` (unless it already names one).
  func inFile(_ path: String) -> StateDictError {
    switch self {
    case .file: return self
    case .npy(.io), .npy(.file): return self
    default: return .file(path: path, error: self)
    }
  }
}
