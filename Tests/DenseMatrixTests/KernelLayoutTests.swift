import BLASDiagnostics
import DenseMatrix
import Testing
import _TestSupport

/// The vector kernels' layouts on every path the CPU has, in both element types: the transpose
/// (a recurrent step's H × B states into PyTorch's batch-major rows) against its definition, and
/// the bias-and-activation pass in place against the same pass into another buffer.
@Suite("Kernel layouts on every vector path")
struct KernelLayoutTests {
  /// The same bytes.
  static func identical<S>(_ a: S, _ b: S) -> Bool {
    withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
  }

  /// Shapes with every tail: below, at and past the 8 × 8 tiles, and the network's own.
  static let shapes: [(rows: Int, columns: Int)] = [
    (0, 0), (0, 5), (5, 0), (1, 1), (64, 1), (7, 3), (8, 8), (9, 17), (16, 7), (23, 31), (64, 32), (65, 33),
  ]

  @Test(arguments: ActivationPath.allCases, [false, true])
  func transposeCopiesEveryElementAndNothingElse(path: ActivationPath, mapped: Bool) {
    guard path.isSupported(by: CPUInfo.current) else { return }
    for (rows, columns) in Self.shapes {
      transpose(Float.self, path: path, rows: rows, columns: columns, mapped: mapped)
      transpose(Double.self, path: path, rows: rows, columns: columns, mapped: mapped)
    }
  }

  /// `rows × columns` at row stride `columns + 3`, into destination rows `stride = rows + 2`
  /// apart (mapped: in reverse order with a gap), every other element left as it was.
  private func transpose<S: BLASScalar>(_: S.Type, path: ActivationPath, rows: Int, columns: Int, mapped: Bool) {
    var rng = SeededGenerator(seed: UInt64(rows * 100 + columns))
    let (sourceStride, stride) = (columns + 3, rows + 2)
    // Random values, a negative NaN and -0 among them: a copy keeps every bit.
    var source = (0..<max(1, rows * sourceStride)).map { _ in S(Double.random(in: -1...1, using: &rng)) }
    if source.count > 4 { (source[1], source[3]) = (-0.0, -S.nan) }
    let map = (0..<columns).map { 2 * (columns - 1 - $0) }  // rows 2(B-1), ..., 2, 0
    let destinationRows = mapped ? 2 * max(1, columns) : max(1, columns)
    let sentinel = S(-7)
    var destination = [S](repeating: sentinel, count: destinationRows * stride)
    source.withUnsafeBufferPointer { s in
      destination.withUnsafeMutableBufferPointer { d in
        map.withUnsafeBufferPointer { m in
          S._transpose(
            path: path, rowCount: rows, columns: columns, source: s.baseAddress!, sourceStride: sourceStride,
            destination: d.baseAddress!, destinationStride: stride, rows: mapped ? m.baseAddress : nil)
        }
      }
    }
    var expected = [S](repeating: sentinel, count: destination.count)
    for c in 0..<columns {
      for r in 0..<rows { expected[(mapped ? map[c] : c) * stride + r] = source[r * sourceStride + c] }
    }
    let same = zip(destination, expected).allSatisfy(Self.identical)
    #expect(same, "\(S.self) \(path) \(rows)×\(columns) mapped: \(mapped)")
  }

  /// A row longer than a vector whose length is not a multiple of it ends in a vector that
  /// overlaps the one before; in place, that must not apply the activation twice.
  @Test(arguments: ActivationPath.allCases)
  func inPlaceEqualsOutOfPlaceAtEveryLength(path: ActivationPath) {
    guard path.isSupported(by: CPUInfo.current) else { return }
    inPlace(Float.self, path: path)
    inPlace(Double.self, path: path)
  }

