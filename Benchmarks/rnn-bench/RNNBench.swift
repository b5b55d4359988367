import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import _CommandLineSupport

@main
struct RNNBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rnn-bench",
    abstract:
      "Measures which formulation (fused, split, hoisted, or the notebook's literal one) of an RNN, LSTM or GRU cell is fastest at your sizes.",
    discussion: """
      Run it in release mode: swift run -c release rnn-bench
      Numbers are medians of at least 7 interleaved rounds, compared as ratios measured in the \
      same run. Without a subcommand it runs `formulations`, whose options follow.
      """ + "\n\n" + defaultSubcommandHelp,
    subcommands: [
      Formulations.self, NetworkBenchmark.self, GEMMBenchmark.self, ActivationBenchmark.self, ViewsBenchmark.self,
      LoadBenchmark.self, TrainBenchmark.self,
    ],
    defaultSubcommand: Formulations.self)
}

/// The default subcommand's options, for `rnn-bench --help` (which otherwise lists only the
/// subcommands, though `rnn-bench --sizes 64` takes them).
private let defaultSubcommandHelp: String = {
  let help = Formulations.helpMessage(columns: 80)
  guard let options = help.range(of: "OPTIONS:") else { return "" }
  let lines = help[options.lowerBound...].split(separator: "\n", omittingEmptySubsequences: false)
    .filter { !$0.contains("-h, --help") }
  return "FORMULATIONS " + lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
}()

/// Options shared by both modes.
struct CommonOptions: ParsableArguments {
  @Option(help: "OpenBLAS threads (the numbers in the README are single-threaded).")
  var threads = 1

  @Flag(help: "A few seconds in all: small sizes, short samples (for CI smoke tests).")
  var quick = false

  @Option(name: .customLong("min-time"), help: "Minimum seconds per sample (default 0.02, or 0.002 with --quick).")
  var minTime: Double?

  @Option(help: "Samples per configuration (at least 7).")
  var samples = 7

  @Option(
    help: "Comma-separated element types (default both): float32, float64; each row says its dtype.",
    transform: parseList)
  var dtype: [DType] = [.float32, .float64]

  @Option(help: "Output format: table, csv or json.")
  var format: OutputFormat = .table

  @Option(help: "Write the report to this file instead of standard output.")
  var output: String?

  @Option(help: "Also write an SVG chart to this file: time relative to split per size, with the winner marked.")
  var svg: String?

  @Option(help: BLASCoreChoice.help)
  var blasCore: BLASCoreChoice = .auto

  @Option(
    help:
      "A row is noisy (marked *) when its samples, without the lowest and highest, spread by more than this fraction of their median; the formulation sweep measures its group again."
  )
  var noiseThreshold = 0.25

  enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

  func validate() throws {
    guard threads >= 1 && threads <= 1024 else {
      throw ValidationError("--threads must be between 1 and 1024, got \(threads)")
    }
    guard samples >= 7 else { throw ValidationError("--samples must be at least 7, got \(samples)") }
    guard noiseThreshold > 0 && noiseThreshold <= 10 else {
      throw ValidationError("--noise-threshold must be in (0, 10], got \(noiseThreshold)")
    }
    if let minTime, !(minTime > 0 && minTime <= 60) {
      throw ValidationError("--min-time must be a number of seconds in (0, 60], got \(minTime)")
    }
  }

  var resolvedMinTime: Double { minTime ?? (quick ? 0.002 : 0.02) }

  /// Checks `--output` and `--svg` before any measurement, so that a bad path fails at once
  /// rather than after the run (exit 1, as every runtime error).
  func checkedOutputs() throws -> CheckedOutputs {
    func check(_ option: String, _ path: String?) throws -> CheckedFileDestination? {
      guard let path else { return nil }
      do { return try CheckedFileDestination(path: path) } catch {
        throw RuntimeError("\(option): \(error.description)")
      }
    }
    return CheckedOutputs(
      output: try check("--output", output).map { ($0, output!) }, svg: try check("--svg", svg).map { ($0, svg!) })
  }

  /// Prints or writes the report in the chosen format; `table` replaces the default table.
  func emit(_ report: Report, table: String? = nil, to outputs: CheckedOutputs) throws {
    let text: String
    switch format {
    case .table: text = table ?? report.table()
    case .csv: text = report.csv()
    case .json: text = try report.json()
    }
    if let (destination, path) = outputs.output {
      try write(text + "\n", "--output", to: destination)
      FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
      if format != .table { print(table ?? report.table()) }
    } else {
      print(text)
    }
    if let (destination, path) = outputs.svg {
      try write(report.svg(), "--svg", to: destination)
      FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
    }
  }

  private func write(_ text: String, _ option: String, to destination: CheckedFileDestination) throws {
    do {
      try destination.write(Array(text.utf8))
    } catch {
      throw RuntimeError("\(option): \(error.description)")
    }
  }
}

/// `--output` and `--svg`, checked before the work, with their paths as typed.
struct CheckedOutputs {
  var output: (CheckedFileDestination, String)?
  var svg: (CheckedFileDestination, String)?
}

/// A failure at run time, not in the command line: printed as `rnn-bench: error: …`, exit 1
/// (64, `EX_USAGE`, is for usage errors).
struct RuntimeError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Runs a subcommand's work: a ``RuntimeError`` is printed and exits 1.
func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as RuntimeError {
    FileHandle.standardError.write(Data("rnn-bench: error: \(error.description)\n".utf8))
    throw ExitCode.failure
  }
}

