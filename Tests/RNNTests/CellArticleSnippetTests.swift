import DenseMatrix
import Foundation
import RNN
import Testing

/// The "vanilla cell" snippets of the article *Cells, sequences and Float32*, compiled and run
/// here, and a check that the article still shows exactly this code.
@Suite("Article snippets: the vanilla cell")
struct CellArticleSnippetTests {
  static let article = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/RNN/Documentation.docc/CellsSequencesAndFloat32.md")

  @Test func theRNNCellSnippetsRun() throws {
    // BEGIN SNIPPETS (the article's "The vanilla cell" blocks, without their imports)
    let cell = try RNNCell(
      hiddenToHidden: .ones(rows: 3, columns: 3),  // W_hh, n_h × n_h
      inputToHidden: .full(rows: 3, columns: 3, value: 9),  // W_hx, n_h × n_x
      bias: .zeros(rows: 3, columns: 1),  // b,    n_h × 1
      activation: .identity)  // .tanh (default), .sigmoid, .relu
    let h0 = Matrix.ones(rows: 3, columns: 1)
    let x1 = Matrix.full(rows: 3, columns: 1, value: 9)

    let h1 = cell.step(h: h0, x: x1, formulation: .fused)  // [[246.] [246.] [246.]]: W_h·[h; x], one gemv
    let h1Split = cell.step(h: h0, x: x1, formulation: .split)  // the same: W_hx·x, then W_hh·h, beta 1

    // The notebook's own 3×2 W_hh cannot be a cell's (W_hh is square); its quantity is
    // hiddenPreactivation, which gives [[245.] [245.] [245.]] for every formulation.
    let z = hiddenPreactivation(
      hiddenToHidden: .ones(rows: 3, columns: 2),
      inputToHidden: .full(rows: 3, columns: 3, value: 9),
      h: .ones(rows: 2, columns: 1), x: x1, formulation: .split)

    var rng = SeededGenerator(seed: 1)
    let rnn = try RNNCell.random(hiddenSize: 256, inputSize: 256, using: &rng)  // orthogonal W_hh
    let xs = (0..<100).map { _ in Matrix.randomNormal(rows: 256, columns: 32, using: &rng) }

    let states = rnn.forward(inputs: xs, formulation: .hoisted)  // [h_1 ... h_100], each 256 × 32

    var workspace = rnn.makeWorkspace(batchSize: 32)  // allocates once
    var out = Matrix.zeros(rows: 256, columns: 100 * 32)  // [h_1 | ... | h_100]
    rnn.forward(inputs: hstack(xs), into: &workspace, states: &out, formulation: .hoisted)
    rnn.step(x: xs[0], into: &workspace, formulation: .fused)  // no allocation per step
    try print(rnn.recurrentSpectralRadius())  // ≈ 1 for orthogonal W_hh (1.00000000000001…: rounding)
    // END SNIPPETS

    #expect(h1 == Matrix.full(rows: 3, columns: 1, value: 246) && h1Split == h1)
    #expect(z == Matrix([[245], [245], [245]]))
    #expect(states.count == 100 && hstack(states) == out)
    #expect(abs(try rnn.recurrentSpectralRadius() - 1) < 1e-12)
  }

  @Test func theReadmeShowsExactlyThisCode() throws {
    func normalized(_ lines: some Sequence<Substring>) -> [String] {
      lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        .filter { !$0.isEmpty && !$0.hasPrefix("import ") }
    }
    let article = try String(contentsOf: Self.article, encoding: .utf8)
    // The section up to the LSTM section (whose block CI runs on its own).
    let section = article.components(separatedBy: "## The vanilla cell\n")[1].components(separatedBy: "\n## ")[0]
    let blocks = section.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
    let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
    let snippets = source.components(separatedBy: "// BEGIN SNIPPETS")[1].components(separatedBy: "// END SNIPPETS")[0]
    // swift-format may wrap the test's copy differently: compare the code with all spaces and
    // line breaks removed.
    let squeeze = { (lines: [String]) in lines.joined().filter { !$0.isWhitespace } }
    #expect(blocks.count == 2)
    #expect(
      squeeze(normalized(blocks.joined(separator: "\n").split(separator: "\n")))
        == squeeze(normalized(snippets.split(separator: "\n").dropFirst())),
      "The article's vanilla cell snippets and this test differ")
  }
}
