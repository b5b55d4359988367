import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import RNNTraining
import _CommandLineSupport

/// A training step (forward pass, backpropagation through time, an optimizer step) against the
/// forward pass alone, and beside PyTorch's own training step.
struct TrainBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Times training steps of one-layer RNN, LSTM and GRU networks, beside PyTorch's (--pytorch).",
    discussion: """
      For each mode, H = I, B and dtype, a one-layer network with T steps (inputs and targets \
      from a fixed seed), three timings in --samples interleaved rounds after a warm-up: the \
      forward pass (RecurrentNetwork.forward), the forward and backward pass \
      (RecurrentNetwork.gradients into a kept TrainingPass, the loss nn.MSELoss into a kept \
      gradient), and a whole training step (the gradients, then Adam's step and the new \
      weights loaded into the network: no allocation after the first step); each is its best \
      round. Backward is forward+backward minus forward, as a ratio to the forward pass taken \
      round by round (the median, with the lowest and highest round: it holds when the \
      machine's speed drifts between rounds); its goal is at most 2.5. With \
      --pytorch, Benchmarks/pytorch/rnn_train_torch.py runs the same configurations in \
      PyTorch (torch.no_grad forward; zero_grad, forward, MSELoss, backward, Adam step) after \
      ours, in one process with --threads intra-op threads and --threads threads in the BLAS \
      torch calls, and the last column is our step / PyTorch's (goal: below 1). OpenBLAS uses \
      --threads threads.
      """)

  @Option(help: "Comma-separated modes (default rnn_tanh,lstm,gru).", transform: parseList)
  var modes: [RecurrentNetwork<Float>.Mode] = [.rnnTanh, .lstm, .gru]

  @Option(help: "Comma-separated H = I (default 64,256).", transform: parseList)
  var sizes: [Int] = [64, 256]

  @Option(help: "Comma-separated batch sizes B (default 1,32).", transform: parseList)
  var batches: [Int] = [1, 32]

  @Option(help: "Sequence length T.")
  var steps = 100

  @Flag(help: "Also time PyTorch's training step (Benchmarks/pytorch/rnn_train_torch.py).")
  var pytorch = false

  @Option(help: "The Python that has torch (for --pytorch).")
  var python = "python3"

  @OptionGroup var common: CommonOptions

  mutating func validate() throws {
    guard sizes.allSatisfy({ (1...4096).contains($0) }), batches.allSatisfy({ (1...1024).contains($0) }),
      (1...10_000).contains(steps)
    else { throw ValidationError("sizes 1...4096, batches 1...1024, steps 1...10000") }
    guard common.format == .table, common.svg == nil else {
      throw ValidationError("train writes a table only: --format csv/json and --svg are not available here")
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
    let kernel = try applyBLASCore(common.blasCore, tool: "rnn-bench train")
    BLAS.threadCount = common.threads
    var lines = SystemInfo.current(kernel: kernel).lines
    lines.append(
      "\nT = \(steps), one layer, one direction, Adam, loss MSE; ms per call, the best of \(common.samples) interleaved rounds; backward / forward: the median of the rounds' own ratios [lowest, highest]\n"
    )
    var rows: [(key: String, text: String, step: Double)] = []
    for dtype in common.dtype {
      for mode in modes {
        for size in sizes {
          for batch in batches {
            let row: (String, Double)
            switch dtype {
            case .float32: row = try measure(Float.self, mode: mode, size: size, batch: batch)
            case .float64: row = try measure(Double.self, mode: mode, size: size, batch: batch)
            }
            statusLine.print(row.0)
            rows.append(("\(mode.rawValue) \(size) \(batch) \(dtype.rawValue)", row.0, row.1))
          }
        }
      }
    }
    var header =
      "mode      H = I  B    dtype     forward ms  fwd+bwd ms  step ms   backward / forward (goal ≤ 2.5) "
    var peer: [String: (forward: Double, step: Double)] = [:]
    if pytorch {
      let (version, threads, results) = try runPyTorch()
      peer = results
      lines.append(
        "PyTorch \(version), \(threads.intraOp) intra-op thread(s), \(threads.blas) BLAS thread(s), run after ours\n")
      header += "  PyTorch forward ms  PyTorch step ms  step / PyTorch (goal < 1)"
    }
    lines.append(header)
    for row in rows {
      var text = row.text
      if pytorch {
        if let torch = peer[row.key] {
          text +=
            "  " + pad(format(torch.forward), 18) + "  " + pad(format(torch.step), 15) + "  "
            + String(format: "%.2fx", row.step / torch.step)
        } else {
          text += "  (PyTorch did not report this row)"
        }
      }
      lines.append(text)
    }
    let text = lines.joined(separator: "\n") + "\n"
    if let (destination, path) = outputs.output {
      do { try destination.write(Array(text.utf8)) } catch { throw RuntimeError("--output: \(error.description)") }
      statusLine.print("wrote \(path)")
    } else {
      print(text, terminator: "")
    }
  }

  private func measure<Scalar: BLASScalar>(
    _: Scalar.Type, mode: RecurrentNetwork<Float>.Mode, size: Int, batch: Int
  ) throws -> (String, Double) {
    var generator = SeededGenerator(seed: 1)
    let gates = mode.gateCount
    var weights: Parameters<Scalar> = [:]
    let scale = Scalar(1) / Scalar(size).squareRoot()
    weights["weight_ih_l0"] = .randomNormal(
      rows: gates * size, columns: size, standardDeviation: scale, using: &generator)
    weights["weight_hh_l0"] = .randomNormal(
      rows: gates * size, columns: size, standardDeviation: scale, using: &generator)
    weights["bias_ih_l0"] = .randomNormal(rows: gates * size, columns: 1, standardDeviation: scale, using: &generator)
    weights["bias_hh_l0"] = .randomNormal(rows: gates * size, columns: 1, standardDeviation: scale, using: &generator)
    let x = Matrix<Scalar>.randomNormal(rows: steps * batch, columns: size, using: &generator)
    let y = Matrix<Scalar>.randomNormal(rows: steps * batch, columns: size, using: &generator)
    let networkMode = RecurrentNetwork<Scalar>.Mode(rawValue: mode.rawValue)!
    var network = try RecurrentNetwork(stateDict: weights, mode: networkMode)
    var optimizer = Adam<Scalar>(learningRate: 1e-3)
    // The pass and the loss's gradient kept from call to call, as a training loop keeps them.
    var pass = RecurrentNetwork<Scalar>.TrainingPass()
    var dOutput = Matrix<Scalar>.zeros(rows: 0, columns: 0)
    func gradients() throws {
      try network.gradients(x, batchSize: batch, into: &pass) { (output) throws(ShapeError) in
        _ = try MSELoss()(output.output, y, gradient: &dOutput)
        return .init(output: dOutput)
      }
    }
    // Forward, forward + backward, and a whole step timed in interleaved rounds (each round's
    // three samples close together in time, so that their ratio holds when the machine's speed
    // drifts): the times are the best round's, as PyTorch's script reports its best run; the
    // backward's ratio is the median of the rounds' own ratios.
    let cases = [
      TimedCase(stepsPerCall: 1) {
        (try! network.forward(x, batchSize: batch)).output.scalars.last.map(Double.init) ?? 0
      },
      TimedCase(stepsPerCall: 1) {
        try! gradients()
        return pass.output.output.scalars.last.map(Double.init) ?? 0
      },
      TimedCase(stepsPerCall: 1) {
        try! gradients()
        optimizer.step(&weights, gradients: pass.gradients.parameters)
        try! network.load(stateDict: weights)
        return pass.output.output.scalars.last.map(Double.init) ?? 0
      },
    ]
    let samples = measureInterleaved(cases, samples: common.samples, minTime: common.resolvedMinTime)
    let (forwardRounds, bothRounds) = (samples[0].nanosecondsPerStep, samples[1].nanosecondsPerStep)
    let (forward, both, step) = (samples[0].min / 1e6, samples[1].min / 1e6, samples[2].min / 1e6)
    let ratios = zip(bothRounds, forwardRounds).map { ($0 - $1) / $1 }.sorted()
    let backwardRatio = ratios[ratios.count / 2]
    let text =
      pad(mode.rawValue, 10) + pad("\(size)", 7) + pad("\(batch)", 5)
      + pad(Scalar.self == Float.self ? "float32" : "float64", 10)
      + pad(format(forward), 12) + pad(format(both), 12) + pad(format(step), 10)
      + pad(
        String(format: "%.2fx [%.2f, %.2f]", backwardRatio, ratios.first!, ratios.last!)
          + (backwardRatio <= 2.5 ? " ✓" : ""), 33)
    return (text, step)
  }

  private func runPyTorch() throws -> (
    String, (intraOp: Int, blas: Int), [String: (forward: Double, step: Double)]
  ) {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("pytorch/rnn_train_torch.py").path
    guard FileManager.default.fileExists(atPath: script) else {
      throw RuntimeError("--pytorch: \(script) does not exist (run from a checkout of the package)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      python, script, "--modes", modes.map(\.rawValue).joined(separator: ","), "--sizes",
      sizes.map(String.init).joined(separator: ","), "--batches", batches.map(String.init).joined(separator: ","),
      "--dtypes", common.dtype.map(\.rawValue).joined(separator: ","), "--steps", "\(steps)", "--samples",
      "\(max(3, common.samples))", "--threads", "\(common.threads)",
    ]
    let output = Pipe()
    process.standardOutput = output
    do { try process.run() } catch {
      throw RuntimeError("--pytorch: cannot start \(python): \(error.localizedDescription)")
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw RuntimeError("--pytorch: \(python) \(script) failed (is torch installed? pass --python)")
    }
    var version = "?"
    var threads = (intraOp: 0, blas: 0)
    var results: [String: (forward: Double, step: Double)] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
      if let torch = object["torch"] as? String {
        version = torch
        threads = (object["threads"] as? Int ?? 0, object["blas_threads"] as? Int ?? 0)
      } else if let mode = object["mode"] as? String, let size = object["size"] as? Int,
        let batch = object["batch"] as? Int, let dtype = object["dtype"] as? String,
        let forward = object["forward_ms"] as? Double, let step = object["step_ms"] as? Double
      {
        results["\(mode) \(size) \(batch) \(dtype)"] = (forward, step)
      }
    }
    return (version, threads, results)
  }

  private func format(_ milliseconds: Double) -> String {
    milliseconds < 10 ? String(format: "%.3f", milliseconds) : String(format: "%.1f", milliseconds)
  }

  private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
  }
}
