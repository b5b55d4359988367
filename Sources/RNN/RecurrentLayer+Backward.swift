import DenseMatrix

/// One layer and direction of a recurrent network, differentiated through time.
///
/// The forward pass is the cells' own (``RecurrentCell/forward(inputs:into:states:formulation:reversed:)``,
/// the shared sequence driver); the backward pass takes its inputs and its states, h_1 … h_T,
/// and recomputes every step's gates from them at once: `W_ih · X` and `W_hh · H_prev` are two
/// products over all T·B columns (H_prev is the states shifted by one step, h_0 first), so that
/// only the products that depend on the step before, `W_hhᵀ · δ_t` for the carried gradient, run
/// step by step. The weight gradients are then one product each over all steps (`dW_ih = Δ_x Xᵀ`,
/// `dW_hh = Δ_h H_prevᵀ`), as is the input's (`dX = W_ihᵀ Δ_x`).
///
/// Everything is in the cells' column layout: features × (T · B), column `t · B + b` being
/// sequence b's step t, whichever direction runs.
struct RecurrentLayerBackward<Scalar: BLASScalar> {
  enum Kind {
    case vanilla(Activation)
    case lstm
    case gru
  }

  let kind: Kind
  /// W_ih (G·H × I), W_hh (G·H × H).
  let inputWeights: Matrix<Scalar>
  let recurrentWeights: Matrix<Scalar>
  /// The bias added with `W_ih · x` and the one added with `W_hh · h` (G·H × 1): the GRU's n
  /// gate keeps them apart; for the others either may hold their sum.
  let inputBias: Matrix<Scalar>
  let recurrentBias: Matrix<Scalar>
  let reversed: Bool
  /// Each sequence's length for a padded batch (`nil`: every sequence has every step): steps
  /// at or past a sequence's length are not run, as `pack_padded_sequence` has it (the
  /// backward direction starts at the sequence's last step).
  var lengths: [Int]? = nil

  var hidden: Int { recurrentWeights.columns }
  var gateRows: Int { recurrentWeights.rows }

  /// The gradients of one layer and direction.
  struct Gradients {
    var inputWeights: Matrix<Scalar>
    var recurrentWeights: Matrix<Scalar>
    /// dL/db for the bias added with `W_ih · x`, and with `W_hh · h` (G·H × 1).
    var inputBias: Matrix<Scalar>
    var recurrentBias: Matrix<Scalar>
    /// dL/dX, I × (T·B).
    var input: Matrix<Scalar>
    /// dL/dh_0, dL/dc_0 (H × B).
    var initialState: Matrix<Scalar>
    var initialCell: Matrix<Scalar>?
  }

