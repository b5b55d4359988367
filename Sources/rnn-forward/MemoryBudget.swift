import DenseMatrix
import NumPyIO
import RNN
import _CommandLineSupport

/// `--memory-limit`: every copy a run makes, counted before it is made.
///
/// What is counted, in bytes (Sᵢ is the size of one element as stored, S of the compute type):
/// - every file's arrays as decoded (the archive, the inputs, the initial states), Σ count·Sᵢ,
///   each counted as it is read so that a later file gets only what is left;
/// - an array converted by `--dtype`, again: count·S;
/// - the cells' joined weights, built once per layer and direction: the weights' count·S
///   (a GRU's block matrix holds 4/3 of its weights: `[[W_ir W_hr]; [W_iz W_hz]; [W_in 0];
///   [0 W_hn]]`);
/// - the input sequence transposed into the cells' layout (T·B·I), each layer's outputs, the
///   stacked directions, the output transposed back, converted and encoded (4·T·B·D·H), the
///   hoisted input projection (T·B·G·H), and the states (4·D·L·B·H), all in S.
///
/// The process itself (the Swift runtime, Foundation, OpenBLAS's buffers) is not counted: the
/// peak resident memory stays within the limit plus 64 MiB (the constant `--help` states;
/// 23–24 MiB measured).
struct MemoryBudget {
  let limit: Int
  private(set) var used = 0
  private var parts: [String] = []

  init(limit: Int) { self.limit = limit }

  /// What is left for the next file.
  var remaining: Int { max(limit - used, 0) }

  /// Counts `factors` multiplied together (bytes), saying what it is for the message.
  mutating func add(_ what: String, _ factors: Int...) throws(ToolError) {
    var product = 1
    var overflow = false
    for factor in factors {
      let (next, over) = product.multipliedReportingOverflow(by: factor)
      overflow = overflow || over
      product = next
    }
    let (sum, over) = used.addingReportingOverflow(product)
    guard !overflow, !over else {
      throw ToolError("the run needs more than Int.max bytes (\(what)), more than --memory-limit \(limit)")
    }
    used = sum
    parts.append("\(what) \(product)")
  }

  /// Refuses the run if what has been counted exceeds the limit.
  func check(_ context: String) throws(ToolError) {
    guard used <= limit else {
      throw ToolError(
        "the run needs \(used) bytes for \(context), more than --memory-limit \(limit) "
          + "(\(parts.joined(separator: ", ")))")
    }
  }
}

extension RNNForward {
  /// Counts the copies of the weights a run makes before the cells exist, and refuses the run
  /// if the files and these exceed the limit: the arrays `--dtype` converts, and the cells'
  /// joined weights (a GRU's block matrix is 4/3 of its weights).
  func countWeightCopies<Scalar: BLASScalar>(
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
    try budget.add("the cells' joined weights", gru ? weightCount / 3 * 4 : weightCount, size)
    try budget.check("the weights")
  }

  /// Counts a run's buffers and refuses it if everything counted exceeds the limit, before any
  /// buffer is allocated: the inputs' transposed copy (T·B·I), each layer's input and output
  /// sequences and the output's transposed copy and file bytes (4·T·B·D·H), the hoisted input
  /// projection (T·B·G·H), and the states (4·D·L·B·H), `itemSize` bytes each.
  func countRunBuffers(
    steps: Int, batch: Int, hidden h: Int, input: Int, gates: Int, directions d: Int, layers l: Int, itemSize: Int,
    budget: inout MemoryBudget
  ) throws(ToolError) {
    try budget.add("the inputs transposed", itemSize, steps, batch, input)
    try budget.add("the layers' outputs", itemSize, 4, steps, batch, d, h)
    try budget.add("the hoisted projection", itemSize, steps, batch, gates, h)
    try budget.add("the states", itemSize, 4, d, l, batch, h)
    try budget.check("T = \(steps), B = \(batch), H = \(h), I = \(input), \(l) layer(s), \(d) direction(s)")
  }
}
