// The steady-state RNN step of each formulation, for Float and Double: wall clock and malloc
// counts per step. The workspace is made once, before measurement; the fused, split and hoisted
// hot paths must show 0 mallocs in both types. The notebook-literal formulation allocates by
// design and is here to show that the counter works.

import Benchmark
import DenseMatrix
import RNN
import RNNTraining

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal],
    warmupIterations: 10,
    // Each sample runs 1000 steps and reports per-step values, so the harness's own
    // ~16 mallocs per sample (see the baseline) vanish into the rounding.
    scalingFactor: .kilo,
    maxDuration: .seconds(1),
    maxIterations: 200
  )

  // The harness's own cost per sample, for reference.
  Benchmark("baseline: empty body") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(0) }
  }

  register(Float.self)
  register(Double.self)
  registerGated(Float.self)
  registerGated(Double.self)
  registerTraining()
}

/// A whole training step of a network, one per sample, as a training loop runs it: the
/// forward and backward pass into a kept `TrainingPass` (`RecurrentNetwork.gradients(…, into:)`)
/// with `MSELoss` into a kept gradient, Adam's step on the weights in place, and
/// `load(stateDict:)` into the cells' own buffers. Must show 0 mallocs after the first step.
func registerTraining() {
  for mode in [RecurrentNetwork<Float>.Mode.lstm, .gru, .rnnTanh] {
    Benchmark(
      "training step \(mode) float32 n=64 B=32 T=20",
      configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one)
    ) { benchmark, state in
      for _ in benchmark.scaledIterations { state.step() }
      blackHole(state.loss)
    } setup: {
      TrainingState(mode: mode, size: 64, batch: 32, steps: 20)
    }
  }
}

/// A network, its weights, inputs, targets, optimizer and the buffers a step reuses, made in
/// `setup` (and one step taken there, which makes the buffers).
final class TrainingState {
  var network: RecurrentNetwork<Float>
  var weights: Parameters<Float>
  var optimizer = Adam<Float>(learningRate: 1e-3)
  var pass = RecurrentNetwork<Float>.TrainingPass()
  var outputGradient = Matrix<Float>.zeros(rows: 0, columns: 0)
  let x: Matrix<Float>
  let y: Matrix<Float>
  let batch: Int
  var loss: Float = 0

  init(mode: RecurrentNetwork<Float>.Mode, size: Int, batch: Int, steps: Int) {
    BLAS.threadCount = 1
    var rng = SeededGenerator(seed: 3)
    let rows = mode.gateCount * size
    weights = [
      "weight_ih_l0": small(rows, size, &rng), "weight_hh_l0": small(rows, size, &rng),
      "bias_ih_l0": small(rows, 1, &rng), "bias_hh_l0": small(rows, 1, &rng),
    ]
    network = try! RecurrentNetwork(stateDict: weights, mode: mode)
    (x, y, self.batch) = (small(steps * batch, size, &rng), small(steps * batch, size, &rng), batch)
    step()
  }

  func step() {
    var loss: Float = 0
    var dOutput = outputGradient
    outputGradient = .zeros(rows: 0, columns: 0)
    try! network.gradients(x, batchSize: batch, into: &pass) { (output) throws(ShapeError) in
      loss = try MSELoss()(output.output, y, gradient: &dOutput)
      return .init(output: dOutput)
    }
    outputGradient = dOutput
    optimizer.step(&weights, gradients: pass.gradients.parameters)
    try! network.load(stateDict: weights)
    self.loss = loss
  }
}

/// The LSTM and GRU steps, fused and split, and their hoisted forward over T = 20 steps (forward
/// and reversed): 0 mallocs per step with a workspace (the hoisted projection buffer is sized
/// on the first run of a sequence length, during warm-up).
func registerGated<Scalar: BLASScalar>(_: Scalar.Type) {
  for backend in [Backend.blas, .packed] {
    let lstm: @Sendable (Int, inout SeededGenerator) -> LSTMCell<Scalar> = { size, rng in
      try! LSTMCell(
        inputWeights: small(4 * size, size, &rng), recurrentWeights: small(4 * size, size, &rng),
        inputBias: small(4 * size, 1, &rng) as Matrix<Scalar>, backend: backend)
    }
    let gru: @Sendable (Int, inout SeededGenerator) -> GRUCell<Scalar> = { size, rng in
      try! GRUCell(
        inputWeights: small(3 * size, size, &rng), recurrentWeights: small(3 * size, size, &rng),
        inputBias: small(3 * size, 1, &rng) as Matrix<Scalar>, recurrentBias: small(3 * size, 1, &rng),
        backend: backend)
    }
    // .packed where its kernels run: B = 1 (the one-column layout) and a W_hh of 1 MiB at B = 32.
    let (suffix, shapes) = backend == .blas ? ("", [(64, 1), (64, 32)]) : (" packed", [(64, 1), (256, 32)])
    registerCell("lstm" + suffix, shapes: shapes, lstm)
    registerCell("gru" + suffix, shapes: shapes, gru)
  }
}

