import DenseMatrix
import Foundation
import NumPyIO
import RNN
import Testing

/// Padded batches with lengths and batch_first against PyTorch's own modules run through
/// `pack_padded_sequence(enforce_sorted=False)` and `pad_packed_sequence(total_length=T)`
/// (Fixtures/packed_cases.npz, written by Fixtures/make_fixtures.py with PyTorch 1.13 in
/// float64; NaN in every padded input position).
@Suite("Padded batches with lengths, and batch_first, against PyTorch")
struct PackedSequenceTests {
  static let cases: NPZArchive = try! NPZArchive(contentsOf: Fixture.url("packed_cases.npz"))
  /// LSTMs with proj_size, with and without lengths (Fixtures/projection_cases.npz).
  static let projectionCases: NPZArchive = try! NPZArchive(contentsOf: Fixture.url("projection_cases.npz"))
  static func count(_ archive: NPZArchive) -> Int { Set(archive.names.map { $0.split(separator: ".")[0] }).count }

  struct Case {
    var stateDict: [String: Matrix<Double>] = [:]
    var mode: RecurrentNetwork<Double>.Mode
    var batchFirst: Bool
    var input: NPYArray
    var lengths: [Int]
    var output: NPYArray
    var hN: NPYArray
    var cN: NPYArray?
    var h0: NPYArray?
    var c0: NPYArray?

    init(_ index: Int, in archive: NPZArchive = PackedSequenceTests.cases) throws {
      let prefix = "case\(index)."
      func array(_ name: String) throws -> NPYArray { try archive.array(named: prefix + name) }
      let config = try array("config").scalars
      mode = [.rnnTanh, .rnnReLU, .lstm, .gru][Int(config[0])]
      batchFirst = config[4] == 1
      input = try array("input")
      lengths = try array("lengths").scalars.map { Int($0) }
      output = try array("output")
      hN = try array("h_n")
      cN = try? array("c_n")
      h0 = try? array("h_0")
      c0 = try? array("c_0")
      for name in archive.names where name.hasPrefix(prefix) {
        let short = String(name.dropFirst(prefix.count))
        if short.hasPrefix("weight_") || short.hasPrefix("bias_") {
          stateDict[short] = try archive.matrix(named: name)
        }
      }
    }

    func matrix<Scalar: BLASScalar>(_ array: NPYArray, columns: Int, as: Scalar.Type) -> Matrix<Scalar> {
      let values = array.scalars.map { Scalar($0) }
      return Matrix(rows: values.count / columns, columns: columns, scalars: values)
    }
  }

  /// Relative difference, with NaN anywhere counted as a failure.
  func difference<Scalar: BLASScalar>(_ found: Matrix<Scalar>, _ expected: NPYArray) -> Double {
    let want = expected.scalars
    guard found.scalars.count == want.count else { return .infinity }
    var worst = 0.0
    let scale = max(1, want.map(abs).max() ?? 1)
    for (a, b) in zip(found.scalars, want) {
      let d = abs(Double(a) - b)
      if d.isNaN { return .infinity }
      worst = max(worst, d / scale)
    }
    return worst
  }

