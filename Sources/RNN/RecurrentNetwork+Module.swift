public import DenseMatrix

extension RecurrentNetwork {
  /// The recurrent modules among a state dict's names: the prefix before each
  /// `weight_ih_l0`, without its dot (`"encoder.rnn"` for `encoder.rnn.weight_ih_l0`, `""` for
  /// a bare `nn.LSTM`'s state dict), sorted.
  ///
  /// - Complexity: O(names).
  public static func recurrentModules(in names: some Sequence<String>) -> [String] {
    let suffix = "weight_ih_l0"
    var modules: Set<String> = []
    for name in names where name.hasSuffix(suffix) {
      let prefix = name.dropLast(suffix.count)
      if prefix.isEmpty {
        modules.insert("")
      } else if prefix.hasSuffix(".") {
        modules.insert(String(prefix.dropLast()))
      }
    }
    return modules.sorted()
  }

  /// Which names of a whole model's state dict belong to one recurrent module: `module` if
  /// given, otherwise the only one there is (see ``recurrentModules(in:)``).
  ///
  /// A name belongs to module `m` when it starts with `m.` (for the root module `""`: when it
  /// has no dot); the rest of the name is the parameter's (`weight_hh_l0`).
  ///
  /// - Returns: The module, its parameters' full names by their short names, and every other
  ///   name (sorted), which the module does not use.
  /// - Throws: ``RecurrentNetworkError/noRecurrentModule(names:)``,
  ///   ``RecurrentNetworkError/severalModules(_:)`` when `module` is `nil` and there are
  ///   several, ``RecurrentNetworkError/unknownModule(_:modules:)`` when `module` is not one.
  /// - Complexity: O(names).
  public static func selectModule(
    _ module: String? = nil, in names: some Sequence<String>
  ) throws(RecurrentNetworkError)
    -> (module: String, parameters: [String: String], ignored: [String])
  {
    let names = Array(names)
    let modules = recurrentModules(in: names)
    let chosen: String
    if let module {
      guard modules.contains(module) else { throw .unknownModule(module, modules: modules) }
      chosen = module
    } else {
      guard let only = modules.first else { throw .noRecurrentModule(names: names.sorted()) }
      guard modules.count == 1 else { throw .severalModules(modules) }
      chosen = only
    }
    var parameters: [String: String] = [:]
    var ignored: [String] = []
    for name in names {
      if chosen.isEmpty {
        if name.contains(".") { ignored.append(name) } else { parameters[name] = name }
      } else if name.hasPrefix(chosen + ".") {
        parameters[String(name.dropFirst(chosen.count + 1))] = name
      } else {
        ignored.append(name)
      }
    }
    return (chosen, parameters, ignored.sorted())
  }

  /// A network from one recurrent module of a whole model's state dict (a checkpoint's
  /// `model_state_dict.encoder.rnn.weight_ih_l0`, say): the module's tensors are taken by
  /// ``selectModule(_:in:)`` and the rest is ignored; see ``init(stateDict:mode:formulation:backend:)``
  /// for everything else.
  ///
  /// - Parameters:
  ///   - stateDict: The tensors by their full names.
  ///   - module: The module's name, `""` for a bare state dict; `nil` to take the only one.
  ///   - mode: The kind of cell, or `nil` to infer it.
  ///   - formulation: How the cells compute their steps; ``Formulation/hoisted`` by default.
  ///   - backend: The product backend; `nil` (the default) chooses at each call (see ``backend``).
  /// - Throws: ``RecurrentNetworkError``: as ``selectModule(_:in:)``, then as
  ///   ``init(stateDict:mode:formulation:backend:)`` for the module's tensors.
  /// - Complexity: O(Σ parameter sizes).
  public init(
    stateDict: [String: Matrix<Scalar>], module: String?, mode: Mode? = nil, formulation: Formulation = .hoisted,
    backend: Backend? = nil
  ) throws(RecurrentNetworkError) {
    let selection = try Self.selectModule(module, in: stateDict.keys)
    try self.init(
      stateDict: selection.parameters.mapValues { stateDict[$0]! }, mode: mode, formulation: formulation,
      backend: backend)
  }

  /// The valid name closest to `name` by edit distance (`weight_ih_10` → `weight_ih_l0`), if
  /// one is within a third of its length.
  static func closest(to name: String, among candidates: [String]) -> String? {
    let target = Array(name.utf8)
    /// Levenshtein's distance, one row of the table at a time.
    func distance(to candidate: String) -> Int {
      var row = Array(0...candidate.utf8.count)
      for (i, a) in target.enumerated() {
        var diagonal = row[0]
        row[0] = i + 1
        for (j, b) in candidate.utf8.enumerated() {
          let substitution = diagonal + (a == b ? 0 : 1)
          diagonal = row[j + 1]
          row[j + 1] = min(row[j + 1] + 1, row[j] + 1, substitution)
        }
      }
      return row[candidate.utf8.count]
    }
    let scored = candidates.map { (name: $0, distance: distance(to: $0)) }
    guard let best = scored.min(by: { ($0.distance, $0.name) < ($1.distance, $1.name) }),
      best.distance <= max(1, name.count / 3)
    else { return nil }
    return best.name
  }
}
