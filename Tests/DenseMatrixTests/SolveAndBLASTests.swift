import DenseMatrix
import Testing

@Suite("LAPACK and the BLAS runtime")
struct SolveAndBLASTests {
  @Test func solvesALinearSystem() throws {
    let a = Matrix([[3, 1], [1, 2]])
    let b = Matrix([[9, 1], [8, 0]])
    let x = try solve(a, b)
    #expect(allclose(x, Matrix([[2, 0.4], [3, -0.2]]), rtol: 1e-14, atol: 1e-15))
    #expect(allclose(matmul(a, x), b, rtol: 1e-14, atol: 1e-14))
  }

  @Test func singularIsATypedErrorWithInfo() {
    #expect(throws: LAPACKError.singular(routine: "LAPACKE_dgesv", info: 2)) {
      try solve(Matrix([[1, 2], [2, 4]]), Matrix(column: [1, 2]))
    }
    #expect(throws: LAPACKError.self) { try solve(Matrix.ones(rows: 2, columns: 3), Matrix(column: [1, 2])) }
    #expect(throws: LAPACKError.self) { try solve(Matrix.identity(2), Matrix(column: [1, 2, 3])) }
  }

  @Test func blasRuntime() {
    #expect(BLAS.configuration.contains("OpenBLAS"))
    let before = BLAS.threadCount
    #expect(before >= 1)
    BLAS.threadCount = 1
    #expect(BLAS.threadCount == 1)
    BLAS.threadCount = before
  }
}
