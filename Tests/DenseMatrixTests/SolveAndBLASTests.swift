import DenseMatrix
import Foundation
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

  /// NaN and ±inf never reach dgesdd/dgeev (NaN gave "argument 5 had an illegal value", inf a
  /// NaN spectrum with no error); numpy raises `LinAlgError` for both.
  @Test(arguments: [Double.nan, .infinity, -.infinity])
  func nonFiniteMatricesAreATypedError(value: Double) {
    let m = Matrix([[1, 2], [3, value]])
    #expect(!m.isFinite && Matrix.identity(2).isFinite)
    #expect(throws: LAPACKError.notFinite(routine: "LAPACKE_dgesdd")) { try singularValues(m) }
    #expect(throws: LAPACKError.notFinite(routine: "LAPACKE_dgeev")) { try eigenvalues(m) }
    #expect(throws: LAPACKError.notFinite(routine: "LAPACKE_dgeev")) { try spectralRadius(m) }
    #expect(
      LAPACKError.notFinite(routine: "LAPACKE_dgeev").description
        == "LAPACKE_dgeev: the matrix must be finite, but it has a NaN or infinite entry")
  }

  /// The provider the package was built with (SWIFT_BLAS_RNN_BLAS, when the tests run in the
  /// same environment as the build) answers the runtime calls.
  @Test func blasRuntime() {
    let provider = ProcessInfo.processInfo.environment["SWIFT_BLAS_RNN_BLAS"] ?? "openblas"
    #expect(BLAS.configuration.hasPrefix(provider == "blis" ? "BLIS " : "OpenBLAS "), "\(BLAS.configuration)")
    if provider == "scipy-openblas" { #expect(OpenBLASVersion(configuration: BLAS.configuration)! >= .init(0, 3, 27)) }
    #expect(!BLAS.coreName.isEmpty && BLAS.coreName != "unknown")
    let before = BLAS.threadCount
    #expect(before >= 1)
    BLAS.threadCount = 1
    #expect(BLAS.threadCount == 1)
    BLAS.threadCount = before
  }
}
