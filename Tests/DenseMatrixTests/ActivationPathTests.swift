import BLASDiagnostics
import DenseMatrix
import Foundation
import Testing

/// The vectorized activation paths: chosen from the CPU's features, and each one the CPU runs
/// checked against an extended-precision reference and against the scalar functions.
@Suite("Activation paths")
struct ActivationPathTests {
  static func cpu(_ features: Set<CPUFeature>) -> CPUInfo {
    CPUInfo(vendorID: "GenuineIntel", family: 6, model: 0, name: "fixture", features: features)
  }

  @Test func theWidestSupportedPathIsChosen() {
    let sse: Set<CPUFeature> = [.sse3, .ssse3, .sse4_2]
    let avx2 = sse.union([.avx, .avx2, .fma])
    #expect(ActivationPath.best(for: Self.cpu(sse)) == .portable)
    #expect(ActivationPath.best(for: Self.cpu(sse.union([.avx]))) == .portable)
    #expect(ActivationPath.best(for: Self.cpu(avx2.subtracting([.fma]))) == .portable)
    #expect(ActivationPath.best(for: nil) == .portable)
    #if arch(x86_64)
    #expect(ActivationPath.best(for: Self.cpu(avx2)) == .avx2)
    #expect(ActivationPath.best(for: Self.cpu(avx2.union([.avx512f, .avx512vl]))) == .avx512)
    #expect(ActivationPath.best == ActivationPath.best(for: CPUInfo.current))
    #endif
    #expect(ActivationPath.supported.first == .portable)
  }

  /// Realistic pre-activations (standard normal at several scales), a dense ramp over the
  /// interesting range, and the boundaries of each branch.
  static let inputs: [Double] = {
    var rng = SeededGenerator(seed: 21)
    var values = stride(from: -40.0, through: 40.0, by: 0.000_9).map { $0 }
    // Denser where the results span many binades and tanh's reduction changes n often.
    values += stride(from: -1.5, through: 1.5, by: 0.000_02).map { $0 }
    // tanh's reduction steps (2|x| = k ln 2) and their neighbours.
    values += (1...8).flatMap { k -> [Double] in
      let step = Double(k) * 0.693_147_180_559_945_3 / 2
      return [step, step.nextUp, step.nextDown, -step]
    }
    for scale in [0.1, 1, 4, 30] {
      values += Matrix.randomNormal(rows: 1, columns: 5_000, using: &rng).scalars.map { $0 * scale }
    }
    values += [
      0.625, -0.625, 0.625.nextDown, 0.625.nextUp, 1e-300, -Double.leastNormalMagnitude / 3, 19, 20, 21, 708, 709, 710,
      -708.5, -744.9,
    ]
    return values
  }()

  static func ulps(_ got: Double, _ exact: Double) -> Double {
    let want = Double(exact)
    let unit = want.isNormal ? want.ulp : Double.leastNonzeroMagnitude
    return abs(got - want) / unit
  }

  @Test(arguments: ActivationPath.allCases)
  func everySupportedPathIsWithinTwoUlp(path: ActivationPath) throws {
    guard path.isSupported(by: CPUInfo.current) else { return }
    let x = Matrix(rows: 1, columns: Self.inputs.count, scalars: Self.inputs)
    let (tanh, sigmoid) = withActivationPath(path) { (x.tanh(), x.sigmoid()) }
    var worst = (tanh: 0.0, sigmoid: 0.0)
    #if arch(x86_64) && os(Linux)
    for (i, value) in Self.inputs.enumerated() {
      let wide = Float80(value)
      worst.tanh = max(worst.tanh, Self.ulps(tanh[0, i], Double(Foundation.tanh(wide))))
      worst.sigmoid = max(worst.sigmoid, Self.ulps(sigmoid[0, i], Double(1 / (1 + Foundation.exp(-wide)))))
    }
    #else
    for (i, value) in Self.inputs.enumerated() {
      worst.tanh = max(worst.tanh, Self.ulps(tanh[0, i], Foundation.tanh(value)))
    }
    #endif
    #expect(worst.tanh <= 2, "\(path): tanh worst \(worst.tanh) ulp")
    #expect(worst.sigmoid <= 2, "\(path): sigmoid worst \(worst.sigmoid) ulp")
  }

