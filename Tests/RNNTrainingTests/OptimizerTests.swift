import DenseMatrix
import RNNTraining
import Testing

/// Losses, optimizers and clipping on values worked out by hand (PyTorch's formulas), for
/// machines without torch; `PyTorchTrainingTests` checks them against torch itself.
@Suite("Losses and optimizers")
struct OptimizerTests {
  @Test func meanSquaredError() throws {
    let output = Matrix<Double>(rows: 2, columns: 2, scalars: [1, 2, 3, 4])
    let target = Matrix<Double>(rows: 2, columns: 2, scalars: [0, 2, 5, 4])
    let (mean, meanGradient) = try MSELoss()(output, target)
    #expect(mean == 5.0 / 4)
    #expect(meanGradient.scalars == [0.5, 0, -1, 0])
    let (sum, sumGradient) = try MSELoss(reduction: .sum)(output, target)
    #expect(sum == 5)
    #expect(sumGradient.scalars == [2, 0, -4, 0])
    #expect(throws: ShapeError.self) { _ = try MSELoss()(output, Matrix<Double>.zeros(rows: 1, columns: 4)) }
  }

  @Test func sgdWithMomentumDampeningAndWeightDecay() {
    var parameters: Parameters<Double> = ["w": Matrix(rows: 1, columns: 1, scalars: [1])]
    let gradients: Parameters<Double> = ["w": Matrix(rows: 1, columns: 1, scalars: [0.5])]
    var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1)
    // Step 1: g = 0.5 + 0.1·1 = 0.6; b = 0.6; p = 1 − 0.06 = 0.94.
    sgd.step(&parameters, gradients: gradients)
    #expect(abs(parameters["w"]![0, 0] - 0.94) < 1e-15)
    // Step 2: g = 0.5 + 0.094 = 0.594; b = 0.9·0.6 + 0.5·0.594 = 0.837; p = 0.94 − 0.0837.
    sgd.step(&parameters, gradients: gradients)
    #expect(abs(parameters["w"]![0, 0] - (0.94 - 0.0837)) < 1e-15)
    // Nesterov: g + momentum · b.
    var nesterov = SGD<Double>(learningRate: 0.1, momentum: 0.5, nesterov: true)
    var p: Parameters<Double> = ["w": Matrix(rows: 1, columns: 1, scalars: [0])]
    nesterov.step(&p, gradients: gradients)
    #expect(abs(p["w"]![0, 0] - -0.1 * (0.5 + 0.5 * 0.5)) < 1e-15)
    // Parameters without a gradient are left alone.
    var two: Parameters<Double> = ["w": .zeros(rows: 1, columns: 1), "v": Matrix(rows: 1, columns: 1, scalars: [3])]
    nesterov.step(&two, gradients: gradients)
    #expect(two["v"]![0, 0] == 3)
  }

  /// A step updates the parameters (and its own buffers) in place, but with value semantics: a
  /// copy of the parameters, of the gradients or of the optimizer made before the step is left
  /// as it was, and an optimizer copied mid-way goes on from the copied state.
  @Test(arguments: ["sgd", "momentum", "adam", "amsgrad"])
  func stepsLeaveCopiesAlone(_ kind: String) {
    func optimizer() -> any Optimizer<Double> {
      switch kind {
      case "sgd": SGD(learningRate: 0.1)
      case "momentum": SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
      case "adam": Adam(learningRate: 0.1, weightDecay: 0.1)
      default: Adam.adamW(learningRate: 0.1, amsgrad: true)
      }
    }
    var parameters: Parameters<Double> = ["w": Matrix(rows: 2, columns: 2, scalars: [1, -2, 3, 0.5])]
    let gradients: Parameters<Double> = ["w": Matrix(rows: 2, columns: 2, scalars: [0.3, -0.1, 0.2, 0.4])]
    var first = optimizer()
    first.step(&parameters, gradients: gradients)
    let (saved, savedGradients) = (parameters, gradients)
    var copy = first
    first.step(&parameters, gradients: gradients)
    #expect(saved["w"]!.scalars != parameters["w"]!.scalars)
    #expect(savedGradients["w"]!.scalars == [0.3, -0.1, 0.2, 0.4])
    // The copy, stepped from the saved parameters, takes the same second step.
    var again = saved
    copy.step(&again, gradients: gradients)
    #expect(again["w"]!.scalars == parameters["w"]!.scalars)
  }

  @Test func adamsFirstStepMovesByTheLearningRate() {
    // m̂ = g and v̂ = g² at the first step: p ← p − lr · g / (|g| + ε).
    for decoupled in [false, true] {
      var adam = decoupled ? Adam<Float>.adamW(learningRate: 0.01, weightDecay: 0) : Adam<Float>(learningRate: 0.01)
      var parameters: Parameters<Float> = ["w": Matrix(rows: 1, columns: 3, scalars: [1, -2, 3])]
      adam.step(&parameters, gradients: ["w": Matrix(rows: 1, columns: 3, scalars: [4, -0.5, 0])])
      let w = parameters["w"]!.scalars
      #expect(abs(w[0] - 0.99) < 1e-6)
      #expect(abs(w[1] - -1.99) < 1e-6)
      #expect(w[2] == 3)
      #expect(adam.states["w"]!.step == 1)
    }
    // AdamW's decay multiplies the parameter by 1 − lr · λ before the update.
    var adamW = Adam<Double>.adamW(learningRate: 0.1, weightDecay: 0.5)
    var p: Parameters<Double> = ["w": Matrix(rows: 1, columns: 1, scalars: [2])]
    adamW.step(&p, gradients: ["w": Matrix(rows: 1, columns: 1, scalars: [0])])
    #expect(p["w"]![0, 0] == 2 * (1 - 0.05))
  }

  @Test func clippingScalesToTheMaximumNorm() {
    var gradients: Parameters<Double> = [
      "a": Matrix(rows: 1, columns: 2, scalars: [3, 0]), "b": Matrix(rows: 1, columns: 1, scalars: [4]),
    ]
    #expect(gradientNorm(gradients) == 5)
    let norm = clipGradientNorm(&gradients, maximumNorm: 1)
    #expect(norm == 5)
    #expect(abs(gradientNorm(gradients) - 1) < 1e-6)
    // Below the maximum: unchanged.
    var small: Parameters<Double> = ["a": Matrix(rows: 1, columns: 1, scalars: [0.5])]
    clipGradientNorm(&small, maximumNorm: 1)
    #expect(small["a"]![0, 0] == 0.5)
  }
}

