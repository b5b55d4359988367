import BLASDiagnostics
import DenseMatrix
import Foundation
import NumPyIO
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `rnn-forward` interrupted, racing a destination that changes, given a weight file that
/// expands, or forced onto BLAS kernels the CPU lacks: nothing is lost, nothing is left behind.
@Suite("rnn-forward reliability", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct RNNForwardReliabilityTests {
  static let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    .deletingLastPathComponent()
  static let tool = directory.appendingPathComponent("rnn-forward")
  static let demo = directory.appendingPathComponent("hidden-state-demo")
  /// Stops the tool once every output is staged (see `RNNForward.commit`).
  static let stopBeforeCommit = ["SWIFT_BLAS_RNN_TEST_STOP_BEFORE_COMMIT": "1"]

  /// A small LSTM, its inputs, and earlier outputs that a failed run must leave alone.
  func makeFiles(in dir: TemporaryDirectory) throws {
    try NumPy.runScript(
      """
      rng = np.random.default_rng(7)
      H, I = 8, 3
      np.savez('lstm.npz', weight_ih_l0=rng.standard_normal((4 * H, I)), weight_hh_l0=rng.standard_normal((4 * H, H)))
      np.save('xs.npy', rng.standard_normal((20, 2, I)))
      """, in: dir.url)
    try Data("old output".utf8).write(to: dir.file("out.npy"))
    try Data("old state".utf8).write(to: dir.file("fs.npy"))
  }

  func leftovers(in dir: TemporaryDirectory) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter {
      $0.hasSuffix(".partial") || $0.hasSuffix(".backup")
    }
  }

  func expectUnchanged(_ dir: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(try Data(contentsOf: dir.file("out.npy")) == Data("old output".utf8), sourceLocation: sourceLocation)
    #expect(try leftovers(in: dir).isEmpty, sourceLocation: sourceLocation)
  }

  static let arguments = [
    "--weights", "lstm.npz", "--inputs", "xs.npy", "--output", "out.npy", "--final-state", "fs.npy",
  ]

  /// The tool on fresh files, stopped by its test hook once every output is staged; `nil` (and
  /// an issue recorded) if it ended first.
  func stoppedBeforeCommit(in dir: TemporaryDirectory) throws -> ChildProcess? {
    try makeFiles(in: dir)
    let child = try ChildProcess(Self.tool, Self.arguments, in: dir.url, environment: Self.stopBeforeCommit)
    guard child.waitUntilStopped() else {
      Issue.record("the run ended before its commit: \(child.wait())")
      return nil
    }
    return child
  }

  /// `--final-state`'s file becomes a directory while the run computes: exit 1, the message
  /// names `--final-state` and the path as typed, and `--output` keeps its old contents.
  @Test func aDestinationThatBecomesADirectoryFailsTheWholeRun() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    guard let child = try stoppedBeforeCommit(in: dir) else { return }
    try FileManager.default.removeItem(at: dir.file("fs.npy"))
    try FileManager.default.createDirectory(at: dir.file("fs.npy"), withIntermediateDirectories: false)
    child.send(SIGCONT)
    let end = child.wait()
    #expect(end.status == 1, "\(end)")
    #expect(
      end.stderr.contains("rnn-forward: error: --final-state: fs.npy: cannot write: it is a directory"), "\(end.stderr)"
    )
    try expectUnchanged(dir)
  }

  /// SIGINT, SIGTERM and SIGHUP with every output staged: the staged files are removed, the
  /// process dies of the signal, and the old files are untouched.
  @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
  func anInterruptedRunRemovesItsStagedFiles(signal: Int32) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    guard let child = try stoppedBeforeCommit(in: dir) else { return }
    #expect(try leftovers(in: dir).count == 2, "the staged files should exist while it is stopped")
    child.send(signal)
    child.send(SIGCONT)
    let end = child.wait()
    #expect(end.signal == signal, "\(end)")
    #expect(try leftovers(in: dir).isEmpty)
    let old = (
      try Data(contentsOf: dir.file("out.npy")) == Data("old output".utf8),
      try Data(contentsOf: dir.file("fs.npy")) == Data("old state".utf8)
    )
    // The signal is sent before the commit, but its handler may run after the commit began: on
    // another of the process's threads (OpenBLAS's, Dispatch's), which the kernel may pick and
    // schedule late on a busy machine, or, under ThreadSanitizer, at the handler's next safe
    // point. Then every output is new (the commit finishes first, then the process dies of the
    // signal): old or all new, never a mix, never a staged file or backup left behind.
    #expect(old.0 == old.1, "one output replaced, the other not")
  }

  /// Paths in messages are as typed, and each output's failure names its own option.
  @Test(arguments: [
    ("--final-state", "nodir/hn.npy", "--final-state: nodir/hn.npy: cannot"),
    ("--output", "newdir/", "--output: newdir/: cannot write: a path ending in '/' names a directory"),
    ("--final-cell", "fs.npy/", "--final-cell: fs.npy/: cannot write: Not a directory"),
  ])
  func messagesNameTheOptionAndThePathAsTyped(option: String, path: String, message: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try makeFiles(in: dir)
    var arguments = ["--weights", "lstm.npz", "--inputs", "xs.npy"]
    arguments += option == "--output" ? [option, path] : ["--output", "out.npy", option, path]
    let end = try ChildProcess(Self.tool, arguments, in: dir.url).wait()
    #expect(end.status == 1, "\(end)")
    #expect(end.stderr.contains("rnn-forward: error: \(message)"), "\(end.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("newdir").path))
    try expectUnchanged(dir)
  }

  /// The issue's archive scaled down: a compressed H × H float64 `weight_hh_l0` of zeros, a few
  /// KB on disk. A limit that holds the weights once is refused, naming the cells' copy; a limit
  /// that holds every copy runs, within the limit plus the stated 64 MiB for the program.
  @Test func theMemoryLimitCoversEveryCopyOfTheWeights() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let hidden = 1500
    try NumPy.runScript(
      """
      H = \(hidden)
      np.savez_compressed('zeros.npz', weight_hh_l0=np.zeros((H, H)), weight_ih_l0=np.zeros((H, 4)))
      np.save('x.npy', np.zeros((2, 1, 4)))
      """, in: dir.url)
    let weights = (hidden * hidden + hidden * 4) * 8
    let arguments = ["--weights", "zeros.npz", "--inputs", "x.npy", "--output", "out.npy"]
    let refused = try ChildProcess(Self.tool, arguments + ["--memory-limit", "\(weights * 3 / 2)"], in: dir.url).wait()
    #expect(refused.status == 1, "\(refused)")
    #expect(refused.stderr.contains("the cells' joined weights"), "\(refused.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("out.npy").path))
    // Run from a small parent (python), whose memory is all that Linux adds to the child's peak.
    let limit = weights * 2 + (1 << 20)
    let printed = try NumPy.runScript(
      """
      import resource, subprocess
      r = subprocess.run(\(([Self.tool.path] + arguments + ["--memory-limit", "\(limit)"]).description))
      print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
      """, in: dir.url)
    let fields = printed.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    #expect(fields.first == 0, "\(printed)")
    if !ChildProcess.isSanitized, let peak = fields.last {
      #expect(peak <= limit + (64 << 20), "peak \(peak) bytes for a limit of \(limit)")
    }
  }

  /// A fixture CPU without AVX-512 (`SWIFT_BLAS_RNN_CPUINFO`) and `OPENBLAS_CORETYPE=SkylakeX`:
  /// `--blas-core auto` replaces the core, `keep` stops with exit 1 before any BLAS call, and a
  /// program that links the library traps with a message at its first BLAS call. Safe on any
  /// CPU: nothing runs the SkylakeX kernels where the fixture is believed.
  @Test func kernelsTheCPULacksNeverRun() throws {
    let report = BLAS.kernelReport
    guard report.configuration.hasPrefix("OpenBLAS"), report.isDynamicArch else { return }
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try makeFiles(in: dir)
    try """
    processor\t: 0
    vendor_id\t: AuthenticAMD
    cpu family\t: 25
    model\t\t: 33
    model name\t: AMD Ryzen 9 5950X
    flags\t\t: fpu sse sse2 pni ssse3 sse4_1 sse4_2 popcnt avx fma f16c avx2 bmi2

    """.write(to: dir.file("zen3.cpuinfo"), atomically: true, encoding: .utf8)
    let environment = ["OPENBLAS_CORETYPE": "SkylakeX", "SWIFT_BLAS_RNN_CPUINFO": "zen3.cpuinfo"]
    let keep = try ChildProcess(
      Self.tool, Self.arguments + ["--blas-core", "keep"], in: dir.url, environment: environment
    )
    .wait()
    #expect(keep.status == 1, "\(keep)")
    #expect(
      keep.stderr.contains("--blas-core keep keeps it, and the first BLAS call would die of SIGILL"), "\(keep.stderr)")
    try expectUnchanged(dir)
    let auto = try ChildProcess(
      Self.tool, Self.arguments + ["--blas-core", "auto"], in: dir.url, environment: environment
    )
    .wait()
    #expect(auto.status == 0, "\(auto)")
    #expect(auto.stderr.contains("missing on this CPU (AMD Ryzen 9 5950X)"), "\(auto.stderr)")
    #expect(auto.stderr.contains("running Zen instead (--blas-core auto)"), "\(auto.stderr)")
    #expect(try NPYArray(contentsOf: dir.file("out.npy")).shape == [20, 2, 8])
    // Swift's backtracer off: it crashes under AddressSanitizer, turning the trap into exit 1.
    let library = try ChildProcess(
      Self.demo, [], in: dir.url, environment: environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
    ).wait()
    #expect(library.status == nil, "\(library)")
    #expect(
      library.stderr.contains("Stopped before the first BLAS call, which would die of SIGILL"), "\(library.stderr)")
  }
}
