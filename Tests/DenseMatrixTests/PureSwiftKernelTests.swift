import DenseMatrix
import Testing
import _TestSupport

/// The fast pure-Swift kernels against the plain triple loop they replaced (kept as the oracle),
/// at the shapes where blocked code goes wrong: block edges, vectors, primes, transposes.
@Suite("Pure-Swift kernels")
struct PureSwiftKernelTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var m: Int, n: Int, k: Int
    var transposeA: Bool, transposeB: Bool
    var alpha: Double, beta: Double
    var testDescription: String { "(\(m)×\(k))·(\(k)×\(n)) tA=\(transposeA) tB=\(transposeB) α=\(alpha) β=\(beta)" }
  }

  static let cases: [Case] = {
    // m crosses the 6-row register block and the 96-row cache block; n the 4-column register
    // block (and, once, the 2048-column cache block); k the 256-deep cache block.
    let shapes = [
      (1, 1, 1), (1, 13, 7), (13, 1, 7), (6, 4, 1), (7, 5, 3), (97, 5, 257), (5, 97, 300), (96, 8, 256),
      (101, 103, 107), (3, 2051, 9), (1, 300, 259), (300, 1, 259), (2, 3, 513),
    ]
    var cases: [Case] = []
    var i = 0
    for (m, n, k) in shapes {
      for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
        let scalars: [(Double, Double)] = [(1, 0), (-0.5, 1), (2, -3)]
        let (alpha, beta) = scalars[i % scalars.count]
        cases.append(Case(m: m, n: n, k: k, transposeA: tA, transposeB: tB, alpha: alpha, beta: beta))
        i += 1
      }
    }
    return cases
  }()

  @Test(arguments: scalarTypes, cases)
  func matchesTheReferenceLoop(type: any BLASScalar.Type, _ t: Case) {
    check(type, t)
  }

  /// Double: rtol 1e-12, atol 1e-13·k (as before the generic core); Float: the reduction tolerance
  /// (different summation orders, both in Float).
  private func check<S: BLASScalar>(_: S.Type, _ t: Case) {
    var rng = SeededGenerator(seed: UInt64(t.m * 10_000 + t.n * 100 + t.k))
    let a = Matrix<S>.randomNormal(rows: t.transposeA ? t.k : t.m, columns: t.transposeA ? t.m : t.k, using: &rng)
    let b = Matrix<S>.randomNormal(rows: t.transposeB ? t.n : t.k, columns: t.transposeB ? t.k : t.n, using: &rng)
    let c0 = Matrix<S>.randomNormal(rows: t.m, columns: t.n, using: &rng)
    func product(reference: Bool) -> Matrix<S> {
      var c = c0
      a.withUnsafeBufferPointer { a_ in
        b.withUnsafeBufferPointer { b_ in
          c.withUnsafeMutableBufferPointer { c_ in
            let operands = GEMMOperands(
              transposeA: t.transposeA, transposeB: t.transposeB, m: t.m, n: t.n, k: t.k, alpha: S(t.alpha),
              a: a_.baseAddress, lda: a.columns, b: b_.baseAddress, ldb: b.columns, beta: S(t.beta),
              c: c_.baseAddress, ldc: t.n)
            if reference { operands.runReference() } else { operands.run(.pureSwift) }
          }
        }
      }
      return c
    }
    let (rtol, atol) = (reductionTolerance(S.self, length: t.k), 4 * reductionTolerance(S.self, length: t.k))
    #expect(allclose(product(reference: false), product(reference: true), rtol: rtol, atol: atol), "\(S.self)")
  }

  @Test func stridedOperandsInsideLargerBuffers() {
    // op(B) a column taken from inside a wider matrix (ldb > n), C a block of a wider matrix.
    var rng = SeededGenerator(seed: 99)
    let a = Matrix.randomNormal(rows: 9, columns: 11, using: &rng)
    let wide = Matrix.randomNormal(rows: 11, columns: 5, using: &rng)
    var out = Matrix.full(rows: 9, columns: 3, value: .nan)
    a.withUnsafeBufferPointer { a_ in
      wide.withUnsafeBufferPointer { b_ in
        out.withUnsafeMutableBufferPointer { c_ in
          GEMMOperands(
            m: 9, n: 1, k: 11, a: a_.baseAddress, lda: 11, b: b_.baseAddress! + 2, ldb: 5, c: c_.baseAddress! + 1,
            ldc: 3
          )
          .run(.pureSwift)
        }
      }
    }
    let column = Matrix(rows: 11, columns: 1) { r, _ in wide[r, 2] }
    let expected = matmul(a, column, backend: .blas)
    for r in 0..<9 {
      #expect(abs(out[r, 1] - expected[r, 0]) < 1e-13)
      #expect(out[r, 0].isNaN && out[r, 2].isNaN, "columns outside the block are untouched")
    }
  }
}
