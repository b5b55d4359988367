import DenseMatrix
import Testing
import _TestSupport

@Suite("allclose and isclose")
struct ApproximateEqualityTests {
  func close(_ a: Double, _ b: Double, rtol: Double = 1e-05, atol: Double = 1e-08, equalNaN: Bool = false) -> Bool {
    allclose(Matrix([[a]]), Matrix([[b]]), rtol: rtol, atol: atol, equalNaN: equalNaN)
  }

  @Test func numpyDefaults() {
    #expect(close(1, 1 + 1e-6))
    #expect(!close(1, 1 + 1e-4))
    #expect(close(0, 1e-8))
    #expect(!close(0, 2e-8))
  }

  @Test func asymmetricLikeNumpy() {
    // |a - b| <= atol + rtol·|b|: b is the reference.
    #expect(close(100, 111, rtol: 0.1, atol: 0))  // 11 <= 0.1 · 111
    #expect(!close(111, 100, rtol: 0.1, atol: 0))  // 11 >  0.1 · 100
  }

  @Test func infinities() {
    #expect(close(.infinity, .infinity))
    #expect(close(-.infinity, -.infinity))
    #expect(!close(.infinity, -.infinity))
    #expect(!close(.infinity, 1e308))
    #expect(!close(1e308, .infinity))
    #expect(!close(1, .infinity, rtol: .infinity))
  }

  @Test func nans() {
    #expect(!close(.nan, .nan))
    #expect(close(.nan, .nan, equalNaN: true))
    #expect(!close(.nan, 1, equalNaN: true))
    #expect(!close(1, .nan, equalNaN: true))
  }

  @Test func signedZerosAndSubnormals() {
    #expect(close(-0.0, 0.0, rtol: 0, atol: 0))
    let tiny = Double.leastNonzeroMagnitude
    #expect(close(tiny, 0, rtol: 0, atol: tiny))
    #expect(!close(tiny, 0, rtol: 0, atol: 0))
    #expect(close(tiny, 2 * tiny, rtol: 0.5, atol: 0))
  }

  @Test func iscloseIsElementwise() {
    let a = Matrix([[1, .nan, .infinity, 2]])
    let b = Matrix([[1 + 1e-9, .nan, .infinity, 3]])
    #expect(isclose(a, b) == Matrix([[1, 0, 1, 0]]))
    #expect(isclose(a, b, equalNaN: true) == Matrix([[1, 1, 1, 0]]))
  }

  @Test func differentShapesAreAnError() async {
    #expect(throws: ShapeError.self) {
      try allclose(checking: Matrix.ones(rows: 3, columns: 1), Matrix.ones(rows: 1, columns: 3))
    }
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = allclose(Matrix.ones(rows: 3, columns: 1), Matrix.ones(rows: 2, columns: 1))
    }
    #expect(standardError(of: result).contains("allclose: shapes differ: (3×1), (2×1)"))
  }

  @Test func equalityIsExact() {
    #expect(Matrix([[0.1 + 0.2]]) != Matrix([[0.3]]))
    #expect(Matrix([[-0.0]]) == Matrix([[0.0]]))
    #expect(Matrix([[.nan]]) != Matrix([[.nan]]))
  }
}
