public import DenseMatrix

extension RecurrentNetwork {
  /// A network from a PyTorch state dict: `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
  /// `bias_hh_l{k}` for k = 0 ..< L, each also with `_reverse` when bidirectional, and
  /// `weight_hr_l{k}` for an LSTM with `proj_size > 0`.
  ///
  /// The layer count, the directions and the bias are read from the names; H from
  /// `weight_hh_l0`'s columns; I from `weight_ih_l0`'s. The mode is inferred when `mode` is
  /// `nil`: `weight_hh_l0` has 4H rows for an LSTM, 3H for a GRU and H for a vanilla RNN (taken
  /// as `rnn_tanh`, PyTorch's default; pass ``Mode/rnnReLU`` for ReLU); a `weight_hr_l0` (P × H)
  /// makes it an LSTM with a projection, whose `weight_hh` is 4H × P and whose layers after the
  /// first read D·P features. Every tensor is checked: weights are matrices, biases 1-D (any of
  /// n, n × 1, 1 × n).
  ///
  /// - Parameters:
  ///   - stateDict: The tensors by PyTorch's names.
  ///   - mode: The kind of cell, or `nil` to infer it.
  ///   - formulation: How the cells compute their steps; ``Formulation/hoisted`` by default.
  ///   - backend: The product backend; `nil` (the default) chooses at each call (see ``backend``).
  /// - Throws: ``RecurrentNetworkError`` naming the tensor: a missing or unexpected one (a
  ///   layer gap, a `_reverse` for only some layers, biases for only some, a projection for a
  ///   mode other than LSTM), or a shape with the expected and the found shape.
  /// - Complexity: O(Σ parameter sizes): each cell joins its weights once.
  public init(
    stateDict: [String: Matrix<Scalar>], mode: Mode? = nil, formulation: Formulation = .hoisted,
    backend: Backend? = nil
  ) throws(RecurrentNetworkError) {
    guard let whh0 = stateDict["weight_hh_l0"] else { throw .empty(available: Array(stateDict.keys)) }
    // With a projection, H comes from weight_hr_l0 (P × H) and weight_hh is 4H × P.
    let whr0 = stateDict["weight_hr_l0"]
    let hidden = whr0?.columns ?? whh0.columns
    let projection = whr0?.rows ?? 0
    guard hidden >= 1 else {
      throw .shape(name: "weight_hh_l0", expected: "(G·H × H) with H ≥ 1", found: whh0.shape)
    }
    let resolvedMode: Mode
    if let whr0 {
      guard mode == nil || mode == .lstm else {
        throw .mode("weight_hr_l0 (proj_size) belongs to an LSTM, but mode \(mode!) was asked for")
      }
      guard whr0.rows >= 1, whr0.rows < whr0.columns else {
        throw .shape(
          name: "weight_hr_l0", expected: "(P × H) with 1 ≤ P < H (proj_size < hidden_size)", found: whr0.shape)
      }
      guard whh0.rows == 4 * hidden, whh0.columns == projection else {
        throw .shape(
          name: "weight_hh_l0", expected: "(\(4 * hidden)×\(projection)) (4·H × P, with weight_hr_l0's P × H)",
          found: whh0.shape)
      }
      resolvedMode = .lstm
    } else {
      resolvedMode = try Self.mode(weightHH: whh0, requested: mode)
    }
    let state = projection > 0 ? projection : hidden
    let gates = resolvedMode.gateCount
    var layers = 0
    while stateDict["weight_hh_l\(layers)"] != nil || stateDict["weight_ih_l\(layers)"] != nil { layers += 1 }
    let bidirectional = stateDict["weight_hh_l0_reverse"] != nil || stateDict["weight_ih_l0_reverse"] != nil
    let bias = stateDict["bias_ih_l0"] != nil || stateDict["bias_hh_l0"] != nil
    let directions = bidirectional ? 2 : 1

    // Every name this configuration implies, and nothing else.
    let names = CellParameterNames.all(layers: layers, directions: directions)
    let expected = names.flatMap { $0.names(bias: bias, projection: projection > 0) }
    if let missing = expected.first(where: { stateDict[$0] == nil }) { throw .missingTensor(name: missing) }
    let known = Set(expected)
    if let extra = stateDict.keys.sorted().first(where: { !known.contains($0) }) {
      // The closest of the names this configuration or one more layer would have.
      var candidates = expected
      for kind in ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"] {
        for suffix in ["", "_reverse"] { candidates.append("\(kind)_l\(layers)\(suffix)") }
      }
      throw .unexpectedTensor(name: extra, closest: Self.closest(to: extra, among: candidates))
    }

