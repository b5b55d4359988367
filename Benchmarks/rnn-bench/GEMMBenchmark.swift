import ArgumentParser
import DenseMatrix
import Foundation
import _CommandLineSupport

/// Pure-Swift products against OpenBLAS: square GEMM and matrix × vector (GEMV).
struct GEMMBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gemm",
    abstract:
      "Pure-Swift GEMM and GEMV against OpenBLAS (cblas_sgemm/dgemm, cblas_sgemv/dgemv), as ratios in one run.")

  @Option(help: "Comma-separated square GEMM sizes n, n×n · n×n (default 16,64,256,512,1024).", transform: parseList)
  var gemmSizes: [Int] = [16, 64, 256, 512, 1024]

  @Option(help: "Comma-separated GEMV sizes n, n×n · n×1 (default 16,64,256,1024).", transform: parseList)
  var gemvSizes: [Int] = [16, 64, 256, 1024]

  @Option(
    help: "Comma-separated batch sizes B for the RNN-shaped product n×2n · 2n×B (default 1,32).", transform: parseList)
  var rnnBatches: [Int] = [1, 32]

  @Option(help: "Comma-separated n for the RNN-shaped product (default 16,64).", transform: parseList)
  var rnnSizes: [Int] = [16, 64]

  @OptionGroup var common: CommonOptions

  mutating func validate() throws {
    for list in [gemmSizes, gemvSizes, rnnBatches, rnnSizes] where !list.allSatisfy({ (1...8192).contains($0) }) {
      throw ValidationError("sizes must be in 1...8192")
    }
    if common.quick {
      if gemmSizes == [16, 64, 256, 512, 1024] { gemmSizes = [16, 64, 256] }
      if gemvSizes == [16, 64, 256, 1024] { gemvSizes = [64, 256] }
    }
  }

  func run() throws {
    try reportingErrors { try run(writingTo: try common.checkedOutputs()) }
  }

  private func run(writingTo outputs: CheckedOutputs) throws {
    let kernel = try applyBLASCore(common.blasCore, tool: "rnn-bench gemm")
    BLAS.threadCount = common.threads
    let system = SystemInfo.current(kernel: kernel)
    for line in system.lines { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    var rows: [Row] = []
    var verification: [Verification] = []
    func bench<Scalar: BLASScalar>(_: Scalar.Type, _ label: String, m: Int, n: Int, k: Int) {
      var rng = SeededGenerator(seed: UInt64(m * 31 + n * 7 + k))
      let a = Matrix<Scalar>.randomNormal(rows: m, columns: k, using: &rng)
      let b = Matrix<Scalar>.randomNormal(rows: k, columns: n, using: &rng)
      var results: [Backend: Matrix<Scalar>] = [:]
      let backends = [Backend.blas, .pureSwift]
      // Both backends in interleaved rounds, so that a busy phase of the machine hits both alike.
      let cases = backends.map { backend in
        var c = Matrix<Scalar>.zeros(rows: m, columns: n)
        return TimedCase(stepsPerCall: 1) {
          gemm(a, b, into: &c, backend: backend)
          return c.withUnsafeBufferPointer { Double($0[0]) }
        }
      }
      let measured = measureInterleaved(cases, samples: common.samples, minTime: common.resolvedMinTime)
      for (backend, samples) in zip(backends, measured) {
        results[backend] = matmul(a, b, backend: backend)
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        statusLine.print(
          "  \(label) \(m)×\(k)·\(k)×\(n) \(Scalar.dtypeName) on \(backend): \(micro(samples.median)) µs")
        var row = Row(
          size: m, batch: n, steps: k, formulation: label, backend: backend == .blas ? "openblas" : "pureSwift",
          medianNanosecondsPerStep: samples.median, minNanosecondsPerStep: samples.min,
          maxNanosecondsPerStep: samples.max,
          gflops: flops / samples.median, samples: samples.nanosecondsPerStep.count)
        row.dtype = Scalar.dtypeName
        row.roundNanosecondsPerStep = samples.nanosecondsPerStep
        row.noisy = samples.spread > common.noiseThreshold
        rows.append(row)
      }
      let diff = zip(results[.blas]!.scalars, results[.pureSwift]!.scalars).map { Double(abs($0 - $1)) }.max() ?? 0
      // Double: rtol 1e-12, atol 1e-12·k; Float: 8·ε·√k for both (two summation orders in Float).
      let tolerance = Scalar.self == Double.self ? 1e-12 : 8 * Double(Float.ulpOfOne) * Double(k).squareRoot()
      var check = Verification(
        size: m, batch: n, maxAbsDifference: diff,
        allclose: allclose(
          results[.pureSwift]!, results[.blas]!, rtol: Scalar(tolerance),
          atol: Scalar(Scalar.self == Double.self ? tolerance * Double(k) : tolerance)))
      check.dtype = Scalar.dtypeName
      check.tolerance = tolerance
      verification.append(check)
    }
    for type in common.dtype {
      func all<Scalar: BLASScalar>(_ t: Scalar.Type) {
        for n in gemmSizes { bench(t, "gemm", m: n, n: n, k: n) }
        for n in gemvSizes { bench(t, "gemv", m: n, n: 1, k: n) }
        for n in rnnSizes { for batch in rnnBatches { bench(t, "rnn-step", m: n, n: batch, k: 2 * n) } }
      }
      switch type {
      case .float32: all(Float.self)
      case .float64: all(Double.self)
      }
    }
    // Ratio of each pure-Swift row to OpenBLAS on the same product.
    for i in rows.indices where rows[i].backend == "pureSwift" {
      if let peer = rows.first(where: {
        $0.backend == "openblas" && $0.formulation == rows[i].formulation && $0.size == rows[i].size
          && $0.batch == rows[i].batch && $0.steps == rows[i].steps && $0.elementType == rows[i].elementType
      }) {
        rows[i].vsRaw = rows[i].medianNanosecondsPerStep / peer.medianNanosecondsPerStep
      }
    }
    let report = Report(
      system: system, command: (["rnn-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
      rows: rows, verification: verification)
    try common.emit(report, table: gemmTable(report), to: outputs)
    if verification.contains(where: { !$0.allclose }) { throw ExitCode.failure }
  }

  private func gemmTable(_ report: Report) -> String {
    var lines = report.system.lines
    lines.append("Command: \(report.command)")
    lines.append("")
    lines.append(
      "product    dtype    m × k · k × n            OpenBLAS GFLOP/s   pure-Swift GFLOP/s   pure-Swift / OpenBLAS throughput [per round]   max |Δ|"
    )
    // One verification per product, in the order the OpenBLAS rows came.
    for (r, v) in zip(report.rows.filter { $0.backend == "openblas" }, report.verification) {
      guard
        let s = report.rows.first(where: {
          $0.backend == "pureSwift" && $0.formulation == r.formulation && $0.size == r.size && $0.batch == r.batch
            && $0.steps == r.steps && $0.elementType == r.elementType
        })
      else { continue }
      // Throughput ratio round by round: OpenBLAS's time over pure Swift's.
      var throughput = fixed(100 * s.gflops / r.gflops, 1) + "%"
      if let a = r.roundNanosecondsPerStep, let b = s.roundNanosecondsPerStep {
        let ratios = zip(a, b).map { 100 * $0 / $1 }
        throughput += " [\(fixed(ratios.min()!, 0)), \(fixed(ratios.max()!, 0))]"
      }
      if r.noisy == true || s.noisy == true { throughput += " *" }
      let shape = "\(r.size)×\(r.steps) · \(r.steps)×\(r.batch)"
      lines.append(
        r.formulation.padding(toLength: 11, withPad: " ", startingAt: 0)
          + r.elementType.padding(toLength: 9, withPad: " ", startingAt: 0)
          + shape.padding(toLength: 25, withPad: " ", startingAt: 0)
          + fixed(r.gflops, 2).leftPad(16) + fixed(s.gflops, 2).leftPad(21)
          + throughput.leftPad(47) + "   " + scientific(v.maxAbsDifference))
    }
    if report.rows.contains(where: { $0.noisy == true }) {
      lines.append("")
      lines.append(
        "* noisy: a row's samples spread by more than --noise-threshold (\(fixed(100 * common.noiseThreshold, 0))% of the median); measure again on a quieter machine."
      )
    }
    return lines.joined(separator: "\n")
  }
}

extension String {
  func leftPad(_ width: Int) -> String { String(repeating: " ", count: Swift.max(0, width - count)) + self }
}
