import DenseMatrix
import Foundation
import Testing
import _TestSupport

@Suite("Elementwise operations and activations")
struct ElementwiseTests {
  let a = Matrix([[1, -2], [3, -4]])
  let b = Matrix([[0.5, 0.5], [2, 2]])

  /// Exact in both types (every value is a small binary fraction).
  @Test(arguments: scalarTypes)
  func arithmetic(type: any BLASScalar.Type) {
    arithmetic(type)
  }

  private func arithmetic<S: BLASScalar>(_: S.Type) {
    let a = Matrix<S>([[1, -2], [3, -4]])
    let b = Matrix<S>([[0.5, 0.5], [2, 2]])
    #expect(a + b == Matrix<S>([[1.5, -1.5], [5, -2]]))
    #expect(a - b == Matrix<S>([[0.5, -2.5], [1, -6]]))
    #expect(2 * a == Matrix<S>([[2, -4], [6, -8]]))
    #expect(a * 2 == 2 * a)
    #expect(-a == Matrix<S>([[-1, 2], [-3, 4]]))
    #expect(a.hadamard(b) == Matrix<S>([[0.5, -1], [6, -8]]))
    #expect(a.map { $0 * $0 } == Matrix<S>([[1, 4], [9, 16]]))
    #expect(a.addingColumnVector(Matrix<S>(column: [10, 20])) == Matrix<S>([[11, 8], [23, 16]]))
    var c = a
    c += b
    c -= b
    c *= 3
    #expect(c == 3 * a)
  }

  @Test func biasIsAddedToEveryColumn() throws {
    let bias = Matrix(column: [10, 20])
    #expect(a.addingColumnVector(bias) == Matrix([[11, 8], [23, 16]]))
    var c = a
    #expect(throws: ShapeError.self) { try c.addColumnVector(checking: Matrix(column: [1, 2, 3])) }
    #expect(c == a)
    #expect(try a.adding(checking: bias) == a.addingColumnVector(bias), "a column broadcasts, as in numpy")
    #expect(throws: ShapeError.self) { try a.subtracting(checking: Matrix(column: [1, 2, 3])) }
    #expect(throws: ShapeError.self) { try a.multiplying(checking: Matrix.ones(rows: 3, columns: 3)) }
    #expect(throws: ShapeError.self) { try a.hadamard(checking: bias) }
    #expect(try a.subtracting(checking: b) == a - b)
    #expect(try a.adding(checking: b) == a + b)
    #expect(try a.hadamard(checking: b) == a.hadamard(b))
  }

  @Test func sigmoidIsStableAtTheExtremes() {
    let x = Matrix([[-1000, -745, -50, 0, 50, 745, 1000, -.greatestFiniteMagnitude, .greatestFiniteMagnitude]])
    let y = x.sigmoid()
    #expect(y[0, 0] == 0)
    #expect(y[0, 3] == 0.5)
    #expect(y[0, 6] == 1)
    #expect(y[0, 7] == 0 && y[0, 8] == 1)
    #expect(y.scalars.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    #expect(Activation.logistic(-.infinity) == 0 && Activation.logistic(.infinity) == 1)
    #expect(Activation.logistic(.nan).isNaN)
    // Symmetry σ(-x) = 1 - σ(x) where both are representable.
    for v in stride(from: -30.0, through: 30, by: 0.37) {
      #expect(abs(Activation.logistic(-v) - (1 - Activation.logistic(v))) < 1e-15)
    }
  }

  /// The inline tanh against an extended-precision (Float80) reference rounded to Double, in
  /// units in the last place of that result; where there is no Float80, against libm's `tanh`
  /// (itself up to 1 ulp off, so 3 ulp between them).
  @Test func tanhIsWithinTwoUlp() {
    var rng = SeededGenerator(seed: 12)
    var values: [Double] = stride(from: -25.0, through: 25.0, by: 0.000_31).map { $0 }
    values += (1...8).flatMap { k -> [Double] in
      let step = Double(k) * 0.693_147_180_559_945_3 / 2  // where the reduction's n changes
      return [step, step.nextUp, step.nextDown, -step]
    }
    values += (0..<20_000).map { _ in
      Double.random(in: -1...1, using: &rng) * pow(10, Double.random(in: -12...1.5, using: &rng))
    }
    values += [
      0.625, -0.625, 0.625.nextDown, 0.625.nextUp, 1e-300, -Double.leastNormalMagnitude / 7, 19, 20, 21, 710, 1e300,
    ]
    var worst = 0.0
    for x in values {
      #if arch(x86_64) && os(Linux)
      let want = Double(Foundation.tanh(Float80(x)))
      #else
      let want = Foundation.tanh(x)
      #endif
      worst = max(worst, abs(Activation.tanh(x) - want) / want.ulp)
    }
    #if arch(x86_64) && os(Linux)
    #expect(worst <= 2, "worst error \(worst) ulp")
    #else
    #expect(worst <= 3, "worst error \(worst) ulp (against libm)")
    #endif
    #expect(Activation.tanh(.infinity) == 1 && Activation.tanh(-.infinity) == -1)
    #expect(Activation.tanh(.nan).isNaN)
    #expect(Activation.tanh(-0.0).sign == .minus && Activation.tanh(0.0) == 0)
  }