  /// The gradients, given the forward pass's input `x` (I × T·B), states `states` (H × T·B,
  /// column block t holding h after step t), initial states `h0`, `c0` (H × B), and the
  /// gradients of the loss with respect to every state (`stateGradient`, H × T·B) and to the
  /// last step's h and c (`finalState`, `finalCell`, H × B; the last step is t = T − 1 forward,
  /// t = 0 reversed).
  ///
  /// - Complexity: O(T · B · G·H · (I + H)): five products over all steps and one per step.
  func gradients(
    x: Matrix<Scalar>, states: Matrix<Scalar>, h0: Matrix<Scalar>, c0: Matrix<Scalar>?, batch: Int,
    stateGradient: Matrix<Scalar>, finalState: Matrix<Scalar>?, finalCell: Matrix<Scalar>?, backend: Backend
  ) -> Gradients {
    let (h, g, n) = (hidden, gateRows, states.columns)
    let steps = n / batch
    let lengths = self.lengths ?? Array(repeating: steps, count: batch)
    // The step each column feeds: h_prev of step t is step t − 1's state forward (t + 1
    // reversed), h_0 for each sequence's first step (t = 0 forward, its last step reversed).
    let previous = Matrix<Scalar>(
      rows: h, columns: n,
      initializingEvery: { p in
        states.withUnsafeBufferPointer { s in
          h0.withUnsafeBufferPointer { h0 in
            for r in 0..<h {
              for t in 0..<steps {
                for b in 0..<batch {
                  // (Steps past a sequence's end are not run: h_0 there too, unread.)
                  p[r * n + t * batch + b] =
                    isFirst(t, lengths[b]) || t >= lengths[b]
                    ? h0[r * batch + b] : s[r * n + (reversed ? t + 1 : t - 1) * batch + b]
                }
              }
            }
          }
        }
      })
    // The input-side and recurrent-side pre-activations of every step, each with its bias.
    var ax = Self.product(inputWeights, x, bias: inputBias, backend: backend)
    let ah = Self.product(recurrentWeights, previous, bias: recurrentBias, backend: backend)
    // The gradients of the pre-activations: input side (Δ_x) and recurrent side (Δ_h; the same
    // but for the GRU's n gate, where the recurrent part is multiplied by r).
    // (Every element is written by the steps below.)
    var deltaX = Matrix<Scalar>(rows: g, columns: n, initializingEvery: { _ in })
    var deltaH = Matrix<Scalar>(rows: g, columns: n, initializingEvery: { _ in })
    var carry = finalState ?? .zeros(rows: h, columns: batch)
    var cellCarry = finalCell ?? .zeros(rows: h, columns: batch)
    // Whether a step leaves a part of dh_{t−1} in the carry before W_hhᵀ Δ_h is added: the
    // GRU's z ⊙ dh, and a padded batch's sequences that have not started (their carry passes).
    let carriesState: Bool = if case .gru = kind { true } else { self.lengths != nil }
    // Every step's gates from the pre-activations, in place in ax: the LSTM's i, f, g, o, the
    // GRU's r, z, n (n = tanh(x part + r ⊙ (W_hn h + b_hn)), which ah keeps); and the LSTM's c_t
    // and tanh(c_t) for every step (c_0 first).
    var cells = Matrix<Scalar>.zeros(rows: 0, columns: 0)
    var tanhCells = Matrix<Scalar>.zeros(rows: 0, columns: 0)
    let initialCell = c0 ?? .zeros(rows: h, columns: batch)
    ax.withUnsafeMutableBufferPointer { a in
      ah.withUnsafeBufferPointer { ah in
        let (a, ah) = (a.baseAddress!, ah.baseAddress!)
        func apply(_ activation: Activation, rows: Range<Int>) {
          activation.apply(to: UnsafeMutableBufferPointer(start: a + rows.lowerBound * n, count: rows.count * n))
        }
        switch kind {
        case .vanilla: break
        case .lstm:
          for index in 0..<(g * n) { a[index] += ah[index] }
          apply(.sigmoid, rows: 0..<(2 * h))
          apply(.tanh, rows: (2 * h)..<(3 * h))
          apply(.sigmoid, rows: (3 * h)..<(4 * h))
        case .gru:
          for index in 0..<(2 * h * n) { a[index] += ah[index] }
          apply(.sigmoid, rows: 0..<(2 * h))
          for index in 0..<(h * n) { a[2 * h * n + index] += a[index] * ah[2 * h * n + index] }
          apply(.tanh, rows: (2 * h)..<(3 * h))
        }
      }
    }
    if case .lstm = kind {
      cells = .zeros(rows: h, columns: n)
      ax.withUnsafeBufferPointer { a in
        cells.withUnsafeMutableBufferPointer { c in
          initialCell.withUnsafeBufferPointer { c0 in
            let (a, c, c0) = (a.baseAddress!, c.baseAddress!, c0.baseAddress!)
            for order in 0..<steps {
              let t = reversed ? steps - 1 - order : order
              let p = reversed ? t + 1 : t - 1
              for r in 0..<h {
                for b in 0..<batch where t < lengths[b] {
                  let column = t * batch + b
                  let before = isFirst(t, lengths[b]) ? c0[r * batch + b] : c[r * n + p * batch + b]
                  c[r * n + column] = a[(h + r) * n + column] * before + a[r * n + column] * a[(2 * h + r) * n + column]
                }
              }
            }
          }
        }
      }
      tanhCells = cells
      tanhCells.withUnsafeMutableBufferPointer { Activation.tanh.apply(to: $0) }
    }
    states.withUnsafeBufferPointer { s in
      previous.withUnsafeBufferPointer { p in
        stateGradient.withUnsafeBufferPointer { ds in
          ax.withUnsafeBufferPointer { ax in
            ah.withUnsafeBufferPointer { ah in
              cells.withUnsafeBufferPointer { cells in
                tanhCells.withUnsafeBufferPointer { tanhCells in
                  initialCell.withUnsafeBufferPointer { c0 in
                    deltaX.withUnsafeMutableBufferPointer { dx in
                      deltaH.withUnsafeMutableBufferPointer { dh in
                        carry.withUnsafeMutableBufferPointer { carry in
                          cellCarry.withUnsafeMutableBufferPointer { cellCarry in
                            recurrentWeights.withUnsafeBufferPointer { w in
                              let pointers = StepPointers(
                                s: s.baseAddress!, p: p.baseAddress!, ds: ds.baseAddress!, ax: ax.baseAddress!,
                                ah: ah.baseAddress!, c: cells.baseAddress, tanhC: tanhCells.baseAddress,
                                c0: c0.baseAddress!, dx: dx.baseAddress!, dh: dh.baseAddress!,
                                carry: carry.baseAddress!,
                                cellCarry: cellCarry.baseAddress!, n: n, batch: batch, carriesState: carriesState)
                              for order in 0..<steps {
                                let t = reversed ? order : steps - 1 - order
                                stepBackward(pointers, t: t, lengths: lengths)
                                // dh_{t−1} = W_hhᵀ · Δ_h,t (+ the GRU's z ⊙ dh, added by the step).
                                GEMMOperands(
                                  transposeA: true, m: h, n: batch, k: g, a: w.baseAddress, lda: h,
                                  b: dh.baseAddress! + t * batch, ldb: n, beta: pointers.carriesState ? 1 : 0,
                                  c: carry.baseAddress!, ldc: batch
                                ).run(backend)
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let inputGradient = Self.product(inputWeights, deltaX, transposeA: true, backend: backend)
    let isLSTM: Bool = if case .lstm = kind { true } else { false }
    return Gradients(
      inputWeights: Self.product(deltaX, x, transposeB: true, backend: backend),
      recurrentWeights: Self.product(deltaH, previous, transposeB: true, backend: backend),
      inputBias: deltaX.sum(axis: 1), recurrentBias: deltaH.sum(axis: 1), input: inputGradient,
      initialState: carry, initialCell: isLSTM ? cellCarry : nil)
  }

  /// The buffers one step's backward reads and writes (all H × T·B or G·H × T·B with row stride
  /// n, but the carries, H × B).
  struct StepPointers {
    let s: UnsafePointer<Scalar>
    let p: UnsafePointer<Scalar>
    let ds: UnsafePointer<Scalar>
    let ax: UnsafePointer<Scalar>
    let ah: UnsafePointer<Scalar>
    let c: UnsafePointer<Scalar>?
    let tanhC: UnsafePointer<Scalar>?
    let c0: UnsafePointer<Scalar>
    let dx: UnsafeMutablePointer<Scalar>
    let dh: UnsafeMutablePointer<Scalar>
    let carry: UnsafeMutablePointer<Scalar>
    let cellCarry: UnsafeMutablePointer<Scalar>
    let n: Int
    let batch: Int
    /// Whether the step leaves a part of dh_{t−1} in `carry` before `W_hhᵀ · Δ_h` is added (the
    /// GRU's `z ⊙ dh`).
    let carriesState: Bool
  }

  /// Δ_x and Δ_h of step t (columns t·B ..< (t+1)·B) from dh = dL/dh_t + the carried gradient;
  /// leaves in `carry` what of dh_{t−1} does not go through W_hh (zero, or the GRU's z ⊙ dh).
  private func stepBackward(_ q: StepPointers, t: Int, lengths: [Int]) {
    let (h, g, n, batch) = (hidden, gateRows, q.n, q.batch)
    for b in 0..<batch where t >= lengths[b] {
      // A step past the sequence's end: not run, so no gradient; dh and dc pass unchanged.
      for row in 0..<g {
        q.dx[row * n + t * batch + b] = 0
        q.dh[row * n + t * batch + b] = 0
      }
    }
    for r in 0..<h {
      for b in 0..<batch where t < lengths[b] {
        let first = isFirst(t, lengths[b])
        let column = t * batch + b
        let dh = q.ds[r * n + column] + q.carry[r * batch + b]
        switch kind {
        case .vanilla(let activation):
          let value = q.s[r * n + column]
          let slope: Scalar =
            switch activation {
            case .tanh: 1 - value * value
            case .relu: value > 0 ? 1 : 0
            case .sigmoid: value * (1 - value)
            case .identity: 1
            }
          q.dx[r * n + column] = dh * slope
          q.dh[r * n + column] = dh * slope
          q.carry[r * batch + b] = 0
        case .lstm:
          let i = q.ax[r * n + column]
          let f = q.ax[(h + r) * n + column]
          let gg = q.ax[(2 * h + r) * n + column]
          let o = q.ax[(3 * h + r) * n + column]
          let tanhC = q.tanhC![r * n + column]
          let before = first ? q.c0[r * batch + b] : q.c![r * n + (t + (reversed ? 1 : -1)) * batch + b]
          let dc = q.cellCarry[r * batch + b] + dh * o * (1 - tanhC * tanhC)
          let di = dc * gg * i * (1 - i)
          let df = dc * before * f * (1 - f)
          let dg = dc * i * (1 - gg * gg)
          let d_o = dh * tanhC * o * (1 - o)
          q.dx[r * n + column] = di
          q.dx[(h + r) * n + column] = df
          q.dx[(2 * h + r) * n + column] = dg
          q.dx[(3 * h + r) * n + column] = d_o
          q.dh[r * n + column] = di
          q.dh[(h + r) * n + column] = df
          q.dh[(2 * h + r) * n + column] = dg
          q.dh[(3 * h + r) * n + column] = d_o
          q.cellCarry[r * batch + b] = dc * f
          q.carry[r * batch + b] = 0
        case .gru:
          let rGate = q.ax[r * n + column]
          let z = q.ax[(h + r) * n + column]
          let nGate = q.ax[(2 * h + r) * n + column]
          let hn = q.ah[(2 * h + r) * n + column]
          let before = q.p[r * n + column]
          let dn = dh * (1 - z) * (1 - nGate * nGate)
          let dz = dh * (before - nGate) * z * (1 - z)
          let dr = dn * hn * rGate * (1 - rGate)
          q.dx[r * n + column] = dr
          q.dh[r * n + column] = dr
          q.dx[(h + r) * n + column] = dz
          q.dh[(h + r) * n + column] = dz
          q.dx[(2 * h + r) * n + column] = dn
          q.dh[(2 * h + r) * n + column] = dn * rGate
          q.carry[r * batch + b] = dh * z
        }
      }
    }
  }

  /// Whether step t is the first a sequence of `length` steps runs: t = 0 forward, its last
  /// step reversed.
  @inline(__always)
  private func isFirst(_ t: Int, _ length: Int) -> Bool {
    reversed ? t == length - 1 : t == 0
  }

  /// `a · b` (with `aᵀ`, `bᵀ` as asked) plus `bias` broadcast over the columns, as a new matrix.
  static func product(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, bias: Matrix<Scalar>? = nil, transposeA: Bool = false,
    transposeB: Bool = false, backend: Backend
  ) -> Matrix<Scalar> {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    // Every element is written: the bias, then the product added (or the product alone).
    return Matrix<Scalar>(
      rows: m, columns: n,
      initializingEvery: { c in
        if let bias {
          bias.withUnsafeBufferPointer { bias in
            for r in 0..<m { (c.baseAddress! + r * n).update(repeating: bias[r], count: n) }
          }
        }
        a.withUnsafeBufferPointer { a in
          b.withUnsafeBufferPointer { b in
            GEMMOperands(
              transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress,
              lda: max(1, transposeA ? m : k),
              b: b.baseAddress, ldb: max(1, transposeB ? k : n), beta: bias == nil ? 0 : 1, c: c.baseAddress,
              ldc: max(1, n)
            ).run(backend)
          }
        }
      })
  }
}
