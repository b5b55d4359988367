import NumPyIO

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
/// peak resident memory stays within the limit plus ``processOverhead``, measured for the
/// README.
struct MemoryBudget {
  let limit: Int
  private(set) var used = 0
  private var parts: [String] = []

  /// What the program itself takes beside the counted arrays, as the help text states it.
  static let processOverhead = "64 MiB"

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

extension NPYArray {
  /// The bytes this array takes decoded.
  var decodedBytes: Int { elements.count * itemSize }
}
