import DenseMatrix

/// One measured configuration.
struct Row: Codable {
  var size: Int
  var batch: Int
  var steps: Int
  var formulation: String
  var backend: String
  /// numpy's name of the element type (`float32`, `float64`); absent in reports from before
  /// float32 was measured, which are float64.
  var dtype: String?
  /// The cell (`lstm`, `gru`); absent for the vanilla RNN cell, as in reports from before
  /// `--cell`.
  var cell: String?
  var medianNanosecondsPerStep: Double
  var minNanosecondsPerStep: Double
  var maxNanosecondsPerStep: Double
  var gflops: Double
  var samples: Int
  /// Median of the per-round ratios to split (same backend); lowest and highest per-round ratio.
  var vsSplit: Double?
  var vsSplitLow: Double?
  var vsSplitHigh: Double?
  var vsRaw: Double?
  var vsNumpy: Double?
  /// A float32 row's time over the float64 row of the same configuration (below 1: float32 is faster).
  var vsFloat64: Double?
  /// Whether the samples spread by more than the noise threshold, even after re-measuring.
  var noisy: Bool?
  /// The nanoseconds per step of each interleaved round, for ratios round by round.
  var roundNanosecondsPerStep: [Double]?

  init(
    size: Int, batch: Int, steps: Int, formulation: String, backend: String, medianNanosecondsPerStep: Double,
    minNanosecondsPerStep: Double, maxNanosecondsPerStep: Double, gflops: Double, samples: Int
  ) {
    (self.size, self.batch, self.steps, self.formulation, self.backend) = (size, batch, steps, formulation, backend)
    self.medianNanosecondsPerStep = medianNanosecondsPerStep
    self.minNanosecondsPerStep = minNanosecondsPerStep
    self.maxNanosecondsPerStep = maxNanosecondsPerStep
    self.gflops = gflops
    self.samples = samples
  }

  /// ``dtype``, float64 when absent.
  var elementType: String { dtype ?? "float64" }
  /// ``cell``, rnn when absent.
  var cellKind: String { cell ?? "rnn" }

  /// Every key, `null` where there is no value, so that a reader's code need not test for
  /// missing keys; `cell` and `dtype` always named (`rnn`, `float64` where absent).
  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(size, forKey: .size)
    try c.encode(batch, forKey: .batch)
    try c.encode(steps, forKey: .steps)
    try c.encode(formulation, forKey: .formulation)
    try c.encode(backend, forKey: .backend)
    try c.encode(elementType, forKey: .dtype)
    try c.encode(cellKind, forKey: .cell)
    try c.encode(medianNanosecondsPerStep, forKey: .medianNanosecondsPerStep)
    try c.encode(minNanosecondsPerStep, forKey: .minNanosecondsPerStep)
    try c.encode(maxNanosecondsPerStep, forKey: .maxNanosecondsPerStep)
    try c.encode(gflops, forKey: .gflops)
    try c.encode(samples, forKey: .samples)
    try c.encode(vsSplit, forKey: .vsSplit)
    try c.encode(vsSplitLow, forKey: .vsSplitLow)
    try c.encode(vsSplitHigh, forKey: .vsSplitHigh)
    try c.encode(vsRaw, forKey: .vsRaw)
    try c.encode(vsNumpy, forKey: .vsNumpy)
    try c.encode(vsFloat64, forKey: .vsFloat64)
    try c.encode(noisy ?? false, forKey: .noisy)
    try c.encode(roundNanosecondsPerStep, forKey: .roundNanosecondsPerStep)
  }
}

/// The inline correctness check for one size: every formulation and backend against `split`
/// on BLAS, from the same state over the same inputs.
struct Verification: Codable {
  var size: Int
  var batch: Int
  var maxAbsDifference: Double
  var allclose: Bool
  /// The element type checked (float64 when absent) and the rtol = atol used.
  var dtype: String?
  var tolerance: Double?
  /// The cell checked (rnn when absent).
  var cell: String?

