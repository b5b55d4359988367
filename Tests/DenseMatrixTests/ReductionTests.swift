import BLASDiagnostics
import DenseMatrix
import Foundation
import Testing
import _TestSupport

/// Reshaping and reductions against numpy on the same data: random shapes with 0 and 1
/// dimensions, every axis, NaN, ±inf and -0.
@Suite("Reshape and reductions")
struct ReductionTests {
  /// Equal shapes and, element by element, both NaN or equal (`-0 == 0`).
  static func same(_ a: Matrix<Double>, _ b: Matrix<Double>?) -> Bool {
    guard let b, a.shape == b.shape else { return false }
    return zip(a.scalars, b.scalars).allSatisfy { ($0.isNaN && $1.isNaN) || $0 == $1 }
  }

  static func indices(_ m: Matrix<Double>?) -> [Int] { m?.scalars.map { Int($0) } ?? [-1] }

  static func randomMatrix<S: BLASScalar>(seed: Int, _: S.Type = Double.self) -> Matrix<S> {
    var rng = SeededGenerator(seed: UInt64(100 + seed))
    let rows = [0, 1, 2, 7, 40].randomElement(using: &rng)!
    let columns = [0, 1, 5, 8, 129, 300].randomElement(using: &rng)!
    let m = Matrix<S>.randomNormal(rows: rows, columns: columns, using: &rng).map { $0 * 1000 }
    return seed % 3 == 1 ? m.withSpecials([.nan, .infinity, -.infinity, -0.0], count: 3, using: &rng) : m
  }

