public import DenseMatrix

/// Why a state dict cannot make a ``RecurrentNetwork``; every case names the tensor.
public enum RecurrentNetworkError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The state dict has no `weight_hh_l0`.
  case empty(available: [String])
  /// A tensor the layers, directions and bias of the state dict imply is absent.
  case missingTensor(name: String)
  /// A tensor that belongs to no layer of this configuration, with the valid name closest to
  /// it, if one is close.
  case unexpectedTensor(name: String, closest: String?)
  /// No name of the state dict ends in `weight_ih_l0`.
  case noRecurrentModule(names: [String])
  /// Several recurrent modules, and none was chosen.
  case severalModules([String])
  /// The module asked for is not one of the state dict's recurrent modules.
  case unknownModule(String, modules: [String])
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
    case .unexpectedTensor(let name, let closest):
      if let closest { return "\(name) is not a parameter of this network: did you mean \(closest)?" }
      return
        "\(name) is not a parameter of this network (expected weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, each optionally with _reverse)"
    case .noRecurrentModule(let names):
      let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", … (\(names.count) names)" : "")
      return
        "no recurrent module: no name ends in weight_ih_l0 (PyTorch's nn.RNN, nn.LSTM or nn.GRU); the state dict has \(names.isEmpty ? "no tensors" : shown)"
    case .severalModules(let modules):
      return
        "the state dict has \(modules.count) recurrent modules: \(modules.map { $0.isEmpty ? "'' (the root)" : $0 }.joined(separator: ", ")); choose one with --module NAME (RecurrentNetwork(stateDict:module:))"
    case .unknownModule(let module, let modules):
      return
        "'\(module)' is not a recurrent module of the state dict; it has \(modules.isEmpty ? "none" : modules.map { $0.isEmpty ? "'' (the root)" : $0 }.joined(separator: ", "))"
    case .shape(let name, let expected, let found):
      return "\(name) must be \(expected), found \(found.compact)"
    case .mode(let message):
      return message
    }
  }
}
