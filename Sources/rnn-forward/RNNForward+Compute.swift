import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import _CommandLineSupport

// The run: the weights as a network (a PyTorch state dict, or W_hh/W_hx/b as one vanilla
// layer), then one forward pass in the compute type.
extension RNNForward {
  /// The run in `Scalar`, from the decoded arrays (converted to `Scalar` if --dtype asked for it).
  func compute<Scalar: BLASScalar>(
    _ type: Scalar.Type, _ arrays: Arrays, budget: MemoryBudget
  ) throws -> Results {
    var budget = budget
    try countWeightCopies(Scalar.self, arrays, budget: &budget)
    let names = Set(arrays.archive.names)
    let vanilla = names.contains("W_hh") || names.contains("W_hx")
    let network = try vanilla ? loadVanillaLayer(Scalar.self, arrays) : loadNetwork(Scalar.self, arrays.archive)
    let kind = vanilla ? "vanilla RNN" : network.mode.rawValue
    let (steps, batch) = try sequenceShape(
      arrays.sequence, inputSize: network.inputSize, lengthCount: arrays.lengths?.elements.count)
    let unbatched = arrays.sequence.shape.count == 2
    let lengths = try arrays.lengths.map { try sequenceLengths($0, steps: steps) }
    let (hidden, directions, layers) = (network.hiddenSize, network.directionCount, network.layerCount)
    // h's size: P for an LSTM with a projection (proj_size), otherwise H; c keeps H.
    let output = network.outputSize
    try countRunBuffers(
      steps: steps, batch: batch, hidden: hidden, input: network.inputSize, gates: network.mode.gateCount,
      directions: directions, layers: layers, itemSize: MemoryLayout<Scalar>.size, budget: &budget)
    func state(_ array: NPYArray, _ option: String, size: Int) throws -> Matrix<Scalar> {
      try stateMatrix(
        array, option: option, stacks: directions * layers, layers: layers, directions: directions, hidden: size,
        symbol: network.projectionSize > 0 && size == output ? "P" : "H", batch: batch, unbatched: unbatched,
        as: Scalar.self)
    }
    let h0 = try arrays.initialState.map { try state($0, "--initial-state", size: output) }
    let c0: Matrix<Scalar>? = try arrays.initialCell.map { array throws in
      guard network.mode == .lstm else {
        throw ToolError("--initial-cell: only an LSTM has a cell state; these weights are a \(kind)")
      }
      return try state(array, "--initial-cell", size: hidden)
    }
    let x = try with("--inputs") { () throws(NPYError) in
      try Matrix<Scalar>(
        npy: NPYArray(shape: [arrays.sequence.elements.count], elements: arrays.sequence.elements),
        converting: dtype != nil
      ).reshaped(rows: steps * batch, columns: network.inputSize)
    }
    let result = try network.forward(
      x, batchSize: batch, lengths: lengths, batchFirst: batchFirst && !unbatched, initialState: h0, initialCell: c0)
    let outputShape =
      unbatched
      ? [steps, directions * output]
      : batchFirst ? [batch, steps, directions * output] : [steps, batch, directions * output]
    func stateShape(_ size: Int) -> [Int] {
      unbatched ? [directions * layers, size] : [directions * layers, batch, size]
    }
    return Results(
      output: NPYArray(shape: outputShape, elements: result.output.npyArray.elements),
      finalState: NPYArray(shape: stateShape(output), elements: result.finalState.npyArray.elements),
      finalCell: result.finalCell.map { NPYArray(shape: stateShape(hidden), elements: $0.npyArray.elements) },
      mode: kind)
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

  /// One vanilla layer from W_hh, W_hx and b, with any --activation, as a network of one layer
  /// and direction: the same layouts and checks as a state dict's.
  private func loadVanillaLayer<Scalar: BLASScalar>(
    _ type: Scalar.Type, _ arrays: Arrays
  ) throws -> RecurrentNetwork<Scalar> {
    if let mode, mode == .lstm || mode == .gru {
      throw ToolError("--mode \(mode): W_hh/W_hx weights are a vanilla RNN; an \(mode) needs PyTorch's names")
    }
    let activation = self.activation ?? (mode == .rnnReLU ? .relu : .tanh)
    if mode == .rnnTanh && activation != .tanh || mode == .rnnReLU && activation != .relu {
      throw ToolError("--mode \(mode!) and --activation \(activation) disagree")
    }
    let archive = arrays.archive
    let whh: Matrix<Scalar> = try matrix(archive, "W_hh")
    let whx: Matrix<Scalar> = try matrix(archive, "W_hx")
    var bias: Matrix<Scalar> =
      archive.names.contains("b") ? try matrix(archive, "b") : .zeros(rows: whh.rows, columns: 1)
    if bias.rows == 1 && bias.columns == whh.rows { bias = bias.transposed() }
    let cell = try RNNCell(hiddenToHidden: whh, inputToHidden: whx, bias: bias, activation: activation)
    return RecurrentNetwork(vanilla: cell, formulation: formulation, backend: backend)
  }

  private func matrix<Scalar: BLASScalar>(_ archive: NPZArchive, _ name: String) throws(ToolError) -> Matrix<Scalar> {
    do { return try archive.matrix(named: name, as: Scalar.self, converting: dtype != nil) } catch {
      throw ToolError("--weights: \(weights): \(error)")
    }
  }
}
