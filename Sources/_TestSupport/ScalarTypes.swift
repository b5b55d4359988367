public import DenseMatrix

/// The element types every numeric test runs for: `@Test(arguments: scalarTypes, ...)`, then open
/// the `any BLASScalar.Type` into a generic checker (`func check<S: BLASScalar>(_: S.Type, ...)`).
public let scalarTypes: [any BLASScalar.Type] = [Float.self, Double.self]

/// The rtol (and atol, for values of order 1) of a result of type `S` computed through reductions
/// of length `k`, against the exact result: `8 · ε · √k`, ε = `S.ulpOfOne` (2^-23 for `Float`,
/// 2^-52 for `Double`). Each of the k products and additions rounds by at most ε/2 relative; for
/// data of random sign those errors add like a random walk, √k of them, and 8 is the margin for
/// the tail of that walk and for the terms larger than the result. For `Float` and k = 100:
/// 9.5e-6; k = 2048: 4.3e-5.
public func reductionTolerance<S: BLASScalar>(_ type: S.Type, length k: Int) -> S {
  8 * S.ulpOfOne * S(Swift.max(k, 1)).squareRoot()
}

extension Matrix {
  /// This matrix with `count` elements, at random positions, replaced by random picks from
  /// `specials` (NaN, ±inf, -0, ...), for tests of the edge cases; unchanged if it is empty.
  public func withSpecials(_ specials: [Scalar], count: Int, using generator: inout SeededGenerator) -> Matrix {
    guard self.count > 0 else { return self }
    var result = self
    for _ in 0..<count {
      let i = Int.random(in: 0..<self.count, using: &generator)
      result[i / columns, i % columns] = specials.randomElement(using: &generator)!
    }
    return result
  }
}
