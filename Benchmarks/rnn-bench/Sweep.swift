import CBLAS
import DenseMatrix
import RNN

/// The formulation sweep: every selected formulation and backend at every size and batch.
struct Sweep {
  var sizes: [Int]
  var batches: [Int]
  var steps: Int
  var formulations: [Formulation]
  var backends: [Backend]
  /// The kinds of cell, measured in this order.
  var cells: [CellKind] = [.rnn]
  /// The element types, measured in this order for each size and batch.
  var dtypes: [DType] = [.float64]
  var includeRaw: Bool
  var samples: Int
  var minTime: Double
  var progress: (String) -> Void

  /// A row is noisy when its samples spread by more than this fraction of their median.
  var noiseThreshold = 0.25
  /// How many times a size and batch with a noisy row is measured again (the quietest attempt is
  /// kept), as far as the time budget allows.
  var retries = 2
  /// Seconds for the whole sweep, or `nil` for no limit: each group (cell, size, batch, dtype)
  /// gets a share of what is left, weighted by its arithmetic; samples are shortened to fit it and
  /// a noisy group is measured again only when the attempt fits in what its share has left.
  var timeBudget: Double?
  /// Called with a progress line (one per group and round), for standard error.
  var status: (String) -> Void = { _ in }
  /// Called with the configurations a group left out to keep the time budget.
  var onSkipped: ([String]) -> Void = { _ in }

  /// One size, batch, element type and cell: the unit that is timed together and judged.
  private struct Group {
    var kind: CellKind, size: Int, batch: Int, dtype: DType
    /// The budget's weight, in units of a small group's time: a fixed part (every configuration's
    /// minimum sample time, about 2 s quiet for the default sweep) plus the multiply-adds of one
    /// step (a vanilla n = 1024, B = 32 group measured about 7 small groups' time on Zen 4).
    var weight: Double {
      1 + Double(kind.gates) * Double(size) * Double(size) * Double(batch) / (512.0 * 512.0 * 20.0)
    }
  }

  func run() -> (rows: [Row], verification: [Verification]) {
    var groups: [Group] = []
    for kind in cells {
      for size in sizes {
        for batch in batches {
          for dtype in dtypes { groups.append(Group(kind: kind, size: size, batch: batch, dtype: dtype)) }
        }
      }
    }
    let budget = timeBudget.map { TimeBudget(seconds: $0) }
    var rows: [Row] = []
    var verification: [Verification] = []
    for (index, group) in groups.enumerated() {
      let share = budget?.share(
        weight: group.weight, remainingWeight: groups[index...].map(\.weight).reduce(0, +))
      let groupStart = now()
      let label =
        "group \(index + 1)/\(groups.count): \(group.kind) n = \(group.size), B = \(group.batch), \(group.dtype)"
      let (more, check): ([Row], Verification)
      switch group.dtype {
      case .float32: (more, check) = measure(Float.self, group, share: share, label: label)
      case .float64: (more, check) = measure(Double.self, group, share: share, label: label)
      }
      rows += more
      verification.append(check)
      status("\(label): measured in \(fixed(Double(now() - groupStart) / 1e9, 1)) s")
    }
    return (rows, verification)
  }

  /// A random cell of `kind` with n_h = n_x = `size` (PyTorch's initialisation scale, 1/√n),
  /// measured by ``measure(_:size:batch:)``.
  private func measure<Scalar: BLASScalar>(
    _ type: Scalar.Type, _ group: Group, share: Double?, label: String
  ) -> ([Row], Verification) {
    let (kind, size, batch) = (group.kind, group.size, group.batch)
    func measure<Cell: RecurrentCell>(_ cell: Cell, using rng: inout SeededGenerator) -> ([Row], Verification) {
      self.measure(cell, kind, size: size, batch: batch, share: share, label: label, using: &rng)
    }
    var rng = SeededGenerator(seed: UInt64(size * 1000 + batch))
    let scale = 1 / Scalar(size).squareRoot()
    func random(_ rows: Int, _ columns: Int, _ sd: Scalar) -> Matrix<Scalar> {
      Matrix<Scalar>.randomNormal(rows: rows, columns: columns, standardDeviation: sd, using: &rng)
    }
    switch kind {
    case .rnn:
      let cell = try! RNNCell<Scalar>.random(hiddenSize: size, inputSize: size, using: &rng)
      return measure(cell, using: &rng)
    case .lstm:
      let cell = try! LSTMCell(
        inputWeights: random(4 * size, size, scale), recurrentWeights: random(4 * size, size, scale),
        inputBias: random(4 * size, 1, 0.1), recurrentBias: random(4 * size, 1, 0.1))
      return measure(cell, using: &rng)
    case .gru:
      let cell = try! GRUCell(
        inputWeights: random(3 * size, size, scale), recurrentWeights: random(3 * size, size, scale),
        inputBias: random(3 * size, 1, 0.1), recurrentBias: random(3 * size, 1, 0.1))
      return measure(cell, using: &rng)
    }
  }

