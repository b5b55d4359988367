import DenseMatrix
import RNN
import Testing
import _TestSupport

/// The three cells share one driver and one set of entry points: every cell has the throwing
/// forms, and the vanilla cell under PyTorch's names is the notebook's cell.
@Suite("One driver for the three cells")
struct OneDriverTests {
  enum Kind: String, CaseIterable, CustomTestStringConvertible {
    case rnn, lstm, gru
    var testDescription: String { rawValue }
  }

  static func cell(_ kind: Kind, hidden: Int, input: Int) throws -> any RecurrentCell<Double> {
    var rng = SeededGenerator(seed: 11)
    let gates = [Kind.rnn: 1, .lstm: 4, .gru: 3][kind]!
    let wih = Matrix<Double>.randomNormal(rows: gates * hidden, columns: input, using: &rng)
    let whh = Matrix<Double>.randomNormal(rows: gates * hidden, columns: hidden, using: &rng)
    switch kind {
    case .rnn: return try RNNCell(inputWeights: wih, recurrentWeights: whh)
    case .lstm: return try LSTMCell(inputWeights: wih, recurrentWeights: whh)
    case .gru: return try GRUCell(inputWeights: wih, recurrentWeights: whh)
    }
  }

  /// A wrong x, a wrong sequence width, wrong states or another cell's workspace: a
  /// `ShapeError` naming the cell, and nothing changed.
  @Test(arguments: Kind.allCases)
  func everyCellHasTheThrowingForms(kind: Kind) throws {
    try check(try Self.cell(kind, hidden: 3, input: 2), other: try Self.cell(kind, hidden: 4, input: 2))
  }

  private func check<Cell: RecurrentCell<Double>>(_ cell: Cell, other: any RecurrentCell<Double>) throws {
    guard let other = other as? Cell else { return }
    var workspace = cell.makeWorkspace(batchSize: 2)
    workspace.state = .full(rows: 3, columns: 2, value: 0.5)
    let name = String(describing: Cell.self).prefix { $0 != "<" }
    for x in [Matrix<Double>.ones(rows: 3, columns: 2), .ones(rows: 2, columns: 1)] {
      do {
        try cell.step(checkingX: x, into: &workspace, formulation: nil)
        Issue.record("\(name) stepped x of shape \(x.shape)")
      } catch {
        #expect(error.description.hasPrefix("\(name).step: x must be (2×2)"), "\(error)")
      }
    }
    var states = Matrix<Double>.zeros(rows: 3, columns: 6)
    for (inputs, expected) in [
      (Matrix<Double>.ones(rows: 2, columns: 5), "whole number of batches"),
      (Matrix<Double>.ones(rows: 1, columns: 6), "inputs must be (2×T·2)"),
    ] {
      #expect(throws: ShapeError.self, "\(name) \(expected)") {
        try cell.forward(checkingInputs: inputs, into: &workspace, states: &states, formulation: nil, reversed: false)
      }
    }
    var wrongStates = Matrix<Double>.zeros(rows: 3, columns: 4)
    #expect(throws: ShapeError.self) {
      try cell.forward(
        checkingInputs: .ones(rows: 2, columns: 6), into: &workspace, states: &wrongStates, formulation: nil,
        reversed: false)
    }
    #expect(workspace.state == .full(rows: 3, columns: 2, value: 0.5), "a refused call leaves the state alone")
    #expect(states == .zeros(rows: 3, columns: 6))
    // Shapes that fit run, through the same driver, for every formulation.
    for formulation in Formulation.allCases {
      try cell.forward(
        checkingInputs: .ones(rows: 2, columns: 6), into: &workspace, states: &states, formulation: formulation,
        reversed: false)
    }
    var foreign = other.makeWorkspace(batchSize: 2)
    do {
      try cell.step(checkingX: .ones(rows: 2, columns: 2), into: &foreign, formulation: nil)
      Issue.record("\(name) stepped another cell's workspace")
    } catch {
      #expect(error.description.contains("the workspace was made for H = 4, I = 2"), "\(error)")
    }
  }

  /// The notebook's `RNNCell(hiddenToHidden:inputToHidden:bias:)` is PyTorch's
  /// `RNNCell(inputWeights:recurrentWeights:…)` with `W_ih = W_hx`: the same states, bit for
  /// bit, in every formulation; `W_h = [W_hh | W_hx]` is still there for the notebook.
  @Test(arguments: Formulation.allCases)
  func theNotebooksCellIsPyTorchsCell(formulation: Formulation) throws {
    var rng = SeededGenerator(seed: 3)
    let (whh, whx) = (
      Matrix<Double>.randomNormal(rows: 5, columns: 5, using: &rng),
      Matrix<Double>.randomNormal(rows: 5, columns: 3, using: &rng)
    )
    let b = Matrix<Double>.randomNormal(rows: 5, columns: 1, using: &rng)
    let notebook = try RNNCell(hiddenToHidden: whh, inputToHidden: whx, bias: b, activation: .sigmoid)
    let pytorch = try RNNCell(inputWeights: whx, recurrentWeights: whh, recurrentBias: b, activation: .sigmoid)
    #expect(notebook.notebookFusedWeights == hstack([whh, whx]))
    #expect(notebook.inputWeights == whx && notebook.recurrentWeights == whh && notebook.bias == b)
    let inputs = (0..<4).map { _ in Matrix<Double>.randomNormal(rows: 3, columns: 2, using: &rng) }
    let h0 = Matrix<Double>.randomNormal(rows: 5, columns: 2, using: &rng)
    #expect(
      notebook.forward(inputs: inputs, initialState: h0, formulation: formulation)
        == pytorch.forward(inputs: inputs, initialState: h0, formulation: formulation))
    #expect(
      notebook.step(h: h0, x: inputs[0], formulation: formulation)
        == pytorch.step(h: h0, x: inputs[0], formulation: formulation))
  }
}