  /// Every key, as ``Row/encode(to:)``.
  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(size, forKey: .size)
    try c.encode(batch, forKey: .batch)
    try c.encode(maxAbsDifference, forKey: .maxAbsDifference)
    try c.encode(allclose, forKey: .allclose)
    try c.encode(dtype ?? "float64", forKey: .dtype)
    try c.encode(tolerance, forKey: .tolerance)
    try c.encode(cell ?? "rnn", forKey: .cell)
  }

  init(size: Int, batch: Int, maxAbsDifference: Double, allclose: Bool) {
    (self.size, self.batch, self.maxAbsDifference, self.allclose) = (size, batch, maxAbsDifference, allclose)
  }

  /// The agreement asked of two formulations: 1e-12 for `Double`; for `Float`, 1e-6 times the
  /// square root of the reduction length 2n (products summed in different orders differ by a
  /// few ulp of float per term, growing like √k for random data; 2^-24 ≈ 6e-8).
  static func tolerance<Scalar: BLASScalar>(for type: Scalar.Type, size: Int) -> Double {
    Scalar.self == Double.self ? 1e-12 : 1e-6 * Double(2 * size).squareRoot()
  }
}

/// Everything a run produced; also the JSON schema shared with `Benchmarks/numpy/rnn_numpy.py`.
struct Report: Codable {
  var system: SystemInfo
  /// The system of the numpy report given to `--compare`: whose BLAS produced numpy's rows.
  var peer: SystemInfo?
  var command: String
  var rows: [Row]
  var verification: [Verification]
  /// The verdicts, written with the report (``verdicts()`` at the time it is encoded); absent in
  /// numpy's reports.
  var verdictRecords: [Verdict]?
  /// Lines for the reader: what the time budget left out.
  var notes: [String]?

  enum CodingKeys: String, CodingKey {
    case system, peer, command, rows, verification, notes
    case verdictRecords = "verdicts"
  }

  /// Every key, `null` where there is no value; the verdicts recomputed from the rows.
  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(system, forKey: .system)
    try c.encode(peer, forKey: .peer)
    try c.encode(command, forKey: .command)
    try c.encode(rows, forKey: .rows)
    try c.encode(verification, forKey: .verification)
    try c.encode(verdicts(), forKey: .verdictRecords)
    try c.encode(notes ?? [], forKey: .notes)
  }

  /// Fills `vsSplit` (same size, batch and backend) and `vsRaw` (the raw CBLAS row of the same
  /// size and batch: fused for fused forms, split for split forms).
  mutating func computeRatios() {
    func find(_ r: Row, _ formulation: String, _ backend: String, _ dtype: String) -> Row? {
      rows.first {
        $0.size == r.size && $0.batch == r.batch && $0.formulation == formulation && $0.backend == backend
          && $0.elementType == dtype && $0.cellKind == r.cellKind
      }
    }
    for i in rows.indices {
      let r = rows[i]
      if r.vsSplit == nil, let split = find(r, "split", r.backend, r.elementType) {
        rows[i].vsSplit = r.medianNanosecondsPerStep / split.medianNanosecondsPerStep
      }
      let rawFormulation = (r.formulation == "split" || r.formulation == "hoisted") ? "split" : "fused"
      if r.backend != "raw-cblas", let raw = find(r, rawFormulation, "raw-cblas", r.elementType) {
        rows[i].vsRaw = r.medianNanosecondsPerStep / raw.medianNanosecondsPerStep
      }
      if r.elementType == "float32", let double = find(r, r.formulation, r.backend, "float64") {
        rows[i].vsFloat64 = r.medianNanosecondsPerStep / double.medianNanosecondsPerStep
      }
    }
  }

  /// Adds numpy's rows from a report written by the numpy script, and a `vsNumpy` ratio (ours
  /// over numpy's median, below 1 means faster than numpy) on every row with a numpy counterpart.
  mutating func compare(with numpy: Report) {
    peer = numpy.system
    for i in rows.indices {
      let r = rows[i]
      if let peer = numpy.rows.first(where: {
        $0.cellKind == r.cellKind && $0.size == r.size && $0.batch == r.batch && $0.formulation == r.formulation
          && $0.elementType == r.elementType
      }) {
        rows[i].vsNumpy = r.medianNanosecondsPerStep / peer.medianNanosecondsPerStep
      }
    }
    let keys = Set(rows.map { "\($0.cellKind)/\($0.size)/\($0.batch)" })
    rows += numpy.rows.filter { $0.backend == "numpy" && keys.contains("\($0.cellKind)/\($0.size)/\($0.batch)") }
    let order = rows.enumerated().map { ($0.offset, $0.element) }
    rows = order.sorted { a, b in
      (a.1.cellKind, a.1.batch, a.1.size, a.1.elementType, a.0) < (
        b.1.cellKind, b.1.batch, b.1.size, b.1.elementType, b.0
      )
    }.map(\.1)
  }
}

