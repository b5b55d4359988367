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
      "Runs a recurrent network (RNN, LSTM or GRU, any layers, either direction) from .npz weights over a .npy sequence.",
    discussion: """
      Weights (--weights, an .npz archive) use either naming:
        weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}
          PyTorch's nn.RNN, nn.LSTM or nn.GRU state dict, any number of layers \
      k, each also with _reverse when bidirectional (bias=False: no bias tensors). \
      The mode is inferred (weight_hh_l0 has 4·H rows for an LSTM, 3·H for a GRU, \
      H for an RNN: rnn_tanh unless --mode rnn_relu); layers and directions come \
      from the names. LSTMs with proj_size (weight_hr_l{k}) are refused.
        W_hh (n_h × n_h), W_hx (n_h × n_x), b (n_h or n_h × 1)
          one vanilla RNN layer with any --activation

      Inputs (--inputs, a .npy array), in PyTorch's batch_first=False layout:
        2-D  T × I        one sequence           -> output T × D·H
        3-D  T × B × I    a batch of B sequences -> output T × B × D·H
      (D = 2 for a bidirectional network, the backward direction in the last H \
      columns). Other ranks are refused.

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

  @Option(help: "An .npz archive with the weights (see above).")
  var weights: String

  @Option(help: "A .npy array of inputs: T × I, or T × B × I.")
  var inputs: String

  @Option(help: "Where to write the last layer's hidden states (.npy): T × D·H, or T × B × D·H.")
  var output: String

  @Option(help: "Optional .npy h_0: (D·L) × B × H, or (D·L) × H for a 2-D input.")
  var initialState: String?

  @Option(help: "Optional .npy c_0 for an LSTM, shaped like h_0.")
  var initialCell: String?

  @Option(help: "Where to write h_n (.npy), shaped like h_0.")
  var finalState: String?

  @Option(help: "Where to write an LSTM's c_n (.npy), shaped like h_0.")
  var finalCell: String?

  @Option(help: "rnn_tanh, rnn_relu, lstm or gru (default: inferred from the state dict).")
  var mode: RecurrentNetwork<Double>.Mode?

  @Option(help: "fused, split, hoisted or fusedConcatenatingEachStep.")
  var formulation: Formulation = .hoisted

  @Option(help: "W_hh/W_hx weights: tanh (default), sigmoid, relu or identity. PyTorch's: tanh or relu (= --mode).")
  var activation: Activation?

  @Option(help: "blas, blasGEMM or pureSwift.")
  var backend: Backend = .blas

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
      let archive = try with("--weights") { () throws(NPYError) in
        try NPZArchive(
          path: weights, limits: .init(maximumArrayBytes: budget.remaining, maximumTotalBytes: budget.remaining))
      }
      try budget.add("--weights", archive.arrays.values.reduce(0) { $0 + $1.decodedBytes })
      let sequence = try read("--inputs", inputs, budget: &budget)
      let arrays = Arrays(
        archive: archive, sequence: sequence,
        initialState: try initialState.map { try read("--initial-state", $0, budget: &budget) },
        initialCell: try initialCell.map { try read("--initial-cell", $0, budget: &budget) })
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

  /// An output option, its path as typed, and its checked destination.
  struct Output {
    var option: String
    var path: String
    var destination: NPYArray.Destination
  }

  /// Writes every output, all or none; a failure names the option whose file failed.
  ///
  /// With `SWIFT_BLAS_RNN_TEST_STOP_BEFORE_COMMIT` set (a test hook), the process stops itself
  /// (SIGSTOP) once every output is staged, so that a test can change a destination or send a
  /// signal at that point, then continue it.
  private func commit(_ writes: [(Output, NPYArray)]) throws(ToolError) {
    let stop = getenv("SWIFT_BLAS_RNN_TEST_STOP_BEFORE_COMMIT") != nil
    do {
      try NPYArray.Destination.write(
        writes.map { ($0.0.destination, $0.1) },
        beforeCommit: {
          guard stop else { return }
          printError("rnn-forward: test hook: every output is staged; stopping")
          raise(SIGSTOP)
        }, beforeRename: { _ in })
    } catch {
      let failed = writes.first { output, _ in
        if case .io(let path, _) = error { return path == output.destination.path }
        return false
      }
      throw ToolError("\(failed?.0.option ?? "--output"): \(error.description)")
    }
  }

  /// The decoded input files.
  struct Arrays {
    var archive: NPZArchive
    var sequence: NPYArray
    var initialState: NPYArray?
    var initialCell: NPYArray?
  }

  /// What a run writes: the output, h_n and (LSTM) c_n, in PyTorch's shapes.
  struct Results {
    var output: NPYArray
    var finalState: NPYArray
    var finalCell: NPYArray?
    var mode: String
  }

  private func destination(_ option: String, _ path: String) throws(ToolError) -> NPYArray.Destination {
    try with(option) { () throws(NPYError) in try NPYArray.Destination(path: path) }
  }

  /// Reads a `.npy` input within what is left of the budget, and counts it.
  private func read(_ option: String, _ path: String, budget: inout MemoryBudget) throws(ToolError) -> NPYArray {
    let array = try with(option) { () throws(NPYError) in
      try NPYArray(path: path, maximumBytes: budget.remaining)
    }
    try budget.add(option, array.decodedBytes)
    return array
  }

  /// --dtype, or else the weights' dtype, which every other array must then share.
  private func computeType(_ arrays: Arrays) throws(ToolError) -> ElementType {
    if let dtype { return dtype }
    var types: [(what: String, dtype: String)] = arrays.archive.names.sorted().map { name in
      ("--weights \(name)", (try? arrays.archive.array(named: name))?.dtypeName ?? "float64")
    }
    guard let weightsType = types.first?.dtype else { return .float64 }
    types.append(("--inputs", arrays.sequence.dtypeName))
    if let initial = arrays.initialState { types.append(("--initial-state", initial.dtypeName)) }
    if let initial = arrays.initialCell { types.append(("--initial-cell", initial.dtypeName)) }
    if let other = types.first(where: { $0.dtype != weightsType }) {
      throw ToolError(
        "\(other.what) is \(other.dtype) but the weights are \(weightsType) (\(types[0].what)): "
          + "pass --dtype float32 or --dtype float64 to compute in one type, converting the others")
    }
    return ElementType(rawValue: weightsType) ?? .float64
  }

  /// The run in `Scalar`, from the decoded arrays (converted to `Scalar` if --dtype asked for it).
  private func compute<Scalar: BLASScalar>(
    _ type: Scalar.Type, _ arrays: Arrays, budget: MemoryBudget
  ) throws -> Results {
    var budget = budget
    try countWeightCopies(Scalar.self, arrays, budget: &budget)
    let names = Set(arrays.archive.names)
    if names.contains("W_hh") || names.contains("W_hx") {
      return try computeCell(Scalar.self, arrays, budget: budget)
    }
    let network = try loadNetwork(Scalar.self, arrays.archive)
    let (steps, batch) = try sequenceShape(arrays.sequence, inputSize: network.inputSize)
    let unbatched = arrays.sequence.shape.count == 2
    let (hidden, directions, layers) = (network.hiddenSize, network.directionCount, network.layerCount)
    try countRunBuffers(
      steps: steps, batch: batch, hidden: hidden, input: network.inputSize, gates: network.mode.gateCount,
      directions: directions, layers: layers, itemSize: MemoryLayout<Scalar>.size, budget: &budget)
    func state(_ array: NPYArray, _ option: String) throws -> Matrix<Scalar> {
      try stateMatrix(
        array, option: option, stacks: directions * layers, layers: layers, directions: directions, hidden: hidden,
        batch: batch, unbatched: unbatched, as: Scalar.self)
    }
    let h0 = try arrays.initialState.map { try state($0, "--initial-state") }
    let c0: Matrix<Scalar>? = try arrays.initialCell.map { array throws in
      guard network.mode == .lstm else {
        throw ToolError("--initial-cell: only an LSTM has a cell state; these weights are a \(network.mode)")
      }
      return try state(array, "--initial-cell")
    }
    let x = try with("--inputs") { () throws(NPYError) in
      try Matrix<Scalar>(
        npy: NPYArray(shape: [arrays.sequence.elements.count], elements: arrays.sequence.elements),
        converting: dtype != nil
      ).reshaped(rows: steps * batch, columns: network.inputSize)
    }
    let result = try network.forward(x, batchSize: batch, initialState: h0, initialCell: c0)
    let outputShape = unbatched ? [steps, directions * hidden] : [steps, batch, directions * hidden]
    let stateShape = unbatched ? [directions * layers, hidden] : [directions * layers, batch, hidden]
    return Results(
      output: NPYArray(shape: outputShape, elements: result.output.npyArray.elements),
      finalState: NPYArray(shape: stateShape, elements: result.finalState.npyArray.elements),
      finalCell: result.finalCell.map { NPYArray(shape: stateShape, elements: $0.npyArray.elements) },
      mode: network.mode.rawValue)
  }

  /// Runs `body`, turning its error into a message that names `option`.
  private func with<T>(_ option: String, _ body: () throws(NPYError) -> T) throws(ToolError) -> T {
    do {
      return try body()
    } catch {
      throw ToolError("\(option): \(error.description)")
    }
  }

  /// Counts the copies of the weights a run makes before the cells exist, and refuses the run
  /// if the files and these exceed the limit: the arrays `--dtype` converts, and the cells'
  /// joined weights (a GRU's block matrix is 4/3 of its weights).
  private func countWeightCopies<Scalar: BLASScalar>(
    _ type: Scalar.Type, _ arrays: Arrays, budget: inout MemoryBudget
  ) throws(ToolError) {
    let size = MemoryLayout<Scalar>.size
    var converted: [(String, NPYArray)] = arrays.archive.arrays.sorted { $0.key < $1.key }.map {
      ("--weights", $0.value)
    }
    converted.append(("--inputs", arrays.sequence))
    if let state = arrays.initialState { converted.append(("--initial-state", state)) }
    if let cell = arrays.initialCell { converted.append(("--initial-cell", cell)) }
    let convertedCount = converted.filter { $0.1.dtypeName != Scalar.dtypeName }.reduce(0) { $0 + $1.1.elements.count }
    if convertedCount > 0 { try budget.add("--dtype's converted copies", convertedCount, size) }
    let weights = arrays.archive.arrays.filter { $0.key.hasPrefix("weight_") || $0.key == "W_hh" || $0.key == "W_hx" }
    let weightCount = weights.values.reduce(0) { $0 + $1.elements.count }
    let hh = arrays.archive.arrays["weight_hh_l0"]?.shape
    let gru = mode == .gru || (mode == nil && hh?.count == 2 && hh![0] == 3 * hh![1])
    try budget.add("the cells' joined weights", gru ? weightCount / 3 * 4 + 4 : weightCount, size)
    try budget.check("the weights")
  }

  /// Counts a run's buffers and refuses it if everything counted exceeds the limit, before any
  /// buffer is allocated: the inputs' transposed copy (T·B·I), each layer's input and output
  /// sequences and the output's transposed copy and file bytes (4·T·B·D·H), the hoisted input
  /// projection (T·B·G·H), and the states (4·D·L·B·H), `itemSize` bytes each.
  private func countRunBuffers(
    steps: Int, batch: Int, hidden h: Int, input: Int, gates: Int, directions d: Int, layers l: Int, itemSize: Int,
    budget: inout MemoryBudget
  ) throws(ToolError) {
    try budget.add("the inputs transposed", itemSize, steps, batch, input)
    try budget.add("the layers' outputs", itemSize, 4, steps, batch, d, h)
    try budget.add("the hoisted projection", itemSize, steps, batch, gates, h)
    try budget.add("the states", itemSize, 4, d, l, batch, h)
    try budget.check("T = \(steps), B = \(batch), H = \(h), I = \(input), \(l) layer(s), \(d) direction(s)")
  }

  private func failure(_ message: String) -> some Error {
    FileHandle.standardError.write(Data("rnn-forward: error: \(message)\n".utf8))
    return ExitCode.failure
  }

  private func matrix<Scalar: BLASScalar>(_ archive: NPZArchive, _ name: String) throws(ToolError) -> Matrix<Scalar> {
    do { return try archive.matrix(named: name, as: Scalar.self, converting: dtype != nil) } catch {
      throw ToolError("--weights: \(weights): \(error)")
    }
  }

  /// One vanilla layer from W_hh, W_hx and b, with any --activation: the cell runs directly.
  private func computeCell<Scalar: BLASScalar>(
    _ type: Scalar.Type, _ arrays: Arrays, budget: MemoryBudget
  ) throws -> Results {
    var budget = budget
    if let mode, mode == .lstm || mode == .gru {
      throw ToolError("--mode \(mode): W_hh/W_hx weights are a vanilla RNN; an \(mode) needs PyTorch's names")
    }
    let activation = self.activation ?? (mode == .rnnReLU ? .relu : .tanh)
    if mode == .rnnTanh && activation != .tanh || mode == .rnnReLU && activation != .relu {
      throw ToolError("--mode \(mode!) and --activation \(activation) disagree")
    }
    if arrays.initialCell != nil {
      throw ToolError("--initial-cell: only an LSTM has a cell state; these weights are a vanilla RNN")
    }
    let archive = arrays.archive
    let whh: Matrix<Scalar> = try matrix(archive, "W_hh")
    let whx: Matrix<Scalar> = try matrix(archive, "W_hx")
    var bias: Matrix<Scalar> =
      archive.names.contains("b") ? try matrix(archive, "b") : .zeros(rows: whh.rows, columns: 1)
    if bias.rows == 1 && bias.columns == whh.rows { bias = bias.transposed() }
    let cell = try RNNCell(
      hiddenToHidden: whh, inputToHidden: whx, bias: bias, activation: activation, formulation: formulation,
      backend: backend)
    // As a network of one layer and direction, for the shared shape checks and layouts.
    let (steps, batch) = try sequenceShape(arrays.sequence, inputSize: cell.inputSize)
    let unbatched = arrays.sequence.shape.count == 2
    let hidden = cell.hiddenSize
    try countRunBuffers(
      steps: steps, batch: batch, hidden: hidden, input: cell.inputSize, gates: 1, directions: 1, layers: 1,
      itemSize: MemoryLayout<Scalar>.size, budget: &budget)
    let h0: Matrix<Scalar>? = try arrays.initialState.map { array throws in
      try stateMatrix(
        array, option: "--initial-state", stacks: 1, layers: 1, directions: 1, hidden: hidden, batch: batch,
        unbatched: unbatched, as: Scalar.self
      ).transposed()
    }
    // Our layout: X is I × (T·B), step t in columns t·B ..< (t+1)·B.
    let flat = try with("--inputs") { () throws(NPYError) in
      try Matrix<Scalar>(
        npy: NPYArray(shape: [arrays.sequence.elements.count], elements: arrays.sequence.elements),
        converting: dtype != nil)
    }
    let x = flat.reshaped(rows: steps * batch, columns: cell.inputSize).transposed()
    var workspace = cell.makeWorkspace(batchSize: batch, initialState: h0)
    var states = Matrix<Scalar>.zeros(rows: hidden, columns: steps * batch)
    try cell.forward(checkingInputs: x, into: &workspace, states: &states, formulation: formulation)
    let outputShape = unbatched ? [steps, hidden] : [steps, batch, hidden]
    let stateShape = unbatched ? [1, hidden] : [1, batch, hidden]
    return Results(
      output: NPYArray(shape: outputShape, elements: states.transposed().npyArray.elements),
      finalState: NPYArray(shape: stateShape, elements: workspace.state.transposed().npyArray.elements),
      finalCell: nil, mode: "vanilla RNN")
  }

  /// The network of a PyTorch state dict.
  private func loadNetwork<Scalar: BLASScalar>(
    _ type: Scalar.Type, _ archive: NPZArchive
  ) throws -> RecurrentNetwork<Scalar> {
    var mode = self.mode.map { RecurrentNetwork<Scalar>.Mode(rawValue: $0.rawValue)! }
    if let activation {
      guard activation == .tanh || activation == .relu else {
        throw ToolError("--activation \(activation): PyTorch's nn.RNN has tanh or relu (W_hh/W_hx weights take any)")
      }
      let implied: RecurrentNetwork<Scalar>.Mode = activation == .tanh ? .rnnTanh : .rnnReLU
      if let mode, mode != implied {
        throw ToolError("--mode \(mode) and --activation \(activation) disagree")
      }
      mode = implied
    }
    var stateDict: [String: Matrix<Scalar>] = [:]
    for name in archive.names { stateDict[name] = try matrix(archive, name) }
    return try RecurrentNetwork(stateDict: stateDict, mode: mode, formulation: formulation, backend: backend)
  }

  private func sequenceShape(_ sequence: NPYArray, inputSize: Int) throws -> (steps: Int, batch: Int) {
    let shape = sequence.shape
    let (steps, batch, features): (Int, Int, Int)
    switch shape.count {
    case 2: (steps, batch, features) = (shape[0], 1, shape[1])
    case 3: (steps, batch, features) = (shape[0], shape[1], shape[2])
    default:
      throw ToolError(
        "--inputs must be T × I or T × B × I (batch_first=False), got a \(shape.count)-D array of shape \(shape)")
    }
    guard features == inputSize else {
      throw ToolError(
        "--inputs has \(features) features per step but weight_ih_l0 (W_hx) expects I = \(inputSize) (inputs shape \(shape))"
      )
    }
    guard batch >= 1 else {
      throw ToolError("--inputs: the batch dimension is 0")
    }
    return (steps, batch)
  }

  /// An initial state file as the network's (D·L·B) × H: PyTorch's (D·L) × B × H, (D·L) × H for
  /// an unbatched input, and for one layer and direction also H values per sequence.
  private func stateMatrix<Scalar: BLASScalar>(
    _ array: NPYArray, option: String, stacks: Int, layers: Int, directions: Int, hidden: Int, batch: Int,
    unbatched: Bool, as type: Scalar.Type
  ) throws -> Matrix<Scalar> {
    var accepted = [[stacks, batch, hidden]]
    if batch == 1 { accepted.append([stacks, hidden]) }
    if stacks == 1 {
      accepted.append([batch, hidden])
      if batch == 1 { accepted += [[hidden], [hidden, 1]] }
    }
    guard accepted.contains(array.shape) else {
      let expected = unbatched ? "(\(stacks), \(hidden))" : "(\(stacks), \(batch), \(hidden))"
      throw ToolError(
        "\(option) must be (D·L) × \(unbatched ? "" : "B × ")H = \(expected) for D = \(directions), "
          + "L = \(layers)\(unbatched ? "" : ", B = \(batch)"), H = \(hidden); got shape \(array.shape)")
    }
    return try with(option) { () throws(NPYError) in
      try Matrix<Scalar>(
        npy: NPYArray(shape: [array.elements.count], elements: array.elements), converting: dtype != nil
      )
      .reshaped(rows: stacks * batch, columns: hidden)
    }
  }
}

/// numpy's element types, as --dtype spells them.
enum ElementType: String, ExpressibleByArgument, CaseIterable {
  case float32, float64
}

struct ToolError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}

/// A number of bytes on the command line: `1048576`, `512K`, `64M`, `8G` (powers of 1024;
/// `KiB`, `MiB`, `GiB` and a trailing `B` are accepted too).
struct ByteCount: ExpressibleByArgument {
  var bytes: Int
  init(_ bytes: Int) { self.bytes = bytes }

  init?(argument: String) {
    var text = argument.uppercased()
    if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
    var shift = 0
    if let last = text.last, let power = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
      shift = power
      text.removeLast()
    }
    guard let value = Int(text), value > 0 else { return nil }
    let (bytes, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
    guard !overflow else { return nil }
    self.bytes = bytes
  }

  var defaultValueDescription: String { bytes % (1 << 30) == 0 ? "\(bytes >> 30)G" : "\(bytes)" }
}
