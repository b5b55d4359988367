import DenseMatrix
import RNN

/// The raw-CBLAS rows: each cell's step written directly against CBLAS on preallocated arrays,
/// with plain loops for the bias and the gates' arithmetic and the library's public activation
/// kernels (`Activation.apply(to:)`) on contiguous ranges, so that "vs raw" measures the
/// library's overhead, not a different `tanh`. Same data, same recurrence as the library's rows.
enum RawStep {
  static func make<Cell: RecurrentCell>(
    _ cell: Cell, fused: Bool, _ h0: Matrix<Cell.Scalar>, _ inputs: [Matrix<Cell.Scalar>]
  ) -> TimedCase {
    switch cell {
    case let cell as RNNCell<Cell.Scalar>: vanilla(cell, fused: fused, h0, inputs)
    case let cell as LSTMCell<Cell.Scalar>: lstm(cell, fused: fused, h0, inputs)
    case let cell as GRUCell<Cell.Scalar>: gru(cell, fused: fused, h0, inputs)
    default: fatalError("no raw step for \(Cell.self)")
    }
  }

  /// `c (m × B) = A (m × k) · b + beta · c`, `?gemv` for one column.
  private static func product<Scalar: BLASScalar>(
    _ m: Int, _ batch: Int, _ k: Int, _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, _ beta: Scalar,
    _ c: UnsafeMutablePointer<Scalar>
  ) {
    if batch == 1 { RawCBLAS.gemv(m, k, a, b, beta, c) } else { RawCBLAS.gemm(m, batch, k, a, b, beta, c) }
  }

  /// `c[r, j] += bias[r]` over `rows` rows of `batch` columns.
  private static func addBias<Scalar: BLASScalar>(
    _ c: UnsafeMutablePointer<Scalar>, _ bias: UnsafePointer<Scalar>, rows: Int, batch: Int
  ) {
    for r in 0..<rows {
      for j in 0..<batch { c[r * batch + j] += bias[r] }
    }
  }

  private static func apply<Scalar: BLASScalar>(
    _ activation: Activation, _ c: UnsafeMutablePointer<Scalar>, from start: Int, count: Int
  ) {
    activation.apply(to: UnsafeMutableBufferPointer(start: c + start, count: count))
  }

  /// Fused: `x_t` into `[h; x]`, one product with `[W_hh | W_hx]`, bias and `tanh`, h copied
  /// back. Split: `W_hx · x`, then `W_hh · h` accumulated (beta = 1), bias and `tanh`.
  private static func vanilla<Scalar: BLASScalar>(
    _ cell: RNNCell<Scalar>, fused: Bool, _ h0: Matrix<Scalar>, _ inputs: [Matrix<Scalar>]
  ) -> TimedCase {
    let (m, nx, batch) = (cell.hiddenSize, cell.inputSize, h0.columns)
    let (w, whh, whx, bias) = (
      cell.notebookFusedWeights.scalars, cell.recurrentWeights.scalars, cell.inputWeights.scalars, cell.bias.scalars
    )
    let xs = inputs.map(\.scalars)
    var s = h0.scalars + [Scalar](repeating: 0, count: nx * batch)  // [h; x]
    var c = [Scalar](repeating: 0, count: m * batch)
    var t = 0
    return TimedCase(stepsPerCall: 1) {
      let x = xs[t % xs.count]
      s.withUnsafeMutableBufferPointer { s_ in
        c.withUnsafeMutableBufferPointer { c_ in
          let (s, c) = (s_.baseAddress!, c_.baseAddress!)
          if fused {
            (s + m * batch).update(from: x, count: nx * batch)
            product(m, batch, m + nx, w, s, 0, c)
          } else {
            product(m, batch, nx, whx, x, 0, c)
            product(m, batch, m, whh, s, 1, c)
          }
          addBias(c, bias, rows: m, batch: batch)
          apply(.tanh, c, from: 0, count: m * batch)
          s.update(from: c, count: m * batch)
        }
      }
      t += 1
      return Double(t)
    }
  }