/// Which of the two fastest formulations (on BLAS) of one cell, size, batch and element type is
/// faster, and whether that can be trusted: ``ratio`` is always ``faster``'s time over
/// ``other``'s (the median of the per-round ratios, with the lowest and highest round), and the
/// verdict is certain only when every round favours ``faster`` and neither row is noisy.
struct Verdict: Codable, Equatable {
  var cell: String
  var size: Int
  var batch: Int
  var dtype: String
  /// Of the two formulations with the lowest median times, the one the per-round ratios favour,
  /// and the other (as the rows name them).
  var faster: String
  var other: String
  var ratio: Double
  var ratioLow: Double
  var ratioHigh: Double
  var noisy: Bool

  /// Every round favoured ``faster``.
  var consistent: Bool { ratioHigh < 1 }
  /// Consistent and not noisy: the answer the report stands behind.
  var certain: Bool { consistent && !noisy }

  /// `hoisted is faster: 0.83× of split's time [0.22, 3.52] per round, not consistent: uncertain`.
  var sentence: String {
    var text =
      "\(Report.displayName(faster)) is faster: \(fixed(ratio, 2))× of \(Report.displayName(other))'s time [\(fixed(ratioLow, 2)), \(fixed(ratioHigh, 2))] per round"
    let doubts = (consistent ? [] : ["not consistent"]) + (noisy ? ["noisy"] : [])
    if !doubts.isEmpty { text += ", \(doubts.joined(separator: " and ")): uncertain" }
    return text
  }

  enum CodingKeys: String, CodingKey {
    case cell, size, batch, dtype, faster, other, ratio, ratioLow, ratioHigh, noisy, consistent, verdict
  }

  init(
    cell: String, size: Int, batch: Int, dtype: String, faster: String, other: String, ratio: Double,
    ratioLow: Double, ratioHigh: Double, noisy: Bool
  ) {
    (self.cell, self.size, self.batch, self.dtype) = (cell, size, batch, dtype)
    (self.faster, self.other, self.ratio, self.ratioLow, self.ratioHigh, self.noisy) = (
      faster, other, ratio, ratioLow, ratioHigh, noisy
    )
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      cell: try c.decode(String.self, forKey: .cell), size: try c.decode(Int.self, forKey: .size),
      batch: try c.decode(Int.self, forKey: .batch), dtype: try c.decode(String.self, forKey: .dtype),
      faster: try c.decode(String.self, forKey: .faster), other: try c.decode(String.self, forKey: .other),
      ratio: try c.decode(Double.self, forKey: .ratio), ratioLow: try c.decode(Double.self, forKey: .ratioLow),
      ratioHigh: try c.decode(Double.self, forKey: .ratioHigh), noisy: try c.decode(Bool.self, forKey: .noisy))
  }

  /// Every field, and the derived `consistent` and `verdict` (`faster` or `uncertain`).
  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(cell, forKey: .cell)
    try c.encode(size, forKey: .size)
    try c.encode(batch, forKey: .batch)
    try c.encode(dtype, forKey: .dtype)
    try c.encode(faster, forKey: .faster)
    try c.encode(other, forKey: .other)
    try c.encode(ratio, forKey: .ratio)
    try c.encode(ratioLow, forKey: .ratioLow)
    try c.encode(ratioHigh, forKey: .ratioHigh)
    try c.encode(noisy, forKey: .noisy)
    try c.encode(consistent, forKey: .consistent)
    try c.encode(certain ? "faster" : "uncertain", forKey: .verdict)
  }
}