/// A cell's fused and split steps and its hoisted forward (both directions), at each (n, B).
func registerCell<Cell: RecurrentCell>(
  _ name: String, shapes: [(Int, Int)], _ make: @escaping @Sendable (Int, inout SeededGenerator) -> Cell
) {
  let dtype = Cell.Scalar.dtypeName
  for (size, batch) in shapes {
    for formulation in [Formulation.fused, .split] {
      Benchmark("step \(name) \(formulation) \(dtype) n=\(size) B=\(batch)") { benchmark, state in
        for _ in benchmark.scaledIterations {
          state.cell.step(x: state.x, into: &state.workspace, formulation: formulation)
        }
        blackHole(state.workspace.batchSize)
      } setup: {
        CellState(size: size, batch: batch, make)
      }
    }
    for reversed in [false, true] {
      let direction = reversed ? " reversed" : ""
      Benchmark("forward hoisted \(name)\(direction) \(dtype) n=\(size) B=\(batch) T=20") { benchmark, state in
        for _ in benchmark.scaledIterations {
          state.cell.forward(
            inputs: state.sequence, into: &state.workspace, states: &state.states, formulation: .hoisted,
            reversed: reversed)
        }
        blackHole(state.states.withUnsafeBufferPointer { $0[0] })
      } setup: {
        CellState(size: size, batch: batch, make)
      }
    }
  }
}

/// N(0, 0.1²) values.
func small<Scalar: BLASScalar>(_ rows: Int, _ columns: Int, _ rng: inout SeededGenerator) -> Matrix<Scalar> {
  Matrix<Scalar>.randomNormal(rows: rows, columns: columns, standardDeviation: 0.1, using: &rng)
}

/// A cell of n_h = n_x = `size`, its workspace, one input and a sequence of 20 with its states,
/// made in `setup`.
final class CellState<Cell: RecurrentCell> {
  let cell: Cell
  var workspace: Cell.Workspace
  let x: Matrix<Cell.Scalar>
  let sequence: Matrix<Cell.Scalar>
  var states: Matrix<Cell.Scalar>

  init(size: Int, batch: Int, _ make: (Int, inout SeededGenerator) -> Cell) {
    BLAS.threadCount = 1
    var rng = SeededGenerator(seed: 2)
    cell = make(size, &rng)
    workspace = cell.makeWorkspace(batchSize: batch)
    x = small(size, batch, &rng)
    sequence = small(size, 20 * batch, &rng)
    states = .zeros(rows: size, columns: 20 * batch)
  }
}

/// The step, pure-Swift step and hoisted forward benchmarks for one element type.
func register<Scalar: BLASScalar>(_: Scalar.Type) {
  let dtype = Scalar.dtypeName
  for (size, batch) in [(64, 1), (64, 32), (256, 1), (256, 32)] {
    for formulation in [Formulation.fused, .split, .fusedConcatenatingEachStep] {
      Benchmark("step \(formulation) \(dtype) n=\(size) B=\(batch)") { benchmark, state in
        for _ in benchmark.scaledIterations {
          state.cell.step(x: state.inputs[0], into: &state.workspace, formulation: formulation)
        }
        blackHole(state.workspace.withState { $0[0] })
      } setup: {
        StepState<Scalar>(size: size, batch: batch, steps: 1)
      }
    }
    Benchmark("step fused pureSwift \(dtype) n=\(size) B=\(batch)") { benchmark, state in
      state.cell.backend = .pureSwift
      for _ in benchmark.scaledIterations {
        state.cell.step(x: state.inputs[0], into: &state.workspace, formulation: .fused)
      }
      blackHole(state.workspace.withState { $0[0] })
    } setup: {
      StepState<Scalar>(size: size, batch: batch, steps: 1)
    }
    Benchmark("forward hoisted \(dtype) n=\(size) B=\(batch) T=20") { benchmark, state in
      for _ in benchmark.scaledIterations {
        state.cell.forward(inputs: state.sequence, into: &state.workspace, states: &state.states, formulation: .hoisted)
      }
      blackHole(state.states.withUnsafeBufferPointer { $0[0] })
    } setup: {
      StepState<Scalar>(size: size, batch: batch, steps: 20)
    }
  }
}

/// Everything a step needs, allocated in `setup`, outside the measured region.
final class StepState<Scalar: BLASScalar> {
  var cell: RNNCell<Scalar>
  let inputs: [Matrix<Scalar>]
  let sequence: Matrix<Scalar>
  var workspace: RNNWorkspace<Scalar>
  var states: Matrix<Scalar>

  init(size: Int, batch: Int, steps: Int) {
    // One BLAS thread: with more, OpenBLAS's own thread dispatch allocates for large products.
    BLAS.threadCount = 1
    var rng = SeededGenerator(seed: 1)
    cell = try! RNNCell<Scalar>.random(hiddenSize: size, inputSize: size, using: &rng)
    cell.backend = .blas
    inputs = (0..<steps).map { _ in Matrix<Scalar>.randomNormal(rows: size, columns: batch, using: &rng) }
    sequence = hstack(inputs)
    workspace = cell.makeWorkspace(batchSize: batch)
    states = Matrix<Scalar>.zeros(rows: size, columns: steps * batch)
  }
}
