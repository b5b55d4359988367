import DenseMatrix
import Testing
import _TestSupport

@Suite("Stacking")
struct ConcatenationTests {
  let a = Matrix([[1, 2], [3, 4]])
  let b = Matrix([[5], [6]])
  let c = Matrix([[7, 8]])

  @Test func hstackJoinsRows() {
    #expect(hstack([a, b]) == Matrix([[1, 2, 5], [3, 4, 6]]))
    #expect(hstack([b, a, b]) == Matrix([[5, 1, 2, 5], [6, 3, 4, 6]]))
    #expect(hstack([a]) == a)
  }

  @Test func vstackJoinsColumns() {
    #expect(vstack([a, c]) == Matrix([[1, 2], [3, 4], [7, 8]]))
    #expect(vstack([c, c, a]).shape == Shape(rows: 4, columns: 2))
  }

  @Test(arguments: [(0, 0), (-2, 0), (1, 1), (-1, 1)])
  func concatenateAxes(axis: Int, equivalent: Int) {
    let joined = concatenate([a, a], axis: axis)
    #expect(joined == (equivalent == 0 ? vstack([a, a]) : hstack([a, a])))
  }

  @Test func emptyMatricesWhereNumpyAllowsThem() throws {
    // np.hstack((np.zeros((2, 0)), a)) and np.vstack((np.zeros((0, 2)), a)) are allowed.
    #expect(hstack([Matrix.zeros(rows: 2, columns: 0), a]) == a)
    #expect(vstack([Matrix.zeros(rows: 0, columns: 2), a, Matrix.zeros(rows: 0, columns: 2)]) == a)
    #expect(
      hstack([Matrix.zeros(rows: 0, columns: 3), Matrix.zeros(rows: 0, columns: 2)]).shape == Shape(rows: 0, columns: 5)
    )
    #expect(
      vstack([Matrix.zeros(rows: 2, columns: 0), Matrix.zeros(rows: 1, columns: 0)]).shape == Shape(rows: 3, columns: 0)
    )
    // np.vstack((np.zeros((0, 0)), a)) is refused: the column counts still must match.
    #expect(throws: ShapeError.self) { try vstack(checking: [Matrix.zeros(rows: 0, columns: 0), a]) }
  }

  @Test func checkingVariantsThrowWithBothShapes() {
    #expect(
      throws: ShapeError(
        operation: "hstack",
        reason: "every matrix must have the same number of rows, but matrix 0 has 2 and matrix 1 has 1",
        shapes: [a.shape, c.shape])
    ) { try hstack(checking: [a, c]) }
    do {
      _ = try vstack(checking: [a, b])
      Issue.record("expected a ShapeError")
    } catch {
      #expect(
        error.description
          == "vstack: every matrix must have the same number of columns, but matrix 0 has 2 and matrix 1 has 1: (2×2), (2×1)"
      )
    }
    #expect(throws: ShapeError.self) { try concatenate(checking: [a, a], axis: 2) }
    #expect(throws: ShapeError.self) { try concatenate(checking: [Matrix<Double>](), axis: 0) }
    #expect(throws: Never.self) { try concatenate(checking: [a, a], axis: -2) }
  }

  @Test func mismatchTrapsWithAMessage() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = hstack([Matrix.ones(rows: 3, columns: 2), Matrix.ones(rows: 4, columns: 3)])
    }
    let stderr = standardError(of: result)
    #expect(
      stderr.contains(
        "hstack: every matrix must have the same number of rows, but matrix 0 has 3 and matrix 1 has 4: (3×2), (4×3)"))
  }

  @Test func badAxisTraps() async {
    await #expect(processExitsWith: .failure) {
      _ = concatenate([Matrix.ones(rows: 1, columns: 1)], axis: 2)
    }
  }
}