struct Formulations: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "formulations",
    abstract: "The formulation sweep (the default): every formulation and backend at every size and batch.")

  @Option(help: "Comma-separated n_h = n_x values (default 16,64,256,1024; 16,64 with --quick).", transform: parseList)
  var sizes: [Int] = [16, 64, 256, 1024]

  @Option(help: "Comma-separated batch sizes B (default 1,32).", transform: parseList)
  var batches: [Int] = [1, 32]

  @Option(help: "Sequence length T for hoisted, and the inputs the steps cycle through (10 with --quick).")
  var steps = 100

  @Option(
    help:
      "Comma-separated formulations (default all): \(Formulation.allCases.map(\.rawValue).joined(separator: ", ")).",
    transform: parseList)
  var formulations: [Formulation] = Formulation.allCases

  @Option(
    help: "Comma-separated cells (default rnn): rnn (the vanilla cell, tanh), lstm, gru; n_h = n_x = each size.",
    transform: parseList)
  var cell: [CellKind] = [.rnn]

  @Option(
    help: "Comma-separated backends (default all): blas, blasGEMM, pureSwift, raw (direct CBLAS calls).",
    transform: parseList)
  var backends: [BenchBackend] = BenchBackend.allCases

  @Option(help: "A JSON report from Benchmarks/numpy/rnn_numpy.py to compare against.")
  var compare: String?

  @Option(
    help:
      "How many times a size and batch with a noisy row is measured again (the quietest attempt is kept), as far as --time-budget allows."
  )
  var retries = 2

  @Option(
    help: ArgumentHelp(
      "Time for the measurements, e.g. 90s or 3m, or none (default 90s; 20s with --quick).",
      discussion:
        "Each size and batch gets a share of what is left, weighted by its arithmetic. Samples are shortened to fit (never below one call, never fewer than --samples rounds), rows no verdict needs (backends other than blas, the raw rows) are left out when even that does not fit (the report lists them), and a noisy group is measured again only when that fits: on a busy machine the verdicts say \"uncertain\" rather than arrive late. Building is not counted.",
      valueName: "duration"))
  var timeBudget: TimeLimit?

  @OptionGroup var common: CommonOptions

  enum BenchBackend: String, CaseIterable, ExpressibleByArgument { case blas, blasGEMM, pureSwift, packed, raw }

  mutating func validate() throws {
    guard sizes.allSatisfy({ (1...4096).contains($0) }) else { throw ValidationError("--sizes must be in 1...4096") }
    guard batches.allSatisfy({ (1...4096).contains($0) }) else {
      throw ValidationError("--batches must be in 1...4096")
    }
    guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be in 1...100000, got \(steps)") }
    guard (0...10).contains(retries) else { throw ValidationError("--retries must be in 0...10, got \(retries)") }
    if timeBudget == nil { timeBudget = TimeLimit(seconds: common.quick ? 20 : 90) }
    if common.quick {
      // --quick keeps the explicit lists but defaults to small sizes and a short sequence.
      if sizes == [16, 64, 256, 1024] { sizes = [16, 64] }
      if steps == 100 { steps = 10 }
    }
  }

  func run() throws {
    try reportingErrors { try run(writingTo: try common.checkedOutputs()) }
  }

  private func run(writingTo outputs: CheckedOutputs) throws {
    removeStagedFilesOnInterrupt()
    let kernel = try applyBLASCore(common.blasCore, tool: "rnn-bench")
    BLAS.threadCount = common.threads
    var numpy: Report?
    if let compare {
      let data: Data
      do {
        data = Data(try readRegularFile(atPath: compare, maximumBytes: 64 << 20))
      } catch {
        throw RuntimeError("--compare: \(error.description)")
      }
      do { numpy = try Report.decode(json: data) } catch {
        throw RuntimeError("--compare: \(compare) is not a report from rnn_numpy.py: \(error)")
      }
      guard numpy?.rows.contains(where: { $0.backend == "numpy" }) == true else {
        throw RuntimeError("--compare: \(compare) has no numpy rows (write it with Benchmarks/numpy/rnn_numpy.py)")
      }
    }
    let system = SystemInfo.current(kernel: kernel)
    for line in system.lines { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    var sweep = Sweep(
      sizes: sizes, batches: batches, steps: steps, formulations: formulations,
      backends: backends.compactMap { Backend(rawValue: $0.rawValue) }, includeRaw: backends.contains(.raw),
      samples: common.samples, minTime: common.resolvedMinTime,
      progress: { statusLine.print("  " + $0) })
    sweep.dtypes = common.dtype
    sweep.cells = cell
    sweep.noiseThreshold = common.noiseThreshold
    sweep.retries = retries
    sweep.timeBudget = timeBudget?.seconds
    sweep.status = { statusLine.show($0) }
    var skipped: [String] = []
    sweep.onSkipped = { skipped += $0 }
    let (rows, verification) = sweep.run()
    statusLine.clear()
    var report = Report(
      system: system, command: (["rnn-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
      rows: rows, verification: verification)
    if !skipped.isEmpty {
      report.notes = ["Not measured (their calls do not fit in the time budget; no verdict needs them):"] + skipped
    }
    report.computeRatios()
    if let numpy { report.compare(with: numpy) }
    try common.emit(report, to: outputs)
    if verification.contains(where: { !$0.allclose }) {
      FileHandle.standardError.write(Data("error: formulations disagree (see Verification)\n".utf8))
      throw ExitCode.failure
    }
  }
}

extension DType: ExpressibleByArgument {}
extension CellKind: ExpressibleByArgument {}

func parseList<T: ExpressibleByArgument>(_ text: String) throws -> [T] {
  let values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
  guard !values.isEmpty else { throw ValidationError("empty list") }
  return try values.map { value in
    guard let parsed = T(argument: value) else {
      let allowed = (T.allValueStrings.isEmpty ? "" : " (allowed: \(T.allValueStrings.joined(separator: ", ")))")
      throw ValidationError("'\(value)' is not a valid value\(allowed)")
    }
    return parsed
  }
}
