import BLASDiagnostics
import DenseMatrix
import Foundation
import Testing
import _TestSupport

@Suite("LAPACK and the BLAS runtime")
struct SolveAndBLASTests {
  @Test(arguments: scalarTypes)
  func solvesALinearSystem(type: any BLASScalar.Type) throws {
    try solves(type)
  }

  /// `?gesv` for the type: within 64 ulp of the exact solution (a 2 × 2 system of condition ≈ 2.6).
  private func solves<S: BLASScalar>(_: S.Type) throws {
    let a = Matrix<S>([[3, 1], [1, 2]])
    let b = Matrix<S>([[9, 1], [8, 0]])
    let x = try solve(a, b)
    let tolerance = 64 * S.ulpOfOne
    #expect(allclose(x, Matrix<S>([[2, 0.4], [3, -0.2]]), rtol: tolerance, atol: tolerance))
    #expect(allclose(matmul(a, x), b, rtol: tolerance, atol: tolerance))
    #expect(throws: LAPACKError.singular(routine: "LAPACKE_\(S.routinePrefix)gesv", info: 2)) {
      try solve(Matrix<S>([[1, 2], [2, 4]]), Matrix<S>(column: [1, 2]))
    }
    // Singular values and eigenvalues of a symmetric matrix with known spectrum {1, 3}.
    let sym = Matrix<S>([[2, 1], [1, 2]])
    let values = try singularValues(sym)
    #expect(abs(values[0] - 3) <= tolerance * 3 && abs(values[1] - 1) <= tolerance * 3, "\(values)")
    let eigen = try eigenvalues(sym).map(\.real).sorted()
    #expect(abs(eigen[0] - 1) <= tolerance * 3 && abs(eigen[1] - 3) <= tolerance * 3, "\(eigen)")
    var rng = SeededGenerator(seed: 11)
    let q = try Matrix<S>.randomOrthogonal(12, using: &rng)
    #expect(allclose(matmul(q.transposed(), q), Matrix<S>.identity(12), rtol: 0, atol: 64 * S.ulpOfOne))
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