  /// Every configuration of one size, batch and element type, timed together in interleaved
  /// rounds (each attempt from fresh state), then verified. The data are the same for both types:
  /// `Float`'s are `Double`'s rounded (same seed).
  private func measure<Cell: RecurrentCell>(
    _ cell: Cell, _ kind: CellKind, size: Int, batch: Int, share: Double?, label: String,
    using rng: inout SeededGenerator
  ) -> ([Row], Verification) {
    var skipped: [String] = []
    defer { if !skipped.isEmpty { onSkipped(skipped) } }
    let groupStart = now()
    func elapsed() -> Double { Double(now() - groupStart) / 1e9 }
    typealias Scalar = Cell.Scalar
    var rows: [Row] = []
    let dtype = Scalar.dtypeName
    let inputs = (0..<steps).map { _ in Matrix<Scalar>.randomNormal(rows: size, columns: batch, using: &rng) }
    let sequence = hstack(inputs)
    let h0 = Matrix<Scalar>.randomNormal(rows: size, columns: batch, standardDeviation: 0.5, using: &rng)
    let flopsPerStep = 2.0 * Double(kind.gates * size) * Double(2 * size) * Double(batch)

    var labels: [(formulation: String, backend: String)] = []
    var makers: [() -> TimedCase] = []
    for backend in backends {
      for formulation in formulations {
        labels.append((formulation.rawValue, backend.rawValue))
        makers.append { libraryCase(cell, backend, formulation, h0, inputs, sequence) }
      }
    }
    if includeRaw {
      labels += [("fused", "raw-cblas"), ("split", "raw-cblas")]
      makers += [{ RawStep.make(cell, fused: true, h0, inputs) }, { RawStep.make(cell, fused: false, h0, inputs) }]
    }
    var best: [Samples?] = []
    for attempt in 0...retries {
      let attemptStart = now()
      let left = share.map { Swift.max(0, $0 - elapsed()) }
      // Only BLAS's rows make the verdict: the budget may leave the others out.
      let cases = zip(makers, labels).map { make, label in
        var made = make()
        made.optional = label.backend != "blas"
        return made
      }
      let measured = measureRounds(cases, samples: samples, minTime: minTime, budget: left.map { $0 * 0.8 }) { round in
        status("\(label), \(attempt == 0 ? "" : "again, ")round \(round + 1)/\(samples)")
      }
      let attemptTime = Double(now() - attemptStart) / 1e9
      if best.isEmpty || worstSpread(measured) < worstSpread(best) { best = measured }
      if worstSpread(best) <= noiseThreshold { break }
      guard attempt < retries else { break }
      if let share, elapsed() + attemptTime > share {
        progress(
          "\(kind) n = \(size), B = \(batch), \(dtype): samples spread by \(fixed(100 * worstSpread(measured), 0))%; no time left in the budget to measure again"
        )
        break
      }
      progress(
        "\(kind) n = \(size), B = \(batch), \(dtype): samples spread by \(fixed(100 * worstSpread(measured), 0))%, measuring again"
      )
    }
    for (i, label) in labels.enumerated() {
      guard let result = best[i] else {
        progress(
          "\(kind) n = \(size), B = \(batch), \(dtype): \(label.formulation) on \(label.backend): not measured (its calls do not fit in the time budget)"
        )
        skipped.append("\(kind) n = \(size), B = \(batch), \(dtype): \(label.formulation) on \(label.backend)")
        continue
      }
      var row = Row(
        size: size, batch: batch, steps: steps, formulation: label.formulation, backend: label.backend,
        medianNanosecondsPerStep: result.median, minNanosecondsPerStep: result.min,
        maxNanosecondsPerStep: result.max, gflops: flopsPerStep / result.median,
        samples: result.nanosecondsPerStep.count)
      row.dtype = dtype
      row.cell = kind == .rnn ? nil : kind.rawValue
      row.roundNanosecondsPerStep = result.nanosecondsPerStep
      row.noisy = result.spread > noiseThreshold
      if let j = labels.firstIndex(where: { $0.formulation == "split" && $0.backend == label.backend }),
        let split = best[j]
      {
        let ratios = zip(result.nanosecondsPerStep, split.nanosecondsPerStep).map { $0 / $1 }
        row.vsSplit = Samples(nanosecondsPerStep: ratios).median
        row.vsSplitLow = ratios.min()
        row.vsSplitHigh = ratios.max()
      }
      progress(
        "\(kind) n = \(size), B = \(batch), \(dtype): \(label.formulation) on \(label.backend): \(micro(result.median)) µs/step"
          + (row.noisy == true ? " (noisy: spread \(fixed(100 * result.spread, 0))%)" : ""))
      rows.append(row)
    }
    var check = verify(cell, inputs: Array(inputs.prefix(5)), h0: h0)
    check.cell = kind == .rnn ? nil : kind.rawValue
    return (rows, check)
  }