  /// The portable path is the C kernel without FMA on x86-64, operation for operation the scalar
  /// Swift functions: results are bit-identical there, with and without a bias, at every tail
  /// (on arm64 it fuses multiply-adds and stays within the 2 ulp of every path).
  @Test func portablePathMatchesTheScalarFunctions() {
    let x = Matrix(rows: 1, columns: Self.inputs.count, scalars: Self.inputs)
    let bias = 0.375
    for activation in [Activation.tanh, .sigmoid] {
      let portable = withActivationPath(.portable) { x.applying(activation) }
      var out = [Double](repeating: 0, count: Self.inputs.count)
      Self.inputs.withUnsafeBufferPointer { s in
        [bias].withUnsafeBufferPointer { b in
          out.withUnsafeMutableBufferPointer { o in
            withActivationPath(.portable) {
              activation.apply(
                rows: 1, columns: s.count, source: s.baseAddress!, sourceStride: 0, bias: b.baseAddress,
                destination: o.baseAddress!, destinationStride: 0)
            }
          }
        }
      }
      #if arch(x86_64)
      #expect(
        zip(portable.scalars, Self.inputs).allSatisfy { $0.bitPattern == activation($1).bitPattern }, "\(activation)")
      #expect(zip(out, Self.inputs).allSatisfy { $0.bitPattern == activation($1 + bias).bitPattern }, "\(activation)")
      #else
      #expect(zip(portable.scalars, Self.inputs).allSatisfy { abs($0 - activation($1)) <= 4 * $0.ulp }, "\(activation)")
      #endif
    }
  }

  @Test(arguments: ActivationPath.allCases)
  func specialValuesOnEveryPath(path: ActivationPath) throws {
    guard path.isSupported(by: CPUInfo.current) else { return }
    let specials = Matrix([[-0.0, 0.0, .infinity, -.infinity, .nan, -1000, 1000, -745, -720, .leastNonzeroMagnitude]])
    let (t, s, r, i) = withActivationPath(path) {
      (specials.tanh(), specials.sigmoid(), specials.relu(), specials.applying(.identity))
    }
    #expect(t[0, 0] == 0 && t[0, 0].sign == .minus && t[0, 1].sign == .plus)
    #expect(t[0, 2] == 1 && t[0, 3] == -1 && t[0, 4].isNaN && t[0, 5] == -1 && t[0, 6] == 1)
    #expect(t[0, 9] == .leastNonzeroMagnitude)
    #expect(s[0, 0] == 0.5 && s[0, 2] == 1 && s[0, 3] == 0 && s[0, 4].isNaN && s[0, 5] == 0 && s[0, 6] == 1)
    #expect(s[0, 7] == .leastNonzeroMagnitude && s[0, 8] > 0 && s[0, 8] < .leastNormalMagnitude)
    #expect(r[0, 0].sign == .minus && r[0, 3] == 0 && r[0, 4].isNaN && r[0, 5] == 0 && r[0, 6] == 1000)
    #expect(zip(i.scalars, specials.scalars).allSatisfy { $0.bitPattern == $1.bitPattern })
  }

  /// Bias, strides and every tail length: each path against the scalar functions.
  @Test(arguments: ActivationPath.allCases)
  func biasStridesAndTailsMatchTheScalarFunctions(path: ActivationPath) throws {
    guard path.isSupported(by: CPUInfo.current) else { return }
    var rng = SeededGenerator(seed: 5)
    // Rows 19 and one column: the batch-1 path down the rows (full vectors and a tail), with
    // unit and larger strides.
    for (rows, columns, padding) in (0...19).map({ (3, $0, 2) }) + [(19, 1, 0), (19, 1, 2), (64, 1, 0)] {
      let stride = columns + padding
      let source = Matrix.randomNormal(rows: rows, columns: stride, using: &rng).map { $0 * 3 }
      let bias = Matrix.randomNormal(rows: rows, columns: 1, using: &rng)
      for activation in Activation.allCases {
        for withBias in [false, true] {
          let run = { (p: ActivationPath) -> [Double] in
            var out = [Double](repeating: -7, count: rows * stride)
            source.withUnsafeBufferPointer { s in
              bias.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                  withActivationPath(p) {
                    activation.apply(
                      rows: rows, columns: columns, source: s.baseAddress!, sourceStride: stride,
                      bias: withBias ? b.baseAddress : nil, destination: o.baseAddress!, destinationStride: stride)
                  }
                }
              }
            }
            return out
          }
          let vector = run(path)
          let scalar = (0..<vector.count).map { k in
            k % stride < columns
              ? activation(
                withBias ? source[k / stride, k % stride] + bias[k / stride, 0] : source[k / stride, k % stride])
              : -7
          }
          for k in 0..<vector.count {
            let inBlock = k % stride < columns
            if !inBlock {
              #expect(vector[k] == -7, "\(path) wrote outside the block at \(k)")
            } else if activation == .relu || activation == .identity {
              #expect(vector[k].bitPattern == scalar[k].bitPattern, "\(path) \(activation) \(columns)")
            } else {
              #expect(abs(vector[k] - scalar[k]) <= 4 * scalar[k].ulp, "\(path) \(activation) \(columns)")
            }
          }
        }
      }
    }
  }
}

