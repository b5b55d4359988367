import BLASDiagnostics
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import Testing
import _TestSupport

/// The `rnn-forward` executable on files written by numpy, against numpy's own recurrence.
@Suite("rnn-forward", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct RNNForwardToolTests {
  /// The executable, built beside the test bundle (this test target depends on it).
  static let tool = builtTool("rnn-forward")

  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stderr: String) {
    try runTool(Self.tool, arguments, environment: environment)
  }

  /// Weights in our naming and PyTorch's, 2-D and 3-D inputs, and numpy's hidden states.
  func makeFiles(in dir: TemporaryDirectory) throws {
    try NumPy.runScript(
      """
      rng = np.random.default_rng(42)
      nh, nx, T, B = 24, 7, 30, 5
      whh = rng.standard_normal((nh, nh)) / np.sqrt(nh)
      whx = rng.standard_normal((nh, nx)) / np.sqrt(nx)
      b_ih, b_hh = rng.standard_normal(nh) * 0.1, rng.standard_normal(nh) * 0.1
      np.savez('ours.npz', W_hh=whh, W_hx=whx, b=(b_ih + b_hh).reshape(nh, 1))
      np.savez_compressed('torch.npz', weight_hh_l0=whh, weight_ih_l0=whx, bias_hh_l0=b_hh, bias_ih_l0=b_ih)
      xs = rng.standard_normal((T, B, nx))
      np.save('xs3.npy', xs)
      np.save('xs2.npy', np.asfortranarray(xs[:, 0, :]))
      h = np.zeros((B, nh)); hs = []
      for t in range(T):
          h = np.tanh(xs[t] @ whx.T + b_ih + h @ whh.T + b_hh); hs.append(h)
      np.save('expected3.npy', np.array(hs))
      np.save('expected2.npy', np.array(hs)[:, 0, :])
      """, in: dir.url)
  }

  @Test(arguments: Formulation.allCases)
  func matchesNumpy(formulation: Formulation) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try makeFiles(in: dir)
    for (weights, inputs, expected) in [
      ("ours.npz", "xs3.npy", "expected3.npy"), ("torch.npz", "xs3.npy", "expected3.npy"),
      ("torch.npz", "xs2.npy", "expected2.npy"),
    ] {
      let output = dir.file("hs-\(weights)-\(inputs)")
      let result = try run([
        "--weights", dir.file(weights).path, "--inputs", dir.file(inputs).path, "--output", output.path,
        "--formulation", formulation.rawValue,
      ])
      #expect(result.status == 0, "\(result.stderr)")
      let got = try NPYArray(contentsOf: output)
      let want = try NPYArray(contentsOf: dir.file(expected))
      #expect(got.shape == want.shape)
      let gotMatrix = Matrix(rows: 1, columns: got.scalars.count, scalars: got.scalars)
      let wantMatrix = Matrix(rows: 1, columns: want.scalars.count, scalars: want.scalars)
      #expect(allclose(gotMatrix, wantMatrix, rtol: 1e-12, atol: 1e-12), "\(weights) \(inputs) \(formulation)")
    }
  }

  /// A float32 state dict with PyTorch's names and float32 inputs run as is: computed in float32,
  /// written as `<f4`, within the float32 tolerance of numpy's float64 recurrence on the same
  /// (float32) numbers. Mixed dtypes are refused unless --dtype says which to compute in.
  @Test(arguments: [Formulation.hoisted, .fused, .split])
  func float32StateDictRunsAsIs(formulation: Formulation) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(
      """
      rng = np.random.default_rng(7)
      nh, nx, T, B = 33, 9, 40, 3
      f = lambda a: a.astype(np.float32)
      whh, whx = f(rng.standard_normal((nh, nh)) / np.sqrt(nh)), f(rng.standard_normal((nh, nx)) / np.sqrt(nx))
      b_ih, b_hh = f(rng.standard_normal(nh) * 0.1), f(rng.standard_normal(nh) * 0.1)
      np.savez('torch32.npz', weight_hh_l0=whh, weight_ih_l0=whx, bias_hh_l0=b_hh, bias_ih_l0=b_ih)
      xs = f(rng.standard_normal((T, B, nx)))
      np.save('xs32.npy', xs)
      np.save('xs64.npy', xs.astype(np.float64))
      d = lambda a: a.astype(np.float64)
      h = np.zeros((B, nh)); hs = []
      for t in range(T):
          h = np.tanh(d(xs[t]) @ d(whx).T + d(b_ih) + h @ d(whh).T + d(b_hh)); hs.append(h)
      np.save('expected.npy', np.array(hs))
      """, in: dir.url)
    let output = dir.file("hs.npy")
    let result = try run([
      "--weights", dir.file("torch32.npz").path, "--inputs", dir.file("xs32.npy").path, "--output", output.path,
      "--formulation", formulation.rawValue,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let got = try NPYArray(contentsOf: output)
    #expect(got.dtypeName == "float32", "the output keeps the weights' dtype")
    let want = try NPYArray(contentsOf: dir.file("expected.npy"))
    #expect(got.shape == want.shape)
    // One step is a reduction of length n_h + n_x = 42; 8× for what T = 40 contractive steps carry.
    let tolerance = 8 * Double(reductionTolerance(Float.self, length: 42))
    let worst = zip(got.scalars, want.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "max |Δ| \(worst) > \(tolerance)")

    // float64 inputs with float32 weights: refused, naming both, and nothing written.
    let mixed = dir.file("mixed.npy")
    let refused = try run([
      "--weights", dir.file("torch32.npz").path, "--inputs", dir.file("xs64.npy").path, "--output", mixed.path,
    ])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("--inputs is float64 but the weights are float32"), "\(refused.stderr)")
    #expect(!FileManager.default.fileExists(atPath: mixed.path))
    // --dtype float64 converts everything and computes (and writes) in float64.
    let converted = try run([
      "--weights", dir.file("torch32.npz").path, "--inputs", dir.file("xs64.npy").path, "--output", mixed.path,
      "--dtype", "float64", "--formulation", formulation.rawValue,
    ])
    #expect(converted.status == 0, "\(converted.stderr)")
    let wide = try NPYArray(contentsOf: mixed)
    #expect(wide.dtypeName == "float64")
    let wideWorst = zip(wide.scalars, want.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(wideWorst <= 1e-12, "float64 on the same numbers: max |Δ| \(wideWorst)")
  }

  @Test func badInputsExitNonZeroAndLeaveNoFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try makeFiles(in: dir)
    try NumPy.runScript(
      """
      np.save('wrong_features.npy', np.zeros((4, 3)))
      np.save('four_d.npy', np.zeros((2, 2, 2, 7)))
      np.savez('wrong_bias.npz', W_hh=np.eye(3), W_hx=np.ones((3, 7)), b=np.ones(4))
      open('garbage.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00\\xff\\xff{')
      """, in: dir.url)
    let cases: [([String], String)] = [
      (["--weights", "ours.npz", "--inputs", "wrong_features.npy"], "expects I = 7"),
      (["--weights", "ours.npz", "--inputs", "four_d.npy"], "4-D"),
      (["--weights", "ours.npz", "--inputs", "garbage.npy"], "more than the 10000"),
      (["--weights", "wrong_bias.npz", "--inputs", "xs2.npy"], "RNNCell"),
      (["--weights", "xs2.npy", "--inputs", "xs2.npy"], "a single .npy array, not a state dict"),
      (["--weights", "missing.npz", "--inputs", "xs2.npy"], "missing.npz"),
    ]
    for (arguments, message) in cases {
      let output = dir.file("out.npy")
      let absolute = arguments.enumerated().map { $0.offset % 2 == 1 ? dir.file($0.element).path : $0.element }
      let result = try run(absolute + ["--output", output.path])
      #expect(result.status != 0, "\(arguments)")
      #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: output.path), "\(arguments) left an output file")
    }
  }

  /// Small files that declare huge work, special paths, and a failed run over existing files:
  /// each exits 1 at once with a message naming the option, and changes nothing.
  @Test func hostileFilesAndPathsChangeNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try makeFiles(in: dir)
    try NumPy.runScript(
      """
      import struct
      def header_only(shape):
          text = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % (shape,)
          text += ' ' * (117 - len(text)) + '\\n'
          return b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(text)) + text.encode()
      open('t0_huge_batch.npy', 'wb').write(header_only((0, 2**40, 7)))
      open('no_features.npy', 'wb').write(header_only((2**40, 0)))
      np.savez('no_inputs.npz', W_hh=np.eye(3), W_hx=np.ones((3, 0)))
      """, in: dir.url)
    try FileManager.default.createDirectory(at: dir.file("a-directory"), withIntermediateDirectories: false)
    #expect(mkfifo(dir.file("fifo").path, 0o600) == 0)
    try Data("keep me".utf8).write(to: dir.file("existing.npy"))
    let cases: [([String], String)] = [
      (["--inputs", "t0_huge_batch.npy"], "more than --memory-limit"),
      (["--weights", "no_inputs.npz", "--inputs", "no_features.npy"], "more than --memory-limit"),
      (["--weights", "a-directory"], "--weights: \(dir.file("a-directory").path): cannot read: a directory"),
      (["--weights", "fifo"], "--weights: \(dir.file("fifo").path): cannot read: a FIFO"),
      (["--inputs", "a-directory"], "--inputs: "),
      (["--output", "a-directory"], "--output: \(dir.file("a-directory").path): cannot write: it is a directory"),
      (["--output", "fifo"], "--output: \(dir.file("fifo").path): cannot write: it is a FIFO"),
      (["--inputs", "garbage.npy"], "--inputs: \(dir.file("garbage.npy").path): NPY:"),
      (["--initial-state", "ours.npz"], "--initial-state: \(dir.file("ours.npz").path): NPY: not a .npy file"),
      (["--memory-limit", "1K"], "more than the 1024 bytes"),
    ]
    try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 4, 0, 0x7B]).write(to: dir.file("garbage.npy"))
    for (overrides, message) in cases {
      var options = ["--weights": "ours.npz", "--inputs": "xs3.npy", "--output": "existing.npy"]
      for pair in stride(from: 0, to: overrides.count, by: 2) { options[overrides[pair]] = overrides[pair + 1] }
      let arguments = options.sorted { $0.key < $1.key }.flatMap { key, value in
        [key, key == "--memory-limit" ? value : dir.file(value).path]
      }
      let started = ContinuousClock.now
      let result = try run(arguments)
      #expect(result.status == 1, "\(overrides): \(result.stderr)")
      #expect(result.stderr.contains(message), "\(overrides): \(result.stderr)")
      #expect(ContinuousClock.now - started < .seconds(30), "\(overrides) took too long")
      #expect(try Data(contentsOf: dir.file("existing.npy")) == Data("keep me".utf8), "\(overrides)")
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter {
      $0.hasSuffix(".partial")
    }
    #expect(leftovers.isEmpty)
  }

  /// `--blas-core` end to end: a stale core is named on standard error with its fix, a named
  /// core re-executes the tool with it, and the results match numpy under every choice.
  @Test func blasCoreChoicesKeepTheResults() throws {
    let report = BLAS.kernelReport
    guard report.cpu != nil, let best = report.bestCore, best.tier > 1, report.isDynamicArch else { return }
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try makeFiles(in: dir)
    let want = try NPYArray(contentsOf: dir.file("expected3.npy"))
    for (choice, expectWarning) in [("keep", true), ("auto", true), (best.name, false)] {
      let output = dir.file("hs-\(choice).npy")
      let result = try run(
        [
          "--weights", dir.file("ours.npz").path, "--inputs", dir.file("xs3.npy").path, "--output", output.path,
          "--blas-core", choice,
        ], environment: ["OPENBLAS_CORETYPE": "Prescott"])
      #expect(result.status == 0, "\(choice): \(result.stderr)")
      let warned = result.stderr.contains(
        "rnn-forward: warning: OPENBLAS_CORETYPE=Prescott makes OpenBLAS \(report.version!) run its "
      )
      #expect(warned == expectWarning, "\(choice): \(result.stderr)")
      if expectWarning { #expect(result.stderr.contains("set OPENBLAS_CORETYPE=\(best.name)"), "\(result.stderr)") }
      let got = try NPYArray(contentsOf: output)
      #expect(got.shape == want.shape)
      #expect(
        allclose(
          Matrix(rows: 1, columns: got.scalars.count, scalars: got.scalars),
          Matrix(rows: 1, columns: want.scalars.count, scalars: want.scalars), rtol: 1e-12, atol: 1e-12), "\(choice)")
    }
    let refused = try run(
      ["--weights", "w", "--inputs", "x", "--output", "o", "--blas-core", "NoSuchCore"])
    #expect(
      refused.status != 0 && refused.stderr.contains("--blas-core: 'NoSuchCore' is not a core"), "\(refused.stderr)")
  }
}
