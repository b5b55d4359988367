import DenseMatrix
import Testing
import _TestSupport

/// The same operations done by numpy on the same data.
@Suite("numpy as oracle", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct NumPyOracleTests {
  /// float32 stacking and products against numpy's float64 on the same (float32) numbers, within
  /// the reduction tolerance of length n_h + n_x.
  @Test(arguments: 0..<4)
  func float32StackingAndProducts(seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(100 + seed))
    let (nh, nx) = (Int.random(in: 1...40, using: &rng), Int.random(in: 1...40, using: &rng))
    let batch = [1, 3, 8].randomElement(using: &rng)!
    let whh = Matrix<Float>.randomNormal(rows: nh, columns: nh, using: &rng)
    let whx = Matrix<Float>.randomNormal(rows: nh, columns: nx, using: &rng)
    let h = Matrix<Float>.randomNormal(rows: nh, columns: batch, using: &rng)
    let x = Matrix<Float>.randomNormal(rows: nx, columns: batch, using: &rng)
    let wide = { (m: Matrix<Float>) in Matrix<Double>(converting: m) }
    let out = try NumPy.run(
      "out['f'] = np.hstack((inp['whh'], inp['whx'])) @ np.vstack((inp['h'], inp['x']))",
      inputs: ["whh": wide(whh), "whx": wide(whx), "h": wide(h), "x": wide(x)])
    let tolerance = Double(reductionTolerance(Float.self, length: nh + nx)) * Double(nh + nx).squareRoot()
    for backend in Backend.allCases {
      let fused = matmul(hstack([whh, whx]), vstack([h, x]), backend: backend)
      let split = matmul(whh, h, backend: backend) + matmul(whx, x, backend: backend)
      #expect(allclose(wide(fused), out["f"]!, rtol: tolerance, atol: tolerance), "\(backend)")
      #expect(allclose(wide(split), out["f"]!, rtol: tolerance, atol: tolerance), "\(backend)")
    }
  }

  @Test(arguments: 0..<8)
  func stackingAndProducts(seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(seed))
    let nh = Int.random(in: 1...40, using: &rng)
    let nx = Int.random(in: 1...40, using: &rng)
    let batch = [1, 3, 8].randomElement(using: &rng)!
    let whh = Matrix.randomNormal(rows: nh, columns: nh, using: &rng)
    let whx = Matrix.randomNormal(rows: nh, columns: nx, using: &rng)
    let h = Matrix.randomNormal(rows: nh, columns: batch, using: &rng)
    let x = Matrix.randomNormal(rows: nx, columns: batch, using: &rng)
    let out = try NumPy.run(
      """
      out['wh'] = np.hstack((inp['whh'], inp['whx']))
      out['hx'] = np.concatenate((inp['h'], inp['x']), axis=0)
      out['f1'] = np.matmul(out['wh'], out['hx'])
      out['f2'] = inp['whh'] @ inp['h'] + inp['whx'] @ inp['x']
      out['same'] = float(np.allclose(out['f1'], out['f2']))
      """, inputs: ["whh": whh, "whx": whx, "h": h, "x": x])
    let wh = hstack([whh, whx])
    let hx = concatenate([h, x], axis: -2)
    #expect(wh == out["wh"])
    #expect(hx == out["hx"])
    for backend in Backend.allCases {
      let f1 = matmul(wh, hx, backend: backend)
      let f2 = matmul(whh, h, backend: backend) + matmul(whx, x, backend: backend)
      #expect(allclose(f1, out["f1"]!, rtol: 1e-12, atol: 1e-12), "\(backend)")
      #expect(allclose(f2, out["f2"]!, rtol: 1e-12, atol: 1e-12), "\(backend)")
      #expect(allclose(f1, f2) == (out["same"]![0, 0] == 1))
    }
  }

  @Test func allcloseMatchesNumpyOnEdgeCases() throws {
    let values: [Double] = [
      0, -0.0, 1, -1, 1e-8, 2e-8, 1 + 1e-5, 1e300, .infinity, -.infinity, .nan, .leastNonzeroMagnitude,
      .leastNormalMagnitude / 3,
    ]
    let a = Matrix(rows: 1, columns: values.count * values.count) { _, i in values[i / values.count] }
    let b = Matrix(rows: 1, columns: values.count * values.count) { _, i in values[i % values.count] }
    let out = try NumPy.run(
      """
      out['c'] = np.isclose(inp['a'], inp['b']).astype(float)
      out['n'] = np.isclose(inp['a'], inp['b'], equal_nan=True).astype(float)
      out['t'] = np.isclose(inp['a'], inp['b'], rtol=0.5, atol=1e-9).astype(float)
      """, inputs: ["a": a, "b": b])
    // numpy returns 1-D results for the flattened (1, n) arrays' rows: compare the scalars.
    #expect(isclose(a, b).scalars == out["c"]!.scalars)
    #expect(isclose(a, b, equalNaN: true).scalars == out["n"]!.scalars)
    #expect(isclose(a, b, rtol: 0.5, atol: 1e-9).scalars == out["t"]!.scalars)
  }

  @Test(
    arguments: [
      [[1.0, 1, 9, 9, 9], [1, 1, 9, 9, 9]],
      [[0.5, 0.25], [-1, 10]],
      [[1e-5, 1]],
      [[1.5e10, 2]],
      [[.nan, .infinity, -.infinity, 1.5]],
      [[.nan, .infinity]],
      [[0.1234567891234, 2]],
      [[-0.0, 1e-300]],
      [[123456789.0, 1]],
      [[1, 1000], [1001.5, 3]],
      [[0.1, 0.2, 0.30000000000000004]],
      [[1e16]],
    ] as [[[Double]]])
  func printsLikeNumpy(rows: [[Double]]) throws {
    let m = Matrix(rows)
    let out = try NumPy.runWithStrings("out['s'] = str(inp['m'])", inputs: ["m": m])
    #expect(m.description == out.strings["s"])
    // The same numbers as float32 print as numpy prints a float32 array (float32's shortest digits).
    let single = Matrix<Float>(converting: m)
    let out32 = try NumPy.runWithStrings(
      "out['s'] = str(inp['m'].astype(np.float32))", inputs: ["m": Matrix<Double>(converting: single)])
    #expect(single.description == out32.strings["s"])
  }

  @Test(arguments: [(2, 20), (40, 50), (1, 200), (7, 7), (1100, 1)])
  func printsLargeMatricesLikeNumpy(rows: Int, columns: Int) throws {
    let m = Matrix(rows: rows, columns: columns) { r, c in Double(r * columns + c) / 3 }
    let out = try NumPy.runWithStrings("out['s'] = str(inp['m'])", inputs: ["m": m])
    #expect(m.description == out.strings["s"])
  }
}