    let input = stateDict["weight_ih_l0"]!.columns
    var rnn: [RNNCell<Scalar>] = []
    var lstm: [LSTMCell<Scalar>] = []
    var gru: [GRUCell<Scalar>] = []
    for layer in 0..<layers {
      let layerInput = layer == 0 ? input : directions * state
      for suffix in bidirectional ? ["", "_reverse"] : [""] {
        func tensor(_ kind: String, rows: Int, columns: Int?) throws(RecurrentNetworkError) -> Matrix<Scalar> {
          let name = "\(kind)_l\(layer)\(suffix)"
          let m = stateDict[name]!
          let what = gates == 1 ? "H" : "\(gates)·H"
          if let columns {
            guard m.rows == rows, m.columns == columns else {
              let h = projection > 0 ? "P" : "H"
              let detail =
                kind == "weight_hr"
                ? "P × H" : kind == "weight_hh" ? "\(what) × \(h)" : (layer == 0 ? "\(what) × I" : "\(what) × D·\(h)")
              throw .shape(name: name, expected: "(\(rows)×\(columns)) (\(detail))", found: m.shape)
            }
            return m
          }
          guard (m.rows == rows && m.columns == 1) || (m.rows == 1 && m.columns == rows) else {
            throw .shape(name: name, expected: "\(rows) values (\(what))", found: m.shape)
          }
          return m.reshaped(rows: rows, columns: 1)
        }
        let wih = try tensor("weight_ih", rows: gates * hidden, columns: layerInput)
        let whh = try tensor("weight_hh", rows: gates * hidden, columns: state)
        let whr = projection > 0 ? try tensor("weight_hr", rows: projection, columns: hidden) : nil
        let bih = bias ? try tensor("bias_ih", rows: gates * hidden, columns: nil) : nil
        let bhh = bias ? try tensor("bias_hh", rows: gates * hidden, columns: nil) : nil
        // The shapes are checked above, so the cells' own checks cannot fail.
        switch resolvedMode {
        case .rnnTanh, .rnnReLU:
          rnn.append(
            try! RNNCell(
              inputWeights: wih, recurrentWeights: whh, inputBias: bih, recurrentBias: bhh,
              activation: resolvedMode == .rnnTanh ? .tanh : .relu))
        case .lstm:
          lstm.append(
            try! LSTMCell(
              inputWeights: wih, recurrentWeights: whh, inputBias: bih, recurrentBias: bhh, projectionWeights: whr))
        case .gru:
          gru.append(
            try! GRUCell(
              inputWeights: wih, recurrentWeights: whh, inputBias: bih, recurrentBias: bhh))
        }
      }
    }
    self.mode = resolvedMode
    self.layerCount = layers
    self.isBidirectional = bidirectional
    self.hasBias = bias
    self.hiddenSize = hidden
    self.projectionSize = projection
    self.inputSize = input
    self.formulation = formulation
    self.backend = backend
    switch resolvedMode {
    case .rnnTanh, .rnnReLU: cells = .rnn(rnn)
    case .lstm: cells = .lstm(lstm)
    case .gru: cells = .gru(gru)
    }
    scratch = ScratchPool(limit: ScratchPool.limit(layers: layers, directions: directions))
    parameterNames = names
  }

  /// Replaces the weights with those of `stateDict`, as PyTorch's `load_state_dict`: the same
  /// names and shapes as the network's own (an optimizer's step gives them), the mode,
  /// formulation, backend and threads kept, and the buffers its passes reuse kept too.
  ///
  /// When `stateDict` has exactly the network's names and shapes (a bias may be `n`, `n × 1` or
  /// `1 × n` values), the cells' own buffers are overwritten in place: their weights, summed
  /// biases, joined weights and packed copies, so that a training loop's load allocates
  /// nothing (copies of the network made before keep their weights: a buffer another copy
  /// shares is copied first, once). Otherwise the tensors are checked and the cells made anew.
  ///
  /// - Throws: ``RecurrentNetworkError`` as ``init(stateDict:mode:formulation:backend:)`` does,
  ///   or ``RecurrentNetworkError/mode(_:)`` when the tensors describe another network (layers,
  ///   directions, sizes, bias); the network is then unchanged.
  /// - Complexity: O(Σ parameter sizes): each cell copies and joins its weights once.
  public mutating func load(stateDict: [String: Matrix<Scalar>]) throws(RecurrentNetworkError) {
    if reloadInPlace(stateDict) { return }
    let loaded = try RecurrentNetwork(stateDict: stateDict, mode: mode, formulation: formulation, backend: backend)
    guard
      loaded.layerCount == layerCount && loaded.isBidirectional == isBidirectional && loaded.hasBias == hasBias
        && loaded.hiddenSize == hiddenSize && loaded.inputSize == inputSize && loaded.projectionSize == projectionSize
    else {
      throw .mode(
        "the state dict describes another network (\(loaded.layerCount) layer(s), H = \(loaded.hiddenSize), I = \(loaded.inputSize)\(loaded.isBidirectional ? ", bidirectional" : "")\(loaded.hasBias ? "" : ", no bias")) than this one (\(layerCount) layer(s), H = \(hiddenSize), I = \(inputSize)\(isBidirectional ? ", bidirectional" : "")\(hasBias ? "" : ", no bias"))"
      )
    }
    cells = loaded.cells
  }

  /// ``load(stateDict:)``'s in-place case: when `stateDict` holds exactly this network's names
  /// with its cells' shapes, each cell reloads its tensors into its own buffers and this returns
  /// `true`; otherwise nothing changes and it returns `false`.
  private mutating func reloadInPlace(_ stateDict: [String: Matrix<Scalar>]) -> Bool {
    guard stateDict.count == parameterCount else { return false }
    // The tensors of each cell, if every one is there with the cell's shape.
    func tensors<Cell: CellKernels>(_ cell: Cell, _ names: CellParameterNames) -> CellTensors<Scalar>?
    where Cell.Scalar == Scalar {
      let rows = cell.recurrentWeights.rows
      func bias(_ name: String) -> Matrix<Scalar>?? {
        guard hasBias else { return .some(nil) }
        guard let b = stateDict[name], b.count == rows, b.rows == 1 || b.columns == 1 else { return nil }
        return .some(b)
      }
      guard let wih = stateDict[names.inputWeights], wih.shape == cell.inputWeights.shape,
        let whh = stateDict[names.recurrentWeights], whh.shape == cell.recurrentWeights.shape,
        let bih = bias(names.inputBias), let bhh = bias(names.recurrentBias)
      else { return nil }
      var result = CellTensors(inputWeights: wih, recurrentWeights: whh, inputBias: bih, recurrentBias: bhh)
      if let projection = cell.projectionWeights {
        guard let whr = stateDict[names.projectionWeights], whr.shape == projection.shape else { return nil }
        result.projectionWeights = whr
      }
      return result
    }
    func reload<Cell: CellKernels>(_ cells: inout [Cell]) -> Bool where Cell.Scalar == Scalar {
      for index in cells.indices where tensors(cells[index], parameterNames[index]) == nil { return false }
      for index in cells.indices { cells[index].reload(tensors(cells[index], parameterNames[index])!) }
      return true
    }
    // Each array taken out of the enum, so that it is the only reference to its cells.
    switch cells {
    case .rnn(var array):
      cells = .rnn([])
      defer { cells = .rnn(array) }
      return reload(&array)
    case .lstm(var array):
      cells = .rnn([])
      defer { cells = .lstm(array) }
      return reload(&array)
    case .gru(var array):
      cells = .rnn([])
      defer { cells = .gru(array) }
      return reload(&array)
    }
  }

  /// The mode `weight_hh_l0`'s shape implies (G·H × H: G = 4 LSTM, 3 GRU, 1 RNN), checked
  /// against a requested one.
  static func mode(weightHH whh: Matrix<Scalar>, requested: Mode?) throws(RecurrentNetworkError) -> Mode {
    let hidden = whh.columns
    if let requested {
      guard whh.rows == requested.gateCount * hidden else {
        throw .mode(
          "mode \(requested) needs weight_hh_l0 to be (\(requested.gateCount)·H × H) = (\(requested.gateCount * hidden)×\(hidden)), found \(whh.shape.compact)"
        )
      }
      return requested
    }
    switch whh.rows {
    case hidden: return .rnnTanh
    case 3 * hidden: return .gru
    case 4 * hidden: return .lstm
    default:
      throw .mode(
        "weight_hh_l0 is \(whh.shape.compact): not (H × H) for an RNN, (3·H × H) for a GRU or (4·H × H) for an LSTM")
    }
  }
}