/// The float32 kernels: every path the CPU has, within 2 ulp of the correctly rounded result
/// (computed in `Double` with libm and rounded to `Float`: Double's error is 2^-29 of a float ulp,
/// so the rounding is correct except at ties too close to matter), with the special values.
@Suite("Activation paths, float32")
struct FloatActivationPathTests {
  static let inputs: [Float] = {
    var rng = SeededGenerator(seed: 31)
    var values = stride(from: Float(-20), through: 20, by: 0.000_25).map { $0 }
    values += stride(from: Float(-1.5), through: 1.5, by: 0.000_005).map { $0 }
    for scale: Float in [0.1, 1, 4, 30] {
      values += Matrix<Float>.randomNormal(rows: 1, columns: 5_000, using: &rng).scalars.map { $0 * scale }
    }
    values += (1...8).flatMap { k -> [Float] in
      let step = Float(k) * 0.693_147_18 / 2
      return [step, step.nextUp, step.nextDown, -step]
    }
    values += [1e-30, -Float.leastNormalMagnitude / 3, 9, 10, 11, 88, 89, -87, -100, -103.5]
    return values
  }()

  static func ulps(_ got: Float, _ exact: Double) -> Double {
    let want = Float(exact)
    let unit = want.isNormal ? want.ulp : Float.leastNonzeroMagnitude
    return Double(abs(got - want) / unit)
  }

  @Test(arguments: ActivationPath.allCases)
  func everySupportedPathIsWithinTwoUlp(path: ActivationPath) {
    guard path.isSupported(by: CPUInfo.current) else { return }
    let x = Matrix<Float>(rows: 1, columns: Self.inputs.count, scalars: Self.inputs)
    let (tanh, sigmoid) = withActivationPath(path) { (x.tanh(), x.sigmoid()) }
    var worst = (tanh: 0.0, sigmoid: 0.0)
    for (i, value) in Self.inputs.enumerated() {
      let wide = Double(value)
      worst.tanh = max(worst.tanh, Self.ulps(tanh[0, i], Foundation.tanh(wide)))
      worst.sigmoid = max(worst.sigmoid, Self.ulps(sigmoid[0, i], 1 / (1 + Foundation.exp(-wide))))
    }
    #expect(worst.tanh <= 2, "\(path): tanh worst \(worst.tanh) ulp")
    #expect(worst.sigmoid <= 2, "\(path): sigmoid worst \(worst.sigmoid) ulp")
  }

  @Test(arguments: ActivationPath.allCases)
  func specialValuesOnEveryPath(path: ActivationPath) {
    guard path.isSupported(by: CPUInfo.current) else { return }
    let specials = Matrix<Float>([
      [-0.0, 0.0, .infinity, -.infinity, .nan, -1000, 1000, -103, -95, .leastNonzeroMagnitude]
    ])
    let (t, s, r) = withActivationPath(path) { (specials.tanh(), specials.sigmoid(), specials.relu()) }
    #expect(t[0, 0] == 0 && t[0, 0].sign == .minus && t[0, 1].sign == .plus)
    #expect(t[0, 2] == 1 && t[0, 3] == -1 && t[0, 4].isNaN && t[0, 5] == -1 && t[0, 6] == 1)
    #expect(t[0, 9] == .leastNonzeroMagnitude)
    #expect(s[0, 0] == 0.5 && s[0, 2] == 1 && s[0, 3] == 0 && s[0, 4].isNaN && s[0, 5] == 0 && s[0, 6] == 1)
    #expect(s[0, 7] > 0 && s[0, 8] > 0 && s[0, 8] < .leastNormalMagnitude, "subnormal results, as in float32 expit")
    #expect(r[0, 0].sign == .minus && r[0, 3] == 0 && r[0, 4].isNaN && r[0, 5] == 0 && r[0, 6] == 1000)
  }

  /// The scalar `Float` function (computed in `Double` and rounded) agrees with the kernels.
  @Test func scalarFunctionIsCloseToTheKernels() {
    let x = Matrix<Float>(rows: 1, columns: Self.inputs.count, scalars: Self.inputs)
    let kernel = x.tanh()
    for (i, value) in Self.inputs.enumerated() {
      #expect(abs(Activation.tanh(value) - kernel[0, i]) <= 2 * Activation.tanh(value).ulp, "\(value)")
    }
  }
}
