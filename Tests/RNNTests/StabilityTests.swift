import DenseMatrix
import RNN
import Testing
import _TestSupport

@Suite("Orthogonal initialisation and spectra")
struct StabilityTests {
  @Test(arguments: scalarTypes, [1, 2, 17, 64])
  func orthogonalIsOrthogonal(type: any BLASScalar.Type, n: Int) throws {
    try orthogonal(type, n)
  }

  /// Qᵀ·Q = I and every singular value 1, within 1e-12 for Double (as before) and 64·ε·√n for
  /// Float (sgeqrf/sorgqr's Householder reflections each round at ε).
  private func orthogonal<S: BLASScalar>(_: S.Type, _ n: Int) throws {
    var rng = SeededGenerator(seed: UInt64(n))
    let q = try Matrix<S>.randomOrthogonal(n, using: &rng)
    var qtq = Matrix<S>.zeros(rows: n, columns: n)
    gemm(q, q, into: &qtq, transposeA: true)
    let tolerance: S = 8 * reductionTolerance(S.self, length: n)
    #expect(allclose(qtq, .identity(n), rtol: 0, atol: tolerance))
    let sigma = try singularValues(q)
    #expect(sigma.allSatisfy { abs($0 - 1) < tolerance })
    var again = SeededGenerator(seed: UInt64(n))
    #expect(try Matrix<S>.randomOrthogonal(n, using: &again) == q, "reproducible for a seed")
  }

  @Test func signFixMakesRDiagonalPositive() throws {
    // Q from the sign fix satisfies A = Q·R with diag(R) > 0, i.e. diag(Qᵀ·A) > 0.
    var rng = SeededGenerator(seed: 3)
    let a = Matrix.randomNormal(rows: 12, columns: 12, using: &rng)
    var rng2 = SeededGenerator(seed: 3)
    let q = try Matrix.randomOrthogonal(12, using: &rng2)
    var r = Matrix.zeros(rows: 12, columns: 12)
    gemm(q, a, into: &r, transposeA: true)
    for i in 0..<12 { #expect(r[i, i] > 0) }
  }

  @Test func spectraMatchNumpy() throws {
    try #require(NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason))
    var rng = SeededGenerator(seed: 11)
    let cell = try RNNCell.random(hiddenSize: 40, inputSize: 5, gain: 0.9, using: &rng)
    let w = Matrix.randomNormal(rows: 30, columns: 30, standardDeviation: 0.2, using: &rng)
    let rect = Matrix.randomNormal(rows: 7, columns: 12, using: &rng)
    let out = try NumPy.run(
      """
      out['sv'] = np.linalg.svd(inp['w'], compute_uv=False)
      out['rho'] = np.max(np.abs(np.linalg.eigvals(inp['w'])))
      out['svr'] = np.linalg.svd(inp['r'], compute_uv=False)
      out['rhoc'] = np.max(np.abs(np.linalg.eigvals(inp['c'])))
      """, inputs: ["w": w, "r": rect, "c": cell.recurrentWeights])
    #expect(allclose(Matrix(column: try singularValues(w)), out["sv"]!, rtol: 1e-12, atol: 1e-13))
    #expect(allclose(Matrix(column: try singularValues(rect)), out["svr"]!, rtol: 1e-12, atol: 1e-13))
    #expect(abs(try spectralRadius(w) - out["rho"]![0, 0]) < 1e-12)
    #expect(abs(try cell.recurrentSpectralRadius() - out["rhoc"]![0, 0]) < 1e-12)
    #expect(try cell.recurrentSingularValues().allSatisfy { abs($0 - 0.9) < 1e-12 })
  }

  @Test func eigenvaluesOfANonSquareMatrixIsAnError() throws {
    #expect(throws: LAPACKError.self) { try spectralRadius(.ones(rows: 2, columns: 3)) }
    #expect(abs(try spectralRadius(Matrix([[0, -2], [2, 0]])) - 2) < 1e-14)
  }
}
