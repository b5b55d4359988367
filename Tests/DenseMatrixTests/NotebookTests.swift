import DenseMatrix
import Testing
import _TestSupport

/// The teaching notebook the package grew from, number for number.
@Suite("The notebook")
struct NotebookTests {
  let wHH = Matrix.full(rows: 3, columns: 2, value: 1)
  let wHX = Matrix.full(rows: 3, columns: 3, value: 9)
  let hPrevious = Matrix.full(rows: 2, columns: 1, value: 1)
  let x = Matrix.full(rows: 3, columns: 1, value: 9)

  @Test func joiningWeightsBothWays() {
    let viaConcatenate = concatenate([wHH, wHX], axis: 1)
    let viaHStack = hstack([wHH, wHX])
    #expect(viaConcatenate == viaHStack)
    #expect(viaHStack.shape.description == "(3, 5)")
    #expect(viaHStack.description == "[[1. 1. 9. 9. 9.]\n [1. 1. 9. 9. 9.]\n [1. 1. 9. 9. 9.]]")
  }

  @Test func joiningStateAndInputBothWays() {
    let viaConcatenate = concatenate([hPrevious, x], axis: 0)
    let viaVStack = vstack([hPrevious, x])
    #expect(viaConcatenate == viaVStack)
    #expect(viaVStack.shape.description == "(5, 1)")
    #expect(viaVStack.description == "[[1.]\n [1.]\n [9.]\n [9.]\n [9.]]")
    let longer = vstack([Matrix.ones(rows: 4, columns: 1), Matrix.full(rows: 10, columns: 1, value: 9)])
    #expect(longer.shape.description == "(14, 1)")
    #expect(longer.scalars == Array(repeating: 1, count: 4) + Array(repeating: 9, count: 10))
  }

  /// 245 exactly, in both element types: every partial sum is a small integer, exact in `Float`.
  @Test(arguments: scalarTypes, Backend.allCases)
  func bothFormulasGive245(type: any BLASScalar.Type, backend: Backend) {
    check245(type, backend)
  }

  private func check245<S: BLASScalar>(_: S.Type, _ backend: Backend) {
    let (wHH, wHX) = (Matrix<S>.full(rows: 3, columns: 2, value: 1), Matrix<S>.full(rows: 3, columns: 3, value: 9))
    let (hPrevious, x) = (Matrix<S>.full(rows: 2, columns: 1, value: 1), Matrix<S>.full(rows: 3, columns: 1, value: 9))
    let formula1 = matmul(hstack([wHH, wHX]), vstack([hPrevious, x]), backend: backend)
    let term1 = matmul(wHH, hPrevious, backend: backend)
    let term2 = matmul(wHX, x, backend: backend)
    let formula2 = term1 + term2
    #expect(term1 == Matrix<S>(column: [2, 2, 2]))
    #expect(term2 == Matrix<S>(column: [243, 243, 243]))
    #expect(formula1 == Matrix<S>([[245], [245], [245]]))
    #expect(formula2 == formula1)
    #expect(allclose(formula1, formula2))
    #expect(formula1.description == "[[245.]\n [245.]\n [245.]]")
  }

  @Test func biasAndSigmoidAgree() {
    var rng = SeededGenerator(seed: 7)
    let formula1 = matmul(hstack([wHH, wHX]), vstack([hPrevious, x]))
    let formula2 = matmul(wHH, hPrevious) + matmul(wHX, x)
    let b = Matrix.randomNormal(rows: 3, columns: 1, using: &rng)
    let out1 = formula1.addingColumnVector(b).sigmoid()
    let out2 = (formula2 + b).sigmoid()
    #expect(allclose(out1, out2))
    #expect(out1 == out2)
  }
}
