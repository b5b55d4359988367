import DenseMatrix
import Testing

@Suite("Matrix basics")
struct MatrixTests {
  @Test func constructors() throws {
    #expect(Matrix.identity(2) == Matrix([[1, 0], [0, 1]]))
    #expect(Matrix.zeros(rows: 2, columns: 3).scalars == Array(repeating: 0, count: 6))
    #expect(Matrix(column: [1, 2]).shape == Shape(rows: 2, columns: 1))
    #expect(Matrix([]).shape == Shape(rows: 0, columns: 0))
    #expect(Matrix([[]]).shape == Shape(rows: 1, columns: 0))
    #expect(Matrix(rows: 2, columns: 2) { r, c in Double(10 * r + c) } == Matrix([[0, 1], [10, 11]]))
    #expect(throws: ShapeError.self) { try Matrix(checkingRows: [[1, 2], [3]]) }
    #expect(throws: ShapeError.self) { try Matrix(checkingRows: 2, columns: 2, scalars: [1, 2, 3]) }
    #expect(try Matrix(checkingRows: 1, columns: 2, scalars: [1, 2]) == Matrix([[1, 2]]))
  }

  @Test func subscriptAndTranspose() {
    var m = Matrix([[1, 2, 3], [4, 5, 6]])
    #expect(m[1, 2] == 6)
    m[0, 1] = 20
    #expect(m.transposed() == Matrix([[1, 4], [20, 5], [3, 6]]))
    #expect(m.nestedRows == [[1, 20, 3], [4, 5, 6]])
  }

  @Test func copyOnWrite() {
    let a = Matrix.ones(rows: 2, columns: 2)
    var b = a
    b[0, 0] = 5
    #expect(a[0, 0] == 1)
    var c = a
    c.withUnsafeMutableBufferPointer { $0[3] = 7 }
    #expect(a[1, 1] == 1 && c[1, 1] == 7)
  }

  @Test func outOfBoundsTraps() async {
    await #expect(processExitsWith: .failure) {
      _ = Matrix.ones(rows: 2, columns: 2)[2, 0]
    }
  }

  @Test func raggedRowsTrap() async {
    await #expect(processExitsWith: .failure) { _ = Matrix([[1, 2], [3]]) }
  }

  @Test func seededRandomIsReproducible() {
    var g1 = SeededGenerator(seed: 123)
    var g2 = SeededGenerator(seed: 123)
    let a = Matrix.randomNormal(rows: 50, columns: 41, using: &g1)
    #expect(a == Matrix.randomNormal(rows: 50, columns: 41, using: &g2))
    var g3 = SeededGenerator(seed: 124)
    #expect(a != Matrix.randomNormal(rows: 50, columns: 41, using: &g3))
    // Plausibly standard normal.
    let mean = a.scalars.reduce(0, +) / Double(a.count)
    let variance = a.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(a.count)
    #expect(abs(mean) < 0.1 && abs(variance - 1) < 0.15)
    // A fixed seed gives a fixed first value on every machine.
    var g4 = SeededGenerator(seed: 0)
    #expect(g4.next() == 0x99EC_5F36_CB75_F2B4)
  }

  @Test func shapeDescriptions() {
    #expect(Shape(rows: 3, columns: 5).description == "(3, 5)")
    #expect(Shape(rows: 3, columns: 5).compact == "(3×5)")
  }
}