  func check<Scalar: BLASScalar>(
    _ index: Int, in archive: NPZArchive = Self.cases, formulation: Formulation, as type: Scalar.Type,
    tolerance: Double
  ) throws {
    let c = try Case(index, in: archive)
    let stateDict = c.stateDict.mapValues { m in
      Matrix<Scalar>(rows: m.rows, columns: m.columns, scalars: m.scalars.map { Scalar($0) })
    }
    let mode = RecurrentNetwork<Scalar>.Mode(rawValue: c.mode.rawValue)!
    let network = try RecurrentNetwork<Scalar>(stateDict: stateDict, mode: mode, formulation: formulation)
    let input = c.matrix(c.input, columns: network.inputSize, as: Scalar.self)
    let h0 = c.h0.map { c.matrix($0, columns: network.outputSize, as: Scalar.self) }
    let c0 = c.c0.map { c.matrix($0, columns: network.hiddenSize, as: Scalar.self) }
    let result = try network.forward(
      input, batchSize: c.lengths.count, lengths: c.lengths, batchFirst: c.batchFirst, initialState: h0, initialCell: c0
    )
    let what =
      "case \(index): \(c.mode), \(network.layerCount) layer(s), D = \(network.directionCount), bias \(network.hasBias), P = \(network.projectionSize), batch_first \(c.batchFirst), h_0 \(c.h0 != nil), lengths \(c.lengths), \(formulation), \(Scalar.self)"
    #expect(difference(result.output, c.output) <= tolerance, "output, \(what)")
    #expect(difference(result.finalState, c.hN) <= tolerance, "h_n, \(what)")
    if let cN = c.cN {
      #expect(difference(try #require(result.finalCell), cN) <= tolerance, "c_n, \(what)")
    }
    // Padded outputs are exactly zero.
    let (steps, batch) = (c.input.shape[c.batchFirst ? 1 : 0], c.lengths.count)
    for b in 0..<batch {
      for t in c.lengths[b]..<steps {
        let row = c.batchFirst ? b * steps + t : t * batch + b
        #expect((0..<result.output.columns).allSatisfy { result.output[row, $0] == 0 }, "padding row \(row), \(what)")
      }
    }
  }

  @Test(
    "float64, every formulation: PyTorch's output, h_n and c_n", arguments: 0..<64,
    [Formulation.hoisted, .fused, .split])
  func double(index: Int, formulation: Formulation) throws {
    guard index < Self.count(Self.cases) else { return }
    try check(index, formulation: formulation, as: Double.self, tolerance: 1e-12)
  }

  @Test("float32, hoisted", arguments: 0..<64)
  func float(index: Int) throws {
    guard index < Self.count(Self.cases) else { return }
    try check(index, formulation: .hoisted, as: Float.self, tolerance: 1e-5)
  }

  @Test(
    "LSTMs with proj_size, every formulation, with and without lengths: PyTorch's output, h_n and c_n",
    arguments: 0..<32, [Formulation.hoisted, .fused, .split, .fusedConcatenatingEachStep])
  func projection(index: Int, formulation: Formulation) throws {
    guard index < Self.count(Self.projectionCases) else { return }
    try check(index, in: Self.projectionCases, formulation: formulation, as: Double.self, tolerance: 1e-12)
    try check(index, in: Self.projectionCases, formulation: formulation, as: Float.self, tolerance: 1e-5)
  }

  @Test("lengths are checked before anything runs")
  func badLengths() throws {
    let c = try Case(0)
    let network = try RecurrentNetwork<Double>(stateDict: c.stateDict, mode: c.mode)
    let input = c.matrix(c.input, columns: network.inputSize, as: Double.self)
    for lengths in [[1, 2, 3], [0, 6, 6, 6], [7, 1, 1, 1], [-1, 1, 1, 1]] {
      #expect(throws: ShapeError.self, "\(lengths)") {
        try network.forward(input, batchSize: 4, lengths: lengths, batchFirst: c.batchFirst)
      }
    }
  }

  @Test("every length T is the unpadded run, bit for bit")
  func fullLengths() throws {
    let c = try Case(2)
    let network = try RecurrentNetwork<Double>(stateDict: c.stateDict, mode: c.mode)
    let values = (0..<(6 * 4 * network.inputSize)).map { Double($0 % 7) / 7 - 0.4 }
    let input = Matrix(rows: 24, columns: network.inputSize, scalars: values)
    let plain = try network.forward(input, batchSize: 4)
    let full = try network.forward(input, batchSize: 4, lengths: [6, 6, 6, 6])
    #expect(plain.output == full.output && plain.finalState == full.finalState)
  }
}

