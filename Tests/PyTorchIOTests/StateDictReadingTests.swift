import DenseMatrix
import Foundation
import NumPyIO
import PyTorchIO
import Testing
import _TestSupport

/// The fixtures in Fixtures/ were written by real PyTorch (1.13) and safetensors with
/// Fixtures/make_fixtures.py; the expected values beside them by numpy from the same tensors.
enum Fixture {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
  static func read(_ name: String) throws -> StateDict { try StateDict(contentsOf: url(name)) }
  static func expected(_ name: String) throws -> NPZArchive { try NPZArchive(contentsOf: url(name)) }
}

@Suite("State dicts saved by PyTorch")
struct StateDictReadingTests {
  /// Every tensor of `expected` is in `file` under `prefix + name`, equal element for element.
  func expectSameTensors(
    _ file: StateDict, _ expected: NPZArchive, prefix: String = "", dtype: String = "float32",
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    for name in expected.names {
      let tensor = try #require(file.tensors[prefix + name], "\(prefix + name)", sourceLocation: sourceLocation)
      let want = try expected.array(named: name)
      #expect(tensor.shape == want.shape, "\(name)", sourceLocation: sourceLocation)
      #expect(tensor.scalars == want.scalars, "\(name)", sourceLocation: sourceLocation)
      #expect(tensor.dtypeName == dtype, "\(name)", sourceLocation: sourceLocation)
    }
  }

  @Test("a bare state dict from torch.save: every tensor, float32, exact")
  func bareStateDict() throws {
    let file = try Fixture.read("lstm_state_dict.pt")
    #expect(file.format == .torchSave)
    #expect(file.tensors.count == 16)
    #expect(file.ignored.isEmpty && file.unreadable.isEmpty && file.widened.isEmpty)
    try expectSameTensors(file, Fixture.expected("lstm_state_dict_expected.npz"))
  }

  @Test("the same state dict from safetensors")
  func safeTensors() throws {
    let file = try Fixture.read("lstm.safetensors")
    #expect(file.format == .safeTensors)
    #expect(file.tensors.count == 16)
    try expectSameTensors(file, Fixture.expected("lstm_state_dict_expected.npz"))
  }

  @Test("a training checkpoint: nested names joined with '.', other values set aside")
  func checkpoint() throws {
    let file = try Fixture.read("checkpoint.pt")
    try expectSameTensors(file, Fixture.expected("checkpoint_expected.npz"), prefix: "model_state_dict.")
    #expect(file.ignored["epoch"] == "int")
    #expect(file.ignored["loss"] == "float")
    #expect(file.ignored["note"] == "str")
    #expect(file.ignored["flags.0"] == "bool")
    #expect(file.ignored["flags.1"] == "None")
    #expect(file.ignored["flags.2.1"] == "float")
    #expect(file.ignored["optimizer_state_dict.param_groups.0.lr"] == "float")
    #expect(file.unreadable["model_state_dict.norm.num_batches_tracked"] == "int64")
    // The optimizer's moments are tensors too, under the parameter's index.
    #expect(file.tensors["optimizer_state_dict.state.0.exp_avg"]?.shape == [3, 2])
    #expect(file.names.contains("model_state_dict.encoder.rnn.weight_ih_l0"))
  }

  @Test(
    "float16 and bfloat16 widened to float32 exactly, float64 kept",
    arguments: [
      ("gru_float16.pt", "gru_float16_expected.npz", "float16"),
      ("gru_bfloat16.safetensors", "gru_bfloat16_expected.npz", "bfloat16"),
    ])
  func halfPrecision(file name: String, expected: String, saved: String) throws {
    let file = try Fixture.read(name)
    try expectSameTensors(file, Fixture.expected(expected))
    #expect(file.widened.count == file.tensors.count)
    #expect(file.widened.values.allSatisfy { $0 == saved })
  }

  @Test("float64 tensors stay float64")
  func double() throws {
    let file = try Fixture.read("gru_float64.pt")
    #expect(file.tensors.values.allSatisfy { $0.dtypeName == "float64" })
    #expect(file.tensors["weight_hh_l0"]?.shape == [12, 4])
  }

  @Test("views honour their storage offset, size and stride")
  func views() throws {
    let file = try Fixture.read("views.pt")
    try expectSameTensors(file, Fixture.expected("views_expected.npz"))
    #expect(file.tensors["transposed"]?.shape == [10, 6])
    #expect(file.tensors["element"]?.shape == [])
  }

  @Test("nn.Parameter values (dict(model.named_parameters()))")
  func parameters() throws {
    let file = try Fixture.read("parameters.pt")
    #expect(file.tensors.keys.sorted() == ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"])
  }

