import DenseMatrix
import Testing
import _TestSupport

/// Slices (copies) and views (in place): products on views against the same products on copies,
/// with every transpose and offset, in both types; value semantics of writes through views.
@Suite("Slices and views")
struct ViewTests {
  @Test func slicesTakeEverySwiftRangeForm() {
    let m = Matrix(rows: 4, columns: 5) { r, c in Double(10 * r + c) }
    #expect(m[rows: 1..<3, columns: 2..<5] == Matrix([[12, 13, 14], [22, 23, 24]]))
    #expect(m[rows: 1...2, columns: ..<2] == Matrix([[10, 11], [20, 21]]))
    #expect(m[rows: 3..., columns: 4...] == Matrix([[34]]))
    #expect(m[rows: 0..<0, columns: 0..<5].shape == Shape(rows: 0, columns: 5))
    #expect(m[rows: 0..<4, columns: 0..<5] == m)
    #expect(m[rows: ..., columns: 3...] == Matrix([[3, 4], [13, 14], [23, 24], [33, 34]]))
    #expect(m[rows: 2..<3, columns: ...] == Matrix([[20, 21, 22, 23, 24]]))
  }

  @Test func outOfRangeSlicesTrapNamingTheRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix.zeros(rows: 4, columns: 5)[rows: 1..<7, columns: 0..<2]
    }
    #expect(standardError(of: result).contains("Matrix view: rows 1..<7 out of bounds for shape (4×5)"))
    await #expect(processExitsWith: .failure) { _ = Matrix.zeros(rows: 4, columns: 5)[rows: 0..<1, columns: 3...5] }
    let index = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix.zeros(rows: 4, columns: 5).withView(rows: 1..<3, columns: 1..<3) { $0[2, 0] }
    }
    #expect(standardError(of: index).contains("MatrixView index (2, 0) out of bounds for shape (2×2)"))
    let blocks = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Matrix.zeros(rows: 2, columns: 6).forEachColumnBlock(width: 4) { _, _ in }
    }
    #expect(standardError(of: blocks).contains("forEachColumnBlock: width 4 must be positive and divide the 6 columns"))
  }

  /// m × k and k × n blocks taken at offsets inside larger parents, every transpose, products into
  /// a block of a third matrix: the same as the product of the copies, on every backend.
  @Test(arguments: scalarTypes, [(false, false), (true, false), (false, true), (true, true)])
  func productsOnViewsEqualProductsOnCopies(type: any BLASScalar.Type, transposes: (Bool, Bool)) {
    for (m, n, k) in [(5, 3, 4), (1, 7, 6), (6, 1, 5), (9, 8, 1), (0, 3, 2), (33, 17, 29)] {
      checkViews(type, m, n, k, transposes.0, transposes.1)
    }
  }

  private func checkViews<S: BLASScalar>(_: S.Type, _ m: Int, _ n: Int, _ k: Int, _ tA: Bool, _ tB: Bool) {
    var rng = SeededGenerator(seed: UInt64(m * 100 + n * 10 + k))
    let (ar, ac) = tA ? (k, m) : (m, k)
    let (br, bc) = tB ? (n, k) : (k, n)
    let parentA = Matrix<S>.randomNormal(rows: ar + 3, columns: ac + 4, using: &rng)
    let parentB = Matrix<S>.randomNormal(rows: br + 2, columns: bc + 5, using: &rng)
    let c0 = Matrix<S>.randomNormal(rows: m + 1, columns: n + 3, using: &rng)
    let a = parentA[rows: 2..<(2 + ar), columns: 1..<(1 + ac)]
    let b = parentB[rows: 1..<(1 + br), columns: 3..<(3 + bc)]
    for backend in Backend.allCases {
      // Copies first.
      var expected = c0[rows: 1..<(1 + m), columns: 2..<(2 + n)]
      gemm(a, b, into: &expected, transposeA: tA, transposeB: tB, alpha: 1.5, beta: -0.5, backend: backend)
      // Views: A and B in place, C a block of c.
      var c = c0
      parentA.withView(rows: 2..<(2 + ar), columns: 1..<(1 + ac)) { va in
        parentB.withView(rows: 1..<(1 + br), columns: 3..<(3 + bc)) { vb in
          c.withMutableView(rows: 1..<(1 + m), columns: 2..<(2 + n)) { vc in
            gemm(va, vb, into: vc, transposeA: tA, transposeB: tB, alpha: 1.5, beta: -0.5, backend: backend)
          }
        }
      }
      let label = "\(S.self) \(backend) (\(m)×\(k))·(\(k)×\(n)) tA=\(tA) tB=\(tB)"
      // Not bit for bit: BLAS may sum in another order when the leading dimension (alignment)
      // differs; within the reduction tolerance of k (values of order √k).
      let tolerance = 4 * reductionTolerance(S.self, length: k + 1) * S(k + 1).squareRoot()
      #expect(
        allclose(c[rows: 1..<(1 + m), columns: 2..<(2 + n)], expected, rtol: tolerance, atol: tolerance), "\(label)")
      // Outside the block, c is unchanged.
      var outside = c
      outside.withMutableView(rows: 1..<(1 + m), columns: 2..<(2 + n)) {
        $0.assign(c0[rows: 1..<(1 + m), columns: 2..<(2 + n)])
      }
      #expect(outside == c0, "\(label): wrote outside the block")
      if !tA && !tB {
        let product = parentA.withView(rows: 2..<(2 + ar), columns: 1..<(1 + ac)) { va in
          parentB.withView(rows: 1..<(1 + br), columns: 3..<(3 + bc)) { vb in matmul(va, vb, backend: backend) }
        }
        #expect(allclose(product, matmul(a, b, backend: backend), rtol: tolerance, atol: tolerance), "\(label): matmul")
      }
    }
  }

  @Test func writesThroughAViewKeepValueSemantics() {
    let original = Matrix.zeros(rows: 3, columns: 3)
    var edited = original  // shares storage until written
    edited.withMutableView(rows: 1..<3, columns: 1..<3) { view in
      view[0, 0] = 5
      view.assign(Matrix([[1, 2], [3, 4]]))
    }
    #expect(original == Matrix.zeros(rows: 3, columns: 3), "the copy that shared storage is untouched")
    #expect(edited == Matrix([[0, 0, 0], [0, 1, 2], [0, 3, 4]]))
  }

  @Test func columnBlocksWalkAHoistedForwardsSteps() {
    var rng = SeededGenerator(seed: 8)
    let steps = (0..<4).map { _ in Matrix.randomNormal(rows: 3, columns: 2, using: &rng) }
    let states = hstack(steps)
    var seen = 0
    states.forEachColumnBlock(width: 2) { t, block in
      #expect(block.copy() == steps[t])
      #expect(block.rowStride == 8 && block[2, 1] == steps[t][2, 1])
      seen += 1
    }
    #expect(seen == 4)
  }
}