  /// The inline sigmoid against an extended-precision (Float80) reference, in ulp.
  @Test func sigmoidIsWithinTwoUlp() {
    #if arch(x86_64) && os(Linux)
    var rng = SeededGenerator(seed: 13)
    var values: [Double] = stride(from: -40.0, through: 40.0, by: 0.000_7).map { $0 }
    values += (0..<20_000).map { _ in
      Double.random(in: -1...1, using: &rng) * pow(10, Double.random(in: -12...2.8, using: &rng))
    }
    var worst = 0.0
    for x in values {
      let exact = 1 / (1 + Foundation.exp(-Float80(x)))
      let want = Double(exact)
      guard want.isNormal else { continue }
      worst = max(worst, abs(Activation.logistic(x) - want) / want.ulp)
    }
    #expect(worst <= 2, "worst error \(worst) ulp")
    #endif
    #expect(Activation.logistic(-746) == 0 && Activation.logistic(709.5) == 1)
  }

  /// Below x = -708 the sigmoid is e^x, subnormal down to about -745 (scipy's `expit` returns
  /// these values; a sigmoid that computes `1 / (1 + e^-x)` in Double gives 0).
  @Test func sigmoidIsSubnormalWhereTheTrueValueIs() {
    #if arch(x86_64) && os(Linux)
    var worst = 0.0
    for x in stride(from: -745.1, through: -700, by: 0.001) {
      let want = Double(1 / (1 + Foundation.exp(-Float80(x))))
      #expect(want > 0)
      let unit = want.isNormal ? want.ulp : Double.leastNonzeroMagnitude
      worst = max(worst, abs(Activation.logistic(x) - want) / unit)
    }
    #expect(worst <= 2, "worst error \(worst) ulp")
    #endif
    #expect(Activation.logistic(-720) > 0 && Activation.logistic(-720) < .leastNormalMagnitude)
    #expect(Activation.logistic(-745) == .leastNonzeroMagnitude)
  }

  /// −0 keeps its sign through every path that applies an activation without a bias, as in
  /// numpy (`np.tanh(-0.0)`, `np.maximum(-0.0, 0)` are −0).
  @Test func negativeZeroKeepsItsSign() {
    let zero = Matrix([[-0.0, 0.0]])
    for result in [zero.tanh(), zero.relu(), zero.applying(.identity)] {
      #expect(result[0, 0].sign == .minus && result[0, 0] == 0, "\(result)")
      #expect(result[0, 1].sign == .plus, "\(result)")
    }
    var inPlace = zero
    inPlace.formTanh()
    #expect(inPlace[0, 0].sign == .minus)
    inPlace = zero
    inPlace.apply(.identity)
    #expect(inPlace[0, 0].sign == .minus)
    #expect(zero.sigmoid() == Matrix([[0.5, 0.5]]))
  }

  @Test func otherActivations() {
    #expect(a.relu() == Matrix([[1, 0], [3, 0]]))
    #expect(Matrix([[0, 1000, -1000]]).tanh() == Matrix([[0, 1, -1]]))
    var c = a
    c.formRelu()
    #expect(c == a.relu())
    c = a
    c.formTanh()
    #expect(c == a.tanh())
    c = a
    c.formSigmoid()
    #expect(c == a.sigmoid())
    #expect(a.applying(.identity) == a)
  }

  @Test func shapeMismatchTraps() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix.ones(rows: 3, columns: 1) + Matrix.ones(rows: 2, columns: 1)
    }
    #expect(standardError(of: result).contains("+: operands could not be broadcast together: (3×1), (2×1)"))
    let inPlace = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      var column = Matrix.ones(rows: 3, columns: 1)
      column += Matrix.ones(rows: 1, columns: 4)
    }
    #expect(
      standardError(of: inPlace).contains(
        "+=: non-broadcastable output operand with shape (3×1) doesn't match the broadcast shape (3×4)"))
    await #expect(processExitsWith: .failure) {
      _ = Matrix.ones(rows: 2, columns: 3) / Matrix.ones(rows: 3, columns: 2)
    }
    await #expect(processExitsWith: .failure) { _ = Matrix.ones(rows: 2, columns: 2).clipped(min: .nan, max: 1) }
    await #expect(processExitsWith: .failure) {
      _ = dot(Matrix.ones(rows: 2, columns: 1), Matrix.ones(rows: 3, columns: 1))
    }
  }
}
