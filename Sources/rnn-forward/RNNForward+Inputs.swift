import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import _CommandLineSupport

// Reading the input files, and what their shapes and dtypes say.
extension RNNForward {
  /// The decoded input files.
  struct Arrays {
    var archive: NPZArchive
    var sequence: NPYArray
    var initialState: NPYArray?
    var initialCell: NPYArray?
    var lengths: NPYArray?
  }

  /// What a run writes: the output, h_n and (LSTM) c_n, in PyTorch's shapes.
  struct Results {
    var output: NPYArray
    var finalState: NPYArray
    var finalCell: NPYArray?
    var mode: String
  }

  /// Reads a `.npy` input within what is left of the budget, and counts it.
  func read(_ option: String, _ path: String, budget: inout MemoryBudget) throws(ToolError) -> NPYArray {
    let array = try with(option) { () throws(NPYError) in
      try NPYArray(path: path, maximumBytes: budget.remaining)
    }
    try budget.add(option, array.decodedBytes)
    return array
  }

  /// --dtype, or else the weights' dtype, which every other array must then share.
  func computeType(_ arrays: Arrays) throws(ToolError) -> ElementType {
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

  /// T and B of the input: T × I, T × B × I, or with --batch-first B × T × I.
  func sequenceShape(_ sequence: NPYArray, inputSize: Int, lengthCount: Int?) throws -> (steps: Int, batch: Int) {
    let shape = sequence.shape
    let (steps, batch, features): (Int, Int, Int)
    switch shape.count {
    case 2: (steps, batch, features) = (shape[0], 1, shape[1])
    case 3: (steps, batch, features) = batchFirst ? (shape[1], shape[0], shape[2]) : (shape[0], shape[1], shape[2])
    default:
      throw ToolError(
        "--inputs must be T × I or \(batchFirst ? "B × T × I (--batch-first)" : "T × B × I (batch_first=False)"), got a \(shape.count)-D array of shape \(shape)"
      )
    }
    guard features == inputSize else {
      throw ToolError(
        "--inputs has \(features) features per step but weight_ih_l0 (W_hx) expects I = \(inputSize) (inputs shape \(shape))"
      )
    }
    guard batch >= 1 else {
      throw ToolError("--inputs: the batch dimension is 0")
    }
    if let lengthCount, lengthCount != batch {
      let hint =
        !batchFirst && shape.count == 3 && shape[0] == lengthCount
        ? ": the inputs look batch-first (B × T × I); pass --batch-first" : ""
      throw ToolError(
        "--lengths has \(lengthCount) values but --inputs has B = \(batch) sequences (shape \(shape)\(batchFirst ? ", --batch-first" : ""))\(hint)"
      )
    }
    return (steps, batch)
  }

  /// An initial state file as the network's (D·L·B) × H: PyTorch's (D·L) × B × H, (D·L) × H for
  /// an unbatched input, and for one layer and direction also H values per sequence.
  func stateMatrix<Scalar: BLASScalar>(
    _ array: NPYArray, option: String, stacks: Int, layers: Int, directions: Int, hidden: Int, symbol: String = "H",
    batch: Int,
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
        "\(option) must be (D·L) × \(unbatched ? "" : "B × ")\(symbol) = \(expected) for D = \(directions), "
          + "L = \(layers)\(unbatched ? "" : ", B = \(batch)"), \(symbol) = \(hidden)"
          + "\(symbol == "P" ? " (proj_size)" : ""); got shape \(array.shape)")
    }
    return try with(option) { () throws(NPYError) in
      try Matrix<Scalar>(
        npy: NPYArray(shape: [array.elements.count], elements: array.elements), converting: dtype != nil
      )
      .reshaped(rows: stacks * batch, columns: hidden)
    }
  }
}
