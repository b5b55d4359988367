import DenseMatrix
import Foundation
import Testing
import _TestSupport

/// Broadcasting arithmetic, elementwise functions, dot and norms against numpy, in both element
/// types: random shapes with 0 and 1 dimensions, both operand orders, NaN, ±inf and -0.
@Suite("Broadcasting and elementwise functions")
struct BroadcastingTests {
  /// Equal shapes and, element by element, both NaN or bit for bit equal (-0 and 0 differ).
  static func identical(_ a: Matrix<Double>, _ b: Matrix<Double>?) -> Bool {
    guard let b, a.shape == b.shape else { return false }
    return zip(a.scalars, b.scalars).allSatisfy { ($0.isNaN && $1.isNaN) || $0.bitPattern == $1.bitPattern }
  }

  static func operand<S: BLASScalar>(_ rows: Int, _ columns: Int, _ rng: inout SeededGenerator) -> Matrix<S> {
    Matrix<S>.randomNormal(rows: rows, columns: columns, using: &rng)
      .withSpecials([.nan, .infinity, -.infinity, -0.0, 0], count: 2, using: &rng)
  }

  /// Every pair of shapes that broadcast in 2-D, from a random m × n: m×n, m×1, 1×n, 1×1, with
  /// m, n drawn from {0, 1, 3, 5}.
  @Test(
    .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)), arguments: scalarTypes, 0..<6)
  func arithmeticMatchesNumpy(type: any BLASScalar.Type, seed: Int) throws {
    try arithmetic(type, seed: seed)
  }

  private func arithmetic<S: BLASScalar>(_: S.Type, seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(300 + seed))
    let (m, n) = ([0, 1, 3, 5].randomElement(using: &rng)!, [0, 1, 3, 5].randomElement(using: &rng)!)
    let shapes = [(m, n), (m, 1), (1, n), (1, 1)]
    var pairs: [(Matrix<S>, Matrix<S>)] = []
    for (ar, ac) in shapes {
      for (br, bc) in shapes { pairs.append((Self.operand(ar, ac, &rng), Self.operand(br, bc, &rng))) }
    }
    let wide = { (x: Matrix<S>) in Matrix<Double>(converting: x) }
    var inputs: [String: Matrix<Double>] = [:]
    for (i, (a, b)) in pairs.enumerated() { (inputs["a\(i)"], inputs["b\(i)"]) = (wide(a), wide(b)) }
    // One python run for all 16 pairs.
    let out = try NumPy.run(
      """
      import warnings
      warnings.simplefilter('ignore')
      for i in range(\(pairs.count)):
          a, b = inp[f'a{i}'].astype('\(S.dtypeName)'), inp[f'b{i}'].astype('\(S.dtypeName)')
          out[f'add{i}'], out[f'sub{i}'], out[f'mul{i}'], out[f'div{i}'] = a + b, a - b, a * b, a / b
          out[f'shape{i}'] = np.array(np.broadcast_shapes(a.shape, b.shape), dtype=float)
      """, inputs: inputs)
    for (i, (a, b)) in pairs.enumerated() {
      let label = "\(S.self) \(a.shape.compact) with \(b.shape.compact)"
      // numpy's 1-D or 0-D results come back as columns: compare with the shape it reports.
      let shape = out["shape\(i)"]!.scalars.map { Int($0) }
      #expect(Matrix<S>.broadcastShape(a.shape, b.shape) == Shape(rows: shape[0], columns: shape[1]), "\(label)")
      func check(_ ours: Matrix<S>, _ key: String) {
        let theirs = out["\(key)\(i)"]!.reshaped(rows: shape[0], columns: shape[1])
        #expect(Self.identical(wide(ours), theirs), "\(label): \(key)")
      }
      check(a + b, "add")
      check(a - b, "sub")
      check(a * b, "mul")
      check(a / b, "div")
      check(try a.adding(checking: b), "add")
      check(try b.multiplying(checking: a), "mul")
      if Matrix<S>.broadcastShape(a.shape, b.shape) == a.shape {
        var c = a
        c -= b
        check(c, "sub")
        c = a
        c /= b
        check(c, "div")
      }
    }
  }

  @Test(.enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)), arguments: scalarTypes)
  func functionsDotAndNormsMatchNumpy(type: any BLASScalar.Type) throws {
    try functions(type)
  }

  private func functions<S: BLASScalar>(_: S.Type) throws {
    var rng = SeededGenerator(seed: 41)
    var x = Matrix<S>.randomNormal(rows: 7, columns: 9, standardDeviation: 3, using: &rng)
    for (i, special) in [S.nan, .infinity, -.infinity, -0.0, 0, 1e-30, -5].enumerated() { x[i, i] = special }
    let v = Matrix<S>.randomNormal(rows: 30, columns: 1, using: &rng)
    let w = Matrix<S>.randomNormal(rows: 1, columns: 30, using: &rng)
    let y = Matrix<S>.randomNormal(rows: 9, columns: 4, using: &rng)
    let wide = { (m: Matrix<S>) in Matrix<Double>(converting: m) }
    let out = try NumPy.run(
      """
      import warnings
      warnings.simplefilter('ignore')
      t = '\(S.dtypeName)'
      x, v, w, y = (inp[k].astype(t) for k in 'xvwy')
      out['abs'], out['clip'], out['clip_inverted'] = np.abs(x), np.clip(x, -1.5, 2.5), np.clip(x, 2, 1)
      out['sqrt'], out['exp'], out['log'] = np.sqrt(x), np.exp(x), np.log(x)
      out['dot'] = np.dot(v.ravel(), w.ravel()).astype(np.float64)
      out['norm'] = np.linalg.norm(y.astype(np.float64))
      out['norm2'] = np.linalg.norm(y.astype(np.float64), 2)
      """, inputs: ["x": wide(x), "v": wide(v), "w": wide(w), "y": wide(y)])
    // Exact: abs, clip, sqrt (correctly rounded in IEEE arithmetic).
    #expect(Self.identical(wide(x.abs()), out["abs"]))
    #expect(Self.identical(wide(x.clipped(min: -1.5, max: 2.5)), out["clip"]))
    #expect(Self.identical(wide(x.clipped(min: 2, max: 1)), out["clip_inverted"]))
    #expect(Self.identical(wide(x.sqrt()), out["sqrt"]))
    // exp and log: the C library's against numpy's (SIMD) implementations, within 2 ulp of the type.
    for (ours, key) in [(x.exp(), "exp"), (x.log(), "log")] {
      for (got, want) in zip(ours.scalars, out[key]!.scalars) {
        let expected = S(want)
        let close =
          (got.isNaN && expected.isNaN) || got == expected
          || Swift.abs(got - expected) <= 2 * expected.ulp
        #expect(close, "\(S.self) \(key): \(got) vs \(expected)")
      }
    }
    // dot and norms: sdot/ddot, snrm2/dnrm2 and sgesdd/dgesdd against float64, within the
    // reduction tolerance of their lengths.
    let dotTolerance = Double(reductionTolerance(S.self, length: 30)) * 30
    #expect(Swift.abs(Double(dot(v, w)) - out["dot"]![0, 0]) <= dotTolerance)
    let normTolerance = Double(reductionTolerance(S.self, length: 36)) * out["norm"]![0, 0]
    #expect(Swift.abs(Double(y.norm()) - out["norm"]![0, 0]) <= normTolerance)
    #expect(
      Swift.abs(Double(try y.spectralNorm()) - out["norm2"]![0, 0]) <= 64 * Double(S.ulpOfOne) * out["norm2"]![0, 0])
    #expect(
      Matrix<S>.zeros(rows: 0, columns: 3).norm() == 0
        && dot(Matrix<S>.zeros(rows: 0, columns: 1), .zeros(rows: 1, columns: 0)) == 0)
    // nrm2 scales: no overflow where the result is representable.
    let huge = Matrix<S>.full(rows: 2, columns: 1, value: S.greatestFiniteMagnitude / 2)
    #expect(huge.norm().isFinite)
  }
}