  /// In both types: numpy reduces float32 arrays in float32 with the same order of additions.
  @Test(
    .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)), arguments: scalarTypes, 0..<15)
  func reductionsMatchNumpyBitForBit(type: any BLASScalar.Type, seed: Int) throws {
    try matchNumpy(type, seed: seed)
  }

  private func matchNumpy<S: BLASScalar>(_: S.Type, seed: Int) throws {
    let typed = Self.randomMatrix(seed: seed, S.self)
    let m = Matrix<Double>(converting: typed)
    let out = try NumPy.run(
      """
      import warnings
      warnings.simplefilter('ignore')
      a = inp['m'].astype('\(S.dtypeName)')
      out['sum'] = np.sum(a)
      out['mean'] = np.mean(a) if a.size else np.nan
      for axis in (0, 1):
          out[f'sum{axis}'] = np.sum(a, axis=axis, keepdims=True)
          out[f'flat{axis}'] = np.atleast_2d(np.sum(a, axis=axis))
          out[f'mean{axis}'] = np.mean(a, axis=axis, keepdims=True)
          if a.shape[axis] > 0:
              out[f'max{axis}'] = np.max(a, axis=axis, keepdims=True)
              out[f'min{axis}'] = np.min(a, axis=axis, keepdims=True)
              out[f'argmax{axis}'] = np.argmax(a, axis=axis).astype(np.float64)
              out[f'argmin{axis}'] = np.argmin(a, axis=axis).astype(np.float64)
      if a.size:
          out['max'] = np.max(a); out['min'] = np.min(a)
          out['argmax'] = float(np.argmax(a)); out['argmin'] = float(np.argmin(a))
      out['reshaped'] = a.reshape(-1, 1)
      """, inputs: ["m": m])
    func wide(_ x: Matrix<S>) -> Matrix<Double> { Matrix<Double>(converting: x) }
    func wide(_ x: S) -> Matrix<Double> { Matrix([[Double(x)]]) }
    let t = typed
    #expect(Self.same(wide(t.sum()), out["sum"]), "\(S.self) \(m.shape)")
    #expect(Self.same(wide(t.mean()), out["mean"]), "\(S.self) \(m.shape)")
    for axis in [0, 1] {
      #expect(Self.same(wide(t.sum(axis: axis)), out["sum\(axis)"]), "\(S.self) sum axis \(axis) \(m.shape)")
      #expect(Self.same(wide(t.sum(axis: axis - 2)), out["sum\(axis)"]), "\(S.self) sum axis \(axis - 2)")
      #expect(Self.same(wide(t.sum(axis: axis, keepingDimensions: false)), out["flat\(axis)"]), "\(m.shape)")
      #expect(Self.same(wide(t.mean(axis: axis)), out["mean\(axis)"]), "\(S.self) mean axis \(axis) \(m.shape)")
      if out["max\(axis)"] != nil {
        #expect(Self.same(wide(t.max(axis: axis)), out["max\(axis)"]), "max axis \(axis) \(m.shape)")
        #expect(Self.same(wide(t.min(axis: axis)), out["min\(axis)"]), "min axis \(axis) \(m.shape)")
        let outputs = axis == 0 ? m.columns : m.rows
        #expect(outputs == 0 || t.argmax(axis: axis) == Self.indices(out["argmax\(axis)"]), "\(m.shape)")
        #expect(outputs == 0 || t.argmin(axis: axis) == Self.indices(out["argmin\(axis)"]), "\(m.shape)")
      }
    }
    if m.count > 0 {
      #expect(Self.same(wide(t.max()), out["max"]) && Self.same(wide(t.min()), out["min"]))
      #expect(t.argmax() == Self.indices(out["argmax"]).first && t.argmin() == Self.indices(out["argmin"]).first)
    }
    #expect(m.reshaped(columns: 1) == out["reshaped"] || m.scalars.contains { $0.isNaN })
  }

  @Test func nanAndEmptyFollowNumpy() {
    let m = Matrix([[1, .nan, 3], [.nan, 5, -.infinity]])
    #expect(m.max().isNaN && m.min().isNaN && m.sum().isNaN)
    #expect(m.argmax() == 1 && m.argmin() == 1, "the first NaN")
    #expect(m.argmax(axis: 0) == [1, 0, 0] && m.argmax(axis: 1) == [1, 0])
    #expect(Matrix([[1, 3, 3, 2]]).argmax() == 1, "the first of equal maxima")
    let empty = Matrix.zeros(rows: 0, columns: 3)
    #expect(empty.sum() == 0 && empty.mean().isNaN)
    #expect(empty.sum(axis: 0) == Matrix.zeros(rows: 1, columns: 3))
    #expect(empty.sum(axis: 1).shape == Shape(rows: 0, columns: 1))
    #expect(empty.max(axis: 1).shape == Shape(rows: 0, columns: 1) && empty.argmax(axis: 1) == [])
    #expect(empty.mean(axis: 0).scalars.allSatisfy { $0.isNaN })
    #expect(Matrix([[-0.0]]).sum().sign == .plus, "numpy sums from +0")
    // Long rows and columns (the vectorized paths): a NaN anywhere, first, in the middle or last.
    for position in [0, 1, 17, 63, 99] {
      var row = Matrix(rows: 1, columns: 100) { _, c in Double(c % 7) - 3 }
      row[0, position] = .nan
      #expect(row.max().isNaN && row.min().isNaN && row.max(axis: 1)[0, 0].isNaN, "NaN at \(position)")
      #expect(row.transposed().max(axis: 0)[0, 0].isNaN && row.transposed().min(axis: 0)[0, 0].isNaN)
      #expect(row.argmax() == position && row.argmin() == position)
    }
    let ramp = Matrix(rows: 40, columns: 40) { r, c in Double((r * 40 + c) % 97) - 48 }
    #expect(ramp.max() == 48 && ramp.min() == -48)
    #expect(
      ramp.max(axis: 0)
        == Matrix(rows: 1, columns: 40) { _, c in ramp.transposed()[rows: c...c, columns: 0..<40].max() })
  }

  @Test func reshapeSharesTheOrder() {
    let m = Matrix(rows: 2, columns: 6) { r, c in Double(r * 6 + c) }
    #expect(m.reshaped(rows: 3, columns: 4).nestedRows == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    #expect(m.reshaped(rows: 4) == m.reshaped(rows: 4, columns: 3))
    #expect(m.reshaped(columns: 2) == m.reshaped(rows: 6, columns: 2))
    #expect(m.flattened() == Matrix([m.scalars]))
    #expect(Matrix.zeros(rows: 0, columns: 3).reshaped(rows: 3, columns: 0).shape == Shape(rows: 3, columns: 0))
  }

  @Test func reshapeMismatchTrapsNamingTheShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix.zeros(rows: 3, columns: 4).reshaped(rows: 5, columns: 3)
    }
    #expect(standardError(of: result).contains("reshaped: cannot reshape a matrix of size 12 into shape (5, 3)"))
    await #expect(processExitsWith: .failure) { _ = Matrix.zeros(rows: 0, columns: 4).reshaped(rows: 0) }
    await #expect(processExitsWith: .failure) { _ = Matrix.zeros(rows: 3, columns: 4).reshaped(columns: 5) }
  }

  @Test func emptyExtremesAndBadAxesTrap() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix.zeros(rows: 0, columns: 2).max()
    }
    #expect(standardError(of: result).contains("max: zero-size matrix (0, 2) to reduction operation maximum"))
    await #expect(processExitsWith: .failure) { _ = Matrix.zeros(rows: 3, columns: 0).min(axis: 1) }
    await #expect(processExitsWith: .failure) { _ = Matrix.zeros(rows: 0, columns: 3).argmax(axis: 0) }
    await #expect(processExitsWith: .failure) { _ = Matrix.zeros(rows: 0, columns: 3).argmin() }
    let axis = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix.zeros(rows: 2, columns: 2).sum(axis: 2)
    }
    #expect(standardError(of: axis).contains("sum: axis 2 is out of bounds for a matrix of dimension 2"))
  }
}

