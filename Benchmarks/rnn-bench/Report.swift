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
