import DenseMatrix
import Testing
import _TestSupport

/// `PackedMatrix` (the `.packed` backend's product) against BLAS on every vector path this CPU
/// runs: shapes that leave a partial last panel (m not a multiple of 14) and columns past the last
/// whole vector tile, strided operands, beta 0 (C's NaNs never read) and 1.
@Suite("Packed products")
struct PackedMatrixTests {
  static let shapes: [(m: Int, k: Int, n: Int)] = [
    (1, 1, 1), (14, 3, 16), (15, 7, 17), (40, 33, 32), (64, 64, 40), (97, 50, 9), (256, 64, 33), (30, 20, 27),
    (13, 5, 3), (50, 9, 61),
  ]

  @Test(arguments: scalarTypes, ActivationPath.supported)
  func packedProductsMatchBLAS(type: any BLASScalar.Type, path: ActivationPath) {
    func check<Scalar: BLASScalar>(_: Scalar.Type) {
      var rng = SeededGenerator(seed: 11)
      for (m, k, n) in Self.shapes {
        let w = Matrix<Scalar>.randomNormal(rows: m, columns: k, using: &rng)
        // h with a row stride wider than n, C with one wider than n: both strided.
        let h = Matrix<Scalar>.randomNormal(rows: k, columns: n + 3, using: &rng)
        let c0 = Matrix<Scalar>.randomNormal(rows: m, columns: n + 5, using: &rng)
        let packed = PackedMatrix(packing: w)
        for beta in [Scalar(0), 1] {
          var expected = c0
          var got = c0
          if beta == 0 {
            // Not read with beta 0: NaN in C must not survive.
            got = Matrix(rows: m, columns: n + 5, scalars: Array(repeating: .nan, count: m * (n + 5)))
          }
          expected.withUnsafeMutableBufferPointer { e in
            w.withUnsafeBufferPointer { a in
              h.withUnsafeBufferPointer { b in
                GEMMOperands(
                  m: m, n: n, k: k, a: a.baseAddress, lda: k, b: b.baseAddress, ldb: n + 3, beta: beta,
                  c: e.baseAddress!, ldc: n + 5
                ).run(.blas)
              }
            }
          }
          withActivationPath(path) {
            got.withUnsafeMutableBufferPointer { g in
              h.withUnsafeBufferPointer { b in
                packed.multiply(b.baseAddress!, ldh: n + 3, columns: n, beta: beta, into: g.baseAddress!, ldc: n + 5)
              }
            }
          }
          let tolerance = Scalar(Scalar.self == Float.self ? 1e-5 : 1e-13) * Scalar(k).squareRoot()
          let product = got[rows: 0..<m, columns: 0..<n]
          #expect(
            allclose(product, expected[rows: 0..<m, columns: 0..<n], rtol: tolerance, atol: tolerance),
            "\(Scalar.self) \(path) m \(m) k \(k) n \(n) beta \(beta)")
          // The columns past n are not touched.
          if beta == 1 {
            #expect(got[rows: 0..<m, columns: n..<(n + 5)] == c0[rows: 0..<m, columns: n..<(n + 5)])
          }
        }
      }
    }
    switch type {
    case is Float.Type: check(Float.self)
    default: check(Double.self)
    }
  }

  /// Every column count from 1 to past two tiles (whole tiles, one vector, a masked vector, and
  /// the blocks of columns below a vector): each column's result is the same, bit for bit,
  /// wherever it falls (every path sums over k in the same order), and matches BLAS.
  @Test(arguments: scalarTypes, ActivationPath.supported)
  func aColumnsResultDoesNotDependOnTheColumnCount(type: any BLASScalar.Type, path: ActivationPath) {
    func check<Scalar: BLASScalar>(_: Scalar.Type) {
      var rng = SeededGenerator(seed: 5)
      let (m, k, widest) = (27, 19, 70)
      let w = Matrix<Scalar>.randomNormal(rows: m, columns: k, using: &rng)
      let h = Matrix<Scalar>.randomNormal(rows: k, columns: widest, using: &rng)
      let packed = PackedMatrix(packing: w)
      func product(columns n: Int) -> Matrix<Scalar> {
        var c = Matrix<Scalar>(rows: m, columns: n, scalars: Array(repeating: .nan, count: m * n))
        withActivationPath(path) {
          c.withUnsafeMutableBufferPointer { c in
            h.withUnsafeBufferPointer { b in
              packed.multiply(b.baseAddress!, ldh: widest, columns: n, beta: 0, into: c.baseAddress!, ldc: n)
            }
          }
        }
        return c
      }
      let all = product(columns: widest)
      let tolerance = Scalar(Scalar.self == Float.self ? 1e-5 : 1e-13) * Scalar(k).squareRoot()
      #expect(allclose(all, matmul(w, h), rtol: tolerance, atol: tolerance), "\(Scalar.self) \(path)")
      for n in 1..<widest {
        let some = product(columns: n)
        #expect(some == all[rows: 0..<m, columns: 0..<n], "\(Scalar.self) \(path) n \(n)")
      }
    }
    switch type {
    case is Float.Type: check(Float.self)
    default: check(Double.self)
    }
  }

  /// The one-column layout (a batch of one): every shape above and partial groups of panels,
  /// `h` and `c` strided, beta 0 (C's NaNs never read) and 1, the rows' neighbours untouched.
  /// It sums as the panels' kernel does at n = 1, so the two agree bit for bit on every path, and
  /// both agree with BLAS to rounding.
  @Test(arguments: scalarTypes, ActivationPath.supported)
  func oneColumnLayoutMatchesThePanelsBitForBit(type: any BLASScalar.Type, path: ActivationPath) {
    func check<Scalar: BLASScalar>(_: Scalar.Type) {
      var rng = SeededGenerator(seed: 17)
      let shapes = Self.shapes.map { ($0.m, $0.k) } + [(16, 4), (17, 9), (64, 3), (65, 12), (130, 40), (300, 7)]
      for (m, k) in shapes {
        let w = Matrix<Scalar>.randomNormal(rows: m, columns: k, using: &rng)
        let h = Matrix<Scalar>.randomNormal(rows: k, columns: 3, using: &rng)  // column 0, stride 3
        let (vectors, panels) = (PackedMatrix(packingForVectors: w), PackedMatrix(packing: w))
        #expect(vectors.isForVectors && !panels.isForVectors)
        // C contiguous (whole panels stored as vectors) and with a stride of 2 (row by row).
        for (ldc, beta) in [(1, Scalar(0)), (1, 1), (2, 0), (2, 1)] {
          let c0 = Matrix<Scalar>.randomNormal(rows: m, columns: ldc, using: &rng)
          func run(_ packed: PackedMatrix<Scalar>) -> Matrix<Scalar> {
            var c = c0
            // Not read with beta 0: NaN in C's column must not survive.
            if beta == 0 { for r in 0..<m { c[r, 0] = .nan } }
            withActivationPath(path) {
              c.withUnsafeMutableBufferPointer { c in
                h.withUnsafeBufferPointer { h in
                  packed.multiply(h.baseAddress!, ldh: 3, columns: 1, beta: beta, into: c.baseAddress!, ldc: ldc)
                }
              }
            }
            return c
          }
          let (got, expected) = (run(vectors), run(panels))
          #expect(got == expected, "\(Scalar.self) \(path) m \(m) k \(k) ldc \(ldc) beta \(beta)")
          if ldc == 2 { #expect(got[rows: 0..<m, columns: 1..<2] == c0[rows: 0..<m, columns: 1..<2]) }
          var blas = c0[rows: 0..<m, columns: 0..<1]
          if beta == 0 {
            blas = matmul(w, h[rows: 0..<k, columns: 0..<1])
          } else {
            blas = blas + matmul(w, h[rows: 0..<k, columns: 0..<1])
          }
          let tolerance = Scalar(Scalar.self == Float.self ? 1e-5 : 1e-13) * Scalar(k).squareRoot()
          #expect(allclose(got[rows: 0..<m, columns: 0..<1], blas, rtol: tolerance, atol: tolerance))
        }
      }
    }
    switch type {
    case is Float.Type: check(Float.self)
    default: check(Double.self)
    }
  }
}
