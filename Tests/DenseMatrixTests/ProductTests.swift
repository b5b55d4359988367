import DenseMatrix
import Testing
import _TestSupport

@Suite("Products")
struct ProductTests {
  /// One random product problem: shapes (some empty, some vectors), flags and scalars.
  struct Case: CustomTestStringConvertible, Sendable {
    var seed: UInt64
    var m: Int, n: Int, k: Int
    var transposeA: Bool, transposeB: Bool
    var alpha: Double, beta: Double
    var testDescription: String {
      "seed \(seed): (\(m)×\(k))·(\(k)×\(n)) tA=\(transposeA) tB=\(transposeB) α=\(alpha) β=\(beta)"
    }

    static func make(_ seed: UInt64) -> Case {
      var rng = SeededGenerator(seed: seed)
      let dims = [0, 1, 1, 2, 3, 5, 7, 13, 16, 31, 64, 67]
      return Case(
        seed: seed, m: dims.randomElement(using: &rng)!, n: dims.randomElement(using: &rng)!,
        k: dims.randomElement(using: &rng)!, transposeA: Bool.random(using: &rng),
        transposeB: Bool.random(using: &rng), alpha: [1, -1, 0.5, 0, 2.25].randomElement(using: &rng)!,
        beta: [0, 1, -0.5, 3].randomElement(using: &rng)!)
    }
  }

  static let cases = (0..<60).map { Case.make(UInt64($0)) }

  @Test(arguments: scalarTypes, cases)
  func backendsAgree(type: any BLASScalar.Type, _ t: Case) {
    agree(type, t)
  }

  /// Every backend against the definition summed in `Double` (exact to 1e-13 here): Double
  /// results within 1e-12 (as before the generic core); Float within 8·ε·√(k+1), with atol scaled
  /// by the magnitude of the terms (k + 1 products of standard normals).
  private func agree<S: BLASScalar>(_: S.Type, _ t: Case) {
    var rng = SeededGenerator(seed: t.seed &+ 1000)
    let a =
      t.transposeA
      ? Matrix<S>.randomNormal(rows: t.k, columns: t.m, using: &rng)
      : Matrix<S>.randomNormal(rows: t.m, columns: t.k, using: &rng)
    let b =
      t.transposeB
      ? Matrix<S>.randomNormal(rows: t.n, columns: t.k, using: &rng)
      : Matrix<S>.randomNormal(rows: t.k, columns: t.n, using: &rng)
    let c0 = Matrix<S>.randomNormal(rows: t.m, columns: t.n, using: &rng)
    // The definition, written out with transposed() so it shares no code with the backends.
    let opA = t.transposeA ? a.transposed() : a
    let opB = t.transposeB ? b.transposed() : b
    var expected = Matrix<Double>.zeros(rows: t.m, columns: t.n)
    for i in 0..<t.m {
      for j in 0..<t.n {
        var sum = 0.0
        for p in 0..<t.k { sum += Double(opA[i, p]) * Double(opB[p, j]) }
        expected[i, j] = t.alpha * sum + (t.beta == 0 ? 0 : t.beta * Double(c0[i, j]))
      }
    }
    let rtol = Double(reductionTolerance(S.self, length: t.k + 1))
    let atol = rtol * Double(t.k + 1).squareRoot()
    for backend in Backend.allCases {
      var c = c0
      gemm(
        a, b, into: &c, transposeA: t.transposeA, transposeB: t.transposeB, alpha: S(t.alpha), beta: S(t.beta),
        backend: backend)
      #expect(allclose(Matrix<Double>(converting: c), expected, rtol: rtol, atol: atol), "\(S.self) \(backend)")
    }
    if !t.transposeA && !t.transposeB {
      let viaMatmul = Matrix<Double>(converting: matmul(a, b))
      let viaSwift = Matrix<Double>(converting: matmul(a, b, backend: .pureSwift))
      #expect(allclose(viaMatmul, viaSwift, rtol: rtol, atol: atol))
    }
  }

  @Test(arguments: Backend.allCases)
  func betaZeroOverwritesNaN(backend: Backend) {
    for (m, n) in [(3, 1), (1, 3), (3, 4)] {
      let a = Matrix.ones(rows: m, columns: 2)
      let b = Matrix.ones(rows: 2, columns: n)
      var c = Matrix.full(rows: m, columns: n, value: .nan)
      gemm(a, b, into: &c, backend: backend)
      #expect(c == Matrix.full(rows: m, columns: n, value: 2), "\(backend) (\(m)×\(n))")
      var d = Matrix.full(rows: m, columns: n, value: .nan)
      gemm(Matrix.zeros(rows: m, columns: 0), Matrix.zeros(rows: 0, columns: n), into: &d, backend: backend)
      #expect(d == Matrix.zeros(rows: m, columns: n))
    }
  }

  @Test func accumulatesWithBetaOne() {
    let a = Matrix([[1, 2], [3, 4]])
    var c = Matrix.identity(2)
    gemm(a, a, into: &c, beta: 1)
    #expect(c == Matrix([[8, 10], [15, 23]]))
    gemm(a, a, into: &c, transposeA: true, alpha: 0.5, beta: 1)  // + 0.5·AᵀA = [[5, 7], [7, 10]]
    #expect(c == Matrix([[13, 17], [22, 33]]))
  }

  @Test func gemmDoesNotDisturbAnAliasedOperand() {
    var c = Matrix([[1, 2], [3, 4]])
    let original = c
    gemm(c, c, into: &c)
    #expect(c == Matrix([[7, 10], [15, 22]]))
    #expect(original == Matrix([[1, 2], [3, 4]]))
  }

  @Test func scopedBackend() {
    #expect(Backend.current == .blas)
    withBackend(.pureSwift) { #expect(Backend.current == .pureSwift) }
    #expect(Backend.current == .blas)
  }

  @Test func checkingVariantsThrow() {
    let a = Matrix.ones(rows: 3, columns: 5)
    let b = Matrix.ones(rows: 4, columns: 1)
    #expect(
      throws: ShapeError(
        operation: "matmul", reason: "inner dimensions differ", shapes: [a.shape, b.shape], separator: " · ")
    ) {
      try matmul(checking: a, b)
    }
    #expect((try? matmul(checking: a, Matrix.ones(rows: 5, columns: 1))) == Matrix.full(rows: 3, columns: 1, value: 5))
    var c = Matrix.full(rows: 2, columns: 1, value: 42)
    #expect(throws: ShapeError.self) { try gemm(checking: a, Matrix.ones(rows: 5, columns: 1), into: &c) }
    #expect(c == Matrix.full(rows: 2, columns: 1, value: 42), "a refused gemm leaves the output alone")
  }

  @Test func matmulMismatchTrapsNamingBothShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = matmul(Matrix.ones(rows: 3, columns: 5), Matrix.ones(rows: 4, columns: 1))
    }
    let stderr = standardError(of: result)
    #expect(stderr.contains("matmul: inner dimensions differ: (3×5) · (4×1)"))
  }

  @Test func gemmOutputMismatchTraps() async {
    await #expect(processExitsWith: .failure) {
      var c = Matrix.zeros(rows: 2, columns: 1)
      gemm(Matrix.ones(rows: 3, columns: 5), Matrix.ones(rows: 5, columns: 1), into: &c)
    }
  }
}
