import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import _CommandLineSupport

/// `RecurrentNetwork.forward`, the API users call, against the same arithmetic run directly on
/// its cells: what the network's own layout work (transposes, copies, fills) costs.
struct NetworkBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "network",
    abstract:
      "RecurrentNetwork.forward (PyTorch's layouts) against its cells' forward runs on the same data: the network's overhead.",
    discussion: """
      For each mode, size H = I and batch B, a PyTorch-named state dict of random weights becomes \
      a RecurrentNetwork. For each --formulations entry (default hoisted, the network's default), \
      two timings, interleaved round by round with every other: network.forward on the (T·B) × I \
      input, and the same layers and directions run as cell.forward with that formulation on \
      inputs already in the cells' layout, into preallocated states (the arithmetic alone). The \
      ratio network / cells is the network's overhead (the goal is at most 1.05); "vs fastest" \
      compares the network's formulations (the default should be within 5% of the fastest). \
      GFLOP/s counts every layer's and direction's products; beside it, its share of this \
      core's peak, measured before the rows (independent multiply-adds on the widest vectors \
      the CPU has: the physical limit of one thread), times the cores the row may use \
      (max(--threads, --network-threads), at most the machine's).

      With --onnxruntime, ONNX Runtime runs the same state dict and input as a third timing in \
      the same rounds (Benchmarks/onnxruntime/rnn_onnxruntime.py, started once with python3; \
      python3 -m pip install onnxruntime onnx numpy): the model PyTorch's export gives, its \
      output checked against the network's (max |Δ|), one intra-op thread unless --threads \
      says more. ONNX Runtime has no float64 recurrent kernels: its float64 columns say so.

      With --padded, a third timing per formulation runs the same batch as a padded one, with \
      lengths drawn uniformly from [T/2, T] (seeded; forward(_:batchSize:lengths:)): its time \
      over the full batch's, beside the goal 1.1 × (mean length / T), since a padded batch's \
      work is proportional to the steps that exist.
      """)

  @Option(help: "Comma-separated modes (default rnn_tanh,lstm,gru).", transform: parseList)
  var modes: [RecurrentNetwork<Float>.Mode] = [.rnnTanh, .lstm, .gru]

  @Option(help: "Comma-separated H = I (default 64,256).", transform: parseList)
  var sizes: [Int] = [64, 256]

  @Option(help: "Comma-separated batch sizes B (default 1,32).", transform: parseList)
  var batches: [Int] = [1, 32]

  @Option(help: "Sequence length T.")
  var steps = 100

  @Option(help: "Layers.")
  var layers = 1

  @Flag(help: "Two directions per layer.")
  var bidirectional = false

  @Option(
    help:
      "Comma-separated formulations the network runs (default hoisted, the network's default): fused, split, hoisted.",
    transform: parseList)
  var formulations: [Formulation] = [.hoisted]

  @Option(
    help:
      "Comma-separated backends the network runs (default packed, the network's default): blas, blasGEMM, pureSwift, packed.",
    transform: parseList)
  var backends: [Backend] = [.packed]

  @Option(
    help:
      "RecurrentNetwork.threads: threads for a bidirectional layer's two directions (default: --threads, OpenBLAS's). ONNX Runtime gets max(--threads, this) intra-op threads."
  )
  var networkThreads: Int?

  @Flag(help: "Also time the batch padded, lengths uniform in [T/2, T], against the full batch.")
  var padded = false

  @Flag(help: "Time ONNX Runtime's operators on the same weights and inputs, in the same rounds.")
  var onnxruntime = false

  @Option(help: "The Python that has onnxruntime and onnx (for --onnxruntime).")
  var python = "python3"

  @OptionGroup var common: CommonOptions

  mutating func validate() throws {
    guard sizes.allSatisfy({ (1...4096).contains($0) }), batches.allSatisfy({ (1...1024).contains($0) }),
      (1...10_000).contains(steps), (1...8).contains(layers)
    else { throw ValidationError("sizes 1...4096, batches 1...1024, steps 1...10000, layers 1...8") }
    if let networkThreads, !(1...1024).contains(networkThreads) {
      throw ValidationError("--network-threads must be between 1 and 1024, got \(networkThreads)")
    }
    guard common.format == .table, common.svg == nil else {
      throw ValidationError("network writes a table only: --format csv/json and --svg are not available here")
    }
    if common.quick {
      if sizes == [64, 256] { sizes = [16] }
      if steps == 100 { steps = 10 }
    }
  }

  func run() throws {
    try reportingErrors { try run(writingTo: try common.checkedOutputs()) }
  }

  private func run(writingTo outputs: CheckedOutputs) throws {
    let kernel = try applyBLASCore(common.blasCore, tool: "rnn-bench network")
    BLAS.threadCount = common.threads
    var lines = SystemInfo.current(kernel: kernel).lines
    let peak = CorePeak.measure()
    lines.append(peak.line)
    let cores = min(max(common.threads, networkThreads ?? 1), ProcessInfo.processInfo.activeProcessorCount)
    if cores > 1 { lines.append("(of peak: of \(cores) cores' peak, \(cores) × this)") }
    let directions = bidirectional ? 2 : 1
    lines.append(
      "\nT = \(steps), \(layers) layer(s), \(directions) direction(s); µs per step (T steps per call); ratios are medians of per-round ratios [lowest, highest round]\n"
    )
    let peer = try onnxruntime ? OnnxRuntimePeer(python: python, script: OnnxRuntimePeer.defaultScript) : nil
    if let peer {
      lines.append("ONNX Runtime \(peer.version), CPU execution provider, \(common.threads) intra-op thread(s)\n")
    }
    var header =
      "mode      H = I  B    dtype     formulation               network µs  GFLOP/s (of peak)  vs fastest [rounds]       cells µs  network / cells [rounds]"
    if padded { header += "  padded µs  padded / full [rounds]   goal" }
    if peer != nil { header += "  ORT µs    network / ORT [rounds]  max |Δ| vs ORT" }
    lines.append(header)
    for dtype in common.dtype {
      for mode in modes {
        for size in sizes {
          for batch in batches {
            let more: [String]
            switch dtype {
            case .float32:
              more = try measureNetwork(
                Float.self, mode: mode, size: size, batch: batch, peer: peer, peak: peak, cores: cores)
            case .float64:
              more = try measureNetwork(
                Double.self, mode: mode, size: size, batch: batch, peer: peer, peak: peak, cores: cores)
            }
            for line in more { statusLine.print(line) }
            lines += more
          }
        }
      }
    }
    let text = lines.joined(separator: "\n") + "\n"
    if let (destination, path) = outputs.output {
      do { try destination.write(Array(text.utf8)) } catch { throw RuntimeError("--output: \(error.description)") }
      statusLine.print("wrote \(path)")
    } else {
      print(text, terminator: "")
    }
  }

  private func measureNetwork<Scalar: BLASScalar>(
    _: Scalar.Type, mode: RecurrentNetwork<Float>.Mode, size: Int, batch: Int, peer: OnnxRuntimePeer?,
    peak: CorePeak, cores: Int
  ) throws -> [String] {
    var rng = SeededGenerator(seed: UInt64(size * 131 + batch))
    let gates = mode.gateCount
    let directions = bidirectional ? 2 : 1
    var stateDict: [String: Matrix<Scalar>] = [:]
    let scale = Scalar(1) / Scalar(size).squareRoot()
    for layer in 0..<layers {
      for suffix in bidirectional ? ["", "_reverse"] : [""] {
        let input = layer == 0 ? size : directions * size
        stateDict["weight_ih_l\(layer)\(suffix)"] =
          scale * Matrix<Scalar>.randomNormal(rows: gates * size, columns: input, using: &rng)
        stateDict["weight_hh_l\(layer)\(suffix)"] =
          scale * Matrix<Scalar>.randomNormal(rows: gates * size, columns: size, using: &rng)
        stateDict["bias_ih_l\(layer)\(suffix)"] = Matrix<Scalar>.randomNormal(
          rows: gates * size, columns: 1, using: &rng)
        stateDict["bias_hh_l\(layer)\(suffix)"] = Matrix<Scalar>.randomNormal(
          rows: gates * size, columns: 1, using: &rng)
      }
    }
    let networkMode = RecurrentNetwork<Scalar>.Mode(rawValue: mode.rawValue)!
    let network = try! RecurrentNetwork(stateDict: stateDict, mode: networkMode)
    let x = Matrix<Scalar>.randomNormal(rows: steps * batch, columns: size, using: &rng)
    let lengths = (0..<batch).map { _ in Int.random(in: ((steps + 1) / 2)...steps, using: &rng) }
    let meanFraction = Double(lengths.reduce(0, +)) / Double(batch * steps)
    // Per formulation: the network's forward, and its cells' runs with that formulation (and
    // with --padded the network's forward with lengths).
    var cases: [TimedCase] = []
    let variants = formulations.flatMap { formulation in backends.map { (formulation, $0) } }
    for (formulation, backend) in variants {
      var bound = network
      bound.formulation = formulation
      bound.backend = backend
      bound.threads = networkThreads
      cases.append(
        TimedCase(stepsPerCall: steps) { [bound] in
          let output = try! bound.forward(x, batchSize: batch)
          return output.output.withUnsafeBufferPointer { Double($0[$0.count - 1]) }
        })
      switch mode {
      case .rnnTanh, .rnnReLU:
        cases.append(
          cellRuns(stateDict, batch: batch, input: size) { wih, whh, bih, bhh in
            try! RNNCell(
              inputWeights: wih, recurrentWeights: whh, inputBias: bih, recurrentBias: bhh,
              activation: mode == .rnnReLU ? .relu : .tanh, formulation: formulation, backend: backend)
          })
      case .lstm:
        cases.append(
          cellRuns(stateDict, batch: batch, input: size) { wih, whh, bih, bhh in
            try! LSTMCell(
              inputWeights: wih, recurrentWeights: whh, inputBias: bih, recurrentBias: bhh, formulation: formulation,
              backend: backend)
          })
      case .gru:
        cases.append(
          cellRuns(stateDict, batch: batch, input: size) { wih, whh, bih, bhh in
            try! GRUCell(
              inputWeights: wih, recurrentWeights: whh, inputBias: bih, recurrentBias: bhh, formulation: formulation,
              backend: backend)
          })
      }
      if padded {
        cases.append(
          TimedCase(stepsPerCall: steps) { [bound] in
            let output = try! bound.forward(x, batchSize: batch, lengths: lengths)
            return output.output.withUnsafeBufferPointer { Double($0[0]) }
          })
      }
    }
    let perVariant = padded ? 3 : 2
    // ONNX Runtime on the same weights and input: its output checked against ours first.
    var peerNote = ""
    var peerReady = false
    if let peer {
      switch try peer.prepare(
        stateDict: stateDict, input: x, mode: mode.rawValue, layers: layers, bidirectional: bidirectional,
        batch: batch, threads: max(common.threads, networkThreads ?? 1), minTime: common.resolvedMinTime)
      {
      case .success(let theirs):
        let ours = try network.forward(x, batchSize: batch).output
        let difference = zip(ours.scalars, theirs.scalars).map { Double(abs($0 - $1)) }.max() ?? .nan
        guard ours.shape == theirs.shape, difference <= (Scalar.self == Float.self ? 1e-3 : 1e-9) else {
          throw RuntimeError(
            "ONNX Runtime's output differs from the network's: \(mode.rawValue) H = \(size), B = \(batch), max |Δ| = \(difference)"
          )
        }
        peerNote = scientific(difference)
        peerReady = true
      case .failure:
        // ONNX Runtime's CPU RNN, LSTM and GRU kernels are float32 only.
        peerNote = Scalar.self == Double.self ? "no float64 kernel in ONNX Runtime" : "ONNX Runtime refused it"
      }
    }
    var peerTimes: [Double] = []
    var peerError: (any Error)?
    let samples = measureInterleaved(cases, samples: common.samples, minTime: common.resolvedMinTime) { _ in
      guard peerReady, let peer, peerError == nil else { return }
      do { peerTimes.append(try peer.sample()) } catch { peerError = error }
    }
    if let peerError { throw peerError }
    func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
    func interval(_ a: [Double], _ b: [Double]) -> String {
      let ratios = zip(a, b).map { $0 / $1 }.sorted()
      return String(format: "%.2fx [%.2f, %.2f]", ratios[ratios.count / 2], ratios.first!, ratios.last!)
    }
    let networks = stride(from: 0, to: cases.count, by: perVariant).map { samples[$0] }
    let fastest = networks.indices.min { networks[$0].median < networks[$1].median }!
    // The flops of one step: every layer and direction's gates, input and recurrent products.
    let flops = (0..<layers).map { layer in
      2.0 * Double(directions * gates * size) * Double((layer == 0 ? size : directions * size) + size) * Double(batch)
    }.reduce(0, +)
    var lines: [String] = []
    for (k, (formulation, backend)) in variants.enumerated() {
      let (ours, cells) = (samples[perVariant * k], samples[perVariant * k + 1])
      let isDefault = formulation == network.formulation && backend == .packed
      var line =
        pad(mode.rawValue, 10) + pad("\(size)", 7) + pad("\(batch)", 5) + pad(Scalar.dtypeName, 10)
        + pad(
          formulation.rawValue + (backends.count > 1 ? " " + backend.rawValue : "") + (isDefault ? " (default)" : ""),
          26)
        + pad(micro(ours.median), 12)
        + pad(
          fixed(flops / ours.median, 1) + " ("
            + fixed(100 * flops / ours.median / (Double(cores) * peak.gflops(Scalar.self)), 0) + "%)",
          18)
        + pad(variants.count > 1 ? interval(ours.nanosecondsPerStep, networks[fastest].nanosecondsPerStep) : "", 26)
        + pad(micro(cells.median), 10) + pad(interval(ours.nanosecondsPerStep, cells.nanosecondsPerStep), 24)
      if padded {
        let times = samples[perVariant * k + 2]
        line +=
          pad(micro(times.median), 11) + pad(interval(times.nanosecondsPerStep, ours.nanosecondsPerStep), 24)
          + pad("≤ " + fixed(1.1 * meanFraction, 2), 8)
      }
      if peer != nil {
        if peerTimes.count == ours.nanosecondsPerStep.count {
          line +=
            pad(micro(Samples(nanosecondsPerStep: peerTimes).median), 10)
            + pad(interval(ours.nanosecondsPerStep, peerTimes), 24) + peerNote
        } else {
          line += pad("—", 10) + pad("—", 24) + peerNote
        }
      }
      lines.append(line)
    }
    return lines
  }

  /// Every layer and direction's cell run over inputs already in the cells' layout (I × T·B),
  /// into preallocated states: the network's arithmetic without its layout work.
  private func cellRuns<Cell: RecurrentCell>(
    _ stateDict: [String: Matrix<Cell.Scalar>], batch: Int, input: Int,
    make: (Matrix<Cell.Scalar>, Matrix<Cell.Scalar>, Matrix<Cell.Scalar>, Matrix<Cell.Scalar>) -> Cell
  ) -> TimedCase {
    typealias Scalar = Cell.Scalar
    var rng = SeededGenerator(seed: 5)
    let directions = bidirectional ? 2 : 1
    var cells: [Cell] = []
    for layer in 0..<layers {
      for suffix in bidirectional ? ["", "_reverse"] : [""] {
        func t(_ kind: String) -> Matrix<Scalar> { stateDict["\(kind)_l\(layer)\(suffix)"]! }
        cells.append(make(t("weight_ih"), t("weight_hh"), t("bias_ih"), t("bias_hh")))
      }
    }
    let width = steps * batch
    let inputs = (0..<layers).map { layer in
      Matrix<Scalar>.randomNormal(
        rows: layer == 0 ? input : directions * cells[0].hiddenSize, columns: width, using: &rng)
    }
    var workspaces = cells.map { $0.makeWorkspace(batchSize: batch) }
    var states = cells.map { Matrix<Scalar>.zeros(rows: $0.hiddenSize, columns: width) }
    let steps = self.steps
    return TimedCase(stepsPerCall: steps) {
      for index in cells.indices {
        cells[index].forward(
          inputs: inputs[index / directions], into: &workspaces[index], states: &states[index], formulation: nil,
          reversed: index % directions == 1)
      }
      return states[states.count - 1].withUnsafeBufferPointer { Double($0[$0.count - 1]) }
    }
  }
}