  @Test("the format comes from the bytes, not the name")
  func formatByContent() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pytorchio-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (source, format) in [("lstm_state_dict.pt", StateDict.Format.torchSave), ("lstm.safetensors", .safeTensors)] {
      let renamed = directory.appendingPathComponent("weights.bin")
      try? FileManager.default.removeItem(at: renamed)
      try FileManager.default.copyItem(at: Fixture.url(source), to: renamed)
      #expect(try StateDict(contentsOf: renamed).format == format)
    }
    // An .npz is read as one too.
    let npz = try StateDict(contentsOf: Fixture.url("lstm_state_dict_expected.npz"))
    #expect(npz.format == .npz)
    #expect(npz.tensors.count == 16)
  }

  @Test(
    "refused with what to do instead",
    arguments: [
      ("whole_module.pt", "torch.save(model.state_dict(), path)"),
      ("legacy.pt", "legacy torch.save file"),
      ("hostile_os_system.pt", "the global posix.system is refused"),
      ("hostile_eval.pt", "the global __builtin__.eval is refused"),
      ("hostile_offset.pt", "reaches element 12 of a storage of 8"),
      ("hostile_stride.pt", "reaches element 302 of a storage of 8"),
      ("hostile_huge_storage.pt", "needs more than the 8589934592 bytes left of the limits"),
      ("hostile_record_size.pt", "is 8 bytes but its storage declares 1000"),
      ("hostile_missing_record.pt", "archive/data/0 of a storage is missing"),
      ("hostile_overflow.pt", "is too large"),
      ("hostile_memo.pt", "a memo GET of 7, which was never PUT"),
      ("hostile_shared_lists.pt", "refer to each other more often"),
      ("hostile_deep.pt", "STOP with 100000 values"),
      ("hostile_nested.pt", "containers are nested more than 64 deep"),
      ("hostile_truncated_pickle.pt", "bytes but 0 are left"),
      ("hostile_truncated.safetensors", "data_offsets is not [begin, end]"),
      ("hostile_header_length.safetensors", "the header declares"),
      ("hostile_offsets.safetensors", "safetensors: tensor"),
    ])
  func refused(file name: String, message: String) throws {
    do throws(StateDictError) {
      let file = try StateDict(contentsOf: Fixture.url(name))
      Issue.record("\(name) was read: \(file.names)")
    } catch {
      #expect(error.description.contains(message), "\(error.description)")
      #expect(error.description.contains(name), "the message names the file: \(error.description)")
    }
  }
}

@Suite("Writing safetensors")
struct SafeTensorsWritingTests {
  @Test("float32 and float64 tensors of any rank round-trip exactly, and Python's safetensors reads them")
  func roundTrip() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    let tensors: [String: NPYArray] = [
      "rnn.weight_ih_l0": NPYArray(
        shape: [2, 3], elements: .float32([1, -2, 3.5, .infinity, -0.0, Float(bitPattern: 1)])),
      "rnn.bias \"quoted\"\n": NPYArray(shape: [2], scalars: [0.1, -7]),
      "scalar": NPYArray(shape: [], elements: .float32([42])),
      "empty": NPYArray(shape: [0, 4], elements: .float32([])),
      "cube": NPYArray(shape: [2, 1, 2], scalars: [1, 2, 3, 4]),
    ]
    try StateDict(tensors: tensors).writeSafeTensors(to: url)
    let back = try StateDict(contentsOf: url)
    #expect(back.format == .safeTensors)
    #expect(back.tensors == tensors)
    let bytes = try [UInt8](Data(contentsOf: url))
    let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(headerLength % 8 == 0)

    guard NumPy.isAvailable else { return }
    let check = Process()
    check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    check.arguments = [
      "python3", "-c",
      """
      import sys
      try:
          from safetensors.numpy import load_file
      except ImportError:
          sys.exit(3)
      t = load_file(sys.argv[1])
      assert t["rnn.weight_ih_l0"].dtype.name == "float32" and t["rnn.weight_ih_l0"].shape == (2, 3)
      assert t["rnn.weight_ih_l0"][1, 0] == float("inf") and t["cube"].tolist() == [[[1, 2]], [[3, 4]]]
      assert t['rnn.bias "quoted"\\n'].tolist() == [0.1, -7] and t["scalar"].shape == () and t["empty"].shape == (0, 4)
      """,
      url.path,
    ]
    try check.run()
    check.waitUntilExit()
    if check.terminationStatus == 3 { return }  // Python's safetensors is not installed: our reader checked it
    #expect(check.terminationStatus == 0)
  }

  @Test("a failed write leaves the destination as it was")
  func failedWrite() throws {
    let missing = URL(fileURLWithPath: "/nonexistent-\(UUID())/model.safetensors")
    #expect(throws: StateDictError.self) {
      try StateDict(tensors: ["w": NPYArray(shape: [1], scalars: [1])]).writeSafeTensors(to: missing)
    }
    #expect(throws: StateDictError.self) {
      try StateDict(tensors: ["": NPYArray(shape: [1], scalars: [1])]).writeSafeTensors(
        to: FileManager.default.temporaryDirectory.appendingPathComponent("unused-\(UUID()).safetensors"))
    }
  }
}

@Suite("State dicts and matrices")
struct StateDictMatrixTests {
  @Test("matrices in, safetensors out, matrices back; a missing name lists what is there")
  func matrices() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("matrices-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let w = Matrix<Float>(rows: 2, columns: 3, scalars: [1, 2, 3, 4, 5, 6])
    try StateDict(matrices: ["rnn.weight_hh_l0": w]).writeSafeTensors(to: url)
    let file = try StateDict(contentsOf: url)
    #expect(try file.matrix(named: "rnn.weight_hh_l0", as: Float.self) == w)
    #expect(
      try file.matrix(named: "rnn.weight_hh_l0", as: Double.self, converting: true) == Matrix<Double>(converting: w))
    #expect(throws: StateDictError.npy(.missingArray(name: "x", available: ["rnn.weight_hh_l0"]))) {
      try file.matrix(named: "x", as: Float.self)
    }
  }
}
