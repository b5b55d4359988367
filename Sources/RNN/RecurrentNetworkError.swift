public import DenseMatrix

/// Why a state dict cannot make a ``RecurrentNetwork``; every case names the tensor.
public enum RecurrentNetworkError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The state dict has no `weight_hh_l0`.
  case empty(available: [String])
  /// A tensor the layers, directions and bias of the state dict imply is absent.
  case missingTensor(name: String)
  /// A tensor that belongs to no layer of this configuration.
  case unexpectedTensor(name: String)
  /// `weight_hr_l{k}`: an LSTM with `proj_size > 0`, which is not supported.
  case projectionNotSupported(name: String)
  /// A tensor's shape is not the one its layer needs.
  case shape(name: String, expected: String, found: Shape)
  /// `weight_hh_l0` does not have 1, 3 or 4 times as many rows as columns, or not the rows the
  /// requested mode needs.
  case mode(String)

  /// The message.
  public var description: String {
    switch self {
    case .empty(let available):
      let names = available.isEmpty ? "it is empty" : "it has " + available.sorted().joined(separator: ", ")
      return "the state dict has no weight_hh_l0 (PyTorch's nn.RNN, nn.LSTM or nn.GRU names): \(names)"
    case .missingTensor(let name):
      return "\(name) is missing (the other tensors' names imply it)"
    case .unexpectedTensor(let name):
      return
        "\(name) is not a parameter of this network (expected weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, each optionally with _reverse)"
    case .projectionNotSupported(let name):
      return "\(name): LSTMs with proj_size > 0 are not supported"
    case .shape(let name, let expected, let found):
      return "\(name) must be \(expected), found \(found.compact)"
    case .mode(let message):
      return message
    }
  }
}