/// A padded batch wider than the products' rounding (16 columns), whose running width changes,
/// against each of its sequences run alone (the unpadded path, which the PyTorch cases check).
@Suite("Padded batches against their sequences run one by one")
struct PaddedAgainstSingleSequenceTests {
  static func stateDict(
    mode: RecurrentNetwork<Double>.Mode, input: Int, hidden: Int, projection: Int
  ) -> [String: Matrix<Double>] {
    var rng = SeededGenerator(seed: 99)
    var dict: [String: Matrix<Double>] = [:]
    let state = projection > 0 ? projection : hidden
    for layer in 0..<2 {
      for suffix in ["", "_reverse"] {
        let g = mode.gateCount * hidden
        dict["weight_ih_l\(layer)\(suffix)"] = .randomNormal(
          rows: g, columns: layer == 0 ? input : 2 * state, standardDeviation: 0.4, using: &rng)
        dict["weight_hh_l\(layer)\(suffix)"] = .randomNormal(
          rows: g, columns: state, standardDeviation: 0.4, using: &rng)
        dict["bias_ih_l\(layer)\(suffix)"] = .randomNormal(rows: g, columns: 1, standardDeviation: 0.1, using: &rng)
        dict["bias_hh_l\(layer)\(suffix)"] = .randomNormal(rows: g, columns: 1, standardDeviation: 0.1, using: &rng)
        if projection > 0 {
          dict["weight_hr_l\(layer)\(suffix)"] = .randomNormal(
            rows: projection, columns: hidden, standardDeviation: 0.4, using: &rng)
        }
      }
    }
    return dict
  }

  @Test(
    "37 sequences of 1 to 9 steps: every output row, h_n and c_n as run alone",
    arguments: [(RecurrentNetwork<Double>.Mode.lstm, 3), (.lstm, 0), (.gru, 0), (.rnnTanh, 0)],
    [Formulation.hoisted, .split])
  func againstSingles(cell: (mode: RecurrentNetwork<Double>.Mode, projection: Int), formulation: Formulation) throws {
    let (mode, projection) = cell
    let (steps, batch, input, hidden) = (9, 37, 3, 5)
    let network = try RecurrentNetwork<Double>(
      stateDict: Self.stateDict(mode: mode, input: input, hidden: hidden, projection: projection), mode: mode,
      formulation: formulation)
    var rng = SeededGenerator(seed: 7)
    // Eight lengths, each many times, so that 37, then fewer than 32 and fewer than 16 run.
    let lengths = (0..<batch).map { b in [1, 9, 9, 4, 7, 2, 9, 5][b % 8] }
    var x = Matrix<Double>.randomNormal(rows: steps * batch, columns: input, using: &rng)
    for b in 0..<batch { for t in lengths[b]..<steps { for i in 0..<input { x[t * batch + b, i] = .nan } } }
    let (p, stacks) = (network.outputSize, 2 * 2)
    let h0 = Matrix<Double>.randomNormal(rows: stacks * batch, columns: p, using: &rng)
    let c0 = mode == .lstm ? Matrix<Double>.randomNormal(rows: stacks * batch, columns: hidden, using: &rng) : nil
    let padded = try network.forward(x, batchSize: batch, lengths: lengths, initialState: h0, initialCell: c0)
    for b in 0..<batch {
      let length = lengths[b]
      let xb = Matrix<Double>(rows: length, columns: input) { t, i in x[t * batch + b, i] }
      let rows = (0..<stacks).map { $0 * batch + b }
      let hb = Matrix<Double>(rows: stacks, columns: p) { k, j in h0[rows[k], j] }
      let cb = c0.map { c0 in Matrix<Double>(rows: stacks, columns: hidden) { k, j in c0[rows[k], j] } }
      let alone = try network.forward(xb, batchSize: 1, initialState: hb, initialCell: cb)
      for t in 0..<steps {
        for j in 0..<(2 * p) {
          let want = t < length ? alone.output[t, j] : 0
          #expect(abs(padded.output[t * batch + b, j] - want) <= 1e-12, "sequence \(b), step \(t), column \(j)")
        }
      }
      for k in 0..<stacks {
        for j in 0..<p {
          #expect(abs(padded.finalState[rows[k], j] - alone.finalState[k, j]) <= 1e-12, "h_n \(b) \(k)")
        }
        if let cell = padded.finalCell {
          for j in 0..<hidden { #expect(abs(cell[rows[k], j] - alone.finalCell![k, j]) <= 1e-12, "c_n \(b) \(k)") }
        }
      }
    }
  }
}
