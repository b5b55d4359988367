import DenseMatrix
import Foundation
import NumPyIO
import Testing
import _TestSupport

/// `rnn-forward` on the files PyTorch users have, against PyTorch's own outputs (written with
/// the fixtures by Fixtures/make_fixtures.py).
@Suite("rnn-forward on PyTorch's files")
struct RNNForwardPyTorchFilesTests {
  static let tool = builtTool("rnn-forward")

  /// A scratch directory, removed when the test ends.
  final class Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-forward-pt-\(UUID())")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
  }

  func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
    try runTool(Self.tool, arguments)
  }

  /// Writes `name` of the expected archive as a float32 .npy (the dtype PyTorch saved).
  func writeFloat32(_ array: NPYArray, to path: String) throws {
    try NPYArray(shape: array.shape, elements: .float32(array.scalars.map { Float($0) }))
      .write(to: URL(fileURLWithPath: path))
  }

  func expectClose(_ path: String, _ expected: NPYArray, tolerance: Double = 1e-5) throws {
    let found = try NPYArray(contentsOf: URL(fileURLWithPath: path))
    #expect(found.shape == expected.shape, "\(path)")
    let scale = max(1, expected.scalars.map(abs).max() ?? 1)
    let worst = zip(found.scalars, expected.scalars).map { abs($0 - $1) / scale }.max() ?? 0
    #expect(worst <= tolerance, "\(path): \(worst)")
  }

  @Test(
    "a 2-layer bidirectional LSTM from torch.save and from safetensors",
    arguments: ["lstm_state_dict.pt", "lstm.safetensors"])
  func lstm(weights: String) throws {
    let scratch = try Scratch()
    let expected = try Fixture.expected("lstm_forward.npz")
    try writeFloat32(try expected.array(named: "input"), to: scratch.path("x.npy"))
    let result = try run([
      "--weights", Fixture.url(weights).path, "--inputs", scratch.path("x.npy"), "--output", scratch.path("out.npy"),
      "--final-state", scratch.path("h.npy"), "--final-cell", scratch.path("c.npy"),
    ])
    #expect(result.status == 0, "\(result.stderr)")
    try expectClose(scratch.path("out.npy"), try expected.array(named: "output"))
    try expectClose(scratch.path("h.npy"), try expected.array(named: "h_n"))
    try expectClose(scratch.path("c.npy"), try expected.array(named: "c_n"))
  }

  @Test("a checkpoint's GRU, batch_first: the module found, the rest ignored and listed")
  func checkpoint() throws {
    let scratch = try Scratch()
    let expected = try Fixture.expected("checkpoint_gru_forward.npz")
    try writeFloat32(try expected.array(named: "input"), to: scratch.path("x.npy"))
    let result = try run([
      "--weights", Fixture.url("checkpoint.pt").path, "--inputs", scratch.path("x.npy"), "--batch-first",
      "--output", scratch.path("out.npy"), "--final-state", scratch.path("h.npy"),
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("using module 'model_state_dict.encoder.rnn'"), "\(result.stderr)")
    #expect(result.stderr.contains("epoch"), "\(result.stderr)")
    try expectClose(scratch.path("out.npy"), try expected.array(named: "output"))
    try expectClose(scratch.path("h.npy"), try expected.array(named: "h_n"))
  }

  /// The arguments that run the fixture `weights` over six float32 inputs of `shape` into
  /// `out.npy` in `scratch`.
  func arguments(weights: String, inputShape shape: [Int], in scratch: Scratch) throws -> [String] {
    try NPYArray(shape: shape, elements: .float32([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])).write(
      to: URL(fileURLWithPath: scratch.path("x.npy")))
    return [
      "--weights", Fixture.url(weights).path, "--inputs", scratch.path("x.npy"), "--output", scratch.path("out.npy"),
    ]
  }

  @Test("two recurrent modules: an error naming them, then --module chooses")
  func twoModules() throws {
    let scratch = try Scratch()
    let arguments = try arguments(weights: "two_modules.pt", inputShape: [3, 1, 2], in: scratch)
    let refused = try run(arguments)
    #expect(refused.status == 1)
    #expect(
      refused.stderr.contains("2 recurrent modules: decoder, encoder; choose one with --module NAME"),
      "\(refused.stderr)")
    #expect(!FileManager.default.fileExists(atPath: scratch.path("out.npy")))
    let chosen = try run(arguments + ["--module", "encoder"])
    #expect(chosen.status == 0, "\(chosen.stderr)")
    #expect(try NPYArray(contentsOf: URL(fileURLWithPath: scratch.path("out.npy"))).shape == [3, 1, 3])
    let unknown = try run(arguments + ["--module", "encoder.rnn"])
    #expect(
      unknown.status == 1 && unknown.stderr.contains("'encoder.rnn' is not a recurrent module"), "\(unknown.stderr)")
  }

  @Test("half-precision weights are widened, and said so")
  func half() throws {
    let scratch = try Scratch()
    let result = try run(arguments(weights: "gru_float16.pt", inputShape: [2, 3], in: scratch))
    withExtendedLifetime(scratch) {}
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stderr.contains("saved as float16") && result.stderr.contains("widened to float32"), "\(result.stderr)")
  }

  @Test("a pickled module is refused with what to do instead")
  func wholeModule() throws {
    let scratch = try Scratch()
    let result = try run(arguments(weights: "whole_module.pt", inputShape: [2, 3], in: scratch))
    withExtendedLifetime(scratch) {}
    #expect(result.status == 1)
    #expect(result.stderr.contains("torch.save(model.state_dict(), path)"), "\(result.stderr)")
  }

  @Test("--lengths and --batch-first against PyTorch's packed sequences", arguments: [0, 5, 13, 34, 47, 60])
  func lengths(index: Int) throws {
    try runCase(index, of: PackedSequenceTests.cases)
  }

  @Test("an LSTM with proj_size: P-sized outputs and h_n, H-sized c_n", arguments: [0, 3, 9, 14, 27, 30])
  func projection(index: Int) throws {
    try runCase(index, of: PackedSequenceTests.projectionCases)
  }

  /// Runs fixture case `index` through the tool: its weights as .npz, its input, lengths, initial
  /// states and layout, and compares the output, h_n and (LSTM) c_n with PyTorch's.
  func runCase(_ index: Int, of cases: NPZArchive) throws {
    let scratch = try Scratch()
    let prefix = "case\(index)."
    var weights = NPZArchive()
    for name in cases.names where name.hasPrefix(prefix) {
      let short = String(name.dropFirst(prefix.count))
      if short.hasPrefix("weight_") || short.hasPrefix("bias_") {
        weights.set(try cases.array(named: name), named: short)
      }
    }
    try weights.write(to: URL(fileURLWithPath: scratch.path("w.npz")))
    let config = try cases.array(named: prefix + "config").scalars
    let input = try cases.array(named: prefix + "input")
    try input.write(to: URL(fileURLWithPath: scratch.path("x.npy")))
    let lengths = try cases.array(named: prefix + "lengths").scalars
    try NPYArray(shape: [lengths.count], scalars: lengths).write(to: URL(fileURLWithPath: scratch.path("lengths.npy")))
    var arguments = [
      "--weights", scratch.path("w.npz"), "--inputs", scratch.path("x.npy"), "--lengths", scratch.path("lengths.npy"),
      "--output", scratch.path("out.npy"), "--final-state", scratch.path("h.npy"),
      "--mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"][Int(config[0])],
    ]
    let cellState = try? cases.array(named: prefix + "c_n")
    if cellState != nil { arguments += ["--final-cell", scratch.path("c.npy")] }
    if config[5] == 1 {
      try cases.array(named: prefix + "h_0").write(to: URL(fileURLWithPath: scratch.path("h0.npy")))
      arguments += ["--initial-state", scratch.path("h0.npy")]
      if let c0 = try? cases.array(named: prefix + "c_0") {
        try c0.write(to: URL(fileURLWithPath: scratch.path("c0.npy")))
        arguments += ["--initial-cell", scratch.path("c0.npy")]
      }
    }
    if config[4] == 1 {
      // Without --batch-first the B × T × I input is refused, pointing to the flag.
      let refused = try run(arguments)
      #expect(refused.status == 1 && refused.stderr.contains("pass --batch-first"), "\(refused.stderr)")
      arguments.append("--batch-first")
    }
    let result = try run(arguments)
    #expect(result.status == 0, "\(result.stderr)")
    try expectClose(scratch.path("out.npy"), try cases.array(named: prefix + "output"), tolerance: 1e-12)
    try expectClose(scratch.path("h.npy"), try cases.array(named: prefix + "h_n"), tolerance: 1e-12)
    if let cellState { try expectClose(scratch.path("c.npy"), cellState, tolerance: 1e-12) }
  }
}
