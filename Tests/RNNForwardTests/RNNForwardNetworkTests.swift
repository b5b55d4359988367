import DenseMatrix
import Foundation
import NumPyIO
import RNN
import Testing
import _TestSupport

/// `rnn-forward` on PyTorch state dicts written by numpy with PyTorch's names (multi-layer,
/// bidirectional, LSTM and GRU, with h_0 and c_0), against numpy's implementation of PyTorch's
/// equations: the output, h_n and c_n files.
@Suite("rnn-forward networks", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct RNNForwardNetworkTests {
  let tool = RNNForwardToolTests()

  struct Case: CustomTestStringConvertible, Sendable {
    var mode: String, layers: Int, bidirectional: Bool, bias: Bool, batched: Bool, initial: Bool
    var testDescription: String {
      "\(mode) L \(layers) \(bidirectional ? "bi" : "uni") bias \(bias) \(batched ? "T×B×I" : "T×I") h0 \(initial)"
    }
  }

  static let cases = [
    Case(mode: "lstm", layers: 2, bidirectional: true, bias: true, batched: true, initial: true),
    Case(mode: "lstm", layers: 1, bidirectional: false, bias: false, batched: false, initial: false),
    Case(mode: "gru", layers: 3, bidirectional: false, bias: true, batched: true, initial: true),
    Case(mode: "gru", layers: 2, bidirectional: true, bias: false, batched: false, initial: true),
    Case(mode: "rnn_relu", layers: 2, bidirectional: true, bias: true, batched: true, initial: false),
    Case(mode: "rnn_tanh", layers: 3, bidirectional: true, bias: true, batched: false, initial: true),
  ]

  /// Writes `net.npz` (PyTorch's names, float32 as a state dict is saved), `x.npy`, `h0.npy`,
  /// `c0.npy` and numpy's `y.npy`, `hn.npy`, `cn.npy` (float64 on the same float32 numbers).
  static func script(_ c: Case) -> String {
    """
    rng = np.random.default_rng(7)
    mode, L, D, bias, batched, initial = '\(c.mode)', \(c.layers), \(c.bidirectional ? 2 : 1), \
    \(c.bias ? "True" : "False"), \(c.batched ? "True" : "False"), \(c.initial ? "True" : "False")
    G = {'lstm': 4, 'gru': 3}.get(mode, 1)
    H, I, T, B = 6, 5, 7, 3
    f32 = lambda a: a.astype(np.float32)
    sd = {}
    for k in range(L):
        for sfx in (['', '_reverse'] if D == 2 else ['']):
            sd[f'weight_ih_l{k}{sfx}'] = f32(rng.standard_normal((G * H, I if k == 0 else D * H)) / np.sqrt(H))
            sd[f'weight_hh_l{k}{sfx}'] = f32(rng.standard_normal((G * H, H)) / np.sqrt(H))
            if bias:
                sd[f'bias_ih_l{k}{sfx}'] = f32(rng.standard_normal(G * H) * 0.3)
                sd[f'bias_hh_l{k}{sfx}'] = f32(rng.standard_normal(G * H) * 0.3)
    np.savez('net.npz', **sd)
    x = f32(rng.standard_normal((T, B, I)))
    h0 = f32(rng.standard_normal((D * L, B, H)) * 0.5)
    c0 = f32(rng.standard_normal((D * L, B, H)) * 0.5)
    np.save('x.npy', x if batched else x[:, 0, :])
    np.save('h0.npy', h0 if batched else h0[:, 0, :])
    np.save('c0.npy', c0 if batched else c0[:, 0, :])
    sd = {k: v.astype(np.float64) for k, v in sd.items()}
    sig = lambda v: 1 / (1 + np.exp(-v))
    def cell(k, sfx, x, h, c):
        gi, gh = x @ sd[f'weight_ih_l{k}{sfx}'].T, h @ sd[f'weight_hh_l{k}{sfx}'].T
        if bias: gi, gh = gi + sd[f'bias_ih_l{k}{sfx}'], gh + sd[f'bias_hh_l{k}{sfx}']
        if mode == 'rnn_tanh': return np.tanh(gi + gh), c
        if mode == 'rnn_relu': return np.maximum(gi + gh, 0), c
        if mode == 'lstm':
            g = gi + gh
            c = sig(g[:, H:2*H]) * c + sig(g[:, :H]) * np.tanh(g[:, 2*H:3*H])
            return sig(g[:, 3*H:]) * np.tanh(c), c
        r, z = sig(gi[:, :H] + gh[:, :H]), sig(gi[:, H:2*H] + gh[:, H:2*H])
        n = np.tanh(gi[:, 2*H:] + r * gh[:, 2*H:])
        return (1 - z) * n + z * h, c
    Bn = B if batched else 1
    inp = x.astype(np.float64)[:, :Bn, :]
    hn, cn = [], []
    for k in range(L):
        outs = []
        for d in range(D):
            i = k * D + d
            h = h0[i, :Bn].astype(np.float64) if initial else np.zeros((Bn, H))
            c = c0[i, :Bn].astype(np.float64) if initial else np.zeros((Bn, H))
            ys = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                h, c = cell(k, '_reverse' if d else '', inp[t], h, c); ys[t] = h
            outs.append(np.stack(ys)); hn.append(h); cn.append(c)
        inp = np.concatenate(outs, axis=2)
    squeeze = (lambda a: a) if batched else (lambda a: a[:, 0])
    np.save('y.npy', squeeze(inp)); np.save('hn.npy', squeeze(np.stack(hn))); np.save('cn.npy', squeeze(np.stack(cn)))
    """
  }

  @Test(arguments: cases)
  func matchesNumpysPyTorchEquations(c: Case) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script(c), in: dir.url)
    for formulation in ["hoisted", "fused", "split"] {
      var arguments = [
        "--weights", "net.npz", "--inputs", "x.npy", "--output", "out.npy", "--final-state", "hn_out.npy",
        "--formulation", formulation,
      ]
      if c.mode == "rnn_relu" { arguments += ["--mode", "rnn_relu"] }
      if c.initial { arguments += ["--initial-state", "h0.npy"] }
      if c.initial && c.mode == "lstm" { arguments += ["--initial-cell", "c0.npy"] }
      if c.mode == "lstm" { arguments += ["--final-cell", "cn_out.npy"] }
      let result = try tool.run(absolute(arguments, dir))
      #expect(result.status == 0, "\(c) \(formulation): \(result.stderr)")
      var pairs = [("out.npy", "y.npy"), ("hn_out.npy", "hn.npy")]
      if c.mode == "lstm" { pairs.append(("cn_out.npy", "cn.npy")) }
      for (got, want) in pairs {
        let (g, w) = (try NPYArray(contentsOf: dir.file(got)), try NPYArray(contentsOf: dir.file(want)))
        #expect(g.dtypeName == "float32", "\(got)")
        #expect(g.shape == w.shape, "\(c) \(formulation) \(got): \(g.shape) vs \(w.shape)")
        // float32 through up to 3 layers of 7 steps: 8 · ε · √(I + 2H) per step, with margin.
        let worst = zip(g.scalars, w.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 2e-5, "\(c) \(formulation) \(got): max |Δ| \(worst)")
      }
    }
  }

  @Test func badStateDictsAndStatesExitOneAndWriteNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(
      Self.script(Case(mode: "gru", layers: 2, bidirectional: true, bias: true, batched: true, initial: true)),
      in: dir.url)
    try NumPy.runScript(
      """
      sd = dict(np.load('net.npz'))
      np.savez('proj.npz', weight_hr_l0=np.zeros((2, 6), np.float32), **sd)
      np.savez('gap.npz', **{k: v for k, v in sd.items() if k != 'bias_hh_l1_reverse'})
      bad = dict(sd); bad['weight_ih_l1'] = np.zeros((18, 7), np.float32); np.savez('shape.npz', **bad)
      np.save('h0_short.npy', np.zeros((2, 3, 6), np.float32))
      """, in: dir.url)
    try Data("keep".utf8).write(to: dir.file("existing.npy"))
    let common = ["--inputs", "x.npy", "--output", "existing.npy"]
    let cases: [([String], String)] = [
      (["--weights", "proj.npz"], "weight_hh_l0 must be (24×2) (4·H × P, with weight_hr_l0's P × H), found (18×6)"),
      (["--weights", "gap.npz"], "bias_hh_l1_reverse is missing"),
      (["--weights", "shape.npz"], "weight_ih_l1 must be (18×12) (3·H × D·H), found (18×7)"),
      (["--weights", "net.npz", "--mode", "lstm"], "mode lstm needs weight_hh_l0 to be (4·H × H) = (24×6)"),
      (
        ["--weights", "net.npz", "--initial-state", "h0_short.npy"], "--initial-state must be (D·L) × B × H = (4, 3, 6)"
      ),
      (["--weights", "net.npz", "--initial-cell", "h0.npy"], "--initial-cell: only an LSTM has a cell state"),
      (
        ["--weights", "net.npz", "--final-state", "fresh.npy", "--final-cell", "cell.npy"], "--final-cell: only an LSTM"
      ),
      (["--weights", "net.npz", "--final-state", "existing.npy"], "--output and --final-state name the same file"),
      (["--weights", "net.npz", "--activation", "sigmoid"], "PyTorch's nn.RNN has tanh or relu"),
    ]
    for (arguments, message) in cases {
      let result = try tool.run(absolute(arguments + common, dir))
      #expect(result.status == 1, "\(arguments)")
      #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
      #expect(try Data(contentsOf: dir.file("existing.npy")) == Data("keep".utf8), "\(arguments) changed --output")
      for name in ["fresh.npy", "cell.npy"] {
        #expect(!FileManager.default.fileExists(atPath: dir.file(name).path), "\(arguments) wrote \(name)")
      }
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter {
      $0.hasSuffix(".partial")
    }
    #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
  }

  private func absolute(_ arguments: [String], _ dir: TemporaryDirectory) -> [String] {
    arguments.enumerated().map { i, value in
      i > 0 && arguments[i - 1].hasPrefix("--") && value.hasSuffix(".npy") || value.hasSuffix(".npz")
        ? dir.file(value).path : value
    }
  }
}