  private func inPlace<S: BLASScalar>(_: S.Type, path: ActivationPath) {
    var rng = SeededGenerator(seed: 11)
    let rows = 3
    for columns in 0...70 {
      // At least one element, so that every buffer has an address.
      let source = (0..<max(1, rows * columns)).map { _ in S(Double.random(in: -4...4, using: &rng)) }
      let bias = (0..<rows).map { _ in S(Double.random(in: -1...1, using: &rng)) }
      for activation in Activation.allCases {
        var out = [S](repeating: 0, count: source.count)
        var inPlace = source
        bias.withUnsafeBufferPointer { b in
          source.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
              withActivationPath(path) {
                activation.apply(
                  rows: rows, columns: columns, source: s.baseAddress!, sourceStride: columns, bias: b.baseAddress,
                  destination: o.baseAddress!, destinationStride: columns)
              }
            }
          }
          inPlace.withUnsafeMutableBufferPointer { p in
            withActivationPath(path) {
              activation.apply(
                rows: rows, columns: columns, source: p.baseAddress!, sourceStride: columns, bias: b.baseAddress,
                destination: p.baseAddress!, destinationStride: columns)
            }
          }
        }
        let same = zip(out, inPlace).prefix(rows * columns).allSatisfy(Self.identical)
        #expect(same, "\(S.self) \(path) \(activation) columns \(columns)")
      }
    }
  }

  /// The fused LSTM pointwise kernel equals the passes it replaces (the activation kernel per
  /// gate, then c, tanh(c) and o ⊙ tanh(c) one product at a time), bit for bit, on every path:
  /// a batch of one (contiguous gates, and gates a stride apart), gathered gates without a bias
  /// (one row), and rows with tails, in both element types.
  @Test(arguments: ActivationPath.allCases)
  func fusedLSTMPointwiseEqualsItsPasses(path: ActivationPath) {
    guard path.isSupported(by: CPUInfo.current) else { return }
    let cases: [(hidden: Int, batch: Int, stride: Int, bias: Bool)] = [
      (5, 1, 1, true), (37, 1, 1, true), (37, 1, 1, false), (7, 1, 3, true), (9, 5, 5, false), (9, 5, 8, true),
      (16, 17, 20, true), (20, 32, 32, true), (3, 33, 40, false),
    ]
    for c in cases {
      lstm(Float.self, path: path, hidden: c.hidden, batch: c.batch, stride: c.stride, withBias: c.bias)
      lstm(Double.self, path: path, hidden: c.hidden, batch: c.batch, stride: c.stride, withBias: c.bias)
    }
  }

  private func lstm<S: BLASScalar>(
    _: S.Type, path: ActivationPath, hidden: Int, batch: Int, stride: Int, withBias: Bool
  ) {
    var rng = SeededGenerator(seed: UInt64(hidden * 1000 + batch * 10 + stride))
    func random(_ count: Int, _ scale: Double) -> [S] {
      (0..<count).map { _ in S(Double.random(in: -scale...scale, using: &rng)) }
    }
    let units = hidden * batch
    let gates0 = random(4 * hidden * stride, 4)
    let bias = random(4 * hidden, 1)
    let cell0 = random(units, 2)
    // The fused kernel.
    var (gates, cell) = (gates0, cell0)
    var (tanhCell, out) = ([S](repeating: 0, count: units), [S](repeating: 0, count: units))
    withActivationPath(path) {
      bias.withUnsafeBufferPointer { b in
        S._lstmPointwise(
          path: path, hidden: hidden, batch: batch, gates: &gates, gateStride: stride,
          bias: withBias ? b.baseAddress : nil, cell: &cell, tanhCell: &tanhCell, out: &out)
      }
    }
    // The passes: each gate's rows through the activation kernel, then the products.
    var expectedGates = gates0
    withActivationPath(path) {
      bias.withUnsafeBufferPointer { b in
        expectedGates.withUnsafeMutableBufferPointer { g in
          for (gate, activation) in [Activation.sigmoid, .sigmoid, .tanh, .sigmoid].enumerated() {
            let block = g.baseAddress! + gate * hidden * stride
            activation.apply(
              rows: hidden, columns: batch, source: block, sourceStride: stride,
              bias: withBias ? b.baseAddress! + gate * hidden : nil, destination: block, destinationStride: stride)
          }
        }
      }
    }
    var (expectedCell, expectedTanh, expectedOut) = (cell0, [S](), [S]())
    for r in 0..<hidden {
      for k in 0..<batch {
        let (i, f) = (expectedGates[r * stride + k], expectedGates[(hidden + r) * stride + k])
        let g = expectedGates[(2 * hidden + r) * stride + k]
        expectedCell[r * batch + k] = f * expectedCell[r * batch + k] + i * g
      }
    }
    expectedTanh = withActivationPath(path) {
      Matrix(rows: 1, columns: units, scalars: expectedCell).applying(.tanh).scalars
    }
    for r in 0..<hidden {
      for k in 0..<batch {
        expectedOut.append(expectedGates[(3 * hidden + r) * stride + k] * expectedTanh[r * batch + k])
      }
    }
    let same =
      zip(gates, expectedGates).allSatisfy(Self.identical) && zip(cell, expectedCell).allSatisfy(Self.identical)
      && zip(tanhCell, expectedTanh).allSatisfy(Self.identical) && zip(out, expectedOut).allSatisfy(Self.identical)
    #expect(same, "\(S.self) \(path) H \(hidden) B \(batch) stride \(stride) bias \(withBias)")
  }

  /// The fused GRU pointwise kernel equals the passes it replaces (the recurrent parts added, the
  /// activation kernel per gate, n's argument and h one product at a time), bit for bit, on every
  /// path: a batch of one (contiguous gates, and gates a stride apart), rows with tails, with and
  /// without the recurrent r and z parts and the bias, in both element types.
  @Test(arguments: ActivationPath.allCases)
  func fusedGRUPointwiseEqualsItsPasses(path: ActivationPath) {
    guard path.isSupported(by: CPUInfo.current) else { return }
    let cases: [(hidden: Int, batch: Int, stride: Int, recurrent: Bool, bias: Bool)] = [
      (5, 1, 1, true, true), (37, 1, 1, false, true), (37, 1, 1, true, false), (7, 1, 3, true, true),
      (9, 5, 8, true, true), (16, 17, 20, false, true), (20, 32, 32, true, true), (3, 33, 40, true, false),
    ]
    for c in cases {
      gru(Float.self, path: path, c.hidden, c.batch, c.stride, recurrent: c.recurrent, withBias: c.bias)
      gru(Double.self, path: path, c.hidden, c.batch, c.stride, recurrent: c.recurrent, withBias: c.bias)
    }
  }

  private func gru<S: BLASScalar>(
    _: S.Type, path: ActivationPath, _ hidden: Int, _ batch: Int, _ stride: Int, recurrent: Bool, withBias: Bool
  ) {
    var rng = SeededGenerator(seed: UInt64(hidden * 1000 + batch * 10 + stride))
    func random(_ count: Int, _ scale: Double) -> [S] {
      (0..<count).map { _ in S(Double.random(in: -scale...scale, using: &rng)) }
    }
    let units = hidden * batch
    let (gates0, rz, hn) = (random(3 * hidden * stride, 3), random(2 * units, 2), random(units, 2))
    let (bias, hnBias, state0) = (random(3 * hidden, 1), random(hidden, 1), random(units, 1))
    // The fused kernel.
    var (gates, state) = (gates0, state0)
    withActivationPath(path) {
      rz.withUnsafeBufferPointer { rz in
        bias.withUnsafeBufferPointer { b in
          S._gruPointwise(
            path: path, hidden: hidden, batch: batch, gates: &gates, gateStride: stride,
            recurrentRZ: recurrent ? rz.baseAddress : nil, recurrentN: hn, bias: withBias ? b.baseAddress : nil,
            hnBias: hnBias, state: &state)
        }
      }
    }
    // The passes.
    var expected = gates0
    if recurrent {
      for row in 0..<(2 * hidden) {
        for k in 0..<batch { expected[row * stride + k] += rz[row * batch + k] }
      }
    }
    func activate(_ activation: Activation, firstRow: Int, rows: Int) {
      withActivationPath(path) {
        bias.withUnsafeBufferPointer { b in
          expected.withUnsafeMutableBufferPointer { g in
            let block = g.baseAddress! + firstRow * stride
            activation.apply(
              rows: rows, columns: batch, source: block, sourceStride: stride,
              bias: withBias ? b.baseAddress! + firstRow : nil, destination: block, destinationStride: stride)
          }
        }
      }
    }
    activate(.sigmoid, firstRow: 0, rows: 2 * hidden)
    for u in 0..<hidden {
      for k in 0..<batch {
        expected[(2 * hidden + u) * stride + k] += expected[u * stride + k] * (hn[u * batch + k] + hnBias[u])
      }
    }
    activate(.tanh, firstRow: 2 * hidden, rows: hidden)
    var expectedState = state0
    for u in 0..<hidden {
      for k in 0..<batch {
        let (z, n) = (expected[(hidden + u) * stride + k], expected[(2 * hidden + u) * stride + k])
        expectedState[u * batch + k] = n + z * (expectedState[u * batch + k] - n)
      }
    }
    let same =
      zip(gates, expected).allSatisfy(Self.identical) && zip(state, expectedState).allSatisfy(Self.identical)
    #expect(same, "\(S.self) \(path) H \(hidden) B \(batch) stride \(stride) recurrent \(recurrent) bias \(withBias)")
  }
}
