import DenseMatrix
import RNN
import Testing
import _TestSupport

@Suite("RNN cell")
struct RNNCellTests {
  // The notebook's data.
  let wHH = Matrix.full(rows: 3, columns: 2, value: 1)
  let wHX = Matrix.full(rows: 3, columns: 3, value: 9)
  let h = Matrix.full(rows: 2, columns: 1, value: 1)
  let x = Matrix.full(rows: 3, columns: 1, value: 9)

  @Test(arguments: Formulation.allCases, Backend.allCases)
  func notebookGives245(formulation: Formulation, backend: Backend) {
    let z = hiddenPreactivation(
      hiddenToHidden: wHH, inputToHidden: wHX, h: h, x: x, formulation: formulation, backend: backend)
    #expect(z == Matrix([[245], [245], [245]]))
    var rng = SeededGenerator(seed: 1)
    let b = Matrix.randomNormal(rows: 3, columns: 1, using: &rng)
    let reference = hiddenPreactivation(hiddenToHidden: wHH, inputToHidden: wHX, h: h, x: x, formulation: .fused)
    #expect(z.addingColumnVector(b).sigmoid() == reference.addingColumnVector(b).sigmoid())
  }

  /// A square cell with the notebook's pattern: W_hh all ones, W_hx all nines; exact in both types.
  @Test(arguments: scalarTypes, Formulation.allCases)
  func squareNotebookCell(type: any BLASScalar.Type, formulation: Formulation) throws {
    for backend in Backend.allCases { try squareNotebook(type, formulation, backend) }
  }

  private func squareNotebook<S: BLASScalar>(_: S.Type, _ formulation: Formulation, _ backend: Backend) throws {
    let cell = try RNNCell<S>(
      hiddenToHidden: .ones(rows: 3, columns: 3), inputToHidden: .full(rows: 3, columns: 3, value: 9),
      bias: .zeros(rows: 3, columns: 1), activation: .identity, formulation: formulation, backend: backend)
    let next = cell.step(h: .ones(rows: 3, columns: 1), x: .full(rows: 3, columns: 1, value: 9))
    #expect(next == Matrix<S>.full(rows: 3, columns: 1, value: 246))
    let states = cell.forward(
      inputs: [.ones(rows: 3, columns: 2), .zeros(rows: 3, columns: 2)], initialState: .ones(rows: 3, columns: 2))
    #expect(states == [.full(rows: 3, columns: 2, value: 30), .full(rows: 3, columns: 2, value: 90)])
  }

  /// A cell with no input (n_x = 0) is a plain linear recurrence; every path must handle the
  /// empty operand, in both types.
  @Test(arguments: scalarTypes, Formulation.allCases)
  func noInputFeatures(type: any BLASScalar.Type, formulation: Formulation) throws {
    for backend in Backend.allCases { try noInput(type, formulation, backend) }
  }

  private func noInput<S: BLASScalar>(_: S.Type, _ formulation: Formulation, _ backend: Backend) throws {
    let cell = try RNNCell<S>(
      hiddenToHidden: Matrix<S>([[0.5, 0], [0, 2]]), inputToHidden: .zeros(rows: 2, columns: 0),
      bias: Matrix<S>(column: [1, 0]), activation: .identity, formulation: formulation, backend: backend)
    let h = cell.step(h: Matrix<S>(column: [2, 3]), x: .zeros(rows: 0, columns: 1))
    #expect(h == Matrix<S>(column: [2, 6]))
    let states = cell.forward(inputs: [.zeros(rows: 0, columns: 1), .zeros(rows: 0, columns: 1)], initialState: h)
    #expect(states == [Matrix<S>(column: [2, 12]), Matrix<S>(column: [2, 24])])
  }

  @Test func constructionValidatesShapes() {
    #expect(throws: ShapeError.self) {
      try RNNCell(hiddenToHidden: wHH, inputToHidden: wHX, bias: .zeros(rows: 3, columns: 1))
    }
    do {
      _ = try RNNCell(
        hiddenToHidden: .ones(rows: 4, columns: 4), inputToHidden: .ones(rows: 3, columns: 2),
        bias: .zeros(rows: 4, columns: 1))
      Issue.record("expected a ShapeError")
    } catch {
      #expect(error.description == "RNNCell: W_hx must have as many rows as W_hh: (4×4), (3×2)")
    }
    #expect(throws: ShapeError.self) {
      try RNNCell(
        hiddenToHidden: .ones(rows: 4, columns: 4), inputToHidden: .ones(rows: 4, columns: 2),
        bias: .zeros(rows: 1, columns: 4))
    }
    #expect(throws: ShapeError.self) {
      try RNNCell(
        hiddenToHidden: .ones(rows: 0, columns: 0), inputToHidden: .ones(rows: 0, columns: 2),
        bias: .zeros(rows: 0, columns: 1))
    }
  }

  @Test func stepValidatesShapes() throws {
    let cell = try RNNCell(
      hiddenToHidden: .ones(rows: 2, columns: 2), inputToHidden: .ones(rows: 2, columns: 3),
      bias: .zeros(rows: 2, columns: 1))
    do {
      _ = try cell.step(checkingH: .ones(rows: 2, columns: 1), x: .ones(rows: 4, columns: 1))
      Issue.record("expected a ShapeError")
    } catch {
      #expect(error.description == "RNNCell.step: x must be (3×1) to match W_hx and h: (2×1), (4×1)")
    }
    var workspace = cell.makeWorkspace(batchSize: 2, initialState: .full(rows: 2, columns: 2, value: 0.5))
    #expect(throws: ShapeError.self) { try cell.step(checkingX: .ones(rows: 3, columns: 1), into: &workspace) }
    #expect(workspace.state == .full(rows: 2, columns: 2, value: 0.5), "a refused step leaves the state alone")
    var states = Matrix.zeros(rows: 2, columns: 5)
    #expect(throws: ShapeError.self) {
      try cell.forward(checkingInputs: .ones(rows: 3, columns: 5), into: &workspace, states: &states)
    }
    #expect(throws: ShapeError.self) {
      try cell.forward(checkingInputs: [.ones(rows: 3, columns: 1), .ones(rows: 2, columns: 1)])
    }
  }

  @Test func stepMismatchTraps() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let cell = try RNNCell(
        hiddenToHidden: .ones(rows: 2, columns: 2), inputToHidden: .ones(rows: 2, columns: 3),
        bias: .zeros(rows: 2, columns: 1))
      _ = cell.step(h: .ones(rows: 2, columns: 1), x: .ones(rows: 4, columns: 1))
    }
    #expect(standardError(of: result).contains("RNNCell.step: x must be (3×1) to match W_hx and h: (2×1), (4×1)"))
  }

  @Test func workspaceFromAnotherCellTraps() async {
    await #expect(processExitsWith: .failure) {
      let a = try RNNCell.random(hiddenSize: 2, inputSize: 3, using: &SeededGeneratorBox.shared)
      let b = try RNNCell.random(hiddenSize: 3, inputSize: 3, using: &SeededGeneratorBox.shared)
      var workspace = a.makeWorkspace(batchSize: 1)
      b.step(x: .ones(rows: 3, columns: 1), into: &workspace)
    }
  }
}

/// A generator for exit tests, which cannot capture values.
enum SeededGeneratorBox {
  nonisolated(unsafe) static var shared = SeededGenerator(seed: 9)
}