/// max and min run in the vector kernels: every path the CPU has gives the same results as the
/// portable one, NaN anywhere included, for rows and columns of every length around the vector
/// widths, in both types.
@Suite("Reductions on every vector path")
struct ReductionPathTests {
  @Test(arguments: scalarTypes, ActivationPath.allCases)
  func everyPathAgreesWithTheDefinition(type: any BLASScalar.Type, path: ActivationPath) {
    guard path.isSupported(by: CPUInfo.current) else { return }
    withActivationPath(path) { check(type) }
  }

  private func check<S: BLASScalar>(_: S.Type) {
    var rng = SeededGenerator(seed: 77)
    for length in [1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 65, 127, 128, 129, 255, 256, 257, 513, 1000] {
      let row = Matrix<S>.randomNormal(rows: 1, columns: length, using: &rng)
      let values = row.scalars
      #expect(row.max() == values.max()! && row.min() == values.min()!, "\(S.self) length \(length)")
      for position in Set([0, length / 2, length - 1]) {
        var withNaN = row
        withNaN[0, position] = .nan
        #expect(withNaN.max().isNaN && withNaN.min().isNaN, "\(S.self) length \(length), NaN at \(position)")
        let column = withNaN.transposed()
        #expect(column.max(axis: 0)[0, 0].isNaN && column.min(axis: 0)[0, 0].isNaN)
      }
      // Columns: a (length × 3) block, NaN in the middle column only.
      var block = Matrix<S>.randomNormal(rows: 5, columns: length, using: &rng)
      let expected = (0..<length).map { c in (0..<5).map { block[$0, c] }.max()! }
      #expect(block.max(axis: 0).scalars == expected, "\(S.self) columns \(length)")
      block[3, length / 2] = .nan
      let maxima = block.max(axis: 0).scalars
      #expect(maxima[length / 2].isNaN)
      #expect(maxima.enumerated().allSatisfy { $0.offset == length / 2 || $0.element == expected[$0.offset] })
      #expect(block.min(axis: 1).scalars[3].isNaN && !block.min(axis: 1).scalars[2].isNaN)
    }
  }
}