  private func worstSpread(_ samples: [Samples?]) -> Double { samples.compactMap { $0?.spread }.max() ?? 0 }

  /// A library step (or a hoisted forward over the sequence) on `backend`, from `h0`.
  private func libraryCase<Cell: RecurrentCell>(
    _ cell: Cell, _ backend: Backend, _ formulation: Formulation, _ h0: Matrix<Cell.Scalar>,
    _ inputs: [Matrix<Cell.Scalar>], _ sequence: Matrix<Cell.Scalar>
  ) -> TimedCase {
    var bound = cell
    bound.backend = backend
    var workspace = bound.makeWorkspace(batchSize: h0.columns)
    workspace.state = h0
    if formulation == .hoisted {
      var states = Matrix<Cell.Scalar>.zeros(rows: cell.hiddenSize, columns: steps * h0.columns)
      return TimedCase(stepsPerCall: steps) {
        bound.forward(inputs: sequence, into: &workspace, states: &states, formulation: .hoisted, reversed: false)
        return states.withUnsafeBufferPointer { Double($0[$0.count - 1]) }
      }
    }
    var t = 0
    return TimedCase(stepsPerCall: 1) {
      bound.step(x: inputs[t % inputs.count], into: &workspace, formulation: formulation)
      t += 1
      return Double(t)
    }
  }

  /// Every formulation and backend from the same state over the same inputs, against split on BLAS,
  /// within `Verification.tolerance(for:size:)`.
  private func verify<Cell: RecurrentCell>(
    _ cell: Cell, inputs: [Matrix<Cell.Scalar>], h0: Matrix<Cell.Scalar>
  )
    -> Verification
  {
    typealias Scalar = Cell.Scalar
    let sequence = hstack(inputs)
    func run(_ backend: Backend, _ formulation: Formulation) -> Matrix<Scalar> {
      var bound = cell
      bound.backend = backend
      var workspace = bound.makeWorkspace(batchSize: h0.columns)
      workspace.state = h0
      var states = Matrix<Scalar>.zeros(rows: cell.hiddenSize, columns: sequence.columns)
      bound.forward(inputs: sequence, into: &workspace, states: &states, formulation: formulation, reversed: false)
      return states
    }
    let expected = run(.blas, .split)
    var maxDifference = 0.0
    var close = true
    let tolerance = Verification.tolerance(for: Scalar.self, size: cell.hiddenSize)
    for backend in Backend.allCases {
      for formulation in Formulation.allCases {
        let got = run(backend, formulation)
        maxDifference = max(
          maxDifference, zip(got.scalars, expected.scalars).map { Double(abs($0 - $1)) }.max() ?? 0)
        close = close && allclose(got, expected, rtol: Scalar(tolerance), atol: Scalar(tolerance))
      }
    }
    var check = Verification(
      size: cell.hiddenSize, batch: h0.columns, maxAbsDifference: maxDifference, allclose: close)
    check.dtype = Scalar.dtypeName
    check.tolerance = tolerance
    return check
  }
}

/// The raw rows' direct CBLAS calls, `cblas_sgemm`/`cblas_sgemv` for `Float` and
/// `cblas_dgemm`/`cblas_dgemv` for `Double` (row-major, no transposes, alpha 1): the type is
/// tested once per call and the pointers passed as they are.
enum RawCBLAS {
  /// `c (m × 1) = A (m × k) · x + beta · c`.
  static func gemv<Scalar: BLASScalar>(
    _ m: Int, _ k: Int, _ a: UnsafePointer<Scalar>, _ x: UnsafePointer<Scalar>, _ beta: Scalar,
    _ c: UnsafeMutablePointer<Scalar>
  ) {
    if Scalar.self == Float.self {
      cblas_sgemv(
        CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, cast(a), Int32(k), cast(x), 1, Float(beta), cast(c), 1)
    } else {
      cblas_dgemv(
        CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, cast(a), Int32(k), cast(x), 1, Double(beta), cast(c), 1)
    }
  }

  /// `c (m × n) = A (m × k) · B (k × n) + beta · c`.
  static func gemm<Scalar: BLASScalar>(
    _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, _ beta: Scalar,
    _ c: UnsafeMutablePointer<Scalar>
  ) {
    if Scalar.self == Float.self {
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, cast(a), Int32(k), cast(b),
        Int32(n), Float(beta), cast(c), Int32(n))
    } else {
      cblas_dgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, cast(a), Int32(k), cast(b),
        Int32(n), Double(beta), cast(c), Int32(n))
    }
  }

  private static func cast<From, To>(_ p: UnsafePointer<From>) -> UnsafePointer<To> {
    UnsafeRawPointer(p).assumingMemoryBound(to: To.self)
  }

  private static func cast<From, To>(_ p: UnsafeMutablePointer<From>) -> UnsafeMutablePointer<To> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: To.self)
  }
}

/// numpy's element types, as `--dtype` spells them.
enum DType: String, CaseIterable {
  case float32, float64
}
