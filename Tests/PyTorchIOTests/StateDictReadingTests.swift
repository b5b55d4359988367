import Foundation
import NumPyIO
import PyTorchIO
import Testing

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

  @Test("float16 and bfloat16 widened to float32 exactly, float64 kept", arguments: [
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

  @Test("refused with what to do instead", arguments: [
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
