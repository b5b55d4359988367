import ArgumentParser
import DenseMatrix
import Foundation
import _CommandLineSupport

/// Products on strided views against the same products on contiguous copies, and reductions
/// against memcpy's bandwidth, in interleaved rounds.
struct ViewsBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "views",
    abstract: "GEMM on strided views vs contiguous copies, and sum/mean reductions vs memcpy bandwidth.",
    discussion: """
      Views: an n × n block at an offset inside a (n + 37) × (n + 53) parent for A, B and C, \
      multiplied in place (BLAS gets the parent's row length as lda/ldb/ldc), against the \
      same product on contiguous copies made beforehand (the copy is not timed). \
      Reductions: sum() and sum(axis: 0 and 1) of a --reduce-size square matrix, in GB/s \
      of the matrix read, beside memcpy of the same bytes.
      """)

  @Option(help: "Comma-separated block sizes n for the view GEMM (default 64,256,512).", transform: parseList)
  var sizes: [Int] = [64, 256, 512]

  @Option(help: "The square matrix's side for the reductions (default 1024).")
  var reduceSize = 1024

  @OptionGroup var common: CommonOptions

  func validate() throws {
    guard sizes.allSatisfy({ (1...4096).contains($0) }), (16...8192).contains(reduceSize) else {
      throw ValidationError("--sizes must be in 1...4096 and --reduce-size in 16...8192")
    }
  }

  func run() throws {
    try reportingErrors { try run(writingTo: try common.checkedOutputs()) }
  }

  private func run(writingTo outputs: CheckedOutputs) throws {
    let kernel = try applyBLASCore(common.blasCore, tool: "rnn-bench views")
    BLAS.threadCount = common.threads
    let system = SystemInfo.current(kernel: kernel)
    for line in system.lines { printError(line) }
    var rows: [Row] = []
    for type in common.dtype {
      switch type {
      case .float32: rows += measure(Float.self)
      case .float64: rows += measure(Double.self)
      }
    }
    let report = Report(
      system: system, command: (["rnn-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
      rows: rows, verification: [])
    try common.emit(report, table: table(report), to: outputs)
  }

  private func measure<Scalar: BLASScalar>(_: Scalar.Type) -> [Row] {
    var rows: [Row] = []
    let dtype = Scalar.dtypeName
    var rng = SeededGenerator(seed: 5)
    for n in sizes {
      let parentA = Matrix<Scalar>.randomNormal(rows: n + 37, columns: n + 53, using: &rng)
      let parentB = Matrix<Scalar>.randomNormal(rows: n + 37, columns: n + 53, using: &rng)
      var parentC = Matrix<Scalar>.zeros(rows: n + 37, columns: n + 53)
      let (a, b) = (
        parentA[rows: 5..<(5 + n), columns: 7..<(7 + n)], parentB[rows: 11..<(11 + n), columns: 3..<(3 + n)]
      )
      var c = Matrix<Scalar>.zeros(rows: n, columns: n)
      let results = measureInterleaved(
        [
          TimedCase(stepsPerCall: 1) {
            parentA.withView(rows: 5..<(5 + n), columns: 7..<(7 + n)) { va in
              parentB.withView(rows: 11..<(11 + n), columns: 3..<(3 + n)) { vb in
                parentC.withMutableView(rows: 2..<(2 + n), columns: 9..<(9 + n)) { vc in
                  gemm(va, vb, into: vc)
                  return Double(vc[0, 0])
                }
              }
            }
          },
          TimedCase(stepsPerCall: 1) {
            gemm(a, b, into: &c)
            return c.withUnsafeBufferPointer { Double($0[0]) }
          },
        ], samples: common.samples, minTime: common.resolvedMinTime)
      let flops = 2.0 * Double(n) * Double(n) * Double(n)
      for (label, samples) in zip(["gemm-view", "gemm-copy"], results) {
        var row = Row(
          size: n, batch: n, steps: n, formulation: label, backend: "blas",
          medianNanosecondsPerStep: samples.median, minNanosecondsPerStep: samples.min,
          maxNanosecondsPerStep: samples.max, gflops: flops / samples.median, samples: samples.nanosecondsPerStep.count)
        row.dtype = dtype
        if label == "gemm-view" {
          let ratios = zip(results[0].nanosecondsPerStep, results[1].nanosecondsPerStep).map { $0 / $1 }
          row.vsRaw = Samples(nanosecondsPerStep: ratios).median
        }
        rows.append(row)
      }
      printError("  gemm \(n)×\(n) \(dtype): view \(micro(results[0].median)) µs, copy \(micro(results[1].median)) µs")
    }
    // Reductions against memcpy of the same bytes.
    let side = reduceSize
    let m = Matrix<Scalar>.randomNormal(rows: side, columns: side, using: &rng)
    let bytes = Double(side * side * MemoryLayout<Scalar>.stride)
    var copy = [Scalar](repeating: 0, count: side * side)
    let cases: [(String, TimedCase)] = [
      (
        "memcpy",
        TimedCase(stepsPerCall: 1) {
          m.withUnsafeBufferPointer { source in
            copy.withUnsafeMutableBufferPointer { target in
              target.baseAddress!.update(from: source.baseAddress!, count: source.count)
              return Double(target[7])
            }
          }
        }
      ),
      ("sum", TimedCase(stepsPerCall: 1) { Double(m.sum()) }),
      ("sum-axis0", TimedCase(stepsPerCall: 1) { Double(m.sum(axis: 0)[0, 0]) }),
      ("sum-axis1", TimedCase(stepsPerCall: 1) { Double(m.sum(axis: 1)[0, 0]) }),
      ("max-axis0", TimedCase(stepsPerCall: 1) { Double(m.max(axis: 0)[0, 0]) }),
      ("max-axis1", TimedCase(stepsPerCall: 1) { Double(m.max(axis: 1)[0, 0]) }),
      ("mean-axis0", TimedCase(stepsPerCall: 1) { Double(m.mean(axis: 0)[0, 0]) }),
    ]
    let timed = measureInterleaved(cases.map(\.1), samples: common.samples, minTime: common.resolvedMinTime)
    for ((label, _), samples) in zip(cases, timed) {
      var row = Row(
        size: side, batch: side, steps: 1, formulation: label, backend: "reduce",
        medianNanosecondsPerStep: samples.median, minNanosecondsPerStep: samples.min,
        maxNanosecondsPerStep: samples.max, gflops: bytes / samples.median, samples: samples.nanosecondsPerStep.count)
      row.dtype = dtype
      if label != "memcpy" {
        let ratios = zip(timed[0].nanosecondsPerStep, samples.nanosecondsPerStep).map { $0 / $1 }
        row.vsRaw = Samples(nanosecondsPerStep: ratios).median  // bandwidth as a fraction of memcpy's
      }
      rows.append(row)
      printError("  \(label) \(side)×\(side) \(dtype): \(fixed(bytes / samples.median, 2)) GB/s")
    }
    return rows
  }

  private func table(_ report: Report) -> String {
    var lines = report.system.lines
    lines.append("Command: \(report.command)")
    lines.append("")
    lines.append("operation   dtype    shape          median µs        GFLOP/s or GB/s   view/copy or vs memcpy")
    for r in report.rows {
      let shape = r.backend == "reduce" ? "\(r.size)×\(r.batch)" : "\(r.size)³"
      let ratio = r.vsRaw.map { fixed($0, 3) + (r.backend == "reduce" ? " of memcpy" : "x") } ?? ""
      lines.append(
        r.formulation.padding(toLength: 12, withPad: " ", startingAt: 0)
          + r.elementType.padding(toLength: 9, withPad: " ", startingAt: 0)
          + shape.padding(toLength: 15, withPad: " ", startingAt: 0)
          + micro(r.medianNanosecondsPerStep).leftPad(9) + fixed(r.gflops, 2).leftPad(21) + ratio.leftPad(26))
    }
    lines.append("")
    lines.append("(GEMM: GFLOP/s and the view's time over the copy's, round by round; reductions: GB/s of the")
    lines.append("matrix read and the fraction of memcpy's bandwidth on the same bytes, round by round.)")
    return lines.joined(separator: "\n")
  }
}
