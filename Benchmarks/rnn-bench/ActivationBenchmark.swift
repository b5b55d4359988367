import ArgumentParser
import DenseMatrix
import Foundation
import _CommandLineSupport

/// The bias-and-activation pass alone: ns per element on every path this CPU supports, beside
/// numpy measured on the same inputs in the same run.
struct ActivationBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "activations",
    abstract: "The bias-and-activation pass, ns per element on each path the CPU supports, beside numpy.",
    discussion: """
      Inputs are standard-normal values at scales 0.5, 1, 2 and 4 (realistic \
      pre-activations; a tanh applied repeatedly to one buffer would shrink its \
      values into the cheap range). Each row applies g(x + b), b one bias per row \
      as in an RNN step, from a source buffer into a destination, so every call \
      sees the same inputs.

      numpy's rows run np.add then np.tanh (or scipy's expit, or 1 / (1 + exp(-x)) \
      without scipy) with preallocated outputs, in a python3 started by this \
      command; they are absent when python3 or numpy is.
      """)

  @Option(help: "Elements per call: 64 rows × (elements / 64) columns (default 8192).")
  var elements = 8192

  @OptionGroup var common: CommonOptions

  func validate() throws {
    guard elements >= 64 && elements % 64 == 0 && elements <= 1 << 24 else {
      throw ValidationError("--elements must be a multiple of 64 in 64...16777216, got \(elements)")
    }
  }

  func run() throws {
    try reportingErrors { try run(writingTo: try common.checkedOutputs()) }
  }

  private func run(writingTo outputs: CheckedOutputs) throws {
    let kernel = try applyBLASCore(common.blasCore, tool: "rnn-bench activations")
    BLAS.threadCount = common.threads
    let system = SystemInfo.current(kernel: kernel)
    for line in system.lines { printError(line) }
    var report = Report(
      system: system, command: (["rnn-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
      rows: [], verification: [])
    var numpyMeasured = false
    for type in common.dtype {
      let numpy = numpyTimes(elements: elements, dtype: type.rawValue)
      numpyMeasured = numpyMeasured || !numpy.isEmpty
      switch type {
      case .float32: report.rows += rows(Float.self, numpy: numpy)
      case .float64: report.rows += rows(Double.self, numpy: numpy)
      }
    }
    try common.emit(report, table: table(report, numpyMeasured: numpyMeasured), to: outputs)
  }

  /// Every activation on every supported path in `Scalar`, then numpy's row for it.
  private func rows<Scalar: BLASScalar>(_: Scalar.Type, numpy: [String: Double]) -> [Row] {
    let (rows, columns) = (64, elements / 64)
    let scales: [Scalar] = [0.5, 1, 2, 4]
    var rng = SeededGenerator(seed: 17)
    let source = Matrix<Scalar>(rows: rows, columns: columns) { r, _ in scales[r % 4] }
      .hadamard(Matrix<Scalar>.randomNormal(rows: rows, columns: columns, using: &rng))
    let bias = Matrix<Scalar>.randomNormal(rows: rows, columns: 1, using: &rng).map { $0 * 0.1 }
    var destination = Matrix<Scalar>.zeros(rows: rows, columns: columns)
    var result: [Row] = []
    let dtype = Scalar.dtypeName
    for activation in [Activation.tanh, .sigmoid, .relu] {
      for path in ActivationPath.supported {
        let samples = withActivationPath(path) {
          measure(samples: common.samples, minTime: common.resolvedMinTime, stepsPerCall: elements) {
            source.withUnsafeBufferPointer { s in
              bias.withUnsafeBufferPointer { b in
                destination.withUnsafeMutableBufferPointer { d in
                  activation.apply(
                    rows: rows, columns: columns, source: s.baseAddress!, sourceStride: columns, bias: b.baseAddress,
                    destination: d.baseAddress!, destinationStride: columns)
                  return Double(d[0])
                }
              }
            }
          }
        }
        statusLine.print("  \(activation) \(dtype) on \(path): \(fixed(samples.median, 3)) ns/element")
        var row = Row(
          size: elements, batch: 1, steps: 1, formulation: activation.rawValue, backend: path.rawValue,
          medianNanosecondsPerStep: samples.median, minNanosecondsPerStep: samples.min,
          maxNanosecondsPerStep: samples.max, gflops: 1 / samples.median, samples: samples.nanosecondsPerStep.count)
        row.dtype = dtype
        row.noisy = samples.spread > common.noiseThreshold
        if let peer = numpy[activation.rawValue] { row.vsNumpy = samples.median / peer }
        result.append(row)
      }
      if let peer = numpy[activation.rawValue] {
        var row = Row(
          size: elements, batch: 1, steps: 1, formulation: activation.rawValue, backend: "numpy",
          medianNanosecondsPerStep: peer, minNanosecondsPerStep: peer, maxNanosecondsPerStep: peer, gflops: 1 / peer,
          samples: common.samples)
        row.dtype = dtype
        result.append(row)
      }
    }
    return result
  }

  private func table(_ report: Report, numpyMeasured: Bool) -> String {
    var lines = report.system.lines
    lines.append("Command: \(report.command)")
    lines.append(
      "Activation paths on this CPU: \(ActivationPath.supported.map(\.rawValue).joined(separator: ", ")) (default \(ActivationPath.best))"
    )
    lines.append("")
    lines.append("activation  dtype    path       ns/element (median)        min        max   vs numpy")
    for r in report.rows {
      lines.append(
        r.formulation.padding(toLength: 12, withPad: " ", startingAt: 0)
          + r.elementType.padding(toLength: 9, withPad: " ", startingAt: 0)
          + r.backend.padding(toLength: 9, withPad: " ", startingAt: 0)
          + fixed(r.medianNanosecondsPerStep, 3).leftPad(22) + fixed(r.minNanosecondsPerStep, 3).leftPad(11)
          + fixed(r.maxNanosecondsPerStep, 3).leftPad(11)
          + (r.vsNumpy.map { fixed($0, 2) + "x" } ?? "").leftPad(11) + (r.noisy == true ? " *" : ""))
    }
    if report.rows.contains(where: { $0.noisy == true }) {
      lines.append("")
      lines.append(
        "* noisy: the samples spread by more than --noise-threshold (\(fixed(100 * common.noiseThreshold, 0))% of the median); measure again on a quieter machine."
      )
    }
    lines.append("")
    lines.append("(g(x + b) from a source into a destination; vs numpy below 1 means faster than numpy.)")
    if !numpyMeasured { lines.append("numpy: not measured (python3 with numpy not found)") }
    return lines.joined(separator: "\n")
  }

  /// numpy's ns per element for tanh, sigmoid and relu on the same kind of inputs, or an empty
  /// dictionary when python3 with numpy is not available.
  private func numpyTimes(elements: Int, dtype: String) -> [String: Double] {
    let script = """
      import json, sys, time
      import numpy as np
      n, samples = \(elements), \(common.samples)
      rng = np.random.default_rng(17)
      rows, columns = 64, n // 64
      x = (rng.standard_normal((rows, columns)) * np.array([0.5, 1, 2, 4] * 16)[:, None]).astype('\(dtype)')
      b = (rng.standard_normal((rows, 1)) * 0.1).astype('\(dtype)')
      out = np.empty_like(x)
      try:
          from scipy.special import expit
          sigmoid = lambda: expit(np.add(x, b, out=out), out=out)
      except ImportError:
          sigmoid = lambda: np.divide(1.0, np.add(np.exp(np.negative(np.add(x, b, out=out), out=out), out=out), 1.0, out=out), out=out)
      cases = {"tanh": lambda: np.tanh(np.add(x, b, out=out), out=out), "sigmoid": sigmoid,
               "relu": lambda: np.maximum(np.add(x, b, out=out), 0.0, out=out)}
      result = {}
      for name, f in cases.items():
          reps = 1
          while True:
              t0 = time.perf_counter_ns()
              for _ in range(reps): f()
              if time.perf_counter_ns() - t0 > \(Int(common.resolvedMinTime * 1e9)): break
              reps *= 2
          times = []
          for _ in range(samples):
              t0 = time.perf_counter_ns()
              for _ in range(reps): f()
              times.append((time.perf_counter_ns() - t0) / (reps * n))
          times.sort()
          result[name] = times[len(times) // 2]
      print(json.dumps(result))
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return [:] }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
      let parsed = try? JSONSerialization.jsonObject(with: data) as? [String: Double]
    else { return [:] }
    return parsed
  }
}