/// Minibatches: each epoch a permutation cut in order, the same for the same seed; and the rows
/// of the chosen sequences.
@Suite("Minibatches")
struct MinibatchTests {
  @Test(arguments: [(0, 3), (1, 1), (5, 2), (7, 7), (10, 3)])
  func epochsArePermutationsCutInOrder(count: Int, size: Int) {
    var a = SeededGenerator(seed: 4)
    var b = SeededGenerator(seed: 4)
    let first = minibatches(count: count, size: size, using: &a)
    #expect(first == minibatches(count: count, size: size, using: &b))
    #expect(first.joined().sorted() == Array(0..<count))
    #expect(first.dropLast().allSatisfy { $0.count == size })
    #expect(first.last.map { (1...size).contains($0.count) } ?? (count == 0))
    // The next epoch draws again from the generator (for 10 sequences, another order).
    if count == 10 { #expect(minibatches(count: count, size: size, using: &a) != first) }
  }

  @Test func sequencesSelectTheirRowsInEveryBlock() {
    // Two steps of three sequences; row t·3 + b holds 10·t + b.
    var scalars: [Double] = []
    for row in 0..<6 { scalars += [Double(row / 3 * 10 + row % 3), -1] }
    let m = Matrix<Double>(rows: 6, columns: 2, scalars: scalars)
    let picked = m.sequences([2, 0], of: 3)
    #expect(picked.shape == Shape(rows: 4, columns: 2))
    #expect(picked.scalars == [2, -1, 0, -1, 12, -1, 10, -1])
  }
}
