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
    abstract: "Runs a vanilla RNN from .npz weights over a .npy sequence and saves every hidden state.",
    discussion: """
      Weights (--weights, an .npz archive) use either naming:
        W_hh (n_h × n_h), W_hx (n_h × n_x), b (n_h or n_h × 1)
        weight_hh_l0, weight_ih_l0, bias_hh_l0, bias_ih_l0
          (PyTorch's nn.RNN; the two biases add)

      Inputs (--inputs, a .npy array), in PyTorch's batch_first=False layout:
        2-D  T × n_x        one sequence           -> output T × n_h
        3-D  T × B × n_x    a batch of B sequences -> output T × B × n_h
      Other ranks, and PyTorch's multi-layer or bidirectional weights \
      (…_l1, …_reverse), are refused.

      h_t = g(W_hh · h_{t-1} + W_hx · x_t + b), with h_0 = 0 unless \
      --initial-state is given.

      Element type: the run computes in the weights' dtype (float32 for a \
      PyTorch state dict saved as is, float64 for numpy's default) and writes \
      the output in it. The inputs and the initial state must have that dtype \
      too; --dtype float32 or --dtype float64 computes in that type instead, \
      converting every array to it (rounded to nearest when narrowing).

      Files: inputs must be regular files (or links to them). The output is \
      written atomically (a temporary file in the same directory, renamed into \
      place): an existing regular file is replaced and keeps its permissions, \
      a symbolic link is followed; a directory, FIFO or device (/dev/null \
      included) is refused. On any error the command exits 1, says which option \
      and file, and leaves every existing file exactly as it was.

      Memory: the weights, the inputs and the run's buffers are checked against \
      --memory-limit before anything is allocated, so a small file that declares \
      a huge shape is refused.
      """)

  @Option(help: "An .npz archive with the weights (see above).")
  var weights: String

  @Option(help: "A .npy array of inputs: T × n_x, or T × B × n_x.")
  var inputs: String

  @Option(help: "Where to write the hidden states (.npy): T × n_h, or T × B × n_h.")
  var output: String

  @Option(help: "Optional .npy initial state h_0: n_h values, or B × n_h (PyTorch's h_0[0] layout).")
  var initialState: String?

  @Option(help: "fused, split, hoisted or fusedConcatenatingEachStep.")
  var formulation: Formulation = .hoisted

  @Option(help: "tanh (PyTorch's default), sigmoid, relu or identity.")
  var activation: Activation = .tanh

  @Option(help: "blas, blasGEMM or pureSwift.")
  var backend: Backend = .blas

  @Option(help: "float32 or float64: compute in this type, converting every array (default: the weights' dtype).")
  var dtype: ElementType?

  @Option(help: BLASCoreChoice.help)
  var blasCore: BLASCoreChoice = .auto

  @Option(help: "The most memory the weights, inputs and buffers may take: bytes, or with K, M, G (powers of 1024).")
  var memoryLimit: ByteCount = ByteCount(1 << 33)

  func run() throws {
    _ = try applyBLASCore(blasCore, tool: "rnn-forward")
    let limit = memoryLimit.bytes
    do {
      // The destination first: a bad --output fails before any work, and is left alone.
      let destination = try with("--output") { () throws(NPYError) in try NPYArray.Destination(url: url(output)) }
      let archive = try with("--weights") { () throws(NPYError) in
        try NPZArchive(contentsOf: url(weights), limits: .init(maximumArrayBytes: limit, maximumTotalBytes: limit))
      }
      let sequence = try with("--inputs") { () throws(NPYError) in
        try NPYArray(contentsOf: url(inputs), maximumCount: limit / 8)
      }
      let initial = try initialState.map { path in
        try with("--initial-state") { () throws(NPYError) in
          try NPYArray(contentsOf: url(path), maximumCount: limit / 8)
        }
      }
      let type = try computeType(archive: archive, sequence: sequence, initial: initial)
      let result: NPYArray
      switch type {
      case .float32: result = try compute(Float.self, archive: archive, sequence: sequence, initial: initial)
      case .float64: result = try compute(Double.self, archive: archive, sequence: sequence, initial: initial)
      }
      try with("--output") { () throws(NPYError) in try destination.write(result) }
    } catch let error as NPYError {
      throw failure(error.description)
    } catch let error as ShapeError {
      throw failure(error.description)
    } catch let error as ToolError {
      throw failure(error.message)
    }
  }

  /// --dtype, or else the weights' dtype, which every other array must then share.
  private func computeType(
    archive: NPZArchive, sequence: NPYArray, initial: NPYArray?
  ) throws(ToolError)
    -> ElementType
  {
    if let dtype { return dtype }
    var types: [(what: String, dtype: String)] = archive.names.sorted().map { name in
      ("--weights \(name)", (try? archive.array(named: name))?.dtypeName ?? "float64")
    }
    guard let weightsType = types.first?.dtype else { return .float64 }
    types.append(("--inputs", sequence.dtypeName))
    if let initial { types.append(("--initial-state", initial.dtypeName)) }
    if let other = types.first(where: { $0.dtype != weightsType }) {
      throw ToolError(
        "\(other.what) is \(other.dtype) but the weights are \(weightsType) (\(types[0].what)): "
          + "pass --dtype float32 or --dtype float64 to compute in one type, converting the others")
    }
    return ElementType(rawValue: weightsType) ?? .float64
  }

  /// The run in `Scalar`, from the decoded arrays (converted to `Scalar` if --dtype asked for it).
  private func compute<Scalar: BLASScalar>(
    _ type: Scalar.Type, archive: NPZArchive, sequence: NPYArray, initial: NPYArray?
  ) throws -> NPYArray {
    let limit = memoryLimit.bytes
    let cell: RNNCell<Scalar> = try loadCell(archive)
    let (steps, batch) = try sequenceShape(sequence, inputSize: cell.inputSize)
    try checkMemory(
      steps: steps, batch: batch, hiddenSize: cell.hiddenSize, inputSize: cell.inputSize,
      itemSize: MemoryLayout<Scalar>.size, limit: limit)
    let h0: Matrix<Scalar>? = try initial.map { try initialStateMatrix($0, hiddenSize: cell.hiddenSize, batch: batch) }

    // Our layout: X is n_x × (T·B), step t in columns t·B ..< (t+1)·B.
    let flat = try with("--inputs") { () throws(NPYError) in
      try Matrix<Scalar>(
        npy: NPYArray(shape: [sequence.elements.count], elements: sequence.elements), converting: dtype != nil)
    }
    let x = flat.reshaped(rows: steps * batch, columns: cell.inputSize).transposed()
    var workspace = cell.makeWorkspace(batchSize: batch, initialState: h0)
    var states = Matrix<Scalar>.zeros(rows: cell.hiddenSize, columns: steps * batch)
    try cell.forward(checkingInputs: x, into: &workspace, states: &states, formulation: formulation)
    let shape = sequence.shape.count == 2 ? [steps, cell.hiddenSize] : [steps, batch, cell.hiddenSize]
    return NPYArray(shape: shape, elements: states.transposed().npyArray.elements)
  }

  private func url(_ path: String) -> URL { URL(fileURLWithPath: path) }

  /// Runs `body`, turning its error into a message that names `option`.
  private func with<T>(_ option: String, _ body: () throws(NPYError) -> T) throws(ToolError) -> T {
    do {
      return try body()
    } catch {
      throw ToolError("\(option): \(error.description)")
    }
  }

  /// Refuses a run whose buffers would exceed `limit`, before any is allocated: the inputs in
  /// our layout (T·B·n_x), the workspace ((2·n_h + n_x)·B), the states and their transposed
  /// copy (2·n_h·T·B) and the output file's bytes (n_h·T·B), 8 bytes each.
  private func checkMemory(
    steps: Int, batch: Int, hiddenSize nh: Int, inputSize nx: Int, itemSize: Int, limit: Int
  ) throws(ToolError) {
    var total = 0
    var overflow = false
    func add(_ factors: Int...) {
      var product = itemSize
      for factor in factors {
        let (next, over) = product.multipliedReportingOverflow(by: factor)
        overflow = overflow || over
        product = next
      }
      let (sum, over) = total.addingReportingOverflow(product)
      overflow = overflow || over
      total = sum
    }
    add(steps, batch, nx)
    add(2 * nh + nx, batch)
    add(3, nh, steps, batch)
    guard !overflow, total <= limit else {
      throw ToolError(
        "the run needs \(overflow ? "more than Int.max" : "\(total)") bytes for T = \(steps), B = \(batch), "
          + "n_h = \(nh), n_x = \(nx), more than --memory-limit \(limit)")
    }
  }

  private func failure(_ message: String) -> some Error {
    FileHandle.standardError.write(Data("rnn-forward: error: \(message)\n".utf8))
    return ExitCode.failure
  }

  private func loadCell<Scalar: BLASScalar>(_ archive: NPZArchive) throws -> RNNCell<Scalar> {
    func matrix(_ name: String) throws(ToolError) -> Matrix<Scalar> {
      do { return try archive.matrix(named: name, as: Scalar.self, converting: dtype != nil) } catch {
        throw ToolError("--weights: \(weights): \(error)")
      }
    }
    let names = Set(archive.names)
    let whh: Matrix<Scalar>
    let whx: Matrix<Scalar>
    var bias: Matrix<Scalar>
    if names.contains("W_hh") || names.contains("W_hx") {
      whh = try matrix("W_hh")
      whx = try matrix("W_hx")
      bias = names.contains("b") ? try matrix("b") : .zeros(rows: whh.rows, columns: 1)
    } else if names.contains("weight_hh_l0") {
      if let extra = names.first(where: { $0.hasSuffix("_l1") || $0.contains("reverse") }) {
        throw ToolError("multi-layer or bidirectional weights ('\(extra)') are not supported")
      }
      whh = try matrix("weight_hh_l0")
      whx = try matrix("weight_ih_l0")
      bias = .zeros(rows: whh.rows, columns: 1)
      for name in ["bias_hh_l0", "bias_ih_l0"] where names.contains(name) {
        let b = try matrix(name)
        guard b.shape == bias.shape else {
          throw ToolError("\(name) must hold n_h = \(whh.rows) values, got shape \(b.shape)")
        }
        bias += b
      }
    } else {
      throw ToolError("--weights: \(NPYError.missingArray(name: "W_hh (or weight_hh_l0)", available: archive.names))")
    }
    if bias.rows == 1 && bias.columns == whh.rows { bias = bias.transposed() }
    return try RNNCell(
      hiddenToHidden: whh, inputToHidden: whx, bias: bias, activation: activation, formulation: formulation,
      backend: backend)
  }

  private func sequenceShape(_ sequence: NPYArray, inputSize: Int) throws -> (steps: Int, batch: Int) {
    let shape = sequence.shape
    let (steps, batch, features): (Int, Int, Int)
    switch shape.count {
    case 2: (steps, batch, features) = (shape[0], 1, shape[1])
    case 3: (steps, batch, features) = (shape[0], shape[1], shape[2])
    default:
      throw ToolError(
        "--inputs must be T × n_x or T × B × n_x (batch_first=False), got a \(shape.count)-D array of shape \(shape)")
    }
    guard features == inputSize else {
      throw ToolError(
        "the inputs have \(features) features per step but W_hx expects n_x = \(inputSize) (inputs shape \(shape))")
    }
    guard batch >= 1 else {
      throw ToolError("the batch dimension is 0")
    }
    return (steps, batch)
  }

  private func initialStateMatrix<Scalar: BLASScalar>(
    _ array: NPYArray, hiddenSize: Int, batch: Int
  ) throws
    -> Matrix<Scalar>
  {
    let values = try with("--initial-state") { () throws(NPYError) in
      try Matrix<Scalar>(
        npy: NPYArray(shape: [array.elements.count], elements: array.elements), converting: dtype != nil)
    }
    switch array.shape {
    case [hiddenSize] where batch == 1, [1, hiddenSize] where batch == 1, [hiddenSize, 1] where batch == 1:
      return values
    case [batch, hiddenSize], [1, batch, hiddenSize]:
      return values.reshaped(rows: batch, columns: hiddenSize).transposed()
    default:
      throw ToolError(
        "--initial-state must hold n_h = \(hiddenSize) values per sequence (shape (\(batch), \(hiddenSize))), got \(array.shape)"
      )
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