  /// Fused: `x_t` into `[x; h]`, one product with `[W_ih | W_hh]` for the four gates. Split:
  /// `W_ih · x`, then `W_hh · h` accumulated. Then bias, σ/tanh on the gate ranges, c and h.
  private static func lstm<Scalar: BLASScalar>(
    _ cell: LSTMCell<Scalar>, fused: Bool, _ h0: Matrix<Scalar>, _ inputs: [Matrix<Scalar>]
  ) -> TimedCase {
    let (hidden, nx, batch) = (cell.hiddenSize, cell.inputSize, h0.columns)
    let w = hstack([cell.inputWeights, cell.recurrentWeights]).scalars
    let (wih, whh, bias) = (cell.inputWeights.scalars, cell.recurrentWeights.scalars, cell.bias.scalars)
    let xs = inputs.map(\.scalars)
    let count = hidden * batch
    var s = [Scalar](repeating: 0, count: nx * batch) + h0.scalars  // [x; h]
    var g = [Scalar](repeating: 0, count: 4 * count)
    var c = [Scalar](repeating: 0, count: count)
    var tc = [Scalar](repeating: 0, count: count)
    var t = 0
    return TimedCase(stepsPerCall: 1) {
      let x = xs[t % xs.count]
      s.withUnsafeMutableBufferPointer { s_ in
        g.withUnsafeMutableBufferPointer { g_ in
          c.withUnsafeMutableBufferPointer { c_ in
            tc.withUnsafeMutableBufferPointer { tc_ in
              let (s, g, c, tc) = (s_.baseAddress!, g_.baseAddress!, c_.baseAddress!, tc_.baseAddress!)
              let h = s + nx * batch
              if fused {
                s.update(from: x, count: nx * batch)
                product(4 * hidden, batch, nx + hidden, w, s, 0, g)
              } else {
                product(4 * hidden, batch, nx, wih, x, 0, g)
                product(4 * hidden, batch, hidden, whh, h, 1, g)
              }
              addBias(g, bias, rows: 4 * hidden, batch: batch)
              apply(.sigmoid, g, from: 0, count: 2 * count)
              apply(.tanh, g, from: 2 * count, count: count)
              apply(.sigmoid, g, from: 3 * count, count: count)
              for k in 0..<count { c[k] = g[count + k] * c[k] + g[k] * g[2 * count + k] }
              tc.update(from: c, count: count)
              apply(.tanh, tc, from: 0, count: count)
              for k in 0..<count { h[k] = g[3 * count + k] * tc[k] }
            }
          }
        }
      }
      t += 1
      return Double(t)
    }
  }

  /// Fused: one product with the 4H × (I + H) block matrix (the n gate's halves apart). Split:
  /// `W_ih · x` and `W_hh · h` into two 3H × B arrays. Then the r, z, n gates and h.
  private static func gru<Scalar: BLASScalar>(
    _ cell: GRUCell<Scalar>, fused: Bool, _ h0: Matrix<Scalar>, _ inputs: [Matrix<Scalar>]
  ) -> TimedCase {
    let (hidden, nx, batch) = (cell.hiddenSize, cell.inputSize, h0.columns)
    let (wih, whh) = (cell.inputWeights, cell.recurrentWeights)
    let rz = 0..<(2 * hidden)
    let n = (2 * hidden)..<(3 * hidden)
    let w = vstack([
      hstack([wih[rows: rz, columns: 0..<nx], whh[rows: rz, columns: 0..<hidden]]),
      hstack([wih[rows: n, columns: 0..<nx], .zeros(rows: hidden, columns: hidden)]),
      hstack([.zeros(rows: hidden, columns: nx), whh[rows: n, columns: 0..<hidden]]),
    ]).scalars
    let (bi, bh) = (cell.inputBias.scalars, cell.recurrentBias.scalars)
    let (wi, wh) = (wih.scalars, whh.scalars)
    let xs = inputs.map(\.scalars)
    let count = hidden * batch
    var s = [Scalar](repeating: 0, count: nx * batch) + h0.scalars  // [x; h]
    var gi = [Scalar](repeating: 0, count: 4 * count)
    var gh = [Scalar](repeating: 0, count: 3 * count)
    var t = 0
    return TimedCase(stepsPerCall: 1) {
      let x = xs[t % xs.count]
      s.withUnsafeMutableBufferPointer { s_ in
        gi.withUnsafeMutableBufferPointer { gi_ in
          gh.withUnsafeMutableBufferPointer { gh_ in
            let (s, a, r) = (s_.baseAddress!, gi_.baseAddress!, gh_.baseAddress!)
            let h = s + nx * batch
            let nRecurrent: UnsafeMutablePointer<Scalar>
            if fused {
              s.update(from: x, count: nx * batch)
              product(4 * hidden, batch, nx + hidden, w, s, 0, a)
              addBias(a, bh, rows: 2 * hidden, batch: batch)  // b_hr, b_hz (b_ih below)
              nRecurrent = a + 3 * count
            } else {
              product(3 * hidden, batch, nx, wi, x, 0, a)
              product(3 * hidden, batch, hidden, wh, h, 0, r)
              for k in 0..<(2 * count) { a[k] += r[k] }
              addBias(a, bh, rows: 2 * hidden, batch: batch)
              nRecurrent = r + 2 * count
            }
            addBias(a, bi, rows: 3 * hidden, batch: batch)
            apply(.sigmoid, a, from: 0, count: 2 * count)
            for row in 0..<hidden {
              for j in 0..<batch {
                let k = row * batch + j
                a[2 * count + k] += a[k] * (nRecurrent[k] + bh[2 * hidden + row])
              }
            }
            apply(.tanh, a, from: 2 * count, count: count)
            for k in 0..<count { h[k] = a[2 * count + k] + a[count + k] * (h[k] - a[2 * count + k]) }
          }
        }
      }
      t += 1
      return Double(t)
    }
  }
}

/// The cells `rnn-bench --cell` measures.
enum CellKind: String, CaseIterable {
  case rnn, lstm, gru

  /// The gates per hidden unit: the multiple of H in the products.
  var gates: Int {
    switch self {
    case .rnn: 1
    case .lstm: 4
    case .gru: 3
    }
  }
}
