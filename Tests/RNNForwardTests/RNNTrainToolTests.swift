import DenseMatrix
import Foundation
import NumPyIO
import PyTorchIO
import RNN
import RNNTraining
import Testing
import _TestSupport

/// `rnn-train` end to end: the trained state dict it writes is the library's own training run,
/// bit for bit, and PyTorch's (where torch is installed); the log; bad input and a diverging
/// run fail with a message and leave every file as it was.
@Suite("rnn-train", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct RNNTrainToolTests {
  let tool = builtTool("rnn-train")

  /// A 2-layer bidirectional GRU's state dict (float64, PyTorch's names), inputs, targets and
  /// a padded batch's lengths.
  static let script = """
    rng = np.random.default_rng(3)
    G, H, I, T, B, L, D = 3, 4, 3, 5, 3, 2, 2
    sd = {}
    for k in range(L):
        for sfx in ['', '_reverse']:
            sd[f'weight_ih_l{k}{sfx}'] = rng.standard_normal((G * H, I if k == 0 else D * H)) * 0.4
            sd[f'weight_hh_l{k}{sfx}'] = rng.standard_normal((G * H, H)) * 0.4
            sd[f'bias_ih_l{k}{sfx}'] = rng.standard_normal(G * H) * 0.3
            sd[f'bias_hh_l{k}{sfx}'] = rng.standard_normal(G * H) * 0.3
    np.savez('net.npz', **sd)
    np.save('x.npy', rng.standard_normal((T, B, I)))
    y = rng.standard_normal((T, B, D * H)) * 0.5
    np.save('y.npy', y)
    y[1, 2, 3] = np.nan
    np.save('y_nan.npy', y)
    np.save('lengths.npy', np.array([5, 2, 4], dtype=np.int64))
    np.save('h0.npy', rng.standard_normal((D * L, B, H)) * 0.5)
    """

  func arguments(_ dir: TemporaryDirectory, _ extra: [String]) -> [String] {
    [
      "--weights", dir.file("net.npz").path, "--inputs", dir.file("x.npy").path, "--targets",
      dir.file("y.npy").path, "--lengths", dir.file("lengths.npy").path, "--initial-state", dir.file("h0.npy").path,
    ] + extra
  }

  @Test func trainsAsTheLibraryDoes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script, in: dir.url)
    let run = try runTool(
      tool,
      arguments(
        dir,
        [
          "--steps", "3", "--optimizer", "sgd", "--learning-rate", "0.1", "--momentum", "0.9", "--clip-grad-norm",
          "0.5", "--output", dir.file("trained.npz").path, "--log", dir.file("log.csv").path, "--plot",
          dir.file("loss.svg").path,
        ]))
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("rnn-train: step 3/3"))

    // The same steps through the library.
    let archive = try NPZArchive(contentsOf: dir.file("net.npz"))
    var weights: Parameters<Double> = [:]
    for name in archive.names { weights[name] = try archive.matrix(named: name, as: Double.self) }
    let x = try Matrix<Double>(npy: NPYArray(contentsOf: dir.file("x.npy")).flattened).reshaped(rows: 15, columns: 3)
    let y = try Matrix<Double>(npy: NPYArray(contentsOf: dir.file("y.npy")).flattened).reshaped(rows: 15, columns: 8)
    let h0 = try Matrix<Double>(npy: NPYArray(contentsOf: dir.file("h0.npy")).flattened).reshaped(rows: 12, columns: 4)
    var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9)
    var losses: [Double] = []
    for _ in 0..<3 {
      let network = try RecurrentNetwork(stateDict: weights)
      var (_, gradients) = try network.gradients(x, batchSize: 3, lengths: [5, 2, 4], initialState: h0) {
        (output) throws(ShapeError) in
        let (loss, gradient) = try MSELoss()(output.output, y)
        losses.append(loss)
        return .init(output: gradient)
      }
      clipGradientNorm(&gradients.parameters, maximumNorm: 0.5)
      sgd.step(&weights, gradients: gradients.parameters)
    }
    let trained = try NPZArchive(contentsOf: dir.file("trained.npz"))
    #expect(Set(trained.names) == Set(archive.names))
    for name in archive.names {
      let array = trained.arrays[name]!
      #expect(array.shape == archive.arrays[name]!.shape, "\(name)")
      #expect(array.dtypeName == "float64")
      #expect(array.scalars == weights[name]!.scalars, "\(name)")
    }
    let log = try String(contentsOf: dir.file("log.csv"), encoding: .utf8).split(separator: "\n")
    #expect(log.count == 4)
    #expect(log.first == "step,epoch,loss,gradient_norm,seconds")
    #expect(log.dropFirst().map { Double($0.split(separator: ",")[2])! } == losses)
    // The chart: one point per step, the first and last losses named.
    let svg = try String(contentsOf: dir.file("loss.svg"), encoding: .utf8)
    #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
    let points = svg.split(separator: "points=\"").last?.split(separator: "\"").first ?? ""
    #expect(points.split(separator: " ").count == 3)
    #expect(svg.contains(String(format: "first %.4g, last %.4g", losses[0], losses[2])))
  }

  /// --epochs over shuffled minibatches: the library's loop over the same batches, bit for bit.
  @Test func epochsOfMinibatchesAsTheLibraryDoes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script, in: dir.url)
    let run = try runTool(
      tool,
      arguments(
        dir,
        [
          "--epochs", "3", "--batch-size", "2", "--seed", "9", "--optimizer", "adam", "--learning-rate", "0.05",
          "--output", dir.file("trained.npz").path, "--log", dir.file("log.csv").path,
        ]))
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("epoch 3/3, step 6/6"), "\(run.stderr)")
    let archive = try NPZArchive(contentsOf: dir.file("net.npz"))
    var weights: Parameters<Double> = [:]
    for name in archive.names { weights[name] = try archive.matrix(named: name, as: Double.self) }
    let x = try Matrix<Double>(npy: NPYArray(contentsOf: dir.file("x.npy")).flattened).reshaped(rows: 15, columns: 3)
    let y = try Matrix<Double>(npy: NPYArray(contentsOf: dir.file("y.npy")).flattened).reshaped(rows: 15, columns: 8)
    let h0 = try Matrix<Double>(npy: NPYArray(contentsOf: dir.file("h0.npy")).flattened).reshaped(rows: 12, columns: 4)
    let lengths = [5, 2, 4]
    var adam = Adam<Double>(learningRate: 0.05)
    var generator = SeededGenerator(seed: 9)
    var epochs: [[[Int]]] = []
    for _ in 0..<3 {
      let batches = minibatches(count: 3, size: 2, using: &generator)
      epochs.append(batches)
      for batch in batches {
        let network = try RecurrentNetwork(stateDict: weights)
        let (_, gradients) = try network.gradients(
          x.sequences(batch, of: 3), batchSize: batch.count, lengths: batch.map { lengths[$0] },
          initialState: h0.sequences(batch, of: 3)
        ) { (output) throws(ShapeError) in
          .init(output: try MSELoss()(output.output, y.sequences(batch, of: 3)).gradient)
        }
        adam.step(&weights, gradients: gradients.parameters)
      }
    }
    // Each epoch is a permutation cut into a pair and a single.
    for batches in epochs {
      #expect(batches.map(\.count) == [2, 1])
      #expect(batches.joined().sorted() == [0, 1, 2])
    }
    let trained = try NPZArchive(contentsOf: dir.file("trained.npz"))
    for name in archive.names {
      #expect(trained.arrays[name]!.scalars == weights[name]!.scalars, "\(name)")
    }
    let log = try String(contentsOf: dir.file("log.csv"), encoding: .utf8).split(separator: "\n")
    #expect(log.dropFirst().map { $0.split(separator: ",")[1] } == ["1", "1", "2", "2", "3", "3"])
  }

  @Test(.enabled(if: Torch.isAvailable, Comment(rawValue: Torch.unavailableReason)))
  func trainsAsPyTorchDoes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script, in: dir.url)
    let run = try runTool(
      tool,
      arguments(
        dir,
        [
          "--steps", "4", "--optimizer", "adamw", "--learning-rate", "0.05", "--output",
          dir.file("trained.safetensors").path,
        ]))
    #expect(run.status == 0, "\(run.stderr)")
    let expected = try Torch.run(
      """
      import os
      os.chdir('\(dir.url.path)')
      torch.set_default_dtype(torch.float64)
      sd = dict(np.load('net.npz'))
      x, y = torch.tensor(np.load('x.npy')), torch.tensor(np.load('y.npy'))
      h0, lengths = torch.tensor(np.load('h0.npy')), torch.tensor(np.load('lengths.npy'))
      net = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
      net.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})
      opt = torch.optim.AdamW(net.parameters(), lr=0.05)
      for step in range(4):
          opt.zero_grad()
          packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
          output, _ = net(packed, h0)
          output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, total_length=5)
          torch.nn.functional.mse_loss(output, y).backward()
          opt.step()
      from safetensors.torch import load_file
      ours = load_file('trained.safetensors')
      out['difference'] = np.array([[max(float((ours[k] - p.detach()).abs().max()) for k, p in net.named_parameters())]])
      out['scale'] = np.array([[max(float(p.detach().abs().max()) for p in net.parameters())]])
      """, inputs: [:])
    #expect(expected["difference"]![0, 0] <= 1e-9 * expected["scale"]![0, 0])
  }

  /// An LSTM with `proj_size` saved by `torch.save`, a padded batch with h_0 (P wide) and c_0
  /// (H wide): the trained state dict is PyTorch's, `weight_hr_l{k}` included.
  @Test(.enabled(if: Torch.isAvailable, Comment(rawValue: Torch.unavailableReason)))
  func trainsAProjectedLSTMAsPyTorchDoes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let setup = """
      import os
      os.chdir('\(dir.url.path)')
      torch.set_default_dtype(torch.float64)
      torch.manual_seed(5)
      T, B, I, H, P, L, D = 5, 3, 3, 4, 2, 2, 2
      net = torch.nn.LSTM(I, H, num_layers=L, bidirectional=True, proj_size=P)
      torch.save(net.state_dict(), 'lstm.pt')
      np.save('x.npy', torch.randn(T, B, I).numpy())
      np.save('y.npy', (torch.randn(T, B, D * P) * 0.5).numpy())
      np.save('h0.npy', (torch.randn(D * L, B, P) * 0.5).numpy())
      np.save('c0.npy', (torch.randn(D * L, B, H) * 0.5).numpy())
      np.save('lengths.npy', np.array([5, 2, 4], dtype=np.int64))
      out['done'] = np.zeros((1, 1))
      """
    _ = try Torch.run(setup, inputs: [:])
    let run = try runTool(
      tool,
      [
        "--weights", dir.file("lstm.pt").path, "--inputs", dir.file("x.npy").path, "--targets",
        dir.file("y.npy").path, "--lengths", dir.file("lengths.npy").path, "--initial-state",
        dir.file("h0.npy").path, "--initial-cell", dir.file("c0.npy").path, "--steps", "3", "--optimizer", "adam",
        "--learning-rate", "0.05", "--output", dir.file("trained.safetensors").path,
      ])
    #expect(run.status == 0, "\(run.stderr)")
    let expected = try Torch.run(
      """
      import os
      os.chdir('\(dir.url.path)')
      torch.set_default_dtype(torch.float64)
      net = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
      net.load_state_dict(torch.load('lstm.pt'))
      x, y = torch.tensor(np.load('x.npy')), torch.tensor(np.load('y.npy'))
      h0, c0 = torch.tensor(np.load('h0.npy')), torch.tensor(np.load('c0.npy'))
      lengths = torch.tensor(np.load('lengths.npy'))
      opt = torch.optim.Adam(net.parameters(), lr=0.05)
      for step in range(3):
          opt.zero_grad()
          packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
          output, _ = net(packed, (h0, c0))
          output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, total_length=5)
          torch.nn.functional.mse_loss(output, y).backward()
          opt.step()
      from safetensors.torch import load_file
      ours = load_file('trained.safetensors')
      out['names'] = np.array([[float(set(ours) == set(dict(net.named_parameters())))]])
      out['difference'] = np.array([[max(float((ours[k] - p.detach()).abs().max()) for k, p in net.named_parameters())]])
      out['scale'] = np.array([[max(float(p.detach().abs().max()) for p in net.parameters())]])
      """, inputs: [:])
    #expect(expected["names"]![0, 0] == 1)
    #expect(expected["difference"]![0, 0] <= 1e-9 * expected["scale"]![0, 0])
  }

  /// Bad input, and a run whose loss stops being finite: exit 1, a message naming the cause, and
  /// the existing output, log and plot exactly as they were.
  @Test(arguments: [
    (["--targets", "x.npy"], "--targets must be shaped like the output"),
    (["--lengths", "y.npy"], "--lengths"),
    (["--targets", "y_nan.npy"], "not finite at the first step"),
    (["--learning-rate", "1e308", "--optimizer", "adam"], "is no longer finite after step 1"),
    (["--initial-cell", "h0.npy"], "only an LSTM has a cell state"),
    (["--weights", "missing.npz"], "--weights"),
    (["--epochs", "2", "--batch-size", "4"], "--batch-size is 4 but --inputs has B = 3"),
  ])
  func failuresLeaveFilesAlone(change: [String], message: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script, in: dir.url)
    try Data("old weights".utf8).write(to: dir.file("trained.npz"))
    try Data("old log".utf8).write(to: dir.file("log.csv"))
    try Data("old plot".utf8).write(to: dir.file("loss.svg"))
    var args = arguments(
      dir,
      [
        "--steps", "2", "--output", dir.file("trained.npz").path, "--log", dir.file("log.csv").path, "--plot",
        dir.file("loss.svg").path,
      ])
    var index = 0
    while index < change.count {
      let value =
        change[index + 1].hasSuffix(".npy") || change[index + 1].hasSuffix(".npz")
        ? dir.file(change[index + 1]).path : change[index + 1]
      if let at = args.firstIndex(of: change[index]) { args[at + 1] = value } else { args += [change[index], value] }
      index += 2
    }
    if change.contains("--epochs"), let at = args.firstIndex(of: "--steps") { args.removeSubrange(at...(at + 1)) }
    let run = try runTool(tool, args)
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stderr.contains("rnn-train: error:") && run.stderr.contains(message), "\(run.stderr)")
    #expect(try String(contentsOf: dir.file("trained.npz"), encoding: .utf8) == "old weights")
    #expect(try String(contentsOf: dir.file("log.csv"), encoding: .utf8) == "old log")
    #expect(try String(contentsOf: dir.file("loss.svg"), encoding: .utf8) == "old plot")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
  }

  /// Destinations are checked before any work: a directory, the same file twice, another extension.
  @Test func destinationsAreCheckedFirst() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script, in: dir.url)
    let asDirectory = try runTool(tool, arguments(dir, ["--output", dir.url.path + "/"]))
    #expect(asDirectory.status != 0)
    let same = try runTool(
      tool, arguments(dir, ["--output", dir.file("a.npz").path, "--log", dir.file("a.npz").path]))
    #expect(same.status == 1 && same.stderr.contains("name the same file"), "\(same.stderr)")
    let samePlot = try runTool(
      tool,
      arguments(
        dir, ["--output", dir.file("a.npz").path, "--log", dir.file("b.csv").path, "--plot", dir.file("b.csv").path]))
    #expect(
      samePlot.status == 1 && samePlot.stderr.contains("--log and --plot name the same file"), "\(samePlot.stderr)")
    let other = try runTool(tool, arguments(dir, ["--output", dir.file("a.pt").path]))
    #expect(other.status != 0 && other.stderr.contains(".safetensors or an .npz"), "\(other.stderr)")
  }
}

extension NPYArray {
  /// The same elements as a 1-D array.
  fileprivate var flattened: NPYArray { NPYArray(shape: [elements.count], elements: elements) }
}
